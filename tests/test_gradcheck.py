"""The checker's own tests: it must fail on wrong gradients, say where and how, and not
cry wolf at saturated units, kinks or ill-conditioned layers.

Each group is one table plus one parametrised test.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numeric import GradientReport, assert_layer_gradients, check_layer

RNG = np.random.default_rng(12345)


def sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def dense(x, W, b):
    return W @ x + b[:, None]


def dense_back(g, x, W, b):
    return W.T @ g, g @ x.T, g.sum(axis=1)


def relu(z):
    return np.maximum(z, 0)


X34, W23, B2 = RNG.standard_normal((3, 4)), RNG.standard_normal((2, 3)), RNG.standard_normal(2)
W33, B3 = RNG.standard_normal((3, 3)), RNG.standard_normal(3)
Z_SAT = np.array([[30.0, -30.0, 0.3], [28.0, -33.0, -1.2]])
Z_KINK = np.array([[0.0, 1.5, -0.7], [-0.0, 0.0, 2.0]])
POOL_TIES = np.array([[1.0, 2.0], [1.0, 0.5], [-1.0, 3.0], [0.0, 3.0]])


def pool(x):  # max over row pairs
    return x.reshape(x.shape[0] // 2, 2, x.shape[1]).max(axis=1)


def pool_back(g, x):
    xr = x.reshape(x.shape[0] // 2, 2, x.shape[1])
    d = np.zeros_like(xr)
    np.put_along_axis(d, xr.argmax(axis=1)[:, None, :], g[:, None, :], axis=1)
    return (d.reshape(x.shape),)


def abs_safe_sig(z):  # a "stable" sigmoid through |z|: not complex-safe in plain NumPy
    e = np.exp(-np.abs(np.asarray(z)))  # asarray leaves the checker's StepArray: NumPy's |z|
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def abs_step_sig(z):  # the same through the checker's array: |z| is z sign(Re z) there
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


# ------------------------------------------------------------------ verdicts
# (id, forward, backward, inputs, expected ok, text that must appear in the report)
VERDICTS = [
    ("saturated sigmoid, naive s(1-s)", sig, lambda g, z: (g * sig(z) * (1 - sig(z)),),
     [Z_SAT], True, "passed"),
    ("saturated sigmoid, zeroed beyond 20", sig,
     lambda g, z: (g * np.where(abs(z) > 20, 0, sig(z) * (1 - sig(z))),), [Z_SAT], False,
     "zero where it should not be"),
    ("sigmoid off by 1e-3 relative", sig, lambda g, z: (1.001 * g * sig(z) * (1 - sig(z)),),
     [Z_SAT[:, 2:]], False, "factor"),
    ("relu at exactly 0, mask z > 0", relu, lambda g, z: (g * (z > 0),), [Z_KINK], True,
     "kink"),
    ("relu at exactly 0, mask z >= 0", relu, lambda g, z: (g * (z >= 0),), [Z_KINK], True,
     "kink"),
    ("relu at 0 given twice the gradient", relu, lambda g, z: (2 * g * (z >= 0),), [Z_KINK],
     False, "outside the one-sided derivatives at a kink"),
    ("max pool with ties", pool, pool_back, [POOL_TIES], True, "kink"),
    ("dense correct", dense, dense_back, [X34, W23, B2], True, "passed"),
    ("dense dx sign", dense, lambda g, x, W, b: (-W.T @ g, g @ x.T, g.sum(1)),
     [X34, W23, B2], False, "sign flipped"),
    ("dense dW factor 2", dense, lambda g, x, W, b: (W.T @ g, 2 * g @ x.T, g.sum(1)),
     [X34, W23, B2], False, "analytic = 2 x numeric"),
    ("dense dW transposed, square W", dense, lambda g, x, W, b: (W.T @ g, x @ g.T, g.sum(1)),
     [X34[:, :3], W33, B3], False, "transposed"),
    ("dense dW transposed, non-square W", dense,
     lambda g, x, W, b: (W.T @ g, x @ g.T, g.sum(1)), [X34, W23, B2], False,
     "transpose of the expected shape"),
    ("dense dW from sample 0 only", dense,
     lambda g, x, W, b: (W.T @ g, np.outer(g[:, 0], x[:, 0]), g.sum(1)), [X34, W23, B2],
     False, "WRONG"),
    ("dense dx wrong in column 1 only", dense,
     lambda g, x, W, b: (W.T @ g * np.array([1, 1.5, 1, 1]), g @ x.T, g.sum(1)),
     [X34, W23, B2], False, "only sample 1 of 4 (axis 1) is wrong"),
    ("complex-unsafe forward, correct", abs_safe_sig,
     lambda g, z: (g * sig(z) * (1 - sig(z)),), [Z_SAT[:, 2:]], True, "real differences"),
    ("complex-unsafe forward, sign bug", abs_safe_sig,
     lambda g, z: (-g * sig(z) * (1 - sig(z)),), [Z_SAT[:, 2:]], False, "real differences"),
    ("complex-unsafe forward, saturated, correct", abs_safe_sig,
     lambda g, z: (g * sig(z) * (1 - sig(z)),), [Z_SAT], True, "real differences"),
    ("complex-unsafe forward, saturated, zeroed", abs_safe_sig,
     lambda g, z: (g * np.where(abs(z) > 20, 0, sig(z) * (1 - sig(z))),), [Z_SAT], False,
     "zero where it should not be"),
    ("|z| inside forward, correct", abs_step_sig,
     lambda g, z: (g * sig(z) * sig(-z),), [Z_SAT], True, "complex step"),
    ("|z| inside forward, sign bug", abs_step_sig,
     lambda g, z: (-g * sig(z) * sig(-z),), [Z_SAT], False, "complex step"),
    ("forward drops the imaginary part", lambda z: np.tanh(z).astype(float),
     lambda g, z: (g * (1 - np.tanh(z) ** 2),), [Z_SAT[:, 2:]], True, "real differences"),
]


@pytest.mark.parametrize("forward, backward, inputs, ok, text",
                         [v[1:] for v in VERDICTS], ids=[v[0] for v in VERDICTS])
def test_verdicts(forward, backward, inputs, ok, text):
    report = check_layer(forward, backward, inputs)
    assert report.ok is ok, str(report)
    assert text in str(report), str(report)
    assert report.n_evals > 0 and f"{report.n_evals} forward calls" in str(report)


def test_wrong_entries_carry_index_values_and_tolerance():
    back = lambda g, x, W, b: (W.T @ g, g @ x.T, g.sum(1) * np.array([1.0, 1.001]))
    report = check_layer(dense, back, [X34, W23, B2], names=("x", "W", "b"))
    [entry] = report.entries
    assert entry.input == "b" and entry.index == (1,) and entry.status == "wrong"
    assert entry.error > entry.tol > 0
    assert abs(entry.analytic - 1.001 * entry.numeric) < 1e-9 * abs(entry.numeric)
    assert "b[1]: analytic" in str(report)


# ------------------------------------------------------------------ structural problems
STRUCTURE = [
    ("too few gradients", lambda g, x, W, b: (W.T @ g, g @ x.T),
     "backward returned 2 gradients for 3 inputs"),
    ("not a tuple", lambda g, x, W, b: W.T @ g, "must return a tuple"),
    ("wrong shape", lambda g, x, W, b: (W.T @ g, g @ x.T, g.sum(1)[:1]),
     "gradient for inputs[2] (inputs[2]) has shape (1,), expected (2,)"),
    ("nan in a gradient", lambda g, x, W, b: (W.T @ g, g @ x.T * np.nan, g.sum(1)),
     "inputs[1] (inputs[1]) has 6 non-finite values"),
    ("backward raises", lambda g, x, W, b: 1 / 0, "backward(grad_output, *inputs) raised"),
    ("dW transposed, non-square", lambda g, x, W, b: (W.T @ g, x @ g.T, g.sum(1)),
     "has shape (3, 2), expected (2, 3) (the transpose of the expected shape"),
]


@pytest.mark.parametrize("backward, text", [s[1:] for s in STRUCTURE],
                         ids=[s[0] for s in STRUCTURE])
def test_structural_problems_are_named(backward, text):
    report = check_layer(dense, backward, [X34, W23, B2])
    assert not report.ok and text in str(report), str(report)
    with pytest.raises(AssertionError, match="FAILED"):
        assert_layer_gradients(dense, backward, [X34, W23, B2])


# ------------------------------------------------------------------ refused inputs
REFUSED = [
    ("float32 input", [X34.astype(np.float32), W23, B2], {}, ValueError, "float32"),
    ("nan input", [X34, W23 * np.nan, B2], {}, ValueError, r"inputs\[1\].*non-finite"),
    ("integer input given a gradient", [np.ones((3, 4), int), W23, B2], {}, ValueError,
     "integer input"),
    ("bad mode", [X34, W23, B2], {"mode": "fast"}, ValueError, "mode"),
    ("names of the wrong length", [X34, W23, B2], {"names": ("x",)}, ValueError, "names"),
    ("object input", [X34, W23, np.array(["a", "b"], dtype=object)], {}, TypeError, "dtype"),
]


@pytest.mark.parametrize("inputs, options, exc, match", [r[1:] for r in REFUSED],
                         ids=[r[0] for r in REFUSED])
def test_refused_inputs_raise_clear_errors(inputs, options, exc, match):
    with pytest.raises(exc, match=match):
        check_layer(dense, dense_back, inputs, **options)


def test_float32_upcast_is_explicit_and_stated():
    report = check_layer(dense, dense_back, [X34.astype(np.float32), W23, B2],
                         allow_float32=True)
    assert report.ok and "upcast to float64" in str(report)


def test_integer_input_with_none_gradient_is_skipped():
    emb = lambda E, i: E[i].T
    back = lambda g, E, i: (np.add.at(dE := np.zeros_like(E), i, g.T) or dE, None)
    report = check_layer(emb, back, [W23.T.copy(), np.array([0, 2, 0])])
    assert report.ok and len(report.inputs) == 1


def test_forward_in_float32_is_reported():
    report = check_layer(lambda x: x.astype(np.float32), lambda g, x: (g,), [X34])
    assert not report.ok and "forward returned dtype float32" in str(report)


def test_nothing_to_check_is_not_a_pass():
    report = check_layer(lambda x: 2 * x, lambda g, x: (None,), [X34])
    assert not report.ok and "nothing was checked" in str(report)


def test_forward_raising_is_reported_naming_the_stage():
    report = check_layer(lambda x: x.undefined, lambda g, x: (g,), [X34])
    assert not report.ok and "forward(*inputs) raised AttributeError" in str(report)


# ------------------------------------------------------------------ large inputs
BIG_X, BIG_W, BIG_B = RNG.standard_normal((80, 40)), RNG.standard_normal((30, 80)), np.zeros(30)
LARGE = [
    ("correct", dense_back, True, "random directions"),
    ("dW off by 1e-3 relative in one entry",
     lambda g, x, W, b: (W.T @ g, (g @ x.T) * np.where(np.arange(W.size) == 7, 1.001,
                                                       1.0).reshape(W.shape), g.sum(1)),
     False, "localised by group testing"),
]


@pytest.mark.parametrize("backward, ok, text", [c[1:] for c in LARGE], ids=[c[0] for c in LARGE])
def test_large_inputs_use_directions_and_explain_failures(backward, ok, text):
    report = check_layer(dense, backward, [BIG_X, BIG_W, BIG_B], max_full=1000)
    assert report.ok is ok and text in str(report), str(report)
    if not ok:
        assert [e.index for e in report.entries] == [(0, 7)]


# ------------------------------------------------------------------ determinism, repr
def test_same_seed_same_report_and_repr():
    back = lambda g, x, W, b: (W.T @ g, g @ x.T, g[:, 0])
    a, b = (check_layer(dense, back, [X34, W23, B2], rng=7) for _ in range(2))
    assert str(a) == str(b) and isinstance(a, GradientReport)
    assert repr(a).startswith("GradientReport(ok=False")


@given(n=st.integers(1, 5), m=st.integers(1, 5), N=st.integers(2, 5), seed=st.integers(0, 99))
def test_dense_of_any_shape_correct_passes_and_one_sample_bias_fails(n, m, N, seed):
    r = np.random.default_rng(seed)
    x, W, b = r.standard_normal((n, N)), r.standard_normal((m, n)), r.standard_normal(m)
    assert check_layer(dense, dense_back, [x, W, b]).ok
    one = lambda g, x, W, b: (W.T @ g, g @ x.T, N * g[:, 0])
    assert not check_layer(dense, one, [x, W, b]).ok


def test_data_drawn_with_seed_0_does_not_hide_a_transposed_dw():
    # grad_output drawn with default_rng(0) would equal x here: g x^T = x x^T is symmetric
    r = np.random.default_rng(0)
    x, W, b = r.standard_normal((3, 5)), r.standard_normal((3, 3)), r.standard_normal(3)
    report = check_layer(dense, lambda g, x, W, b: (W.T @ g, x @ g.T, g.sum(1)), [x, W, b])
    assert not report.ok and "transposed" in str(report)


def test_bench_without_torch_says_how_to_install_it():
    import pathlib
    import subprocess
    import sys

    bench = pathlib.Path(__file__).resolve().parent.parent / "bench" / "bench_gradcheck.py"
    code = ("import sys, runpy; sys.modules['torch'] = None; "
            f"runpy.run_path({str(bench)!r}, run_name='__main__')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 2 and "pip install torch==2.13.0" in out.stdout


@pytest.mark.parametrize("scale", [1e-5, 1e-4, 1e-2, 1e2])
def test_steps_follow_the_scale_of_the_input(scale):
    # max pooling of inputs ~1e-4: a step of max(1, |x|) * 2^-16 is wider than some gaps
    # inside the windows and crossed the max (a false alarm before steps followed mean |x|)
    from zoo import CASES

    case = next(c for c in CASES if c.name == "max_pool")
    (x,) = case.draw(np.random.default_rng(7))
    x = x * scale
    assert check_layer(pool, pool_back, [x]).ok
    bad = lambda g, x: (pool_back(g, x)[0] * 1.001,)
    assert not check_layer(pool, bad, [x]).ok


def test_long_real_difference_steps_have_an_honest_error_bound():
    """Regression (found by the network property test): a softmax + MSE cost whose dominant
    output is ``1 - 4.5e-12`` and whose forward, written ``exp(z - logsumexp(z))``, rounds
    ``1 - a`` to ~1e-3 relative. Real differences need steps ~0.1 to resolve the ~1e-11
    weight gradients; with two step sizes the Richardson bound came out 2x below its true
    error and a correct backward was reported wrong. Three step sizes must cover it."""
    from numeric import Network
    from strategies import build_case

    net, X, Y = build_case("identity", "softmax", "mse", [7, 1, 7, 3, 5], 1, 2.0,
                           np.random.default_rng(102578))
    L = len(net.weights)

    def forward(*p):  # real only, so that real differences judge it
        if any(np.iscomplexobj(x) for x in p):
            raise TypeError("real only")
        n = Network(list(p[0:2 * L:2]), list(p[1:2 * L:2]), hidden="identity",
                    output="linear", loss="mse")
        z = n.forward(p[-1])[0][-1]
        m = z.max(axis=0)
        a = np.exp(z - (np.log(np.exp(z - m).sum(axis=0)) + m))  # the naive log-softmax
        return np.array([np.mean(0.5 * np.sum((a - Y) ** 2, axis=0))])

    def backward(g, *p):  # exact (the network's backprop, checked against mpmath elsewhere)
        n = Network(list(p[0:2 * L:2]), list(p[1:2 * L:2]), hidden="identity",
                    output="softmax", loss="mse")
        gW, gb = n.backprop(p[-1], Y)
        return tuple(g[0] * q for w, b in zip(gW, gb) for q in (w, b)) + \
            (g[0] * n.input_gradient(p[-1], Y),)

    inputs = [q for W, b in zip(net.weights, net.biases) for q in (W, b)] + [X]
    report = check_layer(forward, backward, inputs)
    # entries of ~1e-19 next to bounds of ~1e-14 cannot be resolved by real differences:
    # said as unresolved (not passed silently, not called wrong)
    assert report.counts["wrong"] == 0 and report.counts["unresolved"] > 0, str(report)
    assert "make forward complex-safe" in str(report)
    report = check_layer(forward, backward, inputs, allow_unresolved=True)
    assert report.ok, str(report)
    assert "real differences" in str(report)
