"""Faults found after issue 8's numbered inputs (by the real-world zoo, random seeds and
fresh eyes), each fixed as a kind in the checker and kept here as a table-driven test with
its positive and negative control."""

import numpy as np
import pytest

from numeric import check_layer


def softmax_loss(x, y):
    """The course's softmax loss (max-shifted log-sum-exp), forward and analytic dx."""
    shifted = x - np.max(x, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    n = x.shape[0]
    dx = np.exp(log_probs)
    dx[np.arange(n), y] -= 1
    return -np.sum(log_probs[np.arange(n), y]) / n, dx / n


def _loss_layer(scale=1.0):
    def forward(x, y):
        return np.asarray(softmax_loss(x, y)[0])

    def backward(g, x, y):
        return (scale * g * softmax_loss(x, y)[1], None)

    return forward, backward


# one example whose label's logit is 11..16 above the rest: the loss, log(1 + delta) with
# delta ~ 1e-5..1e-7, is quantised in steps of eps (the ulps of 1 + delta), ~1e-10 of itself
CONFIDENT = [(np.array([[-23.64576222, -12.6627291, -11.48932646, 1.30400005, -54.50826766]]),
              np.array([3]))] + [
    (np.array([[0.3, -11.0 - r, -13.5 + r, -15.0]]), np.array([0]))
    for r in (0.0, 0.37, 1.1)]


@pytest.mark.parametrize("x, y", CONFIDENT)
@pytest.mark.parametrize("rng", range(48))
def test_noise_of_a_quantised_loss_is_measured_whatever_the_line(x, y, rng):
    """Rounding of ``1 + delta`` is linear along an evenly spaced line when delta moves by
    a whole number of its ulps per step (1 line in 4): the noise read 1e-22, not 1e-16, the
    real differences' bounds were 400x too tight and the (right) complex step was rejected.
    Irregular offsets and three readings a line find it at every rng (the old reading failed at rng 17, 27 and 42 here)."""
    forward, backward = _loss_layer()
    report = check_layer(forward, backward, (x, y), rng=rng)
    assert report.ok, str(report)
    assert report.inputs[0].method.startswith("complex step"), str(report)
    # negative control: a gradient 1e-3 off fails at the same inputs and rng
    forward, backward = _loss_layer(1.001)
    assert not check_layer(forward, backward, (x, y), rng=rng).ok


def _zero_label_layer():
    """The zeroing bug a black box cannot tell from p - 1 rounded to 0 where p rounds to 1:
    the label's gradient set to 0."""
    forward, _ = _loss_layer()

    def backward(g, x, y):
        dx = softmax_loss(x, y)[1]
        dx[np.arange(x.shape[0]), y] = 0.0
        return (g * dx, None)

    return forward, backward


# p of the label rounds to 1: the loss is exactly 0 and stays 0 when the label's logit
# moves by half its size; the truth at the label is -1e-18..-1e-25
SATURATED = [(np.array([[-56.71690156, 0.90535587, -56.6298176]]), np.array([1])),
             (np.array([[-0.51030708, -41.38222824]]), np.array([0])),
             (np.array([[3.0, -40.0, -45.5, -52.0]]), np.array([0]))]


@pytest.mark.parametrize("x, y", SATURATED)
@pytest.mark.parametrize("rng", range(6))
def test_an_exact_zero_where_forward_itself_is_flat_is_every_digit_lost(x, y, rng):
    forward, backward = _loss_layer()
    report = check_layer(forward, backward, (x, y), rng=rng)
    assert report.ok and report.counts["inaccurate"] == 1, str(report)
    assert "forward itself does not move" in str(report)
    assert not check_layer(forward, backward, (x, y), rng=rng, strict=True).ok


# the same zeroing where forward does move (p of the label 0.3..0.99): caught
RESPONSIVE = [(np.array([[2.0, 0.5, -1.0]]), np.array([0])),
              (np.array([[0.1, 0.2], [1.0, -3.0]]), np.array([1, 0])),
              (np.array([[5.0, -2.0, 0.0, 1.0]]), np.array([0]))]


@pytest.mark.parametrize("x, y", RESPONSIVE)
def test_a_zeroed_gradient_where_forward_moves_stays_wrong(x, y):
    report = check_layer(*_zero_label_layer(), (x, y))
    assert not report.ok and report.counts["wrong"] >= 1, str(report)


@pytest.mark.parametrize("forward, x", [
    (lambda x: x + 1e16, np.array([0.3, -0.45, 0.2, 0.7])),   # moves by 0 or 2 (ulp 2)
    (lambda x: 1e-30 * x, np.array([1.0, -2.0, 3.0])),         # tiny, but forward moves
    (lambda x: np.tanh(x) * 1e-300, np.array([0.5, 1.0, -1.5])),
])
def test_a_zero_backward_is_wrong_wherever_forward_responds(forward, x):
    report = check_layer(forward, lambda g, x: (np.zeros_like(x),), (x,))
    assert not report.ok and "every digit lost" not in str(report), str(report)


# ---------------------------------------------------------------- holomorphic NumPy
# NumPy computes var, std, abs, linalg.norm, vdot and conj of complex data through |z| or
# conj(z): the complex step through them drops a path (a batch norm's variance). The
# checker's StepArray computes their holomorphic extensions: the step stays exact, and is
# still used where real differences see nothing (outputs ~1e16).
def _bn(x):
    return (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 1e-5)


def _bn_back(g, x, drop_var_path=False):
    n = x.shape[0]
    std = np.sqrt(x.var(axis=0) + 1e-5)
    xhat = (x - x.mean(axis=0)) / std
    if drop_var_path:
        return ((g - g.mean(axis=0)) / std,)
    return ((g - g.mean(axis=0) - xhat * (g * xhat).mean(axis=0)) / std,)


def _ln_std(x):  # np.std along rows
    return (x - x.mean(axis=1, keepdims=True)) / np.std(x, axis=1, keepdims=True)


def _ln_std_back(g, x, factor=1.0):
    s = np.std(x, axis=1, keepdims=True)
    xh = (x - x.mean(axis=1, keepdims=True)) / s
    return (factor * (g - g.mean(axis=1, keepdims=True)
                      - xh * (g * xh).mean(axis=1, keepdims=True)) / s,)


def _l2n(x):  # x / ||x|| per column, np.linalg.norm
    return x / np.linalg.norm(x, axis=0, keepdims=True)


def _l2n_back(g, x, factor=1.0):
    n = np.linalg.norm(x, axis=0, keepdims=True)
    y = x / n
    return (factor * (g - y * (g * y).sum(axis=0, keepdims=True)) / n,)


def _l1(x):
    return np.array(np.abs(x).sum() + np.vdot(x, x) + np.conj(x).sum())


def _l1_back(g, x, factor=1.0):
    return (factor * g * (np.sign(x) + 2 * x + 1),)


RB = np.random.default_rng(7)
XB = RB.standard_normal((6, 3))
HOLOMORPHIC = [
    # (id, forward, right backward, buggy backward, inputs)
    ("batch norm (x.var)", _bn, _bn_back, lambda g, x: _bn_back(g, x, True), (XB,)),
    ("batch norm + 1e16", lambda x: _bn(x) + 1e16, _bn_back,
     lambda g, x: _bn_back(g, x, True), (XB,)),
    ("layer norm (np.std)", _ln_std, _ln_std_back,
     lambda g, x: _ln_std_back(g, x, 1.001), (XB,)),
    ("l2 normalise (linalg.norm)", _l2n, _l2n_back,
     lambda g, x: _l2n_back(g, x, 1.001), (XB,)),
    ("|x| + vdot + conj", _l1, _l1_back, lambda g, x: _l1_back(g, x, 1.001), (XB,)),
]


@pytest.mark.parametrize("forward, right, buggy, inputs",
                         [row[1:] for row in HOLOMORPHIC], ids=[row[0] for row in HOLOMORPHIC])
def test_non_holomorphic_numpy_goes_through_the_complex_step(forward, right, buggy, inputs):
    report = check_layer(forward, right, inputs)
    assert report.ok and report.inputs[0].method == "complex step", str(report)
    assert report.counts["verified"] == inputs[0].size, str(report)
    report = check_layer(forward, buggy, inputs)
    assert not report.ok and report.counts["wrong"] >= 1, str(report)


def test_step_array_keeps_numpy_semantics():
    from numeric.gradcheck._holo import StepArray, step_view

    z = step_view(np.array([1.0 + 1e-20j, -2.0, 0.0 - 1e-20j]))
    assert isinstance(z, StepArray)
    w = z
    w += 1.0  # in place through ufunc out=: the same object
    assert w is z and np.allclose(z.real, [2.0, -1.0, 1.0])
    assert np.allclose(np.abs(z).imag, [1e-20, 0.0, -1e-20], atol=0, rtol=1e-12)
    assert np.abs(step_view(np.array([1e-20j, -1e-20j]))).imag.tolist() == [1e-20, 1e-20]
    assert np.sign(z).imag.tolist() == [0.0, 0.0, 0.0]
    assert np.var(z, where=np.array([True, True, False])).imag == 0  # NumPy's own
    # real arrays are left alone
    assert step_view(np.ones(2)).__class__ is np.ndarray


# two examples at x ~ 1e8: xhat = +-1, every path of d out / dx nearly cancels, and the
# complex step's own value (~1e-21) is rounding noise that jumps under moves of one ulp
BN2 = [1e8 * np.random.default_rng(s).standard_normal((2, 4)) for s in (21, 3, 5)]


@pytest.mark.parametrize("x", BN2)
def test_a_numeric_value_that_is_itself_noise_is_not_taken_as_the_truth(x):
    report = check_layer(_bn, _bn_back, (x,))
    assert report.ok, str(report)
    report = check_layer(_bn, lambda g, x: _bn_back(g, x, True), (x,))
    assert not report.ok and report.counts["wrong"] >= 1, str(report)


def _bn_gamma(x, gamma):
    return gamma * _bn(x) + 1e16


def _bn_gamma_back(g, x, gamma, with_gamma=True):
    xhat = _bn(x)
    return (_bn_back(g * gamma if with_gamma else g, x)[0], (g * xhat).sum(axis=0))


BN_HUGE = [(4.0 + 0.1 * np.random.default_rng(s).standard_normal((2, 1)), np.array([1.26]))
           for s in range(4)] + [(np.random.default_rng(9).standard_normal((3, 2)),
                                  np.array([0.7, 1.9]))]


@pytest.mark.parametrize("x, gamma", BN_HUGE)
def test_outputs_of_1e16_excuse_no_error_in_a_smooth_backward(x, gamma):
    """The ulps of the outputs an entry moves (1e16 here) bound a rounding bias only where
    the backward takes a few distinct values along the examination's line; a backward that
    varies smoothly shows its jumps, and an offset far beyond them (dx without gamma, 0.2
    relative) is a formula error, as in issue 8 input 3."""
    assert check_layer(_bn_gamma, _bn_gamma_back, (x, gamma)).ok
    report = check_layer(_bn_gamma, lambda g, x, gm: _bn_gamma_back(g, x, gm, False),
                         (x, gamma))
    assert not report.ok and report.counts["wrong"] >= 1, str(report)


# ---------------------------------------------------------------- fresh eyes (helper hunt)
def _course_bn(alt=True, factor=1.0):
    from realworld.course import batchnorm_backward, batchnorm_backward_alt, batchnorm_forward

    back = batchnorm_backward_alt if alt else batchnorm_backward

    def forward(x, gamma, beta):
        return batchnorm_forward(x, gamma, beta)[0]

    def backward(g, x, gamma, beta):
        dx, dgamma, dbeta = back(g, batchnorm_forward(x, gamma, beta)[1])
        return factor * dx, dgamma, dbeta

    return forward, backward


def _offset_bn_inputs(seed, offset=1e3):
    r = np.random.default_rng(seed)
    return (r.standard_normal((5, 4)) + offset, r.uniform(0.5, 2, 4), r.standard_normal(4))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("alt", [True, False], ids=["alt", "staged"])
def test_centring_a_large_offset_costs_digits_not_a_verdict(seed, alt):
    """numpy-ml's BatchNorm1D (the course's one-line form) at x = randn + 1e3: x - mean x
    keeps 13 digits; an offset of the order of the jumps (6e-13 relative) was once called a
    formula error. The input's conditioning (1e3 eps) bounds the rounding bias."""
    inputs = _offset_bn_inputs(seed)
    report = check_layer(*_course_bn(alt), inputs)
    assert report.ok, str(report)
    assert not check_layer(*_course_bn(alt, 1 + 1e-6), inputs).ok


# Coursera "Convolutional Model: step by step": a loop max pool that writes into np.zeros
# (the complex step is not usable: real differences judge every entry)
def _loop_pool(A, f=2, stride=2):
    m, H, W, C = A.shape
    oh, ow = 1 + (H - f) // stride, 1 + (W - f) // stride
    out = np.zeros((m, oh, ow, C))
    for i in range(m):
        for h in range(oh):
            for w in range(ow):
                for c in range(C):
                    out[i, h, w, c] = np.max(A[i, h * stride:h * stride + f,
                                               w * stride:w * stride + f, c])
    return out


def _loop_pool_back(dA, A, f=2, stride=2, every_tie=False):
    dx = np.zeros(A.shape)
    m, oh, ow, C = dA.shape
    for i in range(m):
        for h in range(oh):
            for w in range(ow):
                for c in range(C):
                    win = A[i, h * stride:h * stride + f, w * stride:w * stride + f, c]
                    if every_tie:  # create_mask_from_window: mask = (x == np.max(x))
                        mask = win == np.max(win)
                    else:           # the first maximum (cuDNN/Caffe rule)
                        mask = np.zeros(win.shape, dtype=bool)
                        mask[np.unravel_index(np.argmax(win), win.shape)] = True
                    dx[i, h * stride:h * stride + f, w * stride:w * stride + f, c] += \
                        mask * dA[i, h, w, c]
    return (dx,)


def _pool_layer(stride=2, every_tie=False):
    return (lambda A: _loop_pool(A, 2, stride),
            lambda g, A: _loop_pool_back(g, A, 2, stride, every_tie))


def _near_tie(seed, gap=6e-6):
    x = np.random.default_rng(seed).standard_normal((1, 4, 4, 1))
    x[0, 1, 1, 0] = x[0, 0, 0, 0] + 1.0 if x[0, 0, 0, 0] > 0 else 1.0
    x[0, 0, 0, 0] = x[0, 1, 1, 0] - gap  # a runner-up just below the window's maximum
    return x


POOL_RIGHT = [
    # (id, stride, x): every one once a false alarm on the real-difference path
    ("1e8 + randn (steps of 1e3 crossed every argmax)", 2,
     1e8 + np.random.default_rng(0).standard_normal((1, 4, 4, 1))),
    ("1e8 + randn, seed 3", 2, 1e8 + np.random.default_rng(3).standard_normal((1, 4, 4, 1))),
    ("runner-up 6e-6 below a max, stride 2", 2, _near_tie(2)),
    ("runner-up 6e-6 below a max, stride 1", 1, _near_tie(5)),
    ("integer ties, stride 1 (overlapping windows)", 1,
     np.random.default_rng(0).integers(0, 3, (1, 5, 5, 1)).astype(float)),
    ("integer ties, stride 2", 2,
     np.random.default_rng(1).integers(0, 3, (1, 4, 4, 1)).astype(float)),
]


@pytest.mark.parametrize("stride, x", [r[1:] for r in POOL_RIGHT], ids=[r[0] for r in POOL_RIGHT])
def test_real_difference_pooling_verdicts(stride, x):
    report = check_layer(*_pool_layer(stride), (x,))
    assert report.ok, str(report)
    assert "real differences" in str(report)


TIES = [np.random.default_rng(s).integers(0, 3, (1, 4, 4, 1)).astype(float) for s in range(4)]


@pytest.mark.parametrize("x", TIES)
def test_every_tie_given_the_whole_gradient_is_caught_by_real_differences(x):
    """Coursera's create_mask_from_window (x == max): each tied entry alone lies between its
    one-sided slopes; moved together they carry one gradient, not three."""
    if not any((w == w.max()).sum() > 1 for w in
               [x[0, h:h + 2, v:v + 2, 0] for h in (0, 2) for v in (0, 2)]):
        pytest.skip("no tie at this seed")
    report = check_layer(*_pool_layer(2, every_tie=True), (x,))
    assert not report.ok and "not all together" in str(report), str(report)


def test_a_float32_forward_is_resolved_by_longer_steps():
    """float32 inside (x ~ 1e3, outputs quantised at 2e-4): the bias gradient needs steps of
    ~1e-2; one estimate that grew on the way no longer stops the growth."""
    r = np.random.default_rng(3)
    inputs = (r.standard_normal((3, 5)) * 1e3, r.standard_normal((5, 4)), r.standard_normal(4))

    def f(x, W, b):
        return (x.astype(np.float32) @ W.astype(np.float32)
                + b.astype(np.float32)).astype(np.float64)

    report = check_layer(f, lambda g, x, W, b: (g @ W.T, x.T @ g, g.sum(0)), inputs)
    assert report.ok and "low precision" in str(report), str(report)
    report = check_layer(f, lambda g, x, W, b: (g @ W.T, x.T @ g, 1.05 * g.sum(0)), inputs)
    assert not report.ok, str(report)


def _softmax_rows(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _softmax_jacobian_back(g, x, drop_outer=False):
    """numpy-ml's Softmax._bwd: dX_i = (diagflat(y_i) - y_i y_i^T) g_i, row by row."""
    y = _softmax_rows(x)
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        J = np.diagflat(y[i]) - (0 if drop_outer else np.outer(y[i], y[i]))
        out[i] = J @ g[i]
    return (out,)


@pytest.mark.parametrize("seed", range(6))
def test_a_term_lost_where_a_probability_rounds_to_1(seed):
    """Logits ~1e3: p rounds to 1, diagflat(y) - y y^T has p - p^2 = 0 exactly where the
    truth is ~1e-161; the entry keeps one term of two. Below the rounding of the outputs
    it moves (p = 1): inaccurate, not a formula error. Dropping y y^T is caught."""
    x = np.random.default_rng(seed).standard_normal((2, 5)) * 1e3
    report = check_layer(_softmax_rows, _softmax_jacobian_back, (x,))
    assert report.ok, str(report)
    x = np.random.default_rng(seed).standard_normal((2, 5))
    assert not check_layer(_softmax_rows, lambda g, x: _softmax_jacobian_back(g, x, True),
                           (x,)).ok


# ---------------------------------------------------------------- fresh eyes, round 2
def _modulus(x):  # complex by design: |x0 + i x1|
    return np.abs(x[0] + 1j * x[1])


def _modulus_back(g, x, swap=False):
    r = np.abs(x[0] + 1j * x[1])
    d = np.stack([x[0] / r, x[1] / r]) * g
    return (d[::-1] if swap else d,)


def _norm_layer(x):  # norm of a complex-valued vector built on purpose
    return np.array(np.linalg.norm(x[0] + 1j * x[1]))


def _norm_layer_back(g, x, zero=False):
    n = np.linalg.norm(x[0] + 1j * x[1])
    return (np.zeros_like(x) if zero else g * x / n,)


XC = np.random.default_rng(3).standard_normal((2, 5))
DESIGN = [
    ("|x0 + i x1|", _modulus, _modulus_back, lambda g, x: _modulus_back(g, x, True)),
    ("|x0 + i x1|, zero backward", _modulus, _modulus_back,
     lambda g, x: (np.zeros_like(x),)),
    ("norm(x0 + i x1)", _norm_layer, _norm_layer_back,
     lambda g, x: _norm_layer_back(g, x, True)),
]


@pytest.mark.parametrize("forward, right, buggy", [r[1:] for r in DESIGN],
                         ids=[r[0] for r in DESIGN])
def test_complex_by_design_keeps_numpys_modulus(forward, right, buggy):
    """The holomorphic |z| is for data complex by the step alone: on x0 + i x1 it made
    every entry a 'kink' with one-sided derivatives of 1e19, and any backward passed."""
    assert check_layer(forward, right, (XC,)).ok
    report = check_layer(forward, buggy, (XC,))
    assert not report.ok and report.counts["kink"] == 0, str(report)


@pytest.mark.parametrize("seed", range(4))
def test_a_factor_2_where_1_minus_s_keeps_15_ulps_is_wrong(seed):
    """sigmoid at z ~ 34: 1 - s is ~15 ulps of 1, so the backward's values move in steps of
    one ulp; a factor 2 is many of them away, though far below 32 ulps of the output s.
    (At z ~ 36, 1 - s is one or two ulps and a factor 2 is within the rounding.)"""
    def sig(z):
        return 1 / (1 + np.exp(-z))

    z = 34.0 + 0.3 * np.random.default_rng(seed).standard_normal(6)
    report = check_layer(sig, lambda g, z: (2 * g * sig(z) * (1 - sig(z)),), (z,))
    assert not report.ok, str(report)
    assert check_layer(sig, lambda g, z: (g * sig(z) * sig(-z),), (z,)).ok


@pytest.mark.parametrize("gap", [1e-6, 1e-7])
def test_a_runner_up_just_below_a_maximum_is_resolved_by_shorter_steps(gap):
    """Steps down to 1/65536 of the default when one-sided slopes differ but converge
    (a near kink crossed in part). At gaps of 1e-8 and below the forward-noise line crosses
    the tie and inflates the noise: unresolved there (docs/gradcheck.md, known limits)."""
    x = np.random.default_rng(4).standard_normal((1, 4, 4, 1))
    x[0, 1, 1, 0] = x[0, 0, 0, 0] + 1.0 if x[0, 0, 0, 0] > 0 else 1.0
    x[0, 0, 0, 0] = x[0, 1, 1, 0] - gap
    assert check_layer(*_pool_layer(2), (x,)).ok


@pytest.mark.parametrize("seed", range(3))
def test_a_flat_forward_on_the_real_difference_path_resolves_only_what_it_can(seed):
    """x + 1e16 (not complex-safe): the outputs do not move for steps below their ulp of
    2, which bounds the derivative by ~3, not by 0: a zero backward is unresolved, never
    verified. A pooled entry below its window's maximum at 1e8 + randn is flat up to the
    gap with a bound of 1e-6: verified."""
    x = np.random.default_rng(seed).standard_normal((3, 4))
    report = check_layer(lambda x: np.asarray(x, dtype=float) + 1e16,
                         lambda g, x: (np.zeros_like(x),), (x,))
    assert not report.ok and report.counts["verified"] == 0, str(report)
    x = 1e8 + np.random.default_rng(seed).standard_normal((1, 4, 4, 1))
    assert check_layer(*_pool_layer(2), (x,)).ok


def test_a_1x1_gradient_is_never_called_transposed():
    """Fresh eyes, round 4: a 1 x 1 entry off by 1e-8 relative was 'looks like: transposed'."""
    report = check_layer(lambda x: x ** 3, lambda g, x: (3 * g * x ** 2 * (1 + 1e-8),),
                         (np.array([[0.7]]),))
    assert not report.ok and "transposed" not in str(report), str(report)
