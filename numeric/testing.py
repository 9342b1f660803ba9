"""Gradient tests in your own suite: an assert helper, a pytest fixture, Hypothesis strategies.

A test for a new layer is three lines::

    @given(layer_inputs(my_layer))
    def test_my_layer(inputs):
        assert_backward(my_layer, None, inputs)

* :func:`assert_backward` checks ``backward(g, *inputs)`` against finite differences
  (:func:`numeric.check_layer`). For the far tighter symbolic reference use
  :func:`derive.vjp.assert_backward_matches_symbolic` (``numeric`` never imports SymPy).
* :func:`gradcheck` is a pytest fixture (a :class:`GradCheck`: :func:`assert_backward`
  when called, ``.torch``, ``.jax``, ``.cache_layer``, ``.value_and_grad`` for the
  adapters); installing the package registers this module as a pytest plugin, so tests
  use it without imports.
* :func:`arrays_in` draws float64 arrays from a declared domain; :func:`layer_inputs`
  draws every input of a :class:`numeric.layers.Layer` at drawn sizes (1 to
  ``max_size``, so weights are non-square and the batch is 1 as often as more);
  :func:`draw_inputs` does the same from a NumPy ``Generator`` (no Hypothesis).

>>> import numpy as np
>>> from numeric.layers import LAYERS
>>> x, W, b = draw_inputs(LAYERS["dense"], np.random.default_rng(0), n=3, m=2, N=1)
>>> x.shape, W.shape, b.shape
((3, 1), (2, 3), (2,))
>>> _, idx = draw_inputs("embedding", np.random.default_rng(0), d=2, V=3, N=5)
>>> bool(idx.max() < 3), idx.dtype.kind
(True, 'i')
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from numeric.layers import Layer, get_layer

__all__ = [
    "GradCheck",
    "arrays_in",
    "assert_backward",
    "draw_inputs",
    "gradcheck",
    "layer_inputs",
    "layer_sizes",
]

_BOUND = 3.0
_MARGIN = 1e-2  # distance kept from a kink (relu at 0, ties of a max)
_TINY = 1e-6  # smallest nonzero magnitude of "real" entries (float64 underflow is not a bug)


def _check_domain(domain):
    if isinstance(domain, tuple) and len(domain) == 2 and domain[0] < domain[1]:
        return
    if domain in ("real", "unit", "positive", "separated", "nonzero", "mask", "binary"):
        return
    raise ValueError("domain: expected 'real', 'unit', 'positive', 'separated', 'nonzero', 'mask', "
                     f"'binary' or an interval (lo, hi), got {domain!r}")


def arrays_in(domain="real", *, shape) -> st.SearchStrategy:
    """Float64 arrays of ``shape`` with entries in ``domain``.

    ``"real"``: [-3, 3], 0 or at least 1e-6 in magnitude (products of tinier entries
    underflow to subnormals, a float64 limit rather than a gradient bug); ``"positive"``: [0.01, 3] (for logs); ``"nonzero"``: at least
    0.01 away from 0 (a kink); ``"separated"``: distinct multiples of 1/16 (a max has
    no ties; within [-4, 4] unless the array has more than 129 entries); ``"mask"``:
    dropout masks in {0, 2}; ``"binary"``: 0 or 1 (a sequence mask); ``"unit"``: as
    ``"real"`` within [-1, 1] (recurrent gates short of float64 saturation); ``(lo, hi)``:
    that interval.

    >>> from hypothesis import given
    >>> @given(arrays_in("positive", shape=(2, 3)))
    ... def test_log_domain(x):
    ...     assert x.shape == (2, 3) and (x > 0).all()
    >>> test_log_domain()
    >>> arrays_in("complex", shape=(2,))
    Traceback (most recent call last):
    ...
    ValueError: domain: expected 'real', 'unit', 'positive', 'separated', 'nonzero', 'mask', 'binary' or an interval (lo, hi), got 'complex'
    """
    _check_domain(domain)
    shape = tuple(int(d) for d in shape)
    floats = dict(allow_nan=False, allow_infinity=False, allow_subnormal=False, width=64)
    if isinstance(domain, tuple):
        elements = st.floats(float(domain[0]), float(domain[1]), exclude_min=True,
                             exclude_max=True, **floats)
    elif domain == "real":  # 0 or |x| >= 1e-6: products of tinier values underflow
        elements = (st.floats(_TINY, _BOUND, **floats) | st.floats(-_BOUND, -_TINY, **floats)
                    | st.just(0.0))
    elif domain == "unit":  # as real, within [-1, 1] (gates kept short of saturation)
        elements = (st.floats(_TINY, 1.0, **floats) | st.floats(-1.0, -_TINY, **floats)
                    | st.just(0.0))
    elif domain == "positive":
        elements = st.floats(_MARGIN, _BOUND, **floats)
    elif domain == "nonzero":
        elements = st.floats(_MARGIN, _BOUND, **floats) | st.floats(-_BOUND, -_MARGIN, **floats)
    elif domain == "separated":
        k = _separated_bound(shape)
        return hnp.arrays(np.float64, shape, unique=True,
                          elements=st.integers(-k, k).map(lambda i: i / 16.0))
    elif domain == "binary":
        elements = st.sampled_from([0.0, 1.0])
    else:  # mask
        elements = st.sampled_from([0.0, 2.0])
    return hnp.arrays(np.float64, shape, elements=elements)


def _separated_bound(shape):
    # distinct multiples of 1/16 in [-k/16, k/16]: [-4, 4], wider for arrays of more entries
    return max(64, int(np.prod(shape, dtype=np.int64)))


def layer_sizes(layer, *, max_size: int = 3, **fixed) -> st.SearchStrategy:
    """Dicts of the layer's free sizes, each drawn in 1..max_size (or fixed by keyword).

    >>> from hypothesis import given
    >>> @given(layer_sizes("dense", N=1))
    ... def test_batch_of_one(sizes):
    ...     assert sizes["N"] == 1 and 1 <= sizes["m"] <= 3
    >>> test_batch_of_one()
    """
    layer = get_layer(layer)
    if max_size < 1:
        raise ValueError(f"max_size: expected an integer >= 1, got {max_size}")
    return st.fixed_dictionaries({s: st.just(fixed[s]) if s in fixed else st.integers(1, max_size)
                                  for s in layer.sizes})


def _one_input(domain, shape, sizes):
    if isinstance(domain, str) and domain.startswith("index:"):
        bound = sizes[domain.split(":", 1)[1]]
        return hnp.arrays(np.int64, shape, elements=st.integers(0, bound - 1))
    return arrays_in(domain, shape=shape)


def layer_inputs(layer, *, max_size: int = 3, **fixed) -> st.SearchStrategy:
    """Lists of inputs for ``layer`` (a :class:`~numeric.layers.Layer` or its name), at drawn sizes.

    >>> from hypothesis import given
    >>> @given(layer_inputs("dense"))
    ... def test_dense_shapes(inputs):
    ...     x, W, b = inputs
    ...     assert W.shape == (b.shape[0], x.shape[0])
    >>> test_dense_shapes()
    """
    layer = get_layer(layer)

    @st.composite
    def _inputs(draw):
        sizes = draw(layer_sizes(layer, max_size=max_size, **fixed))
        shapes = layer.input_shapes(**sizes)
        return [draw(_one_input(d, s, sizes)) for d, s in zip(layer.domains, shapes)]

    return _inputs()


def draw_inputs(layer, rng, **sizes) -> list:
    """One point for ``layer`` drawn from a NumPy ``Generator`` at the given sizes."""
    layer = get_layer(layer)
    out = []
    for domain, shape in zip(layer.domains, layer.input_shapes(**sizes)):
        if domain.startswith("index:"):
            out.append(rng.integers(0, sizes[domain.split(":", 1)[1]], size=shape))
        elif domain == "unit":
            out.append(rng.uniform(-1.0, 1.0, size=shape))
        elif domain == "positive":
            out.append(rng.uniform(_MARGIN, _BOUND, size=shape))
        elif domain == "nonzero":
            out.append(rng.choice([-1.0, 1.0], size=shape) * rng.uniform(_MARGIN, _BOUND, size=shape))
        elif domain == "separated":
            size, k = int(np.prod(shape)), _separated_bound(shape)
            out.append(rng.permutation(np.arange(-k, k + 1) / 16.0)[:size].reshape(shape))
        elif domain == "mask":
            out.append(rng.choice([0.0, 2.0], size=shape))
        elif domain == "binary":
            out.append(rng.choice([0.0, 1.0], size=shape))
        else:
            out.append(rng.standard_normal(shape))
    return out


def assert_backward(layer_or_forward, backward, inputs, **options):
    """Assert that ``backward`` agrees with finite differences of the forward at ``inputs``.

    ``layer_or_forward`` is a :class:`~numeric.layers.Layer` (or its name; then
    ``backward=None`` means the layer's own) or a plain forward function. Options go to
    :func:`numeric.check_layer`; returns its report, raises ``AssertionError`` with the
    report's text when it fails.

    >>> import numpy as np
    >>> assert_backward(np.tanh, lambda g, z: (g * (1 - np.tanh(z) ** 2),),
    ...                 [np.array([[0.3, -1.2]])]).ok
    True
    """
    if isinstance(layer_or_forward, (Layer, str)):
        layer = get_layer(layer_or_forward)
        forward, backward = layer.forward, backward or layer.backward
    elif callable(layer_or_forward):
        forward = layer_or_forward
    else:
        raise TypeError("layer_or_forward: expected a Layer, a layer name or a forward "
                        f"function, got {type(layer_or_forward).__name__}")
    if not callable(backward):
        raise TypeError(f"backward: expected a callable, got {type(backward).__name__}")
    from numeric.gradcheck import check_layer

    report = check_layer(forward, backward, list(inputs), **options)
    if not report.ok:
        raise AssertionError(str(report))
    return report


def _passed(report):
    __tracebackhide__ = True  # pytest: show the report, not this frame
    if not report.ok:
        raise AssertionError(str(report))
    return report


class GradCheck:
    """What the ``gradcheck`` fixture gives a test: :func:`assert_backward` when called, and
    one method per adapter, each returning the report or raising ``AssertionError`` with its
    text (options as the adapter's).

    >>> import numpy as np
    >>> gc = GradCheck()
    >>> gc.value_and_grad(lambda x: ((x ** 2).sum(), 2 * x), [np.array([1.0, -2.0])]).ok
    True
    >>> gc.cache_layer(lambda x: (x ** 2, x), lambda d, x: d * x, [np.array([1.0, -2.0])])
    Traceback (most recent call last):
    ...
    AssertionError: gradient check FAILED: 1 of 1 inputs wrong (inputs[0]); ...
    """

    def __call__(self, layer_or_forward, backward, inputs, **options):
        return assert_backward(layer_or_forward, backward, inputs, **options)

    def torch(self, fn, inputs, **options):
        """:func:`numeric.check_torch`, asserted."""
        from numeric.adapters import check_torch

        return _passed(check_torch(fn, inputs, **options))

    def jax(self, fn, inputs, **options):
        """:func:`numeric.check_jax`, asserted."""
        from numeric.adapters import check_jax

        return _passed(check_jax(fn, inputs, **options))

    def cache_layer(self, forward, backward, inputs, **options):
        """:func:`numeric.check_cache_layer`, asserted."""
        from numeric.adapters import check_cache_layer

        return _passed(check_cache_layer(forward, backward, inputs, **options))

    def value_and_grad(self, fn, inputs, **options):
        """:func:`numeric.check_value_and_grad`, asserted."""
        from numeric.adapters import check_value_and_grad

        return _passed(check_value_and_grad(fn, inputs, **options))

    def __repr__(self):
        return "GradCheck(<call>, .torch, .jax, .cache_layer, .value_and_grad)"


def gradcheck():
    """pytest fixture: a :class:`GradCheck` -- ``gradcheck(forward, backward, inputs)``,
    ``gradcheck.torch(fn, inputs)``, ``gradcheck.jax(fn, inputs)``,
    ``gradcheck.cache_layer(forward, backward, inputs)``, ``gradcheck.value_and_grad(...)``.

    Installed with the package as a pytest plugin (entry point ``pytest11``), so any test
    can ask for it without imports or a ``conftest.py``.
    """
    return GradCheck()


try:  # pytest is only needed by test suites: without it gradcheck stays a plain function
    import pytest as _pytest
except ImportError:  # pragma: no cover
    pass
else:
    gradcheck = _pytest.fixture(gradcheck)
