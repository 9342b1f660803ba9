"""``python -m derive check`` on whole documents: the reference note (the first
acceptance document) and derivations written in textbook styles -- Nielsen's
component notation, softmax with cross-entropy, MSE over a mini-batch with 1/N and
sums over x, tanh layers, ReLU layers -- each correct (every link proved) and with
planted mistakes (sign, missing factor, transposed index, wrong derivative of an
activation, sum over the wrong index, wrong layer): each refuted at its link, every
other link still proved.
"""

from __future__ import annotations

import bisect

import pytest

from derive import report
from derive.check import check_seed, check_text, extract, seed_corrections

PROVED, REFUTED, NOT_UNDERSTOOD = "proved", "refuted", "not understood"

DOCUMENTS = {
    "nielsen": r"""# Backpropagation (textbook notation)

The weighted input and the activation of neuron $j$ in layer $l$:

$$z^l_j = \sum_k W^l_{jk} a^{l-1}_k + b^l_j$$

$$a^l_j = \sigma(z^l_j)$$

The error is defined as $\delta^l_j \equiv \partial C / \partial z^l_j$.

**BP1** $$\delta^L_j = \frac{\partial C}{\partial a^L_j} \sigma'(z^L_j)$$

**BP2** $$\delta^l_j = \sum_k W^{l+1}_{kj} \delta^{l+1}_k \sigma'(z^l_j)$$

**BP3** $$\frac{\partial C}{\partial b^l_j} = \delta^l_j$$

**BP4** $$\frac{\partial C}{\partial W^l_{jk}} = a^{l-1}_k \delta^l_j$$

In matrix form:

$$\boldsymbol\delta^L = \nabla \mathbf a^L \frac{\partial C}{\partial \mathbf a^L} \qquad \boldsymbol\delta^l = ((\mathbf W^{l+1})^T \boldsymbol\delta^{l+1}) \odot \sigma'(\mathbf z^l)$$
""",
    "softmax_ce": r"""## Softmax with cross-entropy

The output layer is a softmax, $a^L_j = \frac{e^{z^L_j}}{\sum_k e^{z^L_k}}$, the loss is the
cross-entropy $C = -\sum_j y_j \ln a^L_j$, and the target is a probability vector, $\sum_j y_j = 1$.

$$\frac{\partial C}{\partial a^L_j} = -\frac{y_j}{a^L_j}$$

$$\delta^L_j = \frac{\partial C}{\partial z^L_j} = \sum_i \frac{\partial C}{\partial a^L_i}\frac{\partial a^L_i}{\partial z^L_j} = a^L_j \sum_i y_i - y_j = a^L_j - y_j$$
""",
    "mse_batch": r"""## Mean squared error over a mini-batch

For one example $x$, $C_x = \frac12 \sum_j (a^{x,L}_j - y^x_j)^2$; over the batch, $C = \frac1N \sum_x C_x$.
Per example, $\delta^{x,l}_j \equiv \frac{\partial C_x}{\partial z^{x,l}_j}$.

$$\delta^{x,L}_j = (a^{x,L}_j - y^x_j)\,\sigma'(z^{x,L}_j)$$

$$\frac{\partial C}{\partial W^l_{jk}} = \frac1N \sum_x \frac{\partial C_x}{\partial W^l_{jk}} = \frac1N \sum_x \delta^{x,l}_j a^{x,l-1}_k$$

$$\frac{\partial C}{\partial b^l_j} = \frac{1}{N}\sum_x \delta^{x,l}_j$$
""",
    "tanh": r"""## A tanh network

Hidden and output units use $a^l_j = \tanh(z^l_j)$ with $z^l_j = \sum_k W^l_{jk}a^{l-1}_k + b^l_j$,
and the loss is $C = \frac{1}{2}\sum_j (a^L_j - y_j)^2$.

$$\frac{\partial a^l_j}{\partial z^l_j} = 1 - \tanh^2(z^l_j) = 1 - (a^l_j)^2$$

$$\delta^L_j = (a^L_j - y_j)(1 - (a^L_j)^2)$$

$$\delta^{l-1}_k = \sum_j W^l_{jk}\,\delta^l_j\,(1 - (a^{l-1}_k)^2)$$
""",
    "relu": r"""## ReLU hidden layers, linear output

$a^l_j = \max(0, z^l_j)$ for the hidden layers and a linear output $a^L_j = z^L_j$ with
$C = \frac12\sum_j (a^L_j - y_j)^2$.

$$\delta^L_j = a^L_j - y_j$$

$$\delta^{l-1}_k = \sum_j W^l_{jk}\delta^l_j\,\mathrm{ReLU}'(z^{l-1}_k)$$

$$\frac{\partial C}{\partial W^l_{jk}} = \delta^l_j a^{l-1}_k$$
""",
    "nielsen_batch": r"""# Nielsen, chapter 2, with a mini-batch

The quadratic cost over $n$ training examples is $C = \frac{1}{2n}\sum_x \|\mathbf y(x) - \mathbf a^L(x)\|^2$.
For one example, $C_x = \frac{1}{2}\|\mathbf y(x) - \mathbf a^L(x)\|^2$.

$$\delta^{x,L} = \nabla_a C_x \odot \sigma'(z^{x,L})$$

$$\frac{\partial C}{\partial w^l_{jk}} = \frac{1}{n}\sum_x a^{x,l-1}_k \delta^{x,l}_j$$

$$w^l \rightarrow w^l-\frac{\eta}{n}\sum_x \delta^{x,l} (a^{x,l-1})^T$$

$$b^l \rightarrow b^l-\frac{\eta}{n}\sum_x \delta^{x,l}$$
""",
    "softmax_kron": r"""Softmax output $a^L_j = \frac{e^{z^L_j}}{\sum_k e^{z^L_k}}$ with the log-likelihood cost
$C = -\sum_j y_j \ln a^L_j$, where $y$ is a one-hot vector.

$$\frac{\partial a^L_i}{\partial z^L_j} = a^L_i(\delta_{ij} - a^L_j)$$

$$\frac{\partial C}{\partial z^L_j} = -\sum_i \frac{y_i}{a^L_i} a^L_i(\delta_{ij} - a^L_j) = -y_j + a^L_j\sum_i y_i = a^L_j - y_j$$
""",
    "sigmoid_identity": r"""The logistic function is $\sigma(z) = \frac{1}{1 + e^{-z}}$. Its derivative:

$$\sigma'(z) = \frac{e^{-z}}{(1 + e^{-z})^2} = \frac{1}{1 + e^{-z}}\cdot\frac{e^{-z}}{1 + e^{-z}} = \sigma(z)(1 - \sigma(z))$$

With MSE, $C = \frac12\sum_j (a^L_j - y_j)^2$, the output error is

$$\delta^L_j = (a^L_j - y_j)\,\sigma(z^L_j)(1 - \sigma(z^L_j)) = (a^L_j - y_j)\, a^L_j (1 - a^L_j)$$
""",
}
DOCUMENTS["seed"] = check_seed().text

# (document, text written, planted instead, kind, the links (equation, link) refuted)
PLANTED = [
    ("nielsen", r"= \delta^l_j$$", r"= -\delta^l_j$$", "sign", {(3, 1)}),
    ("nielsen", r"\delta^{l+1}_k \sigma'(z^l_j)$$", r"\delta^{l+1}_k$$", "missing factor", {(2, 1)}),
    ("nielsen", r"W^{l+1}_{kj} \delta", r"W^{l+1}_{jk} \delta", "transposed index", {(2, 1)}),
    ("nielsen", r"\sum_k W^{l+1}_{kj} \delta^{l+1}_k", r"\sum_j W^{l+1}_{kj} \delta^{l+1}_k",
     "sum over the wrong index", {(2, 1)}),
    ("nielsen", r"(\mathbf W^{l+1})^T", r"\mathbf W^{l+1}", "missing transpose (matrix form)", {(6, 1)}),
    ("nielsen", r"a^{l-1}_k \delta^l_j$$", r"a^{l}_k \delta^l_j$$", "wrong layer", {(4, 1)}),
    ("softmax_ce", r"= a^L_j - y_j$$", r"= y_j - a^L_j$$", "sign", {(2, 4)}),
    ("softmax_ce", r"-\frac{y_j}{a^L_j}$$", r"-\frac{y_j}{(a^L_j)^2}$$", "wrong derivative", {(1, 1)}),
    ("mse_batch", r"= \frac1N \sum_x \delta^{x,l}_j a^{x,l-1}_k", r"= \sum_x \delta^{x,l}_j a^{x,l-1}_k",
     "missing factor 1/N", {(2, 2)}),
    ("mse_batch", r"(a^{x,L}_j - y^x_j)\,\sigma'", r"(y^x_j - a^{x,L}_j)\,\sigma'", "sign", {(1, 1)}),
    ("mse_batch", r"\sum_x \delta^{x,l}_j$$", r"\sum_x \delta^{x,l}_j a^{x,l-1}_j$$", "extra factor",
     {(3, 1)}),
    ("tanh", r"= 1 - (a^l_j)^2$$", r"= 1 + (a^l_j)^2$$", "wrong activation derivative", {(1, 2)}),
    ("tanh", r"(1 - (a^{l-1}_k)^2)$$", r"(1 - (a^{l}_j)^2)$$", "wrong derivative index", {(3, 1)}),
    ("relu", r"\mathrm{ReLU}'(z^{l-1}_k)", r"\mathrm{ReLU}(z^{l-1}_k)", "wrong activation derivative",
     {(2, 1)}),
    ("relu", r"\sum_j W^l_{jk}\delta^l_j", r"\sum_j W^l_{kj}\delta^l_j", "transposed index", {(2, 1)}),
    ("relu", r"\delta^L_j = a^L_j - y_j", r"\delta^L_j = 2(a^L_j - y_j)", "extra factor", {(1, 1)}),
    ("nielsen_batch", r"w^l-\frac{\eta}{n}\sum_x", r"w^l-\eta\sum_x", "missing factor 1/n (update)",
     {(3, 1)}),
    ("nielsen_batch", r"\odot \sigma'(z^{x,L})", r"\odot z^{x,L}", "wrong activation derivative",
     {(1, 1)}),
    ("softmax_kron", r"a^L_i(\delta_{ij} - a^L_j)$$", r"a^L_i(\delta_{ij} - a^L_i)$$", "wrong index",
     {(1, 1)}),
    ("softmax_kron", r"= -y_j + a^L_j\sum_i y_i", r"= y_j + a^L_j\sum_i y_i", "sign", {(2, 2), (2, 3)}),
    ("sigmoid_identity", r"= \sigma(z)(1 - \sigma(z))$$", r"= \sigma(z)(1 + \sigma(z))$$",
     "wrong derivative of the sigmoid", {(1, 3)}),
    ("seed", r"= \delta^l_ja^{l-1}_k\\", r"= \delta^l_ka^{l-1}_j\\", "transposed index", {(3, 3)}),
    ("seed", r"(a_i^L - y_i^L)a_i^L(1 - a_i^L)$$", r"(a_i^L - y_i^L)a_i^L$$", "missing factor", {(20, 3)}),
    ("seed", r"MSE: $C=\frac{(\mathbf a^L - \mathbf y)^2}{2}$", r"MSE: $C=(\mathbf a^L - \mathbf y)^2$",
     "missing factor 1/2 (table row)", {(9, 1)}),
    ("seed", r"&\leqslant 0", r"&\geqslant 0", "wrong inequality", {(2, 3)}),
]


@pytest.mark.parametrize("name", [n for n in DOCUMENTS if n != "seed"])
def test_correct_textbook_documents_are_proved(name):
    doc = check_text(DOCUMENTS[name])
    assert doc.links and all(r.verdict == PROVED for r in doc.links), doc.links
    assert len(doc.definitions) >= 2


@pytest.mark.parametrize("name, written, planted, kind, refuted", PLANTED,
                         ids=[f"{p[0]}: {p[3]}" for p in PLANTED])
def test_a_planted_mistake_is_refuted_at_its_link(name, written, planted, kind, refuted):
    text = DOCUMENTS[name]
    assert text.count(written) == 1, "the planted text must pick one place"
    doc = check_text(text.replace(written, planted))
    wrong = {(r.equation, r.link) for r in doc.links if r.verdict != PROVED}
    assert wrong == refuted, [(r, r.reason) for r in doc.links if r.verdict != PROVED]
    for r in doc.links:
        if (r.equation, r.link) in refuted:
            assert r.verdict == REFUTED and r.counterexample, r.reason


def test_a_refuted_table_row_gets_the_true_delta():
    row = r"$\boldsymbol \delta^L = \mathbf a^L - \mathbf y$                    |"
    sigmoid_ce = DOCUMENTS["seed"].split("\n")[46]
    assert "CrossEntropy" in sigmoid_ce and sigmoid_ce.count(row) == 1
    wrong = sigmoid_ce.replace(row, row.replace(r"\mathbf a^L - \mathbf y", r"\mathbf y - \mathbf a^L"))
    doc = check_text(DOCUMENTS["seed"].replace(sigmoid_ce, wrong))
    refuted = [r for r in doc.links if r.verdict == REFUTED]
    assert [(r.equation, r.line) for r in refuted] == [(10, 47)]
    assert refuted[0].corrected == "a^{L}_{j} - y_{j}"


# ---------------------------------------------------------------- the reference note
def test_seed_every_link_proved_in_under_10_seconds():
    doc = check_text(DOCUMENTS["seed"])
    counts = doc.counts()
    assert counts[REFUTED] == 0
    assert counts[NOT_UNDERSTOOD] <= 0.05 * len(doc.links)
    assert counts[PROVED] == len(doc.links) >= 35
    assert doc.seconds < 10, f"{doc.seconds:.1f} s"


def test_seed_every_display_equation_and_table_row_is_accounted_for():
    doc = check_seed()
    formulas = extract(doc.text)
    starts = [0]
    for line in doc.text.split("\n"):
        starts.append(starts[-1] + len(line) + 1)
    accounted = {r.line for r in doc.links} | {line for line, _, _ in doc.definitions}
    for f in formulas:
        if f.kind == "display":
            assert bisect.bisect_right(starts, f.at(0)) in accounted, f.text
    assert len({f.row for f in formulas if f.kind == "table"}) == 3
    row_claims = [r for r in doc.links if r.lhs.replace(" ", "") == r"\boldsymbol\delta^L"
                  and r.rhs.replace(" ", "") == r"\mathbfa^L-\mathbfy"]
    assert len(row_claims) == 3 and all(r.verdict == PROVED for r in row_claims)


def test_seed_typos_are_found_with_their_corrections():
    found = {(w, r) for w, r, _ in seed_corrections()}
    assert ("W^j_{jk}", "W^l_{jk}") in found
    assert (r"\frac{\partial C}{W^l_{jk}}", r"\frac{\partial C}{\partial W^l_{jk}}") in found
    assert (r"\nabla z^{l-1}_k", r"\sigma'(z^{l-1}_k)") in found
    assert (r"\argmax", r"\operatorname{argmax}") in found
    assert (r"W^l_{jk} \to 0", r"\Delta W^l_{jk} \to 0") in found


def test_report_corrections_come_from_the_engine():
    assert tuple(report.CORRECTIONS) == seed_corrections()
    assert r"\sigma'(z^{l-1}_k)" in report.formulas()


# rewrites that look like mistakes but are not: they must stay proved (no false alarm)
EQUIVALENT = [
    ("softmax_kron", r"a^L_i(\delta_{ij} - a^L_j)$$", r"a^L_j(\delta_{ij} - a^L_i)$$"),  # symmetric
    ("nielsen", r"a^{l-1}_k \delta^l_j$$", r"\delta^l_j a^{l-1}_k$$"),
    ("tanh", r"= 1 - (a^l_j)^2$$", r"= (1 - a^l_j)(1 + a^l_j)$$"),
]


@pytest.mark.parametrize("name, written, rewritten", EQUIVALENT, ids=[e[0] for e in EQUIVALENT])
def test_an_equivalent_rewrite_stays_proved(name, written, rewritten):
    text = DOCUMENTS[name]
    assert text.count(written) == 1
    doc = check_text(text.replace(written, rewritten))
    assert all(r.verdict == PROVED for r in doc.links), doc.links
