"""Unit tests of numeric's activations, outputs, losses and Network, driven from tables.

Each table is one spec list and one parametrised test. The last tables feed the
finite-difference comparison deliberately WRONG backprops and check that it fails.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import numeric
from numeric import _stable
from numeric.activations import BUILTIN_ACTIVATIONS, Activation, unregister_activation
from numeric.losses import Loss, check_compatible, compatible
from strategies import central_difference

Z_GRID = np.linspace(-6.0, 6.0, 49) + 0.0371  # never exactly on relu's kink at 0
EXTREMES = [0.0, 30.0, -30.0, 700.0, -700.0, 1000.0, -1000.0]


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


# ------------------------------------------------------------------- activations

ACTIVATION_SPECS = [  # name, closed form of sigma, closed form of sigma'
    ("identity", lambda z: z, lambda z: np.ones_like(z)),
    ("sigmoid", _sig, lambda z: np.exp(-z) / (1.0 + np.exp(-z)) ** 2),
    ("tanh", lambda z: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)),
     lambda z: 1.0 / np.cosh(z) ** 2),
    ("relu", lambda z: np.where(z > 0, z, 0.0), lambda z: np.heaviside(z, 0.0)),
    ("softplus", lambda z: np.log1p(np.exp(z)), _sig),
]


def test_activation_table_covers_the_builtins():
    assert sorted(s[0] for s in ACTIVATION_SPECS) == sorted(a.name for a in BUILTIN_ACTIVATIONS)


@pytest.mark.parametrize("name, fn, deriv", ACTIVATION_SPECS, ids=[s[0] for s in ACTIVATION_SPECS])
def test_activation_closed_forms_and_central_difference(name, fn, deriv):
    act = numeric.get_activation(name)
    np.testing.assert_allclose(act.fn(Z_GRID), fn(Z_GRID), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(act.deriv(Z_GRID), deriv(Z_GRID), rtol=1e-12, atol=1e-15)
    fd = np.array([central_difference(lambda v: float(act.fn(v)[0]), np.array([z]))[0]
                   for z in Z_GRID])
    np.testing.assert_allclose(act.deriv(Z_GRID), fd, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("act", BUILTIN_ACTIVATIONS, ids=lambda a: a.name)
@pytest.mark.parametrize("z", EXTREMES)
def test_activation_stable_at_extremes(act, z):
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        values = (act.fn(np.array([z])), act.deriv(np.array([z])))
    assert all(np.all(np.isfinite(v)) for v in values)


def test_relu_kink_is_declared():
    assert numeric.get_activation("relu").kinks == (0.0,)
    assert all(not a.kinks for a in BUILTIN_ACTIVATIONS if a.name != "relu")


def test_register_activation_is_live_and_guarded():
    act = Activation("cube_units_test", lambda z: z ** 3, lambda z: 3 * z ** 2)
    numeric.register_activation(act)
    try:
        assert numeric.ACTIVATIONS["cube_units_test"] is act
        with pytest.raises(ValueError, match="already registered"):
            numeric.register_activation(act)
        other = Activation("cube_units_test", lambda z: z ** 3, lambda z: 3 * z ** 2)
        assert numeric.register_activation(other, replace=True) is other
        net = numeric.Network.random([2, 3, 1], hidden="cube_units_test", loss="mse", rng=0)
        assert net.hidden is other
    finally:
        unregister_activation("cube_units_test")
    assert "cube_units_test" not in numeric.ACTIVATIONS


# ------------------------------------------------------------------- outputs

OUTPUT_NAMES = sorted(numeric.OUTPUTS)
Z_OUT = np.array([[0.3, -1.2, 2.0], [1.1, 0.4, -0.7], [-0.5, 2.2, 0.1]])
G_OUT = np.array([[1.0, -2.0, 0.5], [0.3, 0.7, -1.1], [2.0, 0.0, 0.9]])


@pytest.mark.parametrize("name", OUTPUT_NAMES)
def test_jacobian_matches_central_difference_and_vjp(name):
    out = numeric.get_output(name)
    J = out.jacobian(Z_OUT)
    assert J.shape == (3, 3, 3)  # (N, n, n)
    for x in range(Z_OUT.shape[1]):
        for j in range(Z_OUT.shape[0]):
            def f(v, x=x, j=j):
                z = Z_OUT.copy()
                z[j, x] = v[0]
                return out.fn(z)[:, x]
            col = (f(np.array([Z_OUT[j, x] + 1e-6])) - f(np.array([Z_OUT[j, x] - 1e-6]))) / 2e-6
            np.testing.assert_allclose(J[x, :, j], col, atol=1e-8)
    # the vectorised J^T g equals the product with the full Jacobian
    np.testing.assert_allclose(out.vjp(Z_OUT, out.fn(Z_OUT), G_OUT),
                               np.einsum("nij,in->jn", J, G_OUT), atol=1e-14)


@pytest.mark.parametrize("name", [n for n in OUTPUT_NAMES if numeric.OUTPUTS[n].has_logs])
@pytest.mark.parametrize("which", ["log", "log1m"])
def test_log_pieces_match_central_difference(name, which):
    out = numeric.get_output(name)
    log = getattr(out, which)
    vjp = getattr(out, which + "_vjp")
    a = out.fn(Z_OUT)
    np.testing.assert_allclose(log(Z_OUT), np.log(a) if which == "log" else np.log1p(-a),
                               rtol=1e-12)
    fd = central_difference(lambda z: float(np.sum(G_OUT * log(z))), Z_OUT)
    np.testing.assert_allclose(vjp(Z_OUT, G_OUT), fd, rtol=1e-6, atol=1e-9)


# ------------------------------------------------------------------- losses

PAIRS = [(o, l) for o in OUTPUT_NAMES for l in sorted(numeric.LOSSES) if compatible(o, l)]
INCOMPATIBLE = [("linear", "cross_entropy"), ("linear", "log_likelihood")]
Y_OUT = np.array([[0.2, 1.0, 0.0], [0.5, 0.0, 0.3], [0.3, 0.0, 0.7]])  # columns sum to 1
Y_FREE = np.array([[0.9, 0.1, 0.0], [0.5, 0.0, 0.3], [0.8, 0.6, 0.2]])  # in [0, 1], sums != 1


def test_compatibility_table():
    all_pairs = set(itertools.product(OUTPUT_NAMES, sorted(numeric.LOSSES)))
    assert all_pairs - set(PAIRS) == set(INCOMPATIBLE)


@pytest.mark.parametrize("output, loss", INCOMPATIBLE)
def test_incompatible_pair_names_both(output, loss):
    with pytest.raises(ValueError, match=f"loss '{loss}' needs outputs in .*output '{output}'"):
        check_compatible(output, loss)
    with pytest.raises(ValueError, match=f"loss '{loss}'"):
        numeric.Network.random([2, 2], output=output, loss=loss, rng=0)


@pytest.mark.parametrize("Y", [Y_OUT, Y_FREE], ids=["simplex", "free"])
@pytest.mark.parametrize("output, loss", PAIRS)
def test_delta_L_matches_central_difference_of_per_example_cost(output, loss, Y):
    L = numeric.get_loss(loss)
    delta = L.delta(output, Z_OUT, Y)
    fd = central_difference(lambda z: float(np.sum(L.cost(output, z, Y))), Z_OUT)
    np.testing.assert_allclose(delta, fd, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("output, loss", PAIRS)
def test_all_paths_agree_where_finite(output, loss):
    L = numeric.get_loss(loss)
    ref_cost, ref_delta = L.cost(output, Z_OUT, Y_OUT), L.delta(output, Z_OUT, Y_OUT)
    checked = []
    for path in ("fused", "log", "general"):
        try:
            cost = L.cost(output, Z_OUT, Y_OUT, path=path)
        except ValueError:
            continue  # no such path for this pair
        checked.append(path)
        np.testing.assert_allclose(cost, ref_cost, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(L.delta(output, Z_OUT, Y_OUT, path=path), ref_delta,
                                   rtol=1e-12, atol=1e-14)
    assert "general" in checked


NOTE_TABLE = [("linear", "mse"), ("sigmoid", "cross_entropy"), ("softmax", "log_likelihood")]


@pytest.mark.parametrize("output, loss", NOTE_TABLE)
def test_note_table_delta_is_a_minus_y(output, loss):
    L, out = numeric.get_loss(loss), numeric.get_output(output)
    assert L.path_for(out) == "fused"
    np.testing.assert_allclose(L.delta(out, Z_OUT, Y_OUT), out.fn(Z_OUT) - Y_OUT, atol=1e-15)


def test_sigmoid_mse_delta_is_the_notes_slow_learning_form():
    a = _stable.sigmoid(Z_OUT)
    np.testing.assert_allclose(numeric.get_loss("mse").delta("sigmoid", Z_OUT, Y_OUT),
                               (a - Y_OUT) * a * (1 - a), atol=1e-15)


Z_EXTREME = np.array([[1000.0, -1000.0, 0.0, 30.0, -700.0],
                      [-1000.0, 1000.0, 0.0, -30.0, 700.0],
                      [0.0, 0.0, 0.0, 0.0, -1000.0]])
Y_EXTREME = np.array([[1.0, 0.0, 0.3, 1.0, 0.5],
                      [0.0, 1.0, 0.3, 0.0, 0.25],
                      [0.0, 0.0, 0.4, 0.0, 0.25]])


@pytest.mark.parametrize("output, loss", PAIRS)
def test_cost_and_delta_finite_at_extreme_logits(output, loss):
    L = numeric.get_loss(loss)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        cost, delta = L.cost(output, Z_EXTREME, Y_EXTREME), L.delta(output, Z_EXTREME, Y_EXTREME)
    assert np.all(np.isfinite(cost)) and np.all(np.isfinite(delta))
    assert np.all(cost >= -1e-12) or loss == "mse"


@pytest.mark.parametrize("output, loss", [("sigmoid", "cross_entropy"), ("sigmoid", "log_likelihood"),
                                          ("softmax", "cross_entropy")])
def test_general_form_overflows_where_the_stable_paths_do_not(output, loss):
    # why the log path exists: the literal (grad a)^T dC/da divides by a saturated a
    L = numeric.get_loss(loss)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        general = L.delta(output, Z_EXTREME, Y_EXTREME, path="general")
    assert not np.all(np.isfinite(general))


# ------------------------------------------------------------------- errors

def _net(**kw):
    return numeric.Network.random([3, 4, 2], rng=0, **kw)


ERROR_SPECS = [  # (id, callable, exception, message regex)
    ("unknown hidden", lambda: _net(hidden="gelu"), ValueError, "hidden: unknown activation 'gelu'"),
    ("unknown output", lambda: _net(output="tanh"), ValueError, "output: unknown output function"),
    ("unknown loss", lambda: _net(loss="hinge"), ValueError, "loss: unknown loss 'hinge'"),
    ("bad sizes", lambda: numeric.Network.random([3, 0]), ValueError, "sizes: expected"),
    ("bad scale", lambda: numeric.Network.random([3, 2], scale=0), ValueError, "scale: expected"),
    ("weights not a list", lambda: numeric.Network(np.eye(2), [np.zeros(2)]), TypeError, "weights:"),
    ("bias count", lambda: numeric.Network([np.eye(2)], []), ValueError, "biases: expected a list of 1"),
    ("int weights", lambda: numeric.Network([np.eye(2, dtype=int)], [np.zeros(2)]), TypeError,
     r"weights\[0\]: expected a float array, got dtype int"),
    ("nan weights", lambda: numeric.Network([np.full((2, 2), np.nan)], [np.zeros(2)]), ValueError,
     r"weights\[0\]: expected finite"),
    ("chain mismatch", lambda: numeric.Network([np.eye(2), np.ones((1, 3))], [np.zeros(2), np.zeros(1)]),
     ValueError, r"weights\[1\]: expected 2 columns"),
    ("bias shape", lambda: numeric.Network([np.eye(2)], [np.zeros((2, 1))]), ValueError, r"biases\[0\]"),
    ("X 1-D", lambda: _net().forward(np.zeros(3)), ValueError, r"X: expected shape \(3, N\)"),
    ("X rows", lambda: _net().forward(np.zeros((2, 5))), ValueError, r"X: expected shape \(3, N\)"),
    ("X ints", lambda: _net().forward(np.zeros((3, 5), dtype=int)), TypeError, "X: expected a float"),
    ("X inf", lambda: _net().forward(np.full((3, 1), np.inf)), ValueError, "X: expected finite"),
    ("Y rows", lambda: _net().cost(np.zeros((3, 5)), np.zeros((3, 5))), ValueError, r"Y: expected shape \(2, N\)"),
    ("Y columns", lambda: _net().cost(np.zeros((3, 5)), np.zeros((2, 4))), ValueError, "Y: expected 5 columns"),
    ("Y out of [0,1]", lambda: _net().backprop(np.zeros((3, 1)), np.full((2, 1), 2.0)), ValueError,
     r"Y: expected targets in \[0, 1\]"),
    ("params length", lambda: _net().with_params(np.zeros(3)), ValueError, "vector: expected a flat array of 26"),
    ("bad path", lambda: numeric.get_loss("mse").delta("linear", Z_OUT, Y_OUT, path="x"), ValueError, "path:"),
    ("no fused path", lambda: numeric.get_loss("mse").delta("softmax", Z_OUT, Y_OUT, path="fused"),
     ValueError, "path: no fused path"),
    ("activation name", lambda: Activation("", abs, abs), ValueError, "name: expected a non-empty"),
    ("activation fn", lambda: Activation("f", 3, abs), TypeError, "fn: expected a callable"),
    ("activation domain", lambda: Activation("f", abs, abs, domain=(1, 0)), ValueError, "domain:"),
    ("register non-activation", lambda: numeric.register_activation("relu"), TypeError, "act:"),
]


@pytest.mark.parametrize("call, exc, message", [s[1:] for s in ERROR_SPECS], ids=[s[0] for s in ERROR_SPECS])
def test_errors_name_the_argument(call, exc, message):
    with pytest.raises(exc, match=message):
        call()


def test_user_data_is_never_changed():
    W, b = [np.ones((2, 3)), np.ones((1, 2))], [np.zeros(2), np.zeros(1)]
    X, Y = np.full((3, 4), 0.5, dtype=np.float32), np.full((1, 4), 1.0)
    copies = [a.copy() for a in W + b + [X, Y]]
    net = numeric.Network(W, b, hidden="relu", output="sigmoid", loss="cross_entropy")
    net.backprop(X, Y)
    assert all(np.array_equal(a, c) and a.dtype == c.dtype for a, c in zip(W + b + [X, Y], copies))
    W[0][0, 0] = 9.0
    assert net.weights[0][0, 0] == 1.0  # the network holds its own copy
    with pytest.raises(ValueError):
        net.weights[0][0, 0] = 2.0  # read-only


def test_params_round_trip():
    net = numeric.Network.random([3, 4, 2], rng=0)
    p = net.params()
    assert p.shape == (3 * 4 + 4 + 4 * 2 + 2,)
    again = net.with_params(p + 1.0)
    np.testing.assert_array_equal(again.params(), p + 1.0)
    np.testing.assert_array_equal(again.weights[1], net.weights[1] + 1.0)


# ------------------------------------------------------------------- the checks can fail

def _fd_backprop_error(net, X, Y):
    """Max |backprop - central difference| over all parameters, relative to the gradient size."""
    gW, gb = net.backprop(X, Y)
    analytic = np.concatenate([g.ravel() for W, b in zip(gW, gb) for g in (W, b)])
    fd = central_difference(lambda p: net.with_params(p).cost(X, Y), net.params())
    return float(np.max(np.abs(analytic - fd)) / max(1.0, float(np.max(np.abs(fd)))))


class _WrongDeltaL(numeric.Network):
    """sigmoid+MSE with the note's a - y, which belongs to sigmoid+cross-entropy."""

    def delta_L(self, zL, aL, Y):
        return aL - Y


class _NoSigmaPrime(numeric.Network):
    """BP2 without the factor sigma'(z^{l-1})."""

    def _backward(self, X, Y):
        zs, acts = self.forward(X)
        deltas = [self.delta_L(zs[-1], acts[-1], Y)]
        for l in range(len(self.weights), 1, -1):
            deltas.append(self.weights[l - 1].T @ deltas[-1])
        return acts, deltas[::-1]


class _TransposedW(numeric.Network):
    """BP2 with W^l instead of (W^l)^T (shapes only fit for square W)."""

    def _backward(self, X, Y):
        zs, acts = self.forward(X)
        deltas = [self.delta_L(zs[-1], acts[-1], Y)]
        for l in range(len(self.weights), 1, -1):
            deltas.append((self.weights[l - 1] @ deltas[-1]) * self.hidden.deriv(zs[l - 2]))
        return acts, deltas[::-1]


class _SummedNotAveraged(numeric.Network):
    """BP3/BP4 without the 1/N of the batch average."""

    def backprop(self, X, Y):
        gW, gb = super().backprop(X, Y)
        N = np.shape(X)[1]
        return [g * N for g in gW], [g * N for g in gb]


class _BiasFromFirstExample(numeric.Network):
    """BP4 from the first example only."""

    def backprop(self, X, Y):
        gW, _ = super().backprop(X, Y)
        return gW, [d[:, 0] for d in self.deltas(X, Y)]


MUTANTS = [  # (class, hidden, output, loss)
    (_WrongDeltaL, "sigmoid", "sigmoid", "mse"),
    (_NoSigmaPrime, "tanh", "softmax", "log_likelihood"),
    (_TransposedW, "sigmoid", "linear", "mse"),
    (_SummedNotAveraged, "relu", "sigmoid", "cross_entropy"),
    (_BiasFromFirstExample, "softplus", "softmax", "cross_entropy"),
]


def _case(hidden, output, loss, seed=3):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.5, 1.5, (3, 4))
    Y = rng.uniform(0.0, 1.0, (3, 4))
    if output == "softmax":
        Y /= Y.sum(axis=0)
    return X, Y


@pytest.mark.parametrize("cls, hidden, output, loss", MUTANTS, ids=[m[0].__name__ for m in MUTANTS])
def test_finite_differences_catch_a_wrong_backprop(cls, hidden, output, loss):
    X, Y = _case(hidden, output, loss)
    good = numeric.Network.random([3, 3, 3, 3], hidden=hidden, output=output, loss=loss, rng=7)
    bad = cls(good.weights, good.biases, hidden=hidden, output=output, loss=loss)
    assert _fd_backprop_error(good, X, Y) < 1e-7
    assert _fd_backprop_error(bad, X, Y) > 1e-3


def test_finite_differences_catch_a_wrong_fused_delta():
    # a Loss whose fused sigmoid path claims delta = a - y for MSE: wrong, and detected
    mse = numeric.get_loss("mse")
    wrong = Loss("mse", mse.fn, mse.grad,
                 fused={"sigmoid": (lambda z, y: mse.fn(_stable.sigmoid(z), y),
                                    lambda z, y: _stable.sigmoid(z) - y)})
    L = numeric.get_loss("mse")
    for loss, expect_ok in ((L, True), (wrong, False)):
        delta = loss.delta("sigmoid", Z_OUT, Y_OUT)
        fd = central_difference(lambda z: float(np.sum(loss.cost("sigmoid", z, Y_OUT))), Z_OUT)
        assert np.allclose(delta, fd, rtol=1e-6, atol=1e-9) is expect_ok
