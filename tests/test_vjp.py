"""The symbolic-reference checker catches every buggy twin and refuses bad definitions.

Each buggy twin is a library layer's backward with one realistic mistake. The check
runs at Hypothesis-drawn shapes and points (``hypothesis.find``): a bug that only
shows with non-square weights or a batch larger than 1 must be found because shapes
are drawn, not fixed. The report must point at the wrong input and name the mistake.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st

from derive.errors import UsageError
from derive.layers import LAYERS
from derive.vjp import assert_backward, assert_backward_matches_symbolic, check_backward
from numeric import _stable
from numeric.layers import LAYERS as NL
from numeric.testing import arrays_in, layer_inputs

# no shrinking: the first failing draw is enough, and shrinking would compile many shapes
FIND = settings(max_examples=200, derandomize=True, database=None, phases=[Phase.generate],
                suppress_health_check=list(HealthCheck))


def _dense_back(g, x, W, b):
    return NL["dense"].backward(g, x, W, b)


def _sig(z):
    return _stable.sigmoid(z)


def _norm_back_no_proj(g, x, gamma, beta):  # layer norm without the x-hat projection term
    xc = x - x.mean(axis=0)
    r = 1 / np.sqrt((xc**2).mean(axis=0) + 1e-5)
    gh = g * gamma[:, None]
    dx, dga, dbe = NL["layer_norm"].backward(g, x, gamma, beta)
    return r * (gh - gh.mean(axis=0)), dga, dbe


def _attention_scaled_by_keys(g, Q, K, V):  # sqrt(n_keys) instead of sqrt(d)
    s = math.sqrt(K.shape[1])
    A = _stable.softmax(K.T @ Q / s)
    dA = V.T @ g
    dS = A * (dA - (dA * A).sum(axis=0))
    return K @ dS / s, Q @ dS.T / s, g @ A.T


def _embedding_overwrite(g, E, idx):  # repeated indices overwrite instead of accumulating
    dE = np.zeros_like(E)
    dE[:, idx] = g
    return dE, None


def _maxpool_to_loser(g, x):
    dx = np.zeros_like(x)
    first = x[0::2] >= x[1::2]
    dx[0::2], dx[1::2] = g * ~first, g * first
    return (dx,)


def _conv_flipped(g, x, w):
    dx, dw = NL["conv1d"].backward(g, x, w[::-1].copy())
    return dx, NL["conv1d"].backward(g, x, w)[1]


_C_ROUNDED = 0.7978846  # sqrt(2/pi) to 7 digits: relative error 5e-8


def _gelu_rounded(g, z):
    u2 = 2 * _C_ROUNDED * (z + 0.044715 * z**3)
    return (g * (_sig(u2) + z * _sig(u2) * _sig(-u2) * 2 * _C_ROUNDED * (1 + 3 * 0.044715 * z**2)),)


saturated = st.tuples(arrays_in((26.0, 34.0), shape=(2, 2)), arrays_in((-3.0, 3.0), shape=(1, 2))
                      ).map(lambda p: [np.concatenate(p)])

# name, layer, buggy backward, strategy of inputs, words the diagnosis must contain
BUGS = [
    ("sign", "dense", lambda g, x, W, b: (-W.T @ g, g @ x.T, g.sum(1)), None, "sign flipped"),
    ("transposed dW", "dense", lambda g, x, W, b: (W.T @ g, x @ g.T, g.sum(1)), None, "transposed"),
    ("factor 2", "tanh", lambda g, z: (2 * g * (1 - np.tanh(z) ** 2),), None, "factor 2"),
    ("batch mean for db (batch-1-only-correct)", "dense",
     lambda g, x, W, b: (W.T @ g, g @ x.T, g.mean(1)), None, "factor"),
    ("outer of sums (batch-1-only-correct)", "dense",
     lambda g, x, W, b: (W.T @ g, np.outer(g.sum(1), x.sum(1)), g.sum(1)), None, ""),
    ("sqrt(keys) scale (square-only-correct)", "attention", _attention_scaled_by_keys, None, ""),
    ("missing term (softmax)", "softmax", lambda g, z: (_stable.softmax(z) * g,), None, ""),
    ("missing term (layer norm)", "layer_norm", _norm_back_no_proj, None, ""),
    ("missing skip (residual)", "residual",
     lambda g, x, W, b: (NL["residual"].backward(g, x, W, b)[0] - g,
                         *NL["residual"].backward(g, x, W, b)[1:]), None, ""),
    ("relative error 1e-6", "sigmoid",
     lambda g, z: (g * _sig(z) * _sig(-z) * (1 + 1e-6),), None, "small relative error"),
    ("rounded constant", "gelu", _gelu_rounded, None, "small relative error"),
    ("wrong only when saturated (~1e-13)", "sigmoid",
     lambda g, z: (g * np.where(np.abs(z) > 25, 0.0, _sig(z) * _sig(-z)),), saturated, "tiny"),
    ("flipped kernel", "conv1d", _conv_flipped, None, ""),
    ("gradient to the smaller", "max_pool1d", _maxpool_to_loser, None, ""),
    ("repeated indices overwrite", "embedding", _embedding_overwrite, None, ""),
]


@pytest.mark.parametrize("name, layer, backward, strategy, why", BUGS, ids=[b[0] for b in BUGS])
def test_symbolic_reference_catches_the_buggy_twin(name, layer, backward, strategy, why):
    form = LAYERS[layer]
    if strategy is None:
        strategy = layer_inputs(layer, max_size=2 if layer == "attention" else 3)
    caught = find(strategy, lambda inputs: not form.check(inputs, backward=backward).ok,
                  settings=FIND)
    report = form.check(caught, backward=backward)
    text = str(report)
    assert "FAILED" in text and why in text, text
    assert report.entries or report.problems
    assert form.check(caught).ok, "the correct backward passes where the twin failed"


def test_square_only_bug_is_invisible_at_square_shapes_and_caught_at_others():
    rng = np.random.default_rng(0)
    square = [rng.standard_normal(s) for s in [(2, 2), (2, 2), (3, 2)]]
    other = [rng.standard_normal(s) for s in [(2, 2), (2, 3), (3, 3)]]
    assert LAYERS["attention"].check(square, backward=_attention_scaled_by_keys).ok
    assert not LAYERS["attention"].check(other, backward=_attention_scaled_by_keys).ok


def test_report_points_at_the_wrong_entries():
    x, W, b = np.ones((3, 2)), np.arange(6.0).reshape(2, 3), np.zeros(2)

    def one_entry_wrong(g, x, W, b):
        dx, dW, db = _dense_back(g, x, W, b)
        dW = dW.copy()
        dW[1, 2] += 1e-9
        return dx, dW, db

    report = LAYERS["dense"].check([x, W, b], backward=one_entry_wrong)
    assert [(m.input, m.index) for m in report.entries] == [("W", (1, 2))]
    assert "W: 1 of 6 entries wrong" in str(report)


def test_a_crash_at_a_drawn_shape_is_a_failure_not_an_error():
    x, W, b = np.ones((3, 2)), np.ones((2, 3)), np.zeros(2)
    report = LAYERS["dense"].check([x, W, b], backward=lambda g, x, W, b: (W @ g, g @ x.T, g.sum(1)))
    assert not report.ok and "backward raised ValueError" in str(report)


def test_wrong_gradient_shape_is_reported_as_transposed():
    x, W, b = np.ones((3, 2)), np.ones((2, 3)), np.zeros(2)
    report = LAYERS["dense"].check([x, W, b], backward=lambda g, x, W, b: (W.T @ g, x @ g.T, g.sum(1)))
    assert "W: gradient has shape (3, 2), expected (2, 3) (transposed?)" in str(report)


# ---------------------------------------------------------------- bad definitions


def _sym_sigmoid(z):
    return z.applyfunc(lambda t: 1 / (1 + sympy.exp(-t)))


def _sig_back(g, z):
    return (g * _sig(z) * _sig(-z),)


Z = [np.array([[0.5, -1.0], [2.0, 0.25]])]
BAD = [
    ("free symbol", dict(sympy_forward=lambda z: z * sympy.Symbol("alpha"), backward=_sig_back),
     "free symbols alpha"),
    ("SymPy and NumPy disagree", dict(sympy_forward=_sym_sigmoid, backward=_sig_back, forward=np.tanh),
     "NumPy and SymPy forms that agree"),
    ("shape mismatch", dict(sympy_forward=_sym_sigmoid, backward=_sig_back,
                            forward=lambda z: _sig(z).T[:1]), "an output of the SymPy forward's shape (2, 2)"),
    ("not differentiable", dict(sympy_forward=lambda z: z.applyfunc(lambda t: sympy.Max(0, t)),
                                backward=_sig_back, inputs=[np.array([[0.0, 1.0]])]),
     "a point where the forward is differentiable"),
    ("outside the domain", dict(sympy_forward=lambda z: z.applyfunc(sympy.log), backward=_sig_back,
                                inputs=[np.array([[-1.0, 1.0]])]), "finite and real"),
    ("backward arity", dict(sympy_forward=_sym_sigmoid, backward=lambda g, z: (g, g)),
     "backward: expected a tuple of 1 gradients"),
    ("forward fails on the shapes", dict(sympy_forward=lambda z: z * sympy.ones(3, 1), backward=_sig_back),
     "sympy_forward: expected a function of symbolic inputs z(2, 2)"),
    ("outputs of different shapes", dict(sympy_forward=lambda z: (z, z[:, 0]), backward=_sig_back),
     "sympy_forward: expected a SymPy expression, Matrix, array or a tuple of same-shape arrays"),
    ("4-D form indexed out of range", dict(sympy_forward=lambda x: x[:, :, 0, 5], backward=_sig_back,
                                           inputs=[np.ones((1, 2, 2, 2))]),
     "sympy_forward: expected a function of symbolic inputs x(1, 2, 2, 2), got IndexError"),
]


@pytest.mark.parametrize("name, kwargs, message", BAD, ids=[b[0] for b in BAD])
def test_bad_definitions_are_refused_with_the_reason(name, kwargs, message):
    kwargs = dict(kwargs)
    inputs = kwargs.pop("inputs", Z)
    with pytest.raises(UsageError, match=".*".join(map(_escape, message.split("*")))):
        check_backward(kwargs.pop("sympy_forward"), kwargs.pop("backward"), inputs, **kwargs)


def _escape(text):
    import re

    return re.escape(text)


def test_assert_helpers_raise_assertion_error_with_the_report():
    with pytest.raises(AssertionError, match="sign flipped"):
        assert_backward_matches_symbolic(_sym_sigmoid, lambda g, z: (-_sig_back(g, z)[0],), Z)


def test_without_a_symbolic_form_assert_backward_falls_back_to_finite_differences():
    assert assert_backward(_sig, _sig_back, Z).ok
    with pytest.raises(AssertionError):
        assert_backward(_sig, lambda g, z: (2 * _sig_back(g, z)[0],), Z)


def test_batch_one_bug_is_invisible_at_batch_one_and_caught_at_two():
    rng = np.random.default_rng(1)
    bug = BUGS[3][2]  # db = g.mean(1)
    for N, visible in [(1, False), (2, True)]:
        inputs = [rng.standard_normal((3, N)), rng.standard_normal((2, 3)), rng.standard_normal(2)]
        assert LAYERS["dense"].check(inputs, backward=bug).ok is not visible


def test_drawn_mode_finds_the_shape_dependent_bug_and_names_the_shapes():
    form = LAYERS["dense"]
    ok = check_backward(form.sympy_forward, None, NL["dense"])
    assert ok.ok and "25 drawn points" in str(ok)
    report = check_backward(form.sympy_forward, BUGS[3][2], NL["dense"])
    assert not report.ok and "at drawn shapes x(" in str(report)
    n_batch = [p for p in report.problems if p.startswith("at drawn shapes")][0]
    assert ", 1)" not in n_batch.split("W(")[0], "the failing draw has a batch larger than 1"
