"""numeric.testing: the three-line user test, the fixture, and the strategies' promises."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings

from numeric.layers import LAYERS, Layer
from numeric.testing import arrays_in, assert_backward, draw_inputs, gradcheck, layer_inputs  # noqa: F401

_FIND = settings(max_examples=200, derandomize=True, database=None, phases=[Phase.generate],
                 suppress_health_check=list(HealthCheck))


def _scale_rows(x, s):
    return x * s[:, None]


def _scale_rows_back(g, x, s):
    return g * s[:, None], (g * x).sum(axis=1)


MY_LAYER = Layer("scale_rows", _scale_rows, _scale_rows_back, ("x", "s"),
                 lambda n, N: ((n, N), (n,)))


# the three-line test of the module docstring, for a user-defined layer
@given(layer_inputs(MY_LAYER))
def test_three_line_user_test(inputs):
    assert_backward(MY_LAYER, None, inputs)


def test_the_fixture_is_the_assert_helper(gradcheck):  # noqa: F811 - the imported fixture
    x, s = np.ones((2, 3)), np.array([2.0, -1.0])
    assert gradcheck(_scale_rows, _scale_rows_back, [x, s]).ok
    with pytest.raises(AssertionError):
        gradcheck(_scale_rows, lambda g, x, s: (g * s[:, None], (g * x).sum(axis=0)[:2]), [x, s])


def test_assert_backward_fails_on_a_wrong_backward_of_a_library_layer():
    inputs = draw_inputs("dense", np.random.default_rng(0), n=2, m=3, N=2)
    with pytest.raises(AssertionError):
        assert_backward("dense", lambda g, x, W, b: (W.T @ g, -g @ x.T, g.sum(1)), inputs)


def test_assert_backward_rejects_a_non_callable():
    with pytest.raises(TypeError, match="layer_or_forward: expected a Layer"):
        assert_backward(3, None, [])


DOMAINS = [
    ("real", lambda x: np.all(np.abs(x) <= 3)),
    ("positive", lambda x: np.all(x > 0)),
    ("nonzero", lambda x: np.all(np.abs(x) >= 1e-2)),
    ("separated", lambda x: len(np.unique(x)) == x.size),
    ("mask", lambda x: set(np.unique(x)) <= {0.0, 2.0}),
    ((26.0, 34.0), lambda x: np.all((x > 26) & (x < 34))),
]


@pytest.mark.parametrize("domain, holds", DOMAINS, ids=[str(d[0]) for d in DOMAINS])
def test_arrays_in_respects_the_declared_domain(domain, holds):
    @given(arrays_in(domain, shape=(3, 4)))
    def check(x):
        assert x.shape == (3, 4) and x.dtype == np.float64 and holds(x)

    check()


def test_shapes_are_drawn_non_square_and_batch_one():
    strategy = layer_inputs("dense")
    x, W, _ = find(strategy, lambda p: p[0].shape[1] == 1 and p[1].shape[0] != p[1].shape[1],
                   settings=_FIND)
    assert x.shape[1] == 1 and W.shape[0] != W.shape[1]
    x, W, _ = find(strategy, lambda p: p[0].shape[1] > 1 and p[1].shape[0] == p[1].shape[1],
                   settings=_FIND)
    assert x.shape[1] > 1


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_inputs_fit_every_library_layer(name):
    layer = LAYERS[name]

    @settings(max_examples=5)
    @given(layer_inputs(name))
    def check(inputs):
        y = layer.forward(*inputs)
        grads = layer.backward(np.ones_like(y), *inputs)
        assert len(grads) == len(inputs)
        for g, x, diff in zip(grads, inputs, layer.differentiable):
            assert (g is None) is (not diff)
            assert g is None or g.shape == x.shape

    check()


def test_embedding_indices_stay_below_the_vocabulary():
    @given(layer_inputs("embedding"))
    def check(inputs):
        E, idx = inputs
        assert idx.dtype.kind == "i" and np.all((0 <= idx) & (idx < E.shape[1]))

    check()


def test_unknown_domain_and_layer_are_refused():
    with pytest.raises(ValueError, match="domain: expected"):
        arrays_in("huge", shape=(1,))
    with pytest.raises(ValueError, match="layer: unknown layer 'conv9d'"):
        layer_inputs("conv9d")
    with pytest.raises(ValueError, match="domains: expected one per input"):
        Layer("x", abs, abs, ("a", "b"), lambda n: ((n,), (n,)), ("real",))


def test_numeric_never_imports_sympy():
    import subprocess
    import sys

    code = ("import sys, numeric.testing, numeric.layers; "
            "sys.exit(1 if 'sympy' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
