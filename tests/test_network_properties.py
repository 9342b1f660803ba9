"""Property tests: the Network's backprop agrees with the gradient checker's finite differences.

Issue 2: random depths 1-4, widths 1-8, batch sizes 1-5, every activation and
output/loss pair, random weights and inputs in each function's domain. The network is
wrapped as a layer for :func:`numeric.assert_layer_gradients`: inputs are
``(W^1, b^1, ..., W^L, b^L, X)`` (the targets Y are fixed, see :func:`as_layer`),
``forward`` returns the batch-averaged cost as a 1-element array, ``backward`` returns
``(dC/dW^1, dC/db^1, ..., dC/dX)``.

Activation names are read from the LIVE registry inside each test, so activations
registered at run time (issue 4) are checked too.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import numeric
from numeric.activations import BUILTIN_ACTIVATIONS, Activation, unregister_activation
from numeric.losses import compatible
from strategies import (activation_names, build_case, central_difference, network_cases, pairs,
                        targets_for)


def as_layer(net, X, Y):
    """(forward, backward, inputs, names) for checking ``net`` with ``check_layer``.

    ``Y`` is closed over rather than passed as an unchecked input: the checker perturbs
    every float input (even those whose gradient is None) to measure backward's rounding
    noise, and a target on the edge of its domain (y = 1 for cross-entropy) would be
    pushed out of it and, rightly, refused by the Network.
    """
    L = len(net.weights)
    names = [f"{p}^{l}" for l in range(1, L + 1) for p in ("W", "b")] + ["X"]
    inputs = [p for W, b in zip(net.weights, net.biases) for p in (W.copy(), b.copy())]
    inputs += [X]

    def rebuild(*inputs):
        return numeric.Network(list(inputs[0:2 * L:2]), list(inputs[1:2 * L:2]),
                               hidden=net.hidden, output=net.output, loss=net.loss)

    def forward(*inputs):
        return np.array([rebuild(*inputs).cost(inputs[-1], Y)])

    def backward(grad_output, *inputs):
        n, X = rebuild(*inputs), inputs[-1]
        g = float(np.asarray(grad_output).reshape(-1)[0])
        grads_W, grads_b = n.backprop(X, Y)
        grads = [g * p for gW, gb in zip(grads_W, grads_b) for p in (gW, gb)]
        return tuple(grads) + (g * n.input_gradient(X, Y),)

    return forward, backward, inputs, names


def _check(net, X, Y):
    forward, backward, inputs, names = as_layer(net, X, Y)
    return numeric.assert_layer_gradients(forward, backward, inputs, names=names)


@given(st.data())
def test_backprop_agrees_with_check_layer(data):
    net, X, Y = data.draw(network_cases())
    _check(net, X, Y)


def test_every_activation_and_pair_is_checked():
    """Deterministic sweep: every live activation x every compatible pair, L = 3."""
    rng = np.random.default_rng(20)
    for hidden in sorted(numeric.ACTIVATIONS):
        for output, loss in sorted((o, l) for o in numeric.OUTPUTS for l in numeric.LOSSES
                                   if compatible(o, l)):
            net, X, Y = _deterministic_case(hidden, output, loss, rng)
            _check(net, X, Y)


def _deterministic_case(hidden, output, loss, rng):
    for _ in range(50):  # redraw past the rare case with a z on a kink
        case = build_case(hidden, output, loss, [3, 3, 3, 3], 3, 1.0, rng)
        if case is not None:
            return case
    raise AssertionError(f"no valid case for {hidden}, {output}, {loss}")


@given(st.data())
def test_delta_L_agrees_with_central_difference_of_per_example_cost(data):
    output, loss = data.draw(pairs())
    n, N = data.draw(st.integers(1, 8)), data.draw(st.integers(1, 5))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    z = rng.uniform(-6.0, 6.0, (n, N))
    y = targets_for(output, loss, (n, N), rng)
    L = numeric.get_loss(loss)
    delta = L.delta(output, z, y)
    fd = central_difference(lambda v: float(np.sum(L.cost(output, v, y))), z)
    np.testing.assert_allclose(delta, fd, rtol=1e-6, atol=_fd_rounding(L.cost(output, z, y)))
    # per example: column x of delta only moves C_x (no mixing across the batch)
    for x in range(N):
        fd_x = central_difference(lambda v: float(L.cost(output, v, y[:, [x]])[0]), z[:, [x]])
        np.testing.assert_allclose(delta[:, [x]], fd_x, rtol=1e-6,
                                   atol=_fd_rounding(L.cost(output, z[:, [x]], y[:, [x]])))


def _fd_rounding(costs, h=1e-6):
    """1e-8 plus the rounding of ``central_difference`` (step ``h``) of ``sum(costs)``: the
    cost is known to ~``eps |C|`` (a few ulps; 16 here), divided by the step. The thorough
    profile found a linear+mse batch with ``sum C = 280`` whose difference was 1.1e-8 off."""
    return 1e-8 + 16 * np.finfo(np.float64).eps * float(np.sum(np.abs(costs))) / h


def _assert_finite_without_warnings(net, X, Y):
    """Cost and gradients finite, with no numpy overflow/invalid/divide and no warning."""
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        cost = net.cost(X, Y)
        grads_W, grads_b = net.backprop(X, Y)
    assert np.isfinite(cost)
    assert all(np.all(np.isfinite(g)) for g in grads_W + grads_b)


@given(st.data())
def test_stable_at_extreme_pre_activations(data):
    """|z| up to 1000 anywhere: cost and gradients stay finite, no numpy warnings."""
    hidden = data.draw(st.sampled_from(
        sorted(a.name for a in BUILTIN_ACTIVATIONS)))
    output, loss = data.draw(pairs())
    sizes = [data.draw(st.integers(1, 6)) for _ in range(data.draw(st.integers(2, 4)))]
    N = data.draw(st.integers(1, 5))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    # biases drawn among 0, +-30, +-700, +-1000 and one output bias at +-big: some |z| >= 500
    scale = data.draw(st.sampled_from([1.0, 10.0, 100.0]))
    big = data.draw(st.sampled_from([-1000.0, -700.0, 700.0, 1000.0]))
    weights = [scale * rng.standard_normal((m, n)) / np.sqrt(n)
               for n, m in zip(sizes[:-1], sizes[1:])]
    biases = [rng.choice([0.0, 30.0, -30.0, 700.0, -700.0, 1000.0, -1000.0], m) for m in sizes[1:]]
    biases[-1][0] = big
    net = numeric.Network(weights, biases, hidden=hidden, output=output, loss=loss)
    X = rng.uniform(-1.0, 1.0, (sizes[0], N))
    Y = targets_for(output, loss, (sizes[-1], N), rng)
    zs, _ = net.forward(X)
    assume(np.max(np.abs(zs[-1])) >= 500.0)
    _assert_finite_without_warnings(net, X, Y)


def test_a_user_registered_activation_is_picked_up():
    """The property tests draw from the live registry: a new activation appears in them."""
    act = Activation(
        "shifted_log_prop_test", lambda z: np.log(z), lambda z: 1.0 / z, domain=(0.0, np.inf))
    numeric.register_activation(act)
    try:
        seen = set()

        @given(st.data())
        def inner(data):
            name = data.draw(activation_names())
            seen.add(name)
            if name == act.name:
                net, X, Y = data.draw(network_cases(hidden=name, depths=(2, 3)))
                _check(net, X, Y)

        inner()
        assert act.name in seen
    finally:
        unregister_activation(act.name)


@pytest.mark.parametrize("broken", ["sign", "no_average", "transpose"])
def test_check_layer_catches_a_wrong_network_gradient(broken):
    """The same wrapping fed a wrong backward fails: the property test can fail."""
    rng = np.random.default_rng(5)
    net = numeric.Network.random([3, 3, 3], hidden="tanh", output="softmax",
                                 loss="log_likelihood", rng=rng)
    X = rng.uniform(-1, 1, (3, 4))
    Y = targets_for("softmax", "log_likelihood", (3, 4), rng)
    forward, backward, inputs, names = as_layer(net, X, Y)

    def wrong(grad_output, *inputs):
        grads = list(backward(grad_output, *inputs))
        if broken == "sign":
            grads[0] = -grads[0]
        elif broken == "no_average":
            grads[1] = grads[1] * X.shape[1]
        else:
            grads[2] = grads[2].T
        return tuple(grads)

    report = numeric.check_layer(forward, wrong, inputs, names=names)
    assert not report.ok
    assert {"sign": "W^1", "no_average": "b^1", "transpose": "W^2"}[broken] in str(report)


# ---------------------------------------------------------------- regression: saturated softmax + mse

def _saturated_softmax_mse_case():
    """The case the quick profile found: softmax output with a_5 = 1 - 4.5e-12 (logits ~34),
    mse loss, identity hidden layers; true gradients of W^1 and X are 1e-13..4e-11."""
    return build_case("identity", "softmax", "mse", [7, 1, 7, 3, 5], 1, 2.0,
                      np.random.default_rng(102578))


def test_saturated_softmax_mse_gradient_is_exact_to_high_precision():
    """backprop against a 60-digit mpmath derivative: the plain vjp ``a (g - sum a g)`` of
    the saturated column, with ``log_softmax = z - logsumexp(z)``, was 7e-4 relative off."""
    import mpmath as mp
    net, X, Y = _saturated_softmax_mse_case()
    grads_W, _ = net.backprop(X, Y)
    gX = net.input_gradient(X, Y)
    with mp.workdps(60):
        for (kind, i), analytic in [(("W", 5), grads_W[0][0, 5]), (("X", 1), gX[1, 0]),
                                    (("W", 0), grads_W[0][0, 0])]:
            true = mp.diff(lambda t: _mp_cost_shift(net, X, Y, mp, (kind, i, t)), 0)
            assert abs(float((analytic - true) / true)) < 1e-12, (kind, i, analytic, true)


def _mp_cost_shift(net, X, Y, mp, shift):
    """The batch-averaged cost in mpmath (identity hidden, softmax, mse) with W^1[0, i] or
    X[i, 0] moved by the mpmath number ``t``."""
    kind, i, t = shift
    a = [[mp.mpf(float(x)) for x in row] for row in X]
    if kind == "X":
        a[i][0] += t
    for l, (W, b) in enumerate(zip(net.weights, net.biases)):
        Wm = [[mp.mpf(float(w)) for w in row] for row in W]
        if kind == "W" and l == 0:
            Wm[0][i] += t
        a = [[sum((Wm[r][k] * a[k][c] for k in range(W.shape[1])), mp.mpf(0))
              + mp.mpf(float(b[r])) for c in range(len(a[0]))] for r in range(W.shape[0])]
    total = mp.mpf(0)
    for c in range(len(a[0])):
        e = [mp.exp(row[c]) for row in a]
        total += sum((ej / sum(e) - mp.mpf(float(Y[j, c]))) ** 2 for j, ej in enumerate(e)) / 2
    return total / len(a[0])


@pytest.mark.parametrize("method", ["complex step", "real differences"])
def test_saturated_softmax_mse_passes_both_methods(method):
    """No false alarm by either method (real differences: a forward refusing complex input,
    as the Network did; the 2-step Richardson bound of the long steps was 40x too small)."""
    net, X, Y = _saturated_softmax_mse_case()
    forward, backward, inputs, names = as_layer(net, X, Y)
    if method == "real differences":
        complex_forward = forward

        def forward(*inputs):
            if any(np.iscomplexobj(x) for x in inputs):
                raise TypeError("real only")
            return complex_forward(*inputs)
    report = numeric.check_layer(forward, backward, inputs, names=names)
    # real differences cannot resolve the 1e-19 entries of the last layer: said as
    # unresolved (never called wrong); the complex step resolves everything
    assert report.counts["wrong"] == 0, str(report)
    assert report.ok or (method != "complex step" and report.counts["unresolved"] > 0)
    report = numeric.check_layer(forward, backward, inputs, names=names,
                                 allow_unresolved=True)
    assert report.ok, str(report)
    assert ("[complex step]" in str(report)) == (method == "complex step")
    # and it still fails a relative error on the tiny W^1 gradient (~1e-11): 1e-3 by the
    # complex step; real differences resolve these entries to ~1% only (their error bound)
    factor = 1 + (1e-3 if method == "complex step" else 5e-2)

    def off(grad_output, *inputs):
        grads = list(backward(grad_output, *inputs))
        grads[0] = grads[0] * factor
        return tuple(grads)
    bad = numeric.check_layer(forward, off, inputs, names=names)
    assert not bad.ok and "W^1" in str(bad)


# ---------------------------------------------------------------- complex128 (complex step)

COMPLEX_CASES = [(h, o, l) for h in sorted(a.name for a in BUILTIN_ACTIVATIONS)
                 for o, l in sorted((o, l) for o in numeric.OUTPUTS for l in numeric.LOSSES
                                    if compatible(o, l))]


def _complex(net):
    return numeric.Network([W.astype(np.complex128) for W in net.weights],
                           [b.astype(np.complex128) for b in net.biases],
                           hidden=net.hidden, output=net.output, loss=net.loss)


@pytest.mark.parametrize("hidden, output, loss", COMPLEX_CASES)
def test_complex_step_through_the_network_equals_backprop(hidden, output, loss):
    """Im C(p + ih e_i) / h on every weight, bias and input equals backprop, and a zero
    imaginary part leaves the float cost unchanged."""
    net, X, Y = _deterministic_case(hidden, output, loss, np.random.default_rng(31))
    netc, h = _complex(net), 1e-20
    c = netc.cost(X.astype(np.complex128), Y)
    assert isinstance(c, complex) and c.imag == 0.0
    assert abs(c.real - net.cost(X, Y)) <= 1e-14 * abs(net.cost(X, Y))
    grads_W, grads_b = net.backprop(X, Y)
    analytic = np.concatenate([p.ravel() for gW, gb in zip(grads_W, grads_b) for p in (gW, gb)]
                              + [net.input_gradient(X, Y).ravel()])
    p0 = net.params().astype(np.complex128)
    cs = []
    for i in range(p0.size):
        p = p0.copy()
        p[i] += 1j * h
        cs.append(net.with_params(p).cost(X, Y).imag / h)
    for i in range(X.size):
        Xc = X.astype(np.complex128)
        Xc.reshape(-1)[i] += 1j * h
        cs.append(net.cost(Xc, Y).imag / h)
    np.testing.assert_allclose(cs, analytic, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("hidden, output, loss", COMPLEX_CASES)
def test_complex_network_is_finite_at_extreme_logits(hidden, output, loss):
    """|z| up to 1000 with complex parameters: no overflow, no nan, no numpy warning."""
    rng = np.random.default_rng(3)
    W = [rng.standard_normal((3, 2)), rng.standard_normal((3, 3))]
    b = [np.array([30.0, -700.0, 1000.0]), np.array([1000.0, -1000.0, 0.0])]
    net = _complex(numeric.Network(W, b, hidden=hidden, output=output, loss=loss))
    X = rng.uniform(-1, 1, (2, 4)) + 1e-20j
    Y = targets_for(output, loss, (3, 4), rng)
    _assert_finite_without_warnings(net, X, Y)


@pytest.mark.parametrize("make, match", [
    (lambda: numeric.Network([np.eye(2, dtype=np.complex64)], [np.zeros(2)]), "complex64"),
    (lambda: numeric.Network([np.eye(2, dtype=int)], [np.zeros(2)]), "got dtype int"),
    (lambda: numeric.Network([np.eye(2)], [np.zeros(2)], loss="mse").cost(
        np.ones((2, 1)), np.ones((2, 1)) + 0j), "Y: expected a float array, got dtype complex128"),
], ids=["complex64 weights", "int weights", "complex targets"])
def test_complex_support_is_complex128_parameters_and_inputs_only(make, match):
    with pytest.raises(TypeError, match=match):
        make()
