"""``python -m derive check``: each construct of the grammar, each verdict kind, the
output formats (the JSON schema), the command line (exit statuses, readable errors).

Documents in the note's style and textbook styles, with planted mistakes, are in
``tests/test_check_documents.py``.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from derive import cli
from derive.check import JSON_KEYS, check_text, extract
from derive.check import output
from derive.check.parse import NotUnderstood, parse_chain

PROVED, REFUTED, NOT_UNDERSTOOD = "proved", "refuted", "not understood"


def verdicts(text: str) -> list[str]:
    return [r.verdict for r in check_text(text).links]


# ---------------------------------------------------------------- grammar: one construct per row
# (construct, a true display equation using it, the same with a mistake planted)
CONSTRUCTS = [
    ("\\frac partial", r"\frac{\partial C}{\partial b^l_j} = \delta^l_j",
     r"\frac{\partial C}{\partial b^l_j} = 2\delta^l_j"),
    ("slash partial", r"\partial C / \partial b^l_j = \delta^l_j",
     r"\partial C / \partial b^l_j = \delta^{l}_j a^{l-1}_1"),
    ("\\sum_j", r"\frac{\partial C}{\partial a^{l-1}_k} = \sum_j W^l_{jk}\delta^l_j",
     r"\frac{\partial C}{\partial a^{l-1}_k} = \sum_j W^l_{kj}\delta^l_j"),
    ("\\sum\\limits_k", r"\frac{\partial \left(\sum\limits_k W^l_{jk} a^{l-1}_k + b^l_j\right)}{\partial W^l_{jk}} = a^{l-1}_k",
     r"\frac{\partial \left(\sum\limits_k W^l_{jk} a^{l-1}_k + b^l_j\right)}{\partial W^l_{jk}} = a^{l-1}_j"),
    ("\\sum_{j=1}^{n}", r"\frac{\partial C}{\partial a^{l-1}_k} = \sum_{j=1}^{n} \delta^l_j W^l_{jk}",
     r"\frac{\partial C}{\partial a^{l-1}_k} = \sum_{j=1}^{n} \delta^l_j W^l_{jk} a^{l-1}_k"),
    ("braces-free indices", r"\frac{\partial C}{\partial W^l_{jk}} = \delta^l_j a^{l-1}_k",
     r"\frac{\partial C}{\partial W^l_{jk}} = \delta^l_k a^{l-1}_j"),
    ("\\sigma'", r"\frac{\partial a^l_j}{\partial z^l_j} = \sigma'(z^l_j)",
     r"\frac{\partial a^l_j}{\partial z^l_j} = \sigma(z^l_j)"),
    ("\\sigma'\\left( \\right)", r"\frac{\partial a^l_j}{\partial z^l_j} = \sigma'\left(z^l_j\right)",
     r"\frac{\partial a^l_j}{\partial z^l_j} = \sigma'\left(b^l_j\right)"),
    ("l-1 recurrence", r"\delta^{l-1}_k = \sum_j W^l_{jk}\delta^l_j\sigma'(z^{l-1}_k)",
     r"\delta^{l-1}_k = \sum_j W^l_{jk}\delta^l_j"),
    ("l+1 recurrence", r"\delta^l_j = \sum_k W^{l+1}_{kj}\delta^{l+1}_k\sigma'(z^l_j)",
     r"\delta^l_j = \sum_k W^{l+1}_{jk}\delta^{l+1}_k\sigma'(z^l_j)"),
    ("\\mathbf, ^T", r"\frac{\partial C}{\partial \mathbf W^l} = \boldsymbol\delta^l(\mathbf a^{l-1})^T",
     r"\frac{\partial C}{\partial \mathbf W^l} = -\boldsymbol\delta^l(\mathbf a^{l-1})^T"),
    ("\\odot", r"\boldsymbol\delta^{l-1} = (\mathbf W^l)^T\boldsymbol\delta^l \odot \sigma'(\mathbf z^{l-1})",
     r"\boldsymbol\delta^{l-1} = (\mathbf W^l)^T\boldsymbol\delta^l \odot \sigma(\mathbf z^{l-1})"),
    ("\\nabla a^L Jacobian", r"\boldsymbol\delta^L = (\nabla\mathbf a^L)^T\frac{\partial C}{\partial\mathbf a^L}",
     r"\boldsymbol\delta^L = \frac{\partial C}{\partial\mathbf a^L}"),
    ("pmatrix general entry", r"\frac{\partial C}{\partial\mathbf b^l} = \begin{pmatrix}\delta^l_1\\\vdots\\\delta^l_j\end{pmatrix}",
     r"\frac{\partial C}{\partial\mathbf b^l} = \begin{pmatrix}\delta^l_1\\\vdots\\-\delta^l_j\end{pmatrix}"),
    ("\\approx first order", r"\Delta C \approx \sum_l\sum_j\left(\sum_k\frac{\partial C}{\partial W^l_{jk}}\Delta W^l_{jk} + \frac{\partial C}{\partial b^l_j}\Delta b^l_j\right)",
     r"\Delta C \approx \sum_l\sum_j\sum_k\frac{\partial C}{\partial W^l_{jk}}\Delta W^l_{jk}"),
    ("\\leqslant", r"-\eta\sum_l\sum_j\left(\frac{\partial C}{\partial b^l_j}\right)^2 \leqslant 0",
     r"\eta\sum_l\sum_j\left(\frac{\partial C}{\partial b^l_j}\right)^2 \leqslant 0"),
    ("\\le", r"-\left(\frac{\partial C}{\partial b^L_1}\right)^2 \le 0",
     r"\left(\frac{\partial C}{\partial b^L_1}\right)^2 \le 0"),
    ("e^{...} and \\frac", r"\frac{1}{1 + e^{-z^L_1}} = \frac{e^{z^L_1}}{e^{z^L_1} + 1}",
     r"\frac{1}{1 + e^{-z^L_1}} = \frac{e^{z^L_1}}{e^{z^L_1} - 1}"),
    ("\\ln, \\exp", r"\ln(\exp(z^L_1)) = z^L_1", r"\ln(\exp(z^L_1)) = 2 z^L_1"),
    ("\\cdot and \\tfrac", r"\tfrac12 \cdot 2\delta^l_j = \delta^l_j", r"\tfrac12 \cdot \delta^l_j = \delta^l_j"),
    ("lowercase w (Nielsen)", r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k\delta^l_j",
     r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_j\delta^l_k"),
    ("\\nabla_a C and \\sigma^\\prime", r"\boldsymbol\delta^L = \nabla_a C \odot \sigma^{\prime}(\mathbf z^L)",
     r"\boldsymbol\delta^L = \nabla_a C \odot \sigma(\mathbf z^L)"),
    ("\\| norm \\|", r"\frac12\|\mathbf y\|^2 = \frac12\sum_j (y_j)^2",
     r"\frac12\|\mathbf y\|^2 = \sum_j (y_j)^2"),
    ("aligned continuation", "\\begin{aligned}\\frac{\\partial C}{\\partial b^l_j} &= \\delta^l_j\\\\ &= \\frac{\\partial C}{\\partial z^l_j}\\end{aligned}",
     "\\begin{aligned}\\frac{\\partial C}{\\partial b^l_j} &= \\delta^l_j\\\\ &= -\\frac{\\partial C}{\\partial z^l_j}\\end{aligned}"),
]


@pytest.mark.parametrize("name, right, wrong", CONSTRUCTS, ids=[c[0] for c in CONSTRUCTS])
def test_each_construct_proved_when_right_and_refuted_when_wrong(name, right, wrong):
    assert set(verdicts(f"$${right}$$")) == {PROVED}, check_text(f"$${right}$$").links
    assert REFUTED in verdicts(f"$${wrong}$$"), check_text(f"$${wrong}$$").links


def test_relations_are_read():
    chain = parse_chain(r"a = b \approx c \leqslant d \le e \leq f \equiv g \gets h \to i")
    assert [rel for rel, _ in chain.links] == ["=", "approx", "<=", "<=", "<=", "def", "gets", "to"]


def test_gets_checked_against_the_documents_update():
    doc = (r"Take $\Delta W^l_{jk} = -\eta\frac{\partial C}{\partial W^l_{jk}}$."
           "\n$$\\mathbf W^l \\gets \\mathbf W^l - \\eta\\frac{\\partial C}{\\partial\\mathbf W^l}$$"
           "\n$$\\mathbf W^l \\gets \\mathbf W^l + \\eta\\frac{\\partial C}{\\partial\\mathbf W^l}$$")
    assert verdicts(doc) == [PROVED, REFUTED]


def test_definitions_are_used_for_later_steps():
    tanh = "$a^l_j = \\tanh(z^l_j)$\n$$\\frac{\\partial a^l_j}{\\partial z^l_j} = 1 - (a^l_j)^2$$"
    generic = "$$\\frac{\\partial a^l_j}{\\partial z^l_j} = 1 - (a^l_j)^2$$"
    assert verdicts(tanh) == [PROVED]
    assert verdicts(generic) == [REFUTED]  # sigma is not tanh without the definition


def test_table_rows_are_their_own_worlds():
    doc = ("| output | loss | delta |\n|---|---|---|\n"
           "| $\\mathbf a^L = \\mathbf z^L$ | $C = \\frac12\\sum_j (a^L_j - y_j)^2$ | $\\boldsymbol\\delta^L = \\mathbf a^L - \\mathbf y$ |\n"
           "| $\\mathbf a^L = \\frac{1}{1 + e^{-\\mathbf z^L}}$ | $C = \\frac12\\sum_j (a^L_j - y_j)^2$ | $\\boldsymbol\\delta^L = \\mathbf a^L - \\mathbf y$ |\n")
    checked = check_text(doc)
    assert [r.verdict for r in checked.links] == [PROVED, REFUTED]
    assert checked.links[1].corrected == r"a^{L}_{j} \left(1 - a^{L}_{j}\right) \left(a^{L}_{j} - y_{j}\right)"


def test_extraction_finds_display_inline_table_and_quotes():
    doc = "> $$a = b$$\n\ntext $c = d$ and `$not = math$`\n\n| $e = f$ |\n|---|\n| $g = h$ |\n```\n$$x = y$$\n```\n"
    found = [(f.kind, f.text) for f in extract(doc)]
    assert found == [("display", "a = b"), ("inline", "c = d"), ("header", "e = f"), ("table", "g = h")]


# ---------------------------------------------------------------- verdict: not understood
NOT_READ = [
    (r"\frac{\partial C}{\partial q^l_j} = 0", "symbol `q`"),
    (r"\frac{\partial C}{\partial b^l_j} = \foo", "unknown command `\\foo`"),
    (r"\frac{\partial C}{\partial b^l_j} = \begin{cases} 1 \end{cases}", "environment `cases`"),
    (r"\frac{\partial C}{\partial (b^l_j + 1)} = 1", "with respect to an expression"),
    (r"\delta^l_j = ", "nothing on this side"),
    (r"\frac{\partial C}{\partial b^l_j = 1", "expected"),
]


@pytest.mark.parametrize("tex, quoted", NOT_READ, ids=[q for _, q in NOT_READ])
def test_not_understood_quotes_the_construct_and_its_position(tex, quoted):
    links = check_text("intro\n\n$$" + tex + "$$").links
    assert links and all(r.verdict == NOT_UNDERSTOOD for r in links), links
    assert quoted in links[0].reason and "line 3, column" in links[0].reason


def test_parse_errors_are_one_exception_type():
    with pytest.raises(NotUnderstood):
        parse_chain(r"a^{")


def test_a_typo_is_read_with_its_suggested_correction():
    checked = check_text(r"$$\delta^{l-1}_k = \sum_j W^j_{jk}\delta^l_j\sigma'(z^{l-1}_k)$$")
    assert [r.verdict for r in checked.links] == [PROVED]
    assert checked.corrections[0][:2] == ("W^j_{jk}", "W^l_{jk}")
    assert "not a layer" in checked.links[0].reason


def test_a_malformed_derivative_is_reported_with_its_correction():
    checked = check_text(r"$$\frac{\partial C}{b^l_j} = \delta^l_j$$")
    assert checked.corrections[0][:2] == (r"\frac{\partial C}{b^l_j}", r"\frac{\partial C}{\partial b^l_j}")


def test_refuted_link_has_an_evaluated_counterexample():
    r = check_text(r"$$\frac{\partial C}{\partial W^l_{jk}} = \delta^l_k a^{l-1}_j$$").links[0]
    assert r.verdict == REFUTED
    point = r.counterexample
    assert {"l", "j", "k", "residual"} <= set(point) and abs(point["residual"]) > 1e-6
    assert all(isinstance(v, (int, float, str)) for v in point.values())


# ---------------------------------------------------------------- output formats
SCHEMA_TYPES = {"equation": int, "line": int, "link": int, "lhs": str, "rhs": str,
                "verdict": str, "reason": str}


def test_json_matches_the_documented_schema():
    doc = check_text("$$\\frac{\\partial C}{\\partial b^l_j} = \\delta^l_j = -\\delta^l_j$$\n"
                     "$$a = \\foo$$")
    data = json.loads(output.json_text(doc))
    assert isinstance(data, list) and len(data) == 3
    for item in data:
        assert tuple(item) == JSON_KEYS
        for key, kind in SCHEMA_TYPES.items():
            assert isinstance(item[key], kind), (key, item)
        assert item["verdict"] in (PROVED, REFUTED, NOT_UNDERSTOOD)
        assert (item["counterexample"] is None) == (item["verdict"] != REFUTED)
        if item["counterexample"] is not None:
            assert all(isinstance(k, str) for k in item["counterexample"])
    assert [(d["equation"], d["link"]) for d in data] == [(1, 1), (1, 2), (2, 1)]


def test_markdown_keeps_the_document_and_adds_verdicts():
    text = "# T\n\n$$\\frac{\\partial C}{\\partial b^l_j} = -\\delta^l_j$$\n\nafter\n"
    md = output.markdown(check_text(text))
    assert md.startswith(text.rstrip("\n").split("\n\nafter")[0])
    assert "**refuted**" in md and "after" in md and "## Verification" in md


def test_html_is_a_page_with_katex():
    page = output.html(check_text("$$\\frac{\\partial C}{\\partial b^l_j} = \\delta^l_j$$"))
    assert page.startswith("<!DOCTYPE html>") and "katex" in page and "<b>proved</b>" in page


# ---------------------------------------------------------------- command line
def _run(argv, stdin=""):
    proc = subprocess.run([sys.executable, "-m", "derive", "check", *argv], input=stdin,
                          capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def test_cli_exit_status_0_when_nothing_is_refuted(tmp_path):
    note = tmp_path / "ok.md"
    note.write_text("$$\\frac{\\partial C}{\\partial b^l_j} = \\delta^l_j$$\n", encoding="utf-8")
    code, out, err = _run([str(note)])
    assert code == 0 and "1 proved" in out and not err


def test_cli_exit_status_1_when_a_link_is_refuted_and_reads_stdin():
    code, out, _ = _run(["-", "--format", "json"], "$$\\frac{\\partial C}{\\partial b^l_j} = 0$$")
    assert code == 1 and json.loads(out)[0]["verdict"] == REFUTED


def test_cli_latex_fragment():
    code, out, _ = _run(["-", "--latex"], r"\frac{\partial C}{\partial b^l_j} = \delta^l_j")
    assert code == 0 and "proved" in out


USAGE = [
    (["/no/such/note.md"], "NOTE.md: expected a readable file"),
    (["-", "--sizes", "2,x"], "--sizes: expected comma-separated integers"),
    (["-", "--sizes", "2,30"], "--sizes: expected 2 to 5 layer sizes"),
    (["-", "--format", "pdf"], "invalid choice"),
]


@pytest.mark.parametrize("argv, message", USAGE, ids=[m for _, m in USAGE])
def test_cli_usage_errors_are_one_line_and_status_2(argv, message, capsys):
    old = sys.stdin
    sys.stdin = io.StringIO("")
    try:
        try:
            code = cli.main(["check", *argv])
        except SystemExit as exc:
            code = exc.code
    finally:
        sys.stdin = old
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
