"""User-defined activations and losses: one definition, then the built-in tests use them."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import sympy as sp

import numeric
from derive import functions
from derive.custom import define_activation, define_loss, undefine
from derive.errors import UsageError

z = sp.Symbol("z", real=True)

# name, formula, keyword arguments
ACTIVATIONS = [
    ("swish_t", z / (1 + sp.exp(-z)), {}),
    ("gelu_erf_t", z / 2 * (1 + sp.erf(z / sp.sqrt(2))), {}),
    ("mish_t", z * sp.tanh(sp.log(1 + sp.exp(z))), {}),
    ("softsign_t", z / (1 + sp.Abs(z)), {"kinks": (0,)}),
    ("log_t", sp.log(z), {"domain": (0, math.inf)}),
]


@pytest.fixture
def defined(request):
    name, expr, kwargs = request.param
    act = define_activation(name, expr, z, **kwargs)
    yield act
    undefine(name)


@pytest.mark.parametrize("defined", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS], indirect=True)
def test_one_definition_registers_in_both_halves(defined):
    assert numeric.get_activation(defined.name) is defined.numeric
    assert defined.name in functions.ACTIVATIONS
    lo, hi = defined.numeric.domain
    pts = np.linspace(max(lo, -5.0) + 0.1, min(hi, 5.0), 7)
    h = 1e-6
    central = (defined.numeric.fn(pts + h) - defined.numeric.fn(pts - h)) / (2 * h)
    np.testing.assert_allclose(defined.numeric.deriv(pts), central, rtol=1e-7, atol=1e-9)
    own = r"\operatorname{%s}" % defined.name.replace("_", r"\_")
    tex = defined.latex()
    assert tex.startswith(own + "(z) = ") and (own + "'(z) = ") in tex
    # sigma is the logistic sigmoid only: never the new activation's own symbol
    assert r"\sigma(z) =" not in tex and r"\sigma'(z) =" not in tex


@pytest.mark.parametrize("defined", ACTIVATIONS[:3], ids=[a[0] for a in ACTIVATIONS[:3]],
                         indirect=True)
def test_stable_numpy_functions_at_large_inputs(defined):
    big = np.array([-1000.0, -50.0, 50.0, 1000.0])
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        assert np.all(np.isfinite(defined.numeric.fn(big)))
        assert np.all(np.isfinite(defined.numeric.deriv(big)))


@pytest.mark.parametrize("defined", ACTIVATIONS[:1], ids=["swish_t"], indirect=True)
def test_the_built_in_network_property_test_runs_on_the_new_activation(defined):
    """The network sweep reads the live registry: after one definition it covers swish."""
    import test_network_properties as props

    assert defined.name in numeric.ACTIVATIONS
    props.test_every_activation_and_pair_is_checked()


def test_the_property_test_fails_on_a_wrong_numeric_derivative():
    """The same sweep is not vacuous: a registered activation with a wrong sigma' fails it."""
    import test_network_properties as props

    wrong = numeric.Activation("wrong_swish_t", lambda v: v * numeric.get_activation("sigmoid").fn(v),
                               lambda v: numeric.get_activation("sigmoid").fn(v))
    numeric.register_activation(wrong)
    try:
        with pytest.raises(AssertionError):
            props.test_every_activation_and_pair_is_checked()
    finally:
        numeric.activations.unregister_activation("wrong_swish_t")


BAD_ACTIVATIONS = [
    ("free symbol", dict(name="b1", expr=z * sp.Symbol("beta"), var=z), "free symbols beta"),
    ("undeclared kink", dict(name="b2", expr=sp.Max(0, z), var=z), "declare kinks=(0,)"),
    ("NumPy fn disagrees", dict(name="b3", expr=z / (1 + sp.exp(-z)), var=z, fn=np.tanh),
     "fn: expected NumPy and SymPy forms of b3 that agree"),
    ("NumPy deriv disagrees", dict(name="b4", expr=sp.tanh(z), var=z, deriv=lambda v: 1 - v**2),
     "deriv: expected NumPy and SymPy forms of b4 that agree"),
    ("duplicate name", dict(name="sigmoid", expr=sp.tanh(z), var=z), "a new activation name"),
    ("not an identifier", dict(name="my act", expr=z, var=z), "name: expected an identifier"),
    ("var not a symbol", dict(name="b5", expr=z, var="z"), "var: expected a SymPy Symbol"),
]


@pytest.mark.parametrize("name, kwargs, message", BAD_ACTIVATIONS, ids=[b[0] for b in BAD_ACTIVATIONS])
def test_bad_activation_definitions_are_refused(name, kwargs, message):
    kwargs = dict(kwargs)
    with pytest.raises(UsageError, match=_re(message)):
        define_activation(kwargs.pop("name"), kwargs.pop("expr"), kwargs.pop("var"), **kwargs)
    assert kwargs.get("name") not in numeric.ACTIVATIONS


def _re(text):
    import re

    return re.escape(text)


# ---------------------------------------------------------------- losses


@pytest.fixture
def logcosh():
    loss = define_loss("logcosh_t", lambda a, y: sp.log(sp.cosh(a - y)))
    yield loss
    undefine("logcosh_t")


def test_define_loss_proves_delta_with_every_output(logcosh):
    assert [(p.output, p.proved) for p in logcosh.proofs] == [
        ("linear", True), ("sigmoid", True), ("softmax", True)]
    assert logcosh.delta("sigmoid") == sp.Symbol("a_j", real=True) * (
        1 - sp.Symbol("a_j", real=True)) * sp.tanh(sp.Symbol("a_j", real=True) - sp.Symbol("y_j", real=True))


@pytest.mark.parametrize("output", ["linear", "sigmoid", "softmax"])
def test_defined_loss_delta_matches_central_differences(logcosh, output):
    rng = np.random.default_rng(3)
    zz, y = rng.normal(size=(3, 4)), rng.uniform(0, 1, size=(3, 4))
    loss = numeric.get_loss("logcosh_t")
    delta = loss.delta(output, zz, y)
    h = 1e-6
    fd = np.zeros_like(zz)
    for i in np.ndindex(*zz.shape):
        e = np.zeros_like(zz)
        e[i] = h
        fd[i] = (loss.cost(output, zz + e, y).sum() - loss.cost(output, zz - e, y).sum()) / (2 * h)
    np.testing.assert_allclose(delta, fd, rtol=1e-6, atol=1e-9)


def test_defined_loss_trains_a_network(logcosh):
    rng = np.random.default_rng(0)
    net = numeric.Network.random([2, 3, 2], hidden="tanh", output="linear", loss="logcosh_t", rng=rng)
    X, Y = rng.normal(size=(2, 5)), rng.normal(size=(2, 5))
    grads_W, _ = net.backprop(X, Y)
    assert [g.shape for g in grads_W] == [(3, 2), (2, 3)]


def test_bad_loss_definitions_are_refused():
    with pytest.raises(UsageError, match="term: expected an expression in its two arguments"):
        define_loss("bad_loss_t", lambda a, y: (a - y) ** 2 * sp.Symbol("w"))
    with pytest.raises(UsageError, match="name: expected a new loss name"):
        define_loss("mse", lambda a, y: (a - y) ** 2)
