"""Every formula ``python -m derive latex`` can print renders in a real renderer (KaTeX).

All formulas go through ONE ``node tests/render/render.js`` call (JSON on stdin), with
``katex.renderToString(tex, {throwOnError: true, displayMode: true, strict: "error"})``.
The renderer comes from ``npm ci --prefix tests/render`` (``.ci/run`` does it). With
``CI=true`` a missing node or KaTeX FAILS these tests; locally they skip with the reason.

What is rendered: for every output x loss pair, the LaTeX and Markdown documents (with
``--raw``, a superset of the plain ones), the whole Markdown table, ``proof_latex`` of
each pair proof (Jupyter's ``_repr_latex_``), ``latex --layer NAME`` for every layer in
``derive.layers.LAYERS`` at test time, and ``derive.report.formulas()`` when present.
"""

from __future__ import annotations

import importlib
import json
import os
import pathlib
import re
import shutil
import subprocess

import pytest

from derive import latex, latex_cli

RENDER_DIR = pathlib.Path(__file__).resolve().parent / "render"
SCRIPT = RENDER_DIR / "render.js"
_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE = re.compile(r"(?<![\\$])\$([^$\n]+?)\$")


def formulas_in(document: str) -> list[str]:
    """Display (``$$..$$``) then inline (``$..$``) formulas of a printed document."""
    display = [f.strip() for f in _DISPLAY.findall(document)]
    rest = _DISPLAY.sub(" ", document)
    return display + [f.strip() for f in _INLINE.findall(rest)]


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def _renderer_or_skip() -> str:
    node = shutil.which("node")
    katex = RENDER_DIR / "node_modules" / "katex" / "package.json"
    missing = None
    if node is None:
        missing = "node is not on PATH"
    elif not katex.exists():
        missing = "KaTeX is not installed: run `npm ci --prefix tests/render`"
    if missing:
        if _in_ci():
            pytest.fail(f"render test cannot run in CI: {missing}")
        pytest.skip(missing)
    return node


def render(formulas: list[str]) -> list[dict]:
    """Render ``formulas`` with KaTeX in one node process; one ``{ok, error}`` each."""
    node = _renderer_or_skip()
    proc = subprocess.run([node, str(SCRIPT)], input=json.dumps(formulas), capture_output=True,
                          text=True, timeout=120, cwd=RENDER_DIR)
    assert proc.returncode in (0, 1), f"render.js failed ({proc.returncode}): {proc.stderr}"
    results = json.loads(proc.stdout)
    assert len(results) == len(formulas)
    return results


def _pairs() -> list[tuple[str, str]]:
    return [tuple(p.split("+")) for p in latex_cli.names()["pairs"]]


def _layer_names() -> list[str]:
    try:
        layers = importlib.import_module("derive.layers")
    except ImportError:
        return []
    return sorted(getattr(layers, "LAYERS", ()))


def _backprop_proofs() -> list[tuple[str, object]]:
    """Proof objects of derive.backprop (Jupyter renders them via proof_latex)."""
    try:
        backprop = importlib.import_module("derive.backprop")
    except ImportError:
        return []
    calls = [("prove_step(3, 2)", lambda: backprop.prove_step(3, 2)),
             ("prove_step(2, 2, N=2, layer=3)", lambda: backprop.prove_step(2, 2, N=2, layer=3)),
             ("prove_step_symbolic()", backprop.prove_step_symbolic),
             ("prove_network([2, 3, 2])", lambda: backprop.prove_network([2, 3, 2]))]
    return [(label, call()) for label, call in calls]


def every_printable_formula() -> dict[str, list[str]]:
    """source -> formulas, for everything the latex command (and proof_latex) prints."""
    sources: dict[str, list[str]] = {}
    for output, loss in _pairs():
        for fmt in ("latex", "markdown"):
            doc = latex_cli.pair_document(output, loss, fmt, raw=True)
            sources[f"latex {output} {loss} --format {fmt} --raw"] = formulas_in(doc)
        _, proof, _ = latex_cli._pair_proof(output, loss)
        if proof is not None:
            sources[f"proof_latex(prove_pair({output!r}, {loss!r}))"] = formulas_in(latex.proof_latex(proof))
    sources["latex --format markdown"] = formulas_in(latex_cli.markdown_table())
    for label, proof in _backprop_proofs():
        sources[f"proof_latex({label})"] = formulas_in(latex.proof_latex(proof))
    for name in _layer_names():
        sources[f"latex --layer {name}"] = formulas_in(latex_cli.layer_document(name))
    for e in latex.EQUATIONS:
        sources[f"EQUATIONS {e.label}"] = e.latex_parts()
    for table in (latex.OUTPUT_NOTATION, latex.LOSS_NOTATION):
        for note in table.values():
            sources[f"notation {note.name}"] = [note.latex]
    try:
        report = importlib.import_module("derive.report")
    except ImportError:
        report = None
    if report is not None and hasattr(report, "formulas"):
        sources["derive.report.formulas()"] = list(report.formulas())
    sources.update(_check_formulas())
    return sources


def _check_formulas() -> dict[str, list[str]]:
    """``python -m derive check --format markdown/html`` of the seed note, as written and
    with a refuted table row (its corrected delta^L is printed too)."""
    try:
        check = importlib.import_module("derive.check")
    except ImportError:
        return {}
    from derive.check import output

    seed = check.check_seed()
    row = r"$\boldsymbol \delta^L = \mathbf a^L - \mathbf y$                    |"
    planted = check.check_text(seed.text.replace(row, row.replace(r"\mathbf a^L - \mathbf y",
                                                                  r"\mathbf y - \mathbf a^L"), 1))
    assert planted.counts()["refuted"] and any(r.corrected for r in planted.links)
    out = {}
    for label, doc in (("seed note", seed), ("seed note, one row refuted", planted)):
        out[f"derive check --format markdown ({label})"] = formulas_in(output.markdown(doc))
        out[f"derive check --format html ({label})"] = _html_formulas(output.html(doc))
    return out


def _html_formulas(page: str) -> list[str]:
    """``$$..$$`` and ``\\(..\\)`` formulas of an HTML page (what KaTeX auto-render sees)."""
    import html

    text = html.unescape(re.sub(r"<[^>]+>", " ", page.split("<body>", 1)[1]))
    display = [f.strip() for f in _DISPLAY.findall(text)]
    return display + [f.strip() for f in re.findall(r"\\\((.+?)\\\)", text, re.S)]


def test_every_formula_the_cli_prints_renders_with_katex():
    sources = every_printable_formula()
    flat = [(source, tex) for source, texs in sources.items() for tex in texs]
    # not vacuous: every pair printed its four equations, every layer its block
    for source, texs in sources.items():
        assert texs, f"{source} printed no formula"
    assert len(flat) >= 20 * len(_pairs()) + len(_layer_names())
    results = render([tex for _, tex in flat])
    failures = [f"{source}: {result['error']}\n    {tex}"
                for (source, tex), result in zip(flat, results) if not result["ok"]]
    assert not failures, f"{len(failures)} of {len(flat)} formulas do not render:\n" + "\n".join(failures)


BROKEN = [
    # (formula, why KaTeX must reject it)
    (r"\frac{\partial C}{\partial W^{l}_{jk}", "unclosed brace"),
    (r"\delta^{l-1}_{k} = \sigmaprime(z^{l-1}_{k})", "undefined control sequence"),
    (r"a^{L}_{j} \right)", "unmatched \\right"),
    (r"\begin{aligned} a &= b", "unclosed environment"),
    (r"a^{L}^{2}", "double superscript"),
]


@pytest.mark.parametrize("tex, why", BROKEN, ids=[why for _, why in BROKEN])
def test_renderer_rejects_a_broken_formula(tex, why):
    good = r"\delta^{L}_{j} = a^{L}_{j} - y_{j}"
    results = render([good, tex])
    assert results[0] == {"ok": True}
    assert not results[1]["ok"], f"KaTeX accepted a formula with an {why}: {tex}"
    assert "KaTeX parse error" in results[1]["error"]


def test_a_broken_formula_inside_a_printed_document_is_caught():
    """The whole pipeline (document -> extraction -> KaTeX) fails on one bad brace."""
    doc = latex_cli.pair_document("linear", "mse")
    broken = doc.replace(r"\frac{\partial C}{\partial b^{l}_{j}}", r"\frac{\partial C}{\partial b^{l}_{j}", 1)
    assert broken != doc
    results = render(formulas_in(broken))
    assert sum(not r["ok"] for r in results) == 1


EXTRACTION = [
    ("% comment\n$$a$$\n$$b\nc$$", ["a", "b\nc"]),
    ("| x: $p$ | $q + 1$ |", ["p", "q + 1"]),
    ("$$\\text{100\\$}$$ and $r$", ["\\text{100\\$}", "r"]),
    ("no math here", []),
]


@pytest.mark.parametrize("document, expected", EXTRACTION)
def test_formula_extraction(document, expected):
    assert formulas_in(document) == expected
