"""derive.backprop: step lemma, layered and expanded network proofs; wrong equations fail."""

import pytest
import sympy as sp

from derive import backprop
from derive.backprop import (check_expanded, prove_minibatch, prove_network, prove_step,
                             prove_step_symbolic)
from derive.errors import UsageError

ACTS = ["identity", "sigmoid", "tanh", "relu", "softplus"]


@pytest.mark.parametrize("act", ACTS)
def test_step_concrete_and_symbolic(act):
    assert prove_step(2, 3, act).proved
    assert prove_step(3, 2, act, N=2).proved
    assert prove_step_symbolic(act).proved


NETWORKS = [
    ([2, 3, 2], "sigmoid", "sigmoid", "cross_entropy"),
    ([2, 2, 2, 2], "tanh", "sigmoid", "mse"),
    ([2, 2, 2], "relu", "softmax", "log_likelihood"),
    ([2, 2, 2], "softplus", "softmax", "mse"),
    ([1, 3, 1], "identity", "linear", "mse"),
]


@pytest.mark.parametrize("sizes, hidden, output, loss", NETWORKS)
def test_network_layered_and_expanded(sizes, hidden, output, loss):
    layered = prove_network(sizes, hidden, output, loss)
    expanded = check_expanded(sizes, hidden, output, loss)
    assert layered.proved and expanded.proved
    assert layered.details["gradients"] == expanded.details["gradients"]


def test_minibatch():
    assert prove_minibatch([2, 3, 1], 3).proved
    assert check_expanded([2, 2, 1], N=2).proved


def test_wrong_derivative_caught_by_step_and_expanded(monkeypatch):
    # sigma' claimed as sigma (a classic slip): both methods must refuse it
    from derive.functions import ACTIVATIONS, Activation, sigmoid

    act = ACTIVATIONS["sigmoid"]
    monkeypatch.setitem(ACTIVATIONS, "sigmoid",
                        Activation("sigmoid", act.fn, sigmoid, act.explicit))
    assert not prove_step(2, 2).proved
    assert not prove_step_symbolic().proved
    assert not check_expanded([2, 2, 1]).proved
    assert prove_step(2, 2, first=True).proved  # BP3/BP4 alone do not involve sigma'


def test_wrong_closed_form_caught_by_expanded(monkeypatch):
    from derive.pairs import _CLOSED, a_, y_
    from derive.symbols import j

    monkeypatch.setitem(_CLOSED, ("sigmoid", "mse"), a_[j] - y_[j])
    assert not check_expanded([2, 2, 1], "sigmoid", "sigmoid", "mse").proved


@pytest.mark.parametrize("call, match", [
    (lambda: prove_network([2, 25]), "widths"),
    (lambda: prove_network([24] * 30), "n_l"),
    (lambda: prove_network([2]), "sizes"),
    (lambda: prove_network([2, 0]), "sizes"),
    (lambda: check_expanded([2, 2, 2, 2, 2]), "expanded"),
    (lambda: check_expanded([2, 3, 3], output="softmax", loss="mse"), "softmax"),
    (lambda: prove_step(0, 2), "n_in"),
    (lambda: prove_minibatch([2, 2], 0), "N"),
    (lambda: prove_network([2, 2], hidden="nope"), "activation"),
])
def test_usage_errors(call, match):
    with pytest.raises(UsageError, match=match):
        call()


def test_layered_cost_is_linear_in_depth():
    # work per layer is the same shape: 2x the layers proves 2x the gradients
    short, long = prove_network([3] * 5), prove_network([3] * 9)
    assert long.details["gradients"] == 2 * short.details["gradients"]
    assert repr(long).startswith("NetworkProof(3-3-3")


def test_fast_derivative_rule_equals_diff():
    # prove_step differentiates through SymPy's own rule (_eval_derivative); same result
    step = prove_step(3, 2, "tanh", layer=4)
    from derive.backprop import _affine, _downstream
    from derive.functions import ACTIVATIONS
    from derive.symbols import W, b, z

    ws = [[W(4, q, r) for r in range(1, 4)] for q in range(1, 3)]
    bs = [b(4, q) for q in range(1, 3)]
    zp = [z(3, r) for r in range(1, 4)]
    cost = _downstream(4)(*_affine(ws, bs, [ACTIVATIONS["tanh"].fn(q) for q in zp]))
    for r in range(3):
        assert step.equations[("delta", r + 1, None)][0] == sp.diff(cost, zp[r])
