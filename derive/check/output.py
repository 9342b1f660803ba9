r"""Print a :class:`~derive.check.document.CheckedDocument`: text, JSON, Markdown, HTML.

* ``text``: one line per link (equation.link, source line, verdict, short reason),
  the corrections found, a summary.
* ``json``: a list of objects with exactly the keys of :data:`JSON_KEYS` -- the
  machine interface, kept stable.
* ``markdown`` / ``html``: the document as written, each equation followed by its
  verdicts (refuted links with the corrected form when one is derivable), then a
  summary with the corrections in the note's notation.

>>> from derive.check.document import check_text
>>> doc = check_text(r"$$\frac{\partial C}{\partial b^l_j} = \delta^l_j$$")
>>> print(text(doc).splitlines()[0])
eq 1.1  line 1  proved          \frac{\partial C}{\partial b^l_j} = \delta^l_j  (residual 0; sizes 2-3-2-3, 8 index values, ...)
>>> sorted(json_list(doc)[0]) == sorted(JSON_KEYS)
True
"""

from __future__ import annotations

import html as _html
import json
import re

from derive.check.parse import NOT_KATEX
from derive.check.verify import NOT_UNDERSTOOD, PROVED, REFUTED

__all__ = ["JSON_KEYS", "html", "json_list", "json_text", "markdown", "summary", "text"]

JSON_KEYS = ("equation", "line", "link", "lhs", "rhs", "verdict", "reason", "counterexample")
_REL = {"=": "=", "approx": r"\approx", "<=": r"\leqslant", ">=": r"\geqslant", "<": "<",
        ">": ">", "def": r"\equiv", "gets": r"\gets", "to": r"\to", "": ""}
_MARK = {PROVED: "\u2714", REFUTED: "\u2718", NOT_UNDERSTOOD: "?"}


def _short(s: str, width: int) -> str:
    s = " ".join(s.split())
    return s if len(s) <= width else s[: width - 3] + "..."


def summary(doc) -> str:
    """``N links: a proved, b refuted, c not understood; ...``"""
    c = doc.counts()
    return (f"{len(doc.links)} links: {c[PROVED]} proved, {c[REFUTED]} refuted, "
            f"{c[NOT_UNDERSTOOD]} not understood; {len(doc.definitions)} definitions; "
            f"{len(doc.skipped)} limit statements not checked; {len(doc.corrections)} "
            f"corrections; sizes {'-'.join(map(str, doc.sizes))}; {doc.seconds:.1f} s")


def text(doc, verbose: bool = False) -> str:
    """The terminal report."""
    lines = []
    for r in doc.links:
        claim = _short(f"{r.lhs} {_REL[r.relation]} {r.rhs}", 60 if not verbose else 400)
        reason = r.reason if verbose else _short(r.reason, 90)
        lines.append(f"eq {r.equation}.{r.link}  line {r.line}  {r.verdict:<14}  {claim}  ({reason})")
        if r.corrected:
            lines.append(f"    corrected: \\delta^L_j = {r.corrected}")
        if verbose and r.counterexample:
            lines.append("    counterexample: " + ", ".join(f"{k} = {v}" for k, v in
                                                         r.counterexample.items()))
    if doc.corrections:
        lines.append("corrections:")
        for wrong, right, why, line in doc.corrections:
            lines.append(f"  line {line}: {wrong}  ->  {right}   ({why})")
    if verbose:
        for line, kind, tex in doc.definitions:
            lines.append(f"definition line {line} ({kind}): {tex}")
        for line, tex, why in doc.skipped:
            lines.append(f"not checked line {line}: {tex} ({why})")
    lines.append(summary(doc))
    return "\n".join(lines) + "\n"


def json_list(doc) -> list:
    """One dict per link with exactly :data:`JSON_KEYS`."""
    return [r.as_json() for r in doc.links]


def json_text(doc) -> str:
    return json.dumps(json_list(doc), ensure_ascii=False, indent=1) + "\n"


# ---------------------------------------------------------------- markdown
def _katex_safe(tex: str) -> str:
    for cmd, right in NOT_KATEX.items():
        tex = re.sub(re.escape(cmd) + r"(?![A-Za-z])", lambda m: right, tex)
    return tex


def _math(tex: str) -> str:
    if any(cmd in tex for cmd in NOT_KATEX):
        return f"`{tex}`"
    return f"${tex}$"


def _verdict_lines(links) -> list:
    out = []
    for r in links:
        rel = _REL[r.relation]
        claim = f"link {r.link}" + (f" (${rel}$)" if rel else "")
        item = f"- {_MARK[r.verdict]} eq. {r.equation}, {claim}: **{r.verdict}** \u2014 " \
               f"{_plain(r.base or r.reason)}"
        typos = [(w, right, why) for w, right, why, typo in r.notes if typo]
        readings = [why for w, right, why, typo in r.notes if not typo]
        if typos:
            item += "; read " + "; ".join(f"{_math(w)} as {_math(right)} ({_plain(why)})"
                                          for w, right, why in typos)
        if readings:
            item += "; " + "; ".join(_plain(w) for w in readings)
        if r.counterexample:
            shown = {k: v for k, v in r.counterexample.items()
                     if not k.startswith(("W^", "b^", "a^", "y_", "\\frac"))}
            item += "; counterexample: " + ", ".join(f"{k} = {v}" for k, v in shown.items()) \
                + " (all values in `--format json`)"
        if r.corrected:
            item += f"; corrected: $\\delta^L_j = {r.corrected}$"
        out.append(item)
    return out


def _plain(s: str) -> str:
    """Reason text for Markdown: no raw LaTeX outside math, no stray emphasis."""
    s = re.sub(r"`([^`]*)`", lambda m: "\u2018" + m.group(1) + "\u2019", s)
    s = s.replace("\\", "").replace("*", "\u2217").replace("_", "\\_").replace("$", "")
    return s


def _insertion_lines(doc) -> dict:
    lines = doc.text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    groups: dict = {}
    import bisect

    for r in doc.links:
        n = bisect.bisect_right(starts, r.end) - 1
        while n + 1 < len(lines) and lines[n].lstrip(" >").startswith("|") \
                and lines[n + 1].lstrip(" >").startswith("|"):
            n += 1  # after the whole table
        while n + 1 < len(lines) and lines[n].strip() and lines[n + 1].strip() \
                and not lines[n].lstrip(" >").startswith("|") and "$$" not in lines[n]:
            n += 1  # after the paragraph
        groups.setdefault(n, []).append(r)
    return groups


def markdown(doc) -> str:
    """The document as written, verdicts after each equation, a summary at the end."""
    lines = doc.text.split("\n")
    groups = _insertion_lines(doc)
    out = []
    for n, line in enumerate(lines):
        out.append(_katex_in_math(line))
        if n in groups:
            quote = re.match(r"^(\s*>\s?)", line)
            prefix = quote.group(1) if quote else ""
            out.append(prefix.rstrip() if prefix else "")
            out += [prefix + item for item in _verdict_lines(groups[n])]
            out.append(prefix.rstrip() if prefix else "")
    out += ["", "## Verification (`python -m derive check`)", "", summary(doc) + ".", ""]
    if doc.corrections:
        out += ["Corrections found:", ""]
        out += [f"1. line {line}: {_math(w)} \u2192 {_math(r)}: {_plain(why)}"
                for w, r, why, line in doc.corrections]
        out.append("")
    if any(cmd in doc.text for cmd in NOT_KATEX):
        out += ["(Formulas above write " + ", ".join(f"`{c}` as `{r}`" for c, r in
                                                    NOT_KATEX.items() if c in doc.text)
                + " so that they render.)", ""]
    return "\n".join(out)


def _katex_in_math(line: str) -> str:
    return re.sub(r"\$[^$]*\$", lambda m: _katex_safe(m.group()), line) if "$" in line else line


# ---------------------------------------------------------------- html
_KATEX = ('<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/katex@0.16.47/dist/katex.min.css">\n'
          '<script defer src="https://cdn.jsdelivr.net/npm/katex@0.16.47/dist/katex.min.js"></script>\n'
          '<script defer src="https://cdn.jsdelivr.net/npm/katex@0.16.47/dist/contrib/auto-render.min.js"'
          ' onload="renderMathInElement(document.body)"></script>')


def _inline(s: str) -> str:
    parts = re.split(r"(\$\$.+?\$\$|\$[^$]+\$|`[^`]+`|\*\*[^*]+\*\*)", s)
    out = []
    for p in parts:
        if p.startswith("$$") and len(p) > 4:
            out.append(_html.escape(p))
        elif p.startswith("$") and len(p) > 2:
            out.append("\\(" + _html.escape(p[1:-1]) + "\\)")
        elif p.startswith("`") and len(p) > 2:
            out.append("<code>" + _html.escape(p[1:-1]) + "</code>")
        elif p.startswith("**") and len(p) > 4:
            out.append("<b>" + _html.escape(p[2:-2]) + "</b>")
        else:
            out.append(_html.escape(p.replace("\\_", "_")))
    return "".join(out)


def html(doc) -> str:
    """:func:`markdown` as one HTML page (KaTeX auto-render, ``$$`` and ``\\(..\\)``)."""
    body, para, in_math = [], [], False

    def flush():
        if para:
            body.append("<p>" + " ".join(para) + "</p>")
            para.clear()

    for raw in markdown(doc).split("\n"):
        quoted = raw.lstrip().startswith(">")
        line = re.sub(r"^\s*(>\s?)+", "", raw)
        if in_math or line.strip().startswith("$$") and line.count("$$") == 1:
            para.append(_html.escape(line))
            if line.count("$$") == 1:
                in_math = not in_math
            continue
        m = re.match(r"^(#{1,6})\s+(.*)", line)
        if m:
            flush()
            level = len(m.group(1))
            body.append(f"<h{level}>{_inline(m.group(2))}</h{level}>")
        elif line.strip().startswith("|"):
            flush()
            if not re.fullmatch(r"\s*\|[\s:|-]+\|?\s*", line):
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                body.append("<table><tr>" + "".join(f"<td>{_inline(c)}</td>" for c in cells)
                            + "</tr></table>")
        elif re.match(r"^\s*(-|\d+\.)\s", line):
            flush()
            item = re.sub(r"^\s*(-|\d+\.)\s", "", line)
            body.append(("<blockquote>" if quoted else "") + f"<ul><li>{_inline(item)}</li></ul>"
                        + ("</blockquote>" if quoted else ""))
        elif not line.strip():
            flush()
        else:
            para.append(_inline(line))
    flush()
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n<title>derive check</title>\n"
            f"{_KATEX}\n</head><body>\n" + "\n".join(body) + "\n</body></html>\n")
