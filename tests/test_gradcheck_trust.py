"""Issue 8: every input that once got a wrong verdict, as a table, with its verdict class and
the message naming the real cause. Wrong gradients must fail; right ones must pass."""

import numpy as np
import pytest

from numeric import assert_layer_gradients, check_layer
from numeric.layers import LAYERS


def sig(z):
    return 1 / (1 + np.exp(-z))


R0, R1 = np.random.default_rng(0), np.random.default_rng(1)
XY = (R0.standard_normal((3, 4)), R1.standard_normal((3, 4)))
X46 = np.random.default_rng(4).standard_normal((4, 6))
X46[0, 2] = 1e-6
Z_SIG = np.array([[-1, 0.5, 1], [25, 2, -1.0]])


def _relu_half_at(idx):
    def back(g, x):
        d = g * (x > 0)
        d[idx] *= 0.5
        return (d,)
    return back


def _sig_back(scale_at=None):
    def back(g, z):
        d = g * sig(z) * sig(-z)
        if scale_at is not None:
            d[scale_at] *= 1.001
        return (d,)
    return back


def _mutating_forward(x):
    x *= 1.0001
    return np.tanh(x)


def _max2(x):  # max over pairs of rows
    return x.reshape(-1, 2, x.shape[1]).max(axis=1)


def _split_back(g, x):  # gradient split between near-tied maxima (wrong unless exact tie)
    xr = x.reshape(-1, 2, x.shape[1])
    d = np.zeros_like(xr)
    d[:, 0, :] = d[:, 1, :] = g / 2
    return (d.reshape(x.shape),)


NEAR_TIE = np.array([[1.0, 2.0], [1.0 + 1e-9, 0.5]])


def _lstm_like(c):  # backward that updates grad_output in place (course LSTM style)
    return np.tanh(c)


def _lstm_back(g, c):
    g *= (1 - np.tanh(c) ** 2)   # in place on the given grad_output
    return (g,)


W48, A62 = np.array([0.48]), np.array([62.5])


def _c9(w, a):
    return sig(w * a) ** 2


def _b9(factor):
    def back(g, w, a):
        s = sig(w * a)
        c = factor * 2 * s * s * (1 - s) * g   # the textbook s (1 - s): 3 digits at z = 30
        return c * a, c * w
    return back


# (id, forward, backward, inputs, options, ok, text in the report, class that must appear)
CASES = [
    ("1 backward ignores grad_output", lambda x, y: np.array(0.5 * ((x - y) ** 2).sum()),
     lambda g, x, y: (x - y, None), XY, {}, False, "backward ignores grad_output", None),
    ("1 ... at seed 6 too", lambda x, y: np.array(0.5 * ((x - y) ** 2).sum()),
     lambda g, x, y: (x - y, None), XY, {"rng": 6}, False, "ignores grad_output", None),
    ("1 right loss backward", lambda x, y: np.array(0.5 * ((x - y) ** 2).sum()),
     lambda g, x, y: (g * (x - y), None), XY, {}, True, "passed", None),
    ("2 wrong slope next to a relu kink", lambda x: np.maximum(x, 0), _relu_half_at((0, 2)),
     [X46], {}, False, "analytic = 1/2 x numeric", "wrong"),
    ("2 gradient split between near-tied maxima", _max2, _split_back, [NEAR_TIE], {}, False,
     "WRONG", "wrong"),
    ("3 huge output hides an O(1) derivative", lambda x: x + 1e16,
     lambda g, x: (np.zeros_like(x),), [np.ones((2, 3))], {}, False,
     "zero where it should not be", "wrong"),
    ("4 C order", sig, _sig_back((1, 0)), [Z_SIG], {}, False, "WRONG", "wrong"),
    ("4 Fortran order", sig, _sig_back((1, 0)), [np.asfortranarray(Z_SIG)], {}, False, "WRONG",
     "wrong"),
    ("4 transposed view", sig, _sig_back((1, 0)), [Z_SIG.T.copy().T], {}, False, "WRONG",
     "wrong"),
    ("4 strided slice", sig, _sig_back((1, 0)),
     [np.repeat(Z_SIG, 2, axis=1)[:, ::2]], {}, False, "WRONG", "wrong"),
    ("5 forward mutating its input, wrong backward", _mutating_forward, lambda g, x: (g,),
     [R0.standard_normal((2, 3))], {}, False, "forward modifies its input", "wrong"),
    ("7 backward updating grad_output in place", _lstm_like, _lstm_back,
     [R0.standard_normal((3, 2))], {}, True, "backward modifies grad_output in place", None),
    ("9 textbook saturated sigmoid backward", _c9, _b9(1.0), [W48, A62], {}, True,
     "right formula, about 3 correct digits", "inaccurate"),
    ("9 ... strict", _c9, _b9(1.0), [W48, A62], {"strict": True}, False, "INACCURATE",
     "inaccurate"),
    ("9 a real 1e-3 factor there", _c9, _b9(1.001), [W48, A62], {}, False,
     "systematic discrepancy", "wrong"),
    ("every digit lost: s(1-s) at z = 40 is exactly 0", sig,
     lambda g, z: (g * sig(z) * (1 - sig(z)),), [np.array([[40.0]])], {}, True,
     "every digit lost", "inaccurate"),
    ("... and with strict=True it fails", sig,
     lambda g, z: (g * sig(z) * (1 - sig(z)),), [np.array([[40.0]])], {"strict": True}, False,
     "INACCURATE", "inaccurate"),
    ("a zeroed gradient at z = 30 is above the outputs' rounding: wrong", sig,
     lambda g, z: (g * np.where(abs(z) > 20, 0.0, sig(z) * sig(-z)),), [np.array([[30.0]])],
     {}, False, "zero where it should not be", "wrong"),
    ("13 forward in float32 inside, right backward",
     lambda x: np.tanh(x.astype(np.float32)).astype(np.float64),
     lambda g, x: (g * (1 - np.tanh(x) ** 2),), [R0.standard_normal((3, 4))], {}, True,
     "forward computes in low precision", None),
    ("13 forward in float32 inside, 1e-2 bug",
     lambda x: np.tanh(x.astype(np.float32)).astype(np.float64),
     lambda g, x: (1.01 * g * (1 - np.tanh(x) ** 2),), [R0.standard_normal((3, 4))], {},
     False, "WRONG", "wrong"),
]


@pytest.mark.parametrize("forward, backward, inputs, options, ok, text, cls",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_issue_8_inputs(forward, backward, inputs, options, ok, text, cls):
    before = [np.array(x, copy=True) for x in inputs]
    report = check_layer(forward, backward, inputs, **options)
    assert report.ok is ok, str(report)
    assert text in str(report), str(report)
    if cls:
        assert report.counts[cls] > 0, report.counts
    for a, b in zip(before, inputs):  # the caller's arrays never change
        assert np.array_equal(a, b)


def test_1_ignoring_grad_output_is_named_at_every_seed():
    f = lambda x, y: np.array(0.5 * ((x - y) ** 2).sum())  # noqa: E731
    for seed in range(0, 100, 7):
        report = check_layer(f, lambda g, x, y: (x - y, None), XY, rng=seed)
        assert not report.ok and "ignores grad_output" in str(report)
        assert "factor" not in str(report)


def test_5_the_callers_array_is_left_alone():
    x = R0.standard_normal((2, 3))
    keep = x.copy()
    check_layer(_mutating_forward, lambda g, x: (g * 1.0001 * (1 - np.tanh(1.0001 * x) ** 2),),
                [x])
    assert np.array_equal(x, keep)


@pytest.mark.parametrize("backward, inputs, text", [
    (lambda g, x: (None,), [np.ones((2, 3))], "nothing was checked"),
    (lambda g, x: (2 * g,), [np.zeros((0, 3))], "forward returned an empty output"),
], ids=["all None", "zero-size input"])
def test_6_nothing_checked_is_not_a_pass(backward, inputs, text):
    report = check_layer(lambda x: 2 * x, backward, inputs)
    assert not report.ok and text in str(report), str(report)
    with pytest.raises(AssertionError):
        assert_layer_gradients(lambda x: 2 * x, backward, inputs)


def test_6_empty_inputs_is_an_error():
    with pytest.raises(ValueError, match="inputs: expected at least one array"):
        check_layer(lambda: np.ones(1), lambda g: (), [])


def test_8_one_key_attention_passes_for_every_grad_output_seed():
    att = LAYERS["attention"]
    Q, K, V = np.array([[1.0, 1]]), np.array([[1.0, 1]]), np.array([[0.49730125, 2.0]])
    for seed in range(200):
        report = check_layer(att.forward, att.backward, [Q, K, V], rng=seed)
        assert report.ok, (seed, str(report))


def test_9_right_passes_and_factor_fails_at_every_seed():
    for seed in range(20):
        assert check_layer(_c9, _b9(1.0), [W48, A62], rng=seed).ok
        assert not check_layer(_c9, _b9(1.001), [W48, A62], rng=seed).ok


def test_11_tuple_outputs_and_late_exceptions():
    x, W = R0.standard_normal((3, 4)), R1.standard_normal((2, 3))
    f = lambda x, W: (W @ x, np.tanh(x).sum(axis=0))  # noqa: E731
    good = lambda g, x, W: (W.T @ g[0] + (1 - np.tanh(x) ** 2) * g[1][None, :], g[0] @ x.T)  # noqa
    bad = lambda g, x, W: (W.T @ g[0], g[0] @ x.T)  # noqa: E731  the second output forgotten
    assert check_layer(f, good, [x, W]).ok
    report = check_layer(f, bad, [x, W], names=("x", "W"))
    assert not report.ok and "WRONG" in str(report)
    calls = []

    def flaky(x):
        calls.append(1)
        if len(calls) > 3:
            raise RuntimeError("boom")
        return 2 * x
    report = check_layer(flaky, lambda g, x: (2 * g,), [x])
    assert not report.ok and "RuntimeError: boom" in str(report)


def test_12_wrong_rows_of_a_large_input_are_localised_cheaply():
    rng = np.random.default_rng(0)
    X, w = rng.standard_normal((2000, 8)), rng.standard_normal(8)
    rows = [5, 100, 999, 1500, 1501, 1999]

    def back(g, X, w):
        t = np.tanh(X @ w)
        d = g * (1 - t ** 2)
        dX = np.outer(d, w)
        dX[rows] *= 1.5
        return dX, X.T @ d
    report = check_layer(lambda X, w: np.tanh(X @ w), back, [X, w], batch_axis=0)
    assert not report.ok and report.n_evals <= 2000
    assert sorted({e.index[0] for e in report.inputs[0].wrong}) == rows
    assert "only samples 5, 100, 999, 1500, 1501, 1999 of 2000 (axis 0)" in str(report)


def test_12_every_entry_wrong_stops_at_a_sample_and_says_so():
    rng = np.random.default_rng(0)
    X, w = rng.standard_normal((2000, 8)), rng.standard_normal(8)
    back = lambda g, X, w: (-np.outer(g * (1 - np.tanh(X @ w) ** 2), w),  # noqa: E731
                            X.T @ (g * (1 - np.tanh(X @ w) ** 2)))
    lines = []
    report = check_layer(lambda X, w: np.tanh(X @ w), back, [X, w], progress=lines.append)
    assert not report.ok and report.inputs[0].sample and "the list is a sample" in str(report)
    assert report.n_evals <= 2000


@pytest.mark.parametrize("options, exc, text", [
    ({"rng": "abc"}, TypeError, "rng: expected"),
    ({"max_full": "abc"}, ValueError, "max_full: expected"),
    ({"budget": 0}, ValueError, "budget: expected"),
    ({"strict": "yes"}, TypeError, "strict: expected"),
    ({"batch_axis": "rows"}, ValueError, "batch_axis: expected"),
])
def test_13_options_are_named(options, exc, text):
    with pytest.raises(exc, match=text):
        check_layer(np.tanh, lambda g, x: (g,), [np.ones(3)], **options)


def test_13_float32_input_gets_the_documented_error():
    with pytest.raises(ValueError, match="allow_float32=True"):
        check_layer(np.tanh, lambda g, x: (g,), [np.ones(3, np.float32)])


def test_13_one_bad_shape_does_not_stop_the_others():
    x, W = R0.standard_normal((3, 4)), R1.standard_normal((2, 3))
    back = lambda g, x, W: (2 * W.T @ g, (g @ x.T)[:1])  # noqa: E731
    report = check_layer(lambda x, W: W @ x, back, [x, W], names=("x", "W"))
    text = str(report)
    assert "has shape (1, 3), expected (2, 3)" in text and "x (3, 4): WRONG" in text


def test_13_scalar_output_prints_the_gradient_itself():
    x = np.array([1.0, 2.0])
    report = check_layer(lambda x: np.array((x ** 2).sum()), lambda g, x: (3 * x,), [x])
    [e] = [e for e in report.entries if e.index == (1,)]
    assert e.analytic == 6.0 and e.numeric == 4.0


def test_report_pictures():
    x = R0.standard_normal((3, 4))
    report = check_layer(np.tanh, lambda g, x: (g * (1 - np.tanh(x) ** 2) * (x > 0),), [x])
    html = report._repr_html_()
    assert "FAILED" in html and "<table>" in html
    import matplotlib
    matplotlib.use("Agg")
    fig = report.plot()
    assert len(fig.axes) >= 1


def test_an_expensive_forward_is_checked_by_directions_and_bugs_still_caught():
    """Estimated before the work: 2000 entries x >= 10 ms a call is over the 10 s budget."""
    import time

    def slow_forward(x):  # not complex-safe either (float() of an entry), like loop code
        time.sleep(0.01)
        out = np.zeros(x.shape)
        out[...] = np.tanh(x)
        return out
    x = np.random.default_rng(3).standard_normal((200, 10))
    good = lambda g, x: (g * (1 - np.tanh(x) ** 2),)  # noqa: E731

    def bad(g, x):
        d = g * (1 - np.tanh(x) ** 2)
        d[17, 3] *= 1.01
        return (d,)
    report = check_layer(slow_forward, good, [x])
    assert report.ok and "checked along random directions instead" in str(report)
    assert report.n_evals < 60
    report = check_layer(slow_forward, bad, [x], progress=False)
    assert not report.ok and (17, 3) in [e.index for e in report.inputs[0].wrong], str(report)
