"""numeric.check_jax: custom_vjp twins, pytrees, jax.jit, float32 against float64, order 2."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from numeric import check_jax


def _custom(f, bwd):
    """A jax.custom_vjp from f(*xs) and bwd(g, *xs) -> tuple of cotangents."""
    c = jax.custom_vjp(f)
    c.defvjp(lambda *xs: (f(*xs), xs), lambda xs, g: bwd(g, *xs))
    return c


def _low_only(factor):
    return lambda x: factor if x.dtype in (jnp.float32, jnp.bfloat16, jnp.float16) else 1.0


def _softplus(x):
    return jnp.logaddexp(x, 0.0)


def _mlp(p, x):
    return jnp.tanh(x @ p["W1"] + p["b1"]) @ p["W2"]


def _d_mlp(g, p, x, bug=False):
    h = jnp.tanh(x @ p["W1"] + p["b1"])
    dh = (g @ p["W2"].T) * (1 - h ** 2)
    dW2 = h.T @ g
    return ({"W1": x.T @ dh, "b1": dh.sum(0) if not bug else dh[0], "W2": dW2},
            dh @ p["W1"].T)


TWINS = [
    ("sin", jnp.sin, lambda g, x: (g * jnp.cos(x),), lambda g, x: (g * jnp.cos(x) * 1.01,),
     lambda r: [r.standard_normal((3, 4))]),
    ("softplus", _softplus, lambda g, x: (g * jax.nn.sigmoid(x),),
     lambda g, x: (g * jax.nn.sigmoid(-x),), lambda r: [r.standard_normal((5,))]),
    ("mlp (dict of parameters)", _mlp, _d_mlp, lambda g, p, x: _d_mlp(g, p, x, bug=True),
     lambda r: [{"W1": r.standard_normal((3, 4)), "b1": r.standard_normal(4),
                 "W2": r.standard_normal((4, 2))}, r.standard_normal((5, 3))]),
    ("polar (tuple output)", lambda x, y: (jnp.hypot(x, y), jnp.arctan2(y, x)),
     lambda g, x, y: (g[0] * x / jnp.hypot(x, y) - g[1] * y / (x ** 2 + y ** 2),
                      g[0] * y / jnp.hypot(x, y) + g[1] * x / (x ** 2 + y ** 2)),
     lambda g, x, y: (g[0] * x / jnp.hypot(x, y) + g[1] * y / (x ** 2 + y ** 2),
                      g[0] * y / jnp.hypot(x, y) + g[1] * x / (x ** 2 + y ** 2)),
     lambda r: [r.uniform(0.5, 2, 4), r.uniform(-2, 2, 4)]),
]


def _cast(tree, dtype):
    return jax.tree_util.tree_map(lambda a: np.asarray(a, dtype=dtype), tree)


@pytest.mark.parametrize("jit", [False, True], ids=["plain", "jit"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name,f,good,bad,make", TWINS, ids=[t[0] for t in TWINS])
def test_custom_vjp_twins(name, f, good, bad, make, dtype, jit):
    xs = _cast(make(np.random.default_rng(7)), dtype)
    wrap = jax.jit if jit else (lambda c: c)
    good_report = check_jax(wrap(_custom(f, good)), xs)
    assert good_report.ok, str(good_report)
    assert not check_jax(wrap(_custom(f, bad)), xs).ok


def test_pytree_leaves_are_named_by_their_path():
    r = np.random.default_rng(0)
    p = {"W1": r.standard_normal((3, 4)), "b1": r.standard_normal(4),
         "W2": r.standard_normal((4, 2))}
    report = check_jax(_mlp, [p, r.standard_normal((5, 3))], names=["params", "x"])
    assert report.ok, str(report)
    assert [i.name for i in report.inputs] == ["params['W1']", "params['W2']", "params['b1']",
                                              "x"]
    bad = check_jax(_custom(_mlp, lambda g, p, x: _d_mlp(g, p, x, bug=True)),
                    [p, r.standard_normal((5, 3))], names=["params", "x"])
    assert [i.name for i in bad.inputs if not i.ok] == ["params['b1']"]


@pytest.mark.parametrize("seed", range(8))
def test_correct_float32_passes_for_every_seed(seed):
    r = np.random.default_rng(seed)
    x = (3 * r.standard_normal((4, 6))).astype(np.float32)
    w = r.standard_normal((6, 3)).astype(np.float32)
    report = check_jax(jax.jit(lambda x, w: jax.nn.log_softmax(jnp.tanh(x) @ w)), [x, w])
    assert report.ok, str(report)
    assert any("[float32]" in i.name for i in report.inputs)


def test_float32_only_bug_is_caught_against_the_float64_reference():
    f = _custom(jnp.sin, lambda g, x: (g * jnp.cos(x) * _low_only(1.01)(x),))
    x = np.random.default_rng(1).standard_normal((3, 4))
    assert check_jax(f, [x]).ok                       # float64: right
    report = check_jax(f, [x.astype(np.float32)])    # float32: 1e-2 off
    assert not report.ok and "1.01 x the float64 reference" in str(report)


def test_integer_leaves_are_passed_and_not_checked():
    def nll(logits, labels):
        return -jnp.take_along_axis(jax.nn.log_softmax(logits), labels[:, None], 1).mean()
    r = np.random.default_rng(2)
    report = check_jax(nll, [r.standard_normal((4, 3)), np.array([0, 2, 1, 2])])
    assert report.ok and [i.name for i in report.inputs] == ["inputs[0]"]


def _second(bug):
    """x**3 whose VJP is its own custom_vjp (3 g x^2) with a settable second derivative."""
    @jax.custom_vjp
    def back(g, x):
        return 3 * g * x ** 2
    back.defvjp(lambda g, x: (3 * g * x ** 2, (g, x)),
                lambda res, gg: (3 * res[1] ** 2 * gg, 6 * res[0] * res[1] * gg * bug))
    return _custom(lambda x: x ** 3, lambda g, x: (back(g, x),))


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_order_two_twins(dtype):
    x = np.random.default_rng(3).standard_normal((2, 3)).astype(dtype)
    assert check_jax(_second(1.0), [x]).ok
    assert check_jax(_second(1.0), [x], order=2).ok
    assert check_jax(_second(0.5), [x]).ok             # first derivative right ...
    report = check_jax(_second(0.5), [x], order=2)      # ... its derivative wrong
    assert not report.ok, str(report)


@pytest.mark.parametrize("call,error,message", [
    (lambda: check_jax(jnp.sin, np.zeros(2)), TypeError, "inputs: expected a list"),
    (lambda: check_jax(jnp.sin, [np.zeros(2)], order=0), ValueError, "order"),
    (lambda: check_jax("sin", [np.zeros(2)]), TypeError, "fn: expected a callable"),
    (lambda: check_jax(jnp.sin, [np.array(["a"])]), TypeError, "expected a real or integer"),
])
def test_bad_arguments_give_one_line(call, error, message):
    with pytest.raises(error, match=message) as info:
        call()
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("order", [1, 2])
def test_fn_that_raises_is_a_report_problem_not_a_crash(dtype, order):
    def broken(x):
        raise ValueError("shape mismatch in my layer")
    report = check_jax(broken, [np.zeros(2, dtype=dtype)], order=order)
    assert not report.ok and "shape mismatch in my layer" in str(report)


def test_fn_that_cannot_be_traced_is_run_as_it_is():
    """Python control flow on values: jax.jit cannot trace it; the check still runs."""
    def piecewise(x):
        return jnp.sin(x) if x.sum() > 0 else jnp.cos(x)
    report = check_jax(piecewise, [np.array([0.5, 1.0])])
    assert report.ok, str(report)
