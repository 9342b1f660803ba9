"""derive.latex / derive.latex_cli: the note's notation, every format, the CLI's errors.

Rendering in a real renderer is tests/test_render.py; here: what is printed.
"""

from __future__ import annotations

import functools
import re
import sys

import pytest
import sympy as sp

from derive import latex, latex_cli, pairs
from derive.errors import UsageError
from derive.functions import sigmoid, sigmoid_prime
from derive.symbols import W as W_sym
from derive.symbols import i, indexed, j, k, n

a_, y_, z_ = indexed("a", "L"), indexed("y"), indexed("z", "L")
Wl, dl = indexed("W", "l"), indexed("delta", "l")
PAIRS = [tuple(p.split("+")) for p in latex_cli.names()["pairs"]]


@functools.cache
def _proof(output, loss):
    """prove_pair, n symbolic, called independently of the printer (once per pair)."""
    return pairs.prove_pair(output, loss)

# ---------------------------------------------------------------- the printers

PRINTER = [
    # (id, expression, LaTeX, Unicode)
    ("a-y", a_[j] - y_[j], r"a^{L}_{j} - y_{j}", "aᴸⱼ − yⱼ"),
    ("bare-a", sp.IndexedBase("a")[j], r"a^{L}_{j}", "aᴸⱼ"),
    ("W-jk", Wl[j, k] * dl[j], r"W^{l}_{jk} \delta^{l}_{j}", "Wˡⱼₖ·δˡⱼ"),
    ("sigma-prime", sigmoid_prime(z_[j]), r"\sigma'\left(z^{L}_{j}\right)", "σ′(zᴸⱼ)"),
    ("sigma", sigmoid(z_[j]), r"\sigma\left(z^{L}_{j}\right)", "σ(zᴸⱼ)"),
    ("sum", sp.Sum(a_[i] * (a_[i] - y_[i]), (i, 1, n)),
     r"\sum_{i=1}^{n} a^{L}_{i} \left(a^{L}_{i} - y_{i}\right)", "Σᵢ₌₁ⁿ aᴸᵢ·(aᴸᵢ − yᵢ)"),
    ("sum-then-factor", a_[j] * sp.Sum(a_[i], (i, 1, n)) * (1 - a_[j]),
     r"a^{L}_{j} \left(1 - a^{L}_{j}\right) \sum_{i=1}^{n} a^{L}_{i}", "aᴸⱼ·(1 − aᴸⱼ)·Σᵢ₌₁ⁿ aᴸᵢ"),
    ("ln", -y_[j] * sp.log(a_[j]), r"- y_{j} \ln{\left(a^{L}_{j} \right)}", "−yⱼ·ln(aᴸⱼ)"),
    ("fraction", -y_[j] / a_[j], r"- \frac{y_{j}}{a^{L}_{j}}", "−yⱼ/aᴸⱼ"),
    ("square", (a_[j] - y_[j]) ** 2 / 2, r"\frac{\left(a^{L}_{j} - y_{j}\right)^{2}}{2}", "(aᴸⱼ − yⱼ)²/2"),
    ("comma-indices", W_sym(2, 1, 11), r"W^{2}_{1,11}", "W²₁,₁₁"),
    ("indexed-comma", Wl[1, 11], r"W^{l}_{1,11}", "Wˡ₁,₁₁"),
]


@pytest.mark.parametrize("expr, tex, text", [c[1:] for c in PRINTER], ids=[c[0] for c in PRINTER])
def test_printers_use_the_note_notation(expr, tex, text):
    assert latex.note_latex(expr) == tex
    assert latex.note_text(expr) == text


def test_printers_reject_non_sympy():
    for printer in (latex.note_latex, latex.note_text):
        with pytest.raises(TypeError, match="expr: expected a SymPy expression, got str"):
            printer("a - y")


# ---------------------------------------------------------------- the note's typos, corrected

TYPOS = [
    # (needle, must it be printed?)
    (r"W^{l}_{jk}", True),
    (r"\sigma'(z^{l-1}", True),
    (r"\frac{\partial C}{\partial W^{l}_{jk}}", True),
    (r"\frac{\partial C}{\partial \mathbf{W}^{l}}", True),
    (r"\left(\mathbf{W}^{l}\right)^{T} \boldsymbol{\delta}^{l} \odot \sigma'(\mathbf{z}^{l-1})", True),
    (r"W^{j}_{jk}", False),
    (r"W^j_{jk}", False),
    (r"\nabla z", False),
    (r"\nabla \mathbf{z}", False),
    (r"\frac{\partial C}{W", False),
]


@pytest.mark.parametrize("fmt", ["latex", "markdown"])
@pytest.mark.parametrize("needle, wanted", TYPOS, ids=[t[0] for t in TYPOS])
def test_typos_of_the_note_are_corrected(needle, wanted, fmt):
    for output, loss in PAIRS:
        doc = latex_cli.pair_document(output, loss, fmt)
        assert (needle in doc) == wanted, f"{output}+{loss} --format {fmt}: {needle!r}"


# ---------------------------------------------------------------- what each format prints


@pytest.mark.parametrize("output, loss", PAIRS, ids=[f"{o}+{c}" for o, c in PAIRS])
def test_each_pair_prints_its_derived_closed_form_and_true_status(output, loss):
    """The printed delta^L is derive.pairs' closed form, with prove_pair's verdict."""
    closed = pairs.closed_form(output, loss)
    proof = _proof(output, loss)
    verdict = "proved exactly" if proof.proved else "NOT proved"
    doc = latex_cli.pair_document(output, loss, "latex").splitlines()
    bp1 = doc.index(next(line for line in doc if line.startswith("% BP1 output error:")))
    assert verdict in doc[bp1]
    assert doc[bp1 + 1].endswith(" = " + latex.note_latex(closed) + "$$")
    assert (r"= \mathbf{a}^{L} - \mathbf{y}$$" in doc[bp1 + 2]) == (proof.proved and proof.reduces_to_a_minus_y)
    text = latex_cli.pair_document(output, loss, "text")
    assert f"δᴸⱼ = ∂C/∂zᴸⱼ = {latex.note_text(closed)}" in text
    assert verdict in text
    assert "\\" not in text, "the text format must be readable without a LaTeX renderer"


def test_latex_format_is_comments_and_one_line_formulas():
    doc = latex_cli.pair_document("softmax", "log_likelihood", "latex")
    for line in doc.splitlines():
        assert line.startswith("% ") or (line.startswith("$$") and line.endswith("$$")), line
    # the four equations, in this order, each with its status comment
    labels = re.findall(r"^% (BP\d) ", doc, re.M)
    assert labels == ["BP1", "BP2", "BP3", "BP4"]


def test_raw_adds_the_unsimplified_derivative():
    plain = latex_cli.pair_document("softmax", "mse", "latex")
    raw = latex_cli.pair_document("softmax", "mse", "latex", raw=True)
    derived = _proof("softmax", "mse").derived
    assert "raw SymPy" not in plain
    assert "% raw SymPy" in raw
    assert r"$$\frac{\partial C}{\partial z^{L}_{j}} = " + latex.note_latex(derived) + "$$" in raw
    assert set(plain.splitlines()) <= set(raw.splitlines())


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


def test_markdown_table_has_every_pair_and_marks_exactly_the_a_minus_y_ones():
    table = latex_cli.markdown_table().splitlines()
    assert _cells(table[0])[0:2] == ["Output function", "Loss function"]
    assert _cells(table[0])[3] == "Proof status"
    rows = table[2:]
    assert len(rows) == len(pairs.PAIRS)
    for (output, loss), row in zip(pairs.PAIRS, rows):
        cells = _cells(row)
        assert len(cells) == 4, row
        assert cells[0].startswith(latex.notation("output", output).name + ": $")
        assert cells[1].startswith(latex.notation("loss", loss).name + ": $")
        proof = _proof(output, loss)
        assert ("reduces to a − y" in cells[3]) == (proof.proved and proof.reduces_to_a_minus_y)
        assert cells[3].startswith("proved exactly" if proof.proved else "NOT proved")
    # the note's three matching pairs come first
    assert [tuple(_cells(r)[0:2]) for r in rows[:3]] == [
        (latex.notation("output", o).name + ": $" + latex.notation("output", o).latex + "$",
         latex.notation("loss", c).name + ": $" + latex.notation("loss", c).latex + "$")
        for o, c in pairs.MATCHING]


def test_a_wrong_closed_form_is_printed_as_not_proved(monkeypatch):
    """Feed the printer a wrong claim (sigmoid+MSE said to be a - y): it must say so."""
    right = pairs.closed_form
    monkeypatch.setattr(pairs, "closed_form",
                        lambda o, c: a_[j] - y_[j] if (o, c) == ("sigmoid", "mse") else right(o, c))
    latex_cli._pair_proof.cache_clear()
    try:
        doc = latex_cli.pair_document("sigmoid", "mse", "latex")
        table = latex_cli.markdown_table()
        args = _parser().parse_args(["sigmoid", "mse"])
        code = latex_cli.run(args)
    finally:
        latex_cli._pair_proof.cache_clear()
    assert "% BP1 output error: NOT proved" in doc
    assert r"= a^{L}_{j} - y_{j}$$" in doc
    assert r"\mathbf{a}^{L} - \mathbf{y}$$" not in doc
    row = next(r for r in table.splitlines() if r.startswith("| sigmoid:") and "| mse:" in r)
    assert "NOT proved" in row
    assert code == 1


def test_a_failed_step_lemma_is_printed_as_not_proved(monkeypatch):
    """BP2-BP4 carry the step lemma's verdict per hidden activation; make one fail."""
    import derive.backprop as backprop
    real = backprop.prove_step_symbolic

    def tanh_fails(activation="sigmoid"):
        result = real(activation)
        result.proved = result.proved and activation != "tanh"
        return result

    monkeypatch.setattr(backprop, "prove_step_symbolic", tanh_fails)
    latex_cli._step_status.cache_clear()
    try:
        doc = latex_cli.pair_document("linear", "mse", "latex")
        code = latex_cli.run(_parser().parse_args(["linear", "mse"]))
    finally:
        latex_cli._step_status.cache_clear()
    for label in ("BP2 recurrence", "BP3 weights", "BP4 biases"):
        assert f"% {label}: NOT proved (SymPy) for sigma = tanh; proved for identity, sigmoid" in doc
    assert code == 1


def test_a_crashing_prover_is_printed_as_not_proved(monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("prover exploded")

    monkeypatch.setattr(pairs, "prove_pair", boom)
    latex_cli._pair_proof.cache_clear()
    try:
        doc = latex_cli.pair_document("linear", "mse", "text")
    finally:
        latex_cli._pair_proof.cache_clear()
    assert "[NOT proved: prove_pair raised RuntimeError: prover exploded]" in doc


# ---------------------------------------------------------------- proof_latex (Jupyter)


def test_proof_latex_of_pair_proofs():
    good = pairs.prove_pair("linear", "mse")
    tex = latex.proof_latex(good)
    assert tex.startswith("$$") and tex.endswith("$$")
    assert r"a^{L}_{j} - y_{j}" in tex and r"\text{linear + mse: proved exactly" in tex
    assert good._repr_latex_() == tex
    wrong = pairs.prove_pair("sigmoid", "mse", n=2, claimed=a_[j] - y_[j])
    tex = latex.proof_latex(wrong)
    assert "NOT proved" in tex and r"\text{residual: }" in tex
    assert r"\boldsymbol{\delta}^{L}" in tex  # concrete n: the vector of all components


def test_proof_latex_of_backprop_proofs():
    import derive.backprop as backprop
    step = backprop.prove_step(2, 3)
    tex = latex.proof_latex(step)
    assert tex.count(r"\checkmark") == len(step.equations) and step.proved
    assert r"\frac{\partial C}{\partial W^{l}_{12}} = " in tex
    assert step._repr_latex_() == tex


def test_proof_latex_marks_a_failed_equation():
    from types import SimpleNamespace

    fake = SimpleNamespace(layer="l", n_in=1, n_out=1, proved=False, details={"failed": [("W", 1, 1)]},
                           equations={("b", 1): (dl[1], dl[1]), ("W", 1, 1): (dl[1], dl[1] * 2)})
    tex = latex.proof_latex(fake)
    assert r"\frac{\partial C}{\partial W^{l}_{11}} = 2 \delta^{l}_{1} & \times" in tex
    assert r"\frac{\partial C}{\partial b^{l}_{1}} = \delta^{l}_{1} & \checkmark" in tex
    assert "NOT proved" in tex


def test_proof_latex_rejects_other_objects():
    with pytest.raises(TypeError, match="obj: expected a proof object with .proved, got int"):
        latex.proof_latex(3)


# ---------------------------------------------------------------- the command line


def _parser():
    import argparse

    parser = argparse.ArgumentParser(prog="latex")
    latex_cli.add_arguments(parser)
    return parser


def _main(argv, capsys):
    import derive.cli as cli
    try:
        code = cli.main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


CLI_OK = [
    # (argv, text that must be printed)
    (["latex", "softmax", "log_likelihood"], r"\delta^{L}_{j} = \frac{\partial C}{\partial z^{L}_{j}}"),
    (["latex", "sigmoid", "mse", "--format", "text"], "δᴸⱼ = ∂C/∂zᴸⱼ = aᴸⱼ·(1 − aᴸⱼ)·(aᴸⱼ − yⱼ)"),
    (["latex", "linear", "mse", "--format", "markdown"], "### linear + mse"),
    (["latex", "--format", "markdown"], "| Output function | Loss function |"),
    (["latex", "linear", "mse", "--raw"], "% raw SymPy"),
    (["latex", "--list"], "pairs: linear+mse, sigmoid+cross_entropy, softmax+log_likelihood"),
]


@pytest.mark.parametrize("argv, needle", CLI_OK, ids=[" ".join(c[0][1:]) for c in CLI_OK])
def test_cli_prints(argv, needle, capsys):
    code, out, err = _main(argv, capsys)
    assert needle in out
    assert code in (0, 1) and err == ""
    assert code == (1 if re.search(r"NOT proved(?! here)", out) else 0)


CLI_ERRORS = [
    # (argv, the one line on stderr must contain)
    (["latex", "tanh", "mse"], "OUTPUT: expected one of linear, sigmoid, softmax, got 'tanh'"),
    (["latex", "softmax", "hinge"], "LOSS: expected one of mse, cross_entropy, log_likelihood, got 'hinge'"),
    (["latex", "softmax"], "LOSS: expected one of mse, cross_entropy, log_likelihood, got nothing"),
    (["latex"], "OUTPUT: expected OUTPUT LOSS, or --format markdown"),
    (["latex", "--layer", "no_such_layer"], "--layer: expected one of "),
    (["latex", "--layer", "dense", "linear"], "--layer: expected no OUTPUT/LOSS with --layer, got linear"),
    (["latex", "linear", "mse", "--format", "html"], "invalid choice: 'html'"),
]


@pytest.mark.parametrize("argv, message", CLI_ERRORS, ids=[" ".join(c[0][1:]) for c in CLI_ERRORS])
def test_cli_errors_are_one_line_and_exit_2(argv, message, capsys):
    code, out, err = _main(argv, capsys)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err


def test_layer_names_come_from_the_live_registry(capsys):
    import derive.layers as layers
    names = sorted(layers.LAYERS)
    assert latex_cli.names()["layers"] == names
    for name in names:
        doc = latex_cli.layer_document(name)
        assert doc.startswith(f"% python -m derive latex --layer {name}\n$$")
        assert layers.layer_latex(name).strip() in doc
    code, _, err = _main(["latex", "--layer", "no_such_layer"], capsys)
    assert code == 2 and ", ".join(names) in err


def test_layer_without_a_layer_library_is_a_clear_usage_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "derive.layers", None)  # import raises ImportError
    with pytest.raises(UsageError, match="no layer library available"):
        latex_cli.layer_document("dense")
    assert latex_cli.names()["layers"] == []
