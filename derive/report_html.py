r"""The report as one self-contained HTML page: math rendered to MathML when written.

Browsers display MathML natively (MathML Core: Chromium 109+, Firefox, Safari), so the
page needs no script, no stylesheet or font from the network and no Node.js: it opens
offline and reads the same anywhere. LaTeX is converted by ``latex2mathml`` (pure
Python, no dependencies; the ``report`` extra); each ``<math>`` keeps its TeX in
``alttext`` for screen readers and copy-paste.

>>> print(math_html(r"\frac{a}{b}", display=False))  # doctest: +ELLIPSIS
<math alttext="\frac{a}{b}" xmlns="http://www.w3.org/1998/Math/MathML" display="inline">...<mfrac>...
>>> RAW_TEX.search(page([("p", "a $x^2$ b")], {}, "en", "t")) is None
True
"""

from __future__ import annotations

import html
import re

__all__ = ["RAW_TEX", "math_html", "page"]

# what a formula left unrendered looks like in visible text
RAW_TEX = re.compile(r"\$\$|\\\(|\\\[|\\(?:frac|partial|delta|sigma|sum|mathbf|boldsymbol|"
                     r"left|right|eta|nabla|Delta|to|odot|qquad|text|operatorname|gets)\b")

_CSS = """
body { max-width: 52rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.55;
       font-family: "Noto Sans", "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC",
       "Microsoft YaHei", "DejaVu Sans", sans-serif; color: #111; }
math[display="block"] { margin: 0.8em 0; overflow-x: auto; overflow-y: hidden; }
pre { background: #f6f6f4; padding: 0.6em; overflow-x: auto; white-space: pre-wrap; }
.evidence { font-family: "DejaVu Sans Mono", monospace; font-size: 0.85em; margin: 0.2em 0 0.6em; }
.verdict { font-weight: 600; margin: 0.8em 0 0.2em; }
.failed { color: #a00; }
figure { margin: 1em 0; } figure img { max-width: 100%; }
figcaption { font-size: 0.9em; color: #444; }
"""


def math_html(tex: str, display: bool = True) -> str:
    """``tex`` as a ``<math>`` element (MathML), with the TeX in ``alttext``."""
    from latex2mathml.converter import convert

    mathml = convert(tex, display="block" if display else "inline")
    alt = html.escape(tex, quote=True)
    return mathml.replace("<math ", f'<math alttext="{alt}" ', 1)


def _inline(text: str) -> str:
    """Escape text; ``$...$`` becomes inline MathML, ```...``` becomes ``<code>``."""
    parts = re.split(r"(\$[^$]+\$|`[^`]+`)", text)
    out = []
    for p in parts:
        if p.startswith("$") and p.endswith("$") and len(p) > 1:
            out.append(math_html(p[1:-1], display=False))
        elif p.startswith("`") and p.endswith("`") and len(p) > 1:
            out.append(f"<code>{html.escape(p[1:-1])}</code>")
        else:
            out.append(html.escape(p))
    return "".join(out)


_TEX_PAIR = re.compile(r"^(?P<wrong>.*\\.*?)  ->  (?P<right>.*?): (?P<why>.*)$")


def _evidence(line: str) -> str:
    """An evidence line; a correction ``wrong  ->  right: why`` in TeX is rendered."""
    m = _TEX_PAIR.match(line.strip())
    if m:
        return (f'<div class="evidence">{math_html(m["wrong"], False)} \u2192 '
                f'{math_html(m["right"], False)}: {html.escape(m["why"])}</div>')
    return f'<div class="evidence">{html.escape(line.strip())}</div>'


def _verdicts(block: str) -> str:
    out = []
    for chunk in block.split("\n\n"):
        lines = chunk.splitlines()
        if not lines:
            continue
        failed = any(w in lines[0] for w in ("FAILED", "UNAVAILABLE", "未通过", "无法检查"))
        out.append(f'<div class="verdict{" failed" if failed else ""}">{html.escape(lines[0])}</div>')
        out += [_evidence(line) for line in lines[1:]]
    return "\n".join(out)


def page(doc, captions: dict, lang: str, title: str) -> str:
    """The HTML page of document blocks ``doc`` ((kind, payload); see derive.report)."""
    body = []
    for kind, x in doc:
        if kind in ("h1", "h2"):
            body.append(f"<{kind}>{html.escape(x)}</{kind}>")
        elif kind == "p":
            body.append(f"<p>{_inline(x)}</p>")
        elif kind == "math":
            body.append(math_html(x, display=True))
        elif kind == "pre":
            body.append(_verdicts(x))
        elif kind == "img":
            cap = html.escape(captions.get(x, x))
            body.append(f'<figure><img src="{html.escape(x, quote=True)}" alt="{cap}">'
                        f"<figcaption>{cap}</figcaption></figure>")
        elif kind == "list":
            body.append("<ol>" + "".join(f"<li>{_inline(i)}</li>" for i in x) + "</ol>")
    lang_attr = "zh-Hans" if lang == "zh" else "en"
    return (f'<!DOCTYPE html>\n<html lang="{lang_attr}"><head><meta charset="utf-8">\n'
            f'<meta name="generator" content="python -m derive report">\n'
            f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")
