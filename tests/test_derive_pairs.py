"""derive.pairs: every pair proved at concrete and symbolic n; wrong closed forms fail."""

import pytest
import sympy as sp

from derive.errors import UsageError
from derive.pairs import MATCHING, PAIRS, a_, closed_form, matching_table, prove_pair, y_
from derive.symbols import i, j, n

SIZES = [1, 2, 3, None]
CASES = [(o, c, size) for o, c in PAIRS for size in SIZES
         if not (size == 1 and (o, c) == ("softmax", "cross_entropy"))]


@pytest.mark.parametrize("output, loss, size", CASES)
def test_pair_proved(output, loss, size):
    proof = prove_pair(output, loss, n=size)
    assert proof.proved and proof.general_proved and proof.residual == 0
    assert proof.reduces_to_a_minus_y == ((output, loss) in MATCHING)
    if not proof.reduces_to_a_minus_y:
        assert abs(proof.counterexample["delta - (a - y)"]) > 1e-6


# (output, loss, wrong claim): plausible mistakes that must be reported NOT proved
WRONG = [
    ("sigmoid", "mse", a_[j] - y_[j]),
    ("softmax", "mse", a_[j] * (a_[j] - y_[j])),
    ("softmax", "cross_entropy", a_[j] - y_[j]),
    ("sigmoid", "cross_entropy", y_[j] - a_[j]),
    ("linear", "mse", 2 * (a_[j] - y_[j])),
    ("softmax", "log_likelihood", a_[j] * sp.Sum(y_[i], (i, 1, n)) - y_[j] + a_[j] / 100),
]


@pytest.mark.parametrize("output, loss, claim", WRONG)
@pytest.mark.parametrize("size", [2, None])
def test_wrong_claim_not_proved(output, loss, claim, size):
    proof = prove_pair(output, loss, n=size, claimed=claim)
    assert not proof.proved and proof.residual != 0
    assert "NOT proved" in repr(proof)


def test_onehot_and_assumption():
    assert prove_pair("softmax", "log_likelihood", n=3, onehot=True).assumption == "y one-hot"
    assert prove_pair("softmax", "log_likelihood", n=3, onehot=True).proved
    assert prove_pair("softmax", "log_likelihood", n=2).assumption == "sum(y) = 1"


def test_matching_table():
    rows = matching_table(2)
    assert [(r["output"], r["loss"]) for r in rows if r["reduces_to_a_minus_y"]] == MATCHING
    assert all(r["proved"] for r in rows) and len(rows) == 9


@pytest.mark.parametrize("kwargs, match", [
    (dict(output="tanh", loss="mse"), "output"),
    (dict(output="linear", loss="hinge"), "loss"),
    (dict(output="linear", loss="mse", n=0), "n"),
    (dict(output="linear", loss="mse", n=99), "n"),
    (dict(output="softmax", loss="cross_entropy", n=1), "n"),
])
def test_usage_errors(kwargs, match):
    with pytest.raises(UsageError, match=match):
        prove_pair(**kwargs)


def test_closed_form_index_form():
    assert closed_form("sigmoid", "cross_entropy") == a_[j] - y_[j]
