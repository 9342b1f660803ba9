"""Properties of the checker's verdict over the whole layer library and the zoo (issue 8).

* the verdict does not depend on memory layout: C or Fortran order, transposed views and
  non-contiguous slices of the same values give the same report, word for word;
* a correct layer passes for any ``grad_output`` seed, at drawn shapes (batch 1, width 1
  included);
* a wrong entry planted in any checked input of any layer, at any drawn shape, is found
  (negative control), at the entry where it was planted.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numeric import check_layer
from numeric.layers import LAYERS
from numeric.testing import layer_inputs
from zoo import CASES

LIB = sorted(LAYERS)
CORRECT_ZOO = [c for c in CASES]


def _fortran(x):
    return np.asfortranarray(x)


def _transposed_view(x):
    return np.ascontiguousarray(x.T).T if x.ndim >= 2 else x


def _strided(x):
    if x.ndim == 0:
        return x
    wide = np.repeat(x, 2, axis=-1)
    return wide[..., ::2]


LAYOUTS = {"fortran": _fortran, "transposed view": _transposed_view, "strided": _strided}


def _same_values(inputs, how):
    out = [how(np.asarray(x)) for x in inputs]
    for a, b in zip(out, inputs):
        assert np.array_equal(a, b)
    return out


@pytest.mark.parametrize("name", LIB)
@given(data=st.data())
def test_library_layer_passes_for_any_seed_and_any_layout(name, data):
    layer = LAYERS[name]
    inputs = data.draw(layer_inputs(name), label="inputs")
    seed = data.draw(st.integers(0, 2 ** 32 - 1), label="grad_output seed")
    base = check_layer(layer.forward, layer.backward, inputs, rng=seed)
    assert base.ok, str(base)
    how = data.draw(st.sampled_from(sorted(LAYOUTS)), label="layout")
    other = check_layer(layer.forward, layer.backward, _same_values(inputs, LAYOUTS[how]),
                        rng=seed)
    assert str(other) == str(base)


def _planted(backward, k, i, delta):
    def back(g, *xs):
        grads = list(backward(g, *xs))
        gk = np.array(grads[k], dtype=np.float64, copy=True)
        gk.reshape(-1)[i] += delta
        grads[k] = gk
        return tuple(grads)
    return back


@pytest.mark.parametrize("name", LIB)
@given(data=st.data())
def test_a_planted_wrong_entry_is_found_in_every_library_layer(name, data):
    layer = LAYERS[name]
    inputs = data.draw(layer_inputs(name), label="inputs")
    g = np.random.default_rng(1).standard_normal(np.shape(layer.forward(*inputs)))
    grads = layer.backward(g, *inputs)
    checked = [k for k, d in enumerate(grads) if d is not None and np.size(d)]
    k = data.draw(st.sampled_from(checked), label="input")
    i = data.draw(st.integers(0, np.size(grads[k]) - 1), label="entry")
    delta = 1e-3 * max(float(np.max(np.abs(grads[k]))), 1.0)
    report = check_layer(layer.forward, _planted(layer.backward, k, i, delta), inputs)
    assert not report.ok, str(report)
    res = report.inputs[[r.name for r in report.inputs].index(f"inputs[{k}]")]
    where = tuple(int(j) for j in np.unravel_index(i, np.shape(inputs[k])))
    assert where in [e.index for e in res.wrong], str(report)


@pytest.mark.parametrize("case", CORRECT_ZOO, ids=lambda c: c.name)
@given(draw_seed=st.integers(0, 2 ** 32 - 1), v_seed=st.integers(0, 2 ** 32 - 1))
def test_zoo_layer_passes_for_any_seed(case, draw_seed, v_seed):
    inputs = case.draw(np.random.default_rng(draw_seed))
    report = check_layer(case.forward, case.backward, inputs, names=case.names, rng=v_seed)
    assert report.ok, str(report)


@pytest.mark.parametrize("case", CORRECT_ZOO, ids=lambda c: c.name)
@given(draw_seed=st.integers(0, 2 ** 32 - 1), data=st.data())
def test_a_planted_wrong_entry_is_found_in_every_zoo_layer(case, draw_seed, data):
    inputs = case.draw(np.random.default_rng(draw_seed))
    g = np.random.default_rng(1).standard_normal(np.shape(case.forward(*inputs)))
    grads = case.backward(g, *inputs)
    checked = [k for k, d in enumerate(grads) if d is not None and np.size(d)]
    k = data.draw(st.sampled_from(checked), label="input")
    i = data.draw(st.integers(0, np.size(grads[k]) - 1), label="entry")
    delta = 1e-3 * max(float(np.max(np.abs(grads[k]))), 1.0)
    report = check_layer(case.forward, _planted(case.backward, k, i, delta), inputs,
                         names=case.names)
    assert not report.ok, str(report)
