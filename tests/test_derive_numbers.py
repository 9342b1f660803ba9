"""derive.numbers: lambdified proved gradients agree with numeric backprop and FD."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

from derive.numbers import STABLE, cross_check, lambdify_network
from derive.pairs import PAIRS

# numeric refuses log of a linear output (a outside (0, 1))
NUMERIC_PAIRS = [p for p in PAIRS if p not in [("linear", "cross_entropy"),
                                               ("linear", "log_likelihood")]]
HIDDEN = ["identity", "sigmoid", "tanh", "relu", "softplus"]


@given(widths=st.lists(st.integers(1, 4), min_size=2, max_size=4),
       hidden=st.sampled_from(HIDDEN), pair=st.sampled_from(NUMERIC_PAIRS),
       seed=st.integers(0, 2**16), N=st.integers(1, 4))
def test_property_agrees_with_numeric_and_fd(widths, hidden, pair, seed, N):
    if pair == ("softmax", "cross_entropy") and widths[-1] == 1:
        widths[-1] = 2  # documented domain: a = 1 at n = 1
    check = cross_check(widths, hidden, *pair, N=N, seed=seed)
    assert check.backprop_error <= 1e-10, check
    assert check.fd_error <= 1e-7, check


def test_stable_at_large_z():
    grads = lambdify_network([1, 2, 2], "sigmoid", "softmax", "log_likelihood")
    for scale in (1000.0, -1000.0):
        gW, gb = grads([np.array([[scale], [-scale]]), np.array([[1.0, -1.0], [-1.0, 1.0]]) * 800],
                       [np.zeros(2), np.zeros(2)], np.array([[1.0, -1.0]]),
                       np.array([[1.0, 0.0], [0.0, 1.0]]))
        assert all(np.all(np.isfinite(g)) for g in gW + gb)
    z = np.array([-1000.0, -800.0, 0.0, 800.0, 1000.0])
    assert np.all(np.isfinite(STABLE["sigmoid"](z))) and np.all(np.isfinite(STABLE["sigmoid_prime"](z)))


def test_wrong_numbers_are_detected():
    # a network whose backprop is perturbed must not pass the cross-check tolerance
    import numeric

    net = numeric.Network.random([2, 3, 2], rng=0)
    X, Y = np.ones((2, 3)), np.full((2, 3), 0.5)
    gW, gb = lambdify_network([2, 3, 2])(net.weights, net.biases, X, Y)
    tW, tb = net.backprop(X, Y)
    assert np.allclose(gW[0], tW[0], rtol=1e-12, atol=1e-15)
    assert not np.allclose(gW[0] * 1.001, tW[0], rtol=1e-10, atol=1e-15)
