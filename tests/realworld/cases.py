"""The table: correct course layers and their buggy twins, each with a ``draw(rng)``.

Shapes are drawn per seed from small menus that always include batch 1 and width 1,
square and non-square matrices; regimes that break checkers (exact ties, exact kinks,
points 1e-6 from a kink, saturated gates, magnitudes 1e8 and 1e-8) are separate rows so
that every seed exercises them.
"""

from __future__ import annotations

import numpy as np

from . import bugs as B
from . import course as C
from ._case import Case, course_layer, course_loss, tuple_to_concat

__all__ = ["CASES", "CORRECT", "BUGGY"]

SOL = "github.com/0809zheng/CS231n-assignment2019 assignment2/cs231n/layers.py @bfc81c1"
RNN = "github.com/0809zheng/CS231n-assignment2019 assignment3/cs231n/rnn_layers.py @3f5c853"
STAFF = SOL + " (course staff code)"


def _n(rng):
    return int(rng.choice([1, 2, 3, 5]))


def _d(rng):
    return int(rng.choice([1, 3, 4]))


def _normal(rng, *shape, scale=1.0):
    return scale * rng.standard_normal(shape)


# ---------------------------------------------------------------- draws


def draw_affine(rng, scale=1.0):
    n, m = _n(rng), _d(rng)
    dims = [(3,), (2, 3), (m,)][int(rng.integers(3))]
    d = int(np.prod(dims))
    return (_normal(rng, n, *dims, scale=scale), _normal(rng, d, m, scale=1 / scale),
            _normal(rng, m))


def draw_affine_batch(rng):
    """two examples at least: with N = 1 a mean over the batch equals the sum."""
    x, w, b = draw_affine(rng)
    return (np.concatenate([x, _normal(rng, *x.shape)]), w, b)


def draw_sigmoid(rng, lo=0.0, hi=3.0):
    n, d = _n(rng), _d(rng)
    return (rng.uniform(lo, hi, (n, d)) * rng.choice([-1.0, 1.0], (n, d)),)


def draw_logistic(rng, saturated=False):
    """Coursera week-2 shapes: w (d, 1), b scalar, X (d, m), Y (1, m); saturated: pixel-like
    X in [20, 60] not divided by 255, labels agreeing with the sign of z = 20..30."""
    d, m = _d(rng), _n(rng)
    if not saturated:
        return (_normal(rng, d, 1), np.array(0.1 * rng.standard_normal()),
                _normal(rng, d, m), (rng.random((1, m)) < 0.5).astype(float))
    X = rng.uniform(20.0, 60.0, (d, m))
    z = rng.uniform(20.0, 30.0, m) * rng.choice([-1.0, 1.0], m)
    w = np.full((d, 1), 1.0 / d)
    b = np.array(0.0)
    X = X * (z / (w.T @ X))[0]                       # scale each column to hit z exactly
    return (w, b, X, (z > 0).astype(float)[None, :])


def draw_three_layer(rng):
    m = int(rng.choice([1, 3, 5]))
    return (_normal(rng, 4, m), (rng.random((1, m)) < 0.5).astype(float),
            _normal(rng, 5, 4), _normal(rng, 5, 1), _normal(rng, 3, 5), _normal(rng, 3, 1),
            _normal(rng, 1, 3), _normal(rng, 1, 1))


def draw_relu(rng):
    return (_normal(rng, _n(rng), _d(rng) + 1),)


def draw_relu_mixed(rng):
    """at least one negative and one positive entry (else a dead-unit bug is invisible)."""
    (x,) = draw_relu(rng)
    x[0, 0], x[-1, -1] = -abs(x[0, 0]), abs(x[-1, -1])
    return (x,)


def draw_relu_zeros(rng):
    x = np.round(_normal(rng, _n(rng) + 1, 4))      # many exact 0.0 (and -0.0)
    x[0, 0] = 0.0
    return (x,)


def draw_relu_near_kink(rng):
    x = _normal(rng, 4, 6)
    x[0, 2] = 1e-6
    x[1, 3] = -1e-6
    return (x,)


def draw_dropout(rng):
    x = _normal(rng, _n(rng) + 1, 6)
    x[0, :] = 0.0                                    # exact zeros, some of them dropped
    return (x,)


def draw_bn(rng, scale=1.0):
    n, d = int(rng.choice([2, 3, 6])), _d(rng)
    return (_normal(rng, n, d, scale=scale) + scale * 3.0, 1 + _normal(rng, d) ** 2,
            _normal(rng, d))


def draw_bn_huge_beta(rng):
    """outputs ~1e16: the O(1) normalised part is below one ulp of the output."""
    x, gamma, beta = draw_bn(rng)
    return (x, gamma, beta + 1e16)


def draw_bn_near_constant(rng):
    n, d = 5, _d(rng)
    x = 2.0 + 1e-3 * _normal(rng, n, d)
    return (x, 1 + _normal(rng, d) ** 2, _normal(rng, d))


def draw_ln(rng):
    n, d = _n(rng), int(rng.choice([2, 4, 5]))
    return (_normal(rng, n, d), 1 + _normal(rng, d) ** 2, _normal(rng, d))


def draw_sbn(rng):
    n, c = _n(rng), int(rng.choice([1, 2, 3]))
    h, w = int(rng.choice([1, 2, 3])), int(rng.choice([2, 3]))
    return (_normal(rng, n, c, h, w), 1 + _normal(rng, c) ** 2, _normal(rng, c))


def draw_sbn_mixing(rng):
    """channels >= 2 and >= 2 positions: with C = 1 or H W = 1 the missing transpose is a no-op."""
    n, c = _n(rng), int(rng.choice([2, 3]))
    return (_normal(rng, n, c, 2, int(rng.choice([1, 3]))), 1 + _normal(rng, c) ** 2,
            _normal(rng, c))


def draw_gn(rng):
    n, g = _n(rng), int(rng.choice([1, 2]))
    c = 2 * g
    return (_normal(rng, n, c, 2, 3), 1 + _normal(rng, 1, c, 1, 1) ** 2,
            _normal(rng, 1, c, 1, 1))


def draw_conv(rng):
    n, c, f = _n(rng), int(rng.choice([1, 2])), int(rng.choice([1, 2]))
    h, w = int(rng.choice([4, 5])), int(rng.choice([3, 5]))
    return (_normal(rng, n, c, h, w), _normal(rng, f, c, 3, 3), _normal(rng, f))


def draw_conv_batch(rng):
    """two examples at least: with N = 1 "dw from example 0" is right."""
    x, w, b = draw_conv(rng)
    return (np.concatenate([x, _normal(rng, *x.shape)]), w, b)


def draw_conv_square_channels(rng):
    """as many filters as input channels (2), so a channel/filter index mix-up keeps shapes."""
    n = _n(rng)
    return (_normal(rng, n, 2, 4, int(rng.choice([3, 4]))), _normal(rng, 2, 2, 3, 3),
            _normal(rng, 2))


def draw_pool_distinct(rng):
    n, c = _n(rng), int(rng.choice([1, 2]))
    return (_normal(rng, n, c, 4, 4),)


def draw_pool_ties(rng):
    n, c = _n(rng), int(rng.choice([1, 2]))
    x = rng.integers(0, 3, size=(n, c, 4, 4)).astype(float)   # exact ties everywhere
    x[0, 0, :2, :2] = 2.0
    return (x,)


def draw_max_ties(rng):
    x = rng.integers(0, 3, size=(_n(rng) + 1, 4)).astype(float)
    x[0] = [1.0, 2.0, 2.0, 2.0]                      # tensorflow#4886's input
    return (x,)


def draw_max_near_tie(rng):
    x = _normal(rng, _n(rng) + 1, 4)
    x[0] = [0.3, 1.0, 1.0 + 1e-9, -0.2]              # zplizzi/tensorflow-fast-rcnn#12
    return (x,)


def draw_max_close(rng):
    x = _normal(rng, _n(rng) + 1, 4)
    x[0] = [0.3, 1.0, 1.0 + 3e-3, -0.2]              # within mni-ml's is_close tolerance
    return (x,)


def draw_scores(rng, scale=1.0):
    n, c = _n(rng), int(rng.choice([2, 3, 5]))
    return (_normal(rng, n, c, scale=scale), rng.integers(0, c, size=n))


def draw_scores_overflow(rng):
    """logits ~1e3 with one above 710, where exp overflows in float64."""
    x, y = draw_scores(rng, 1e3)
    x[0, 0] = abs(x[0, 0]) + 800.0
    return (x, y)


def draw_scores_confident(rng):
    """one example, its label's logit 12 to 60 above the rest: p_label rounds to 1."""
    c = int(rng.choice([2, 3, 5]))
    y = rng.integers(0, c, size=1)
    x = -rng.uniform(12.0, 60.0, size=(1, c))
    x[0, y[0]] = rng.standard_normal()
    x[0] += x[0, y[0]] * (x[0] != x[0, y[0]])
    return (x, y)


def draw_scores_margin_kink(rng):
    n, c = 3, 4
    x = rng.integers(-2, 3, size=(n, c)).astype(float)
    y = rng.integers(0, c, size=n)
    x[0, (y[0] + 1) % c] = x[0, y[0]] - 1.0          # margin exactly 0 (hinge kink)
    return (x, y)


def draw_linear_svm(rng):
    n, d, c = _n(rng) + 1, _d(rng), int(rng.choice([2, 3]))
    return (_normal(rng, d, c, scale=0.1), _normal(rng, n, d), rng.integers(0, c, size=n))


def draw_ce_vector(rng):
    c = int(rng.choice([2, 4, 5]))
    y = np.zeros(c)
    y[int(rng.integers(c))] = 1.0
    return (_normal(rng, c), y)


def draw_rnn_step(rng, scale=1.0):
    n, d, h = _n(rng), _d(rng), int(rng.choice([1, 2, 3]))
    return (_normal(rng, n, d), _normal(rng, n, h), _normal(rng, d, h, scale=scale),
            _normal(rng, h, h, scale=scale), _normal(rng, h))


def draw_rnn_seq(rng, scale=1.0):
    n, t, d, h = _n(rng), int(rng.choice([1, 2, 3])), _d(rng), int(rng.choice([1, 2, 3]))
    return (_normal(rng, n, t, d), _normal(rng, n, h), _normal(rng, d, h, scale=scale),
            _normal(rng, h, h, scale=scale), _normal(rng, h))


def draw_rnn_seq_long(rng, scale=1.0):
    """T >= 2: at T = 1 nothing is carried between steps (and c_prev = 0 in an LSTM)."""
    x, h0, Wx, Wh, b = draw_rnn_seq(rng, scale)
    return (np.concatenate([x, _normal(rng, *x.shape)], axis=1), h0, Wx, Wh, b)


def draw_lstm_seq_long(rng, scale=1.0):
    x, h0, Wx, Wh, b = draw_lstm_seq(rng, scale)
    return (np.concatenate([x, _normal(rng, *x.shape)], axis=1), h0, Wx, Wh, b)


def draw_lstm_step(rng, scale=1.0):
    n, d, h = _n(rng), _d(rng), int(rng.choice([1, 2, 3]))
    return (_normal(rng, n, d), _normal(rng, n, h), _normal(rng, n, h),
            _normal(rng, d, 4 * h, scale=scale), _normal(rng, h, 4 * h, scale=scale),
            _normal(rng, 4 * h))


def draw_lstm_seq(rng, scale=1.0):
    n, t, d, h = _n(rng), int(rng.choice([1, 2, 3])), _d(rng), int(rng.choice([1, 2]))
    return (_normal(rng, n, t, d), _normal(rng, n, h), _normal(rng, d, 4 * h, scale=scale),
            _normal(rng, h, 4 * h, scale=scale), _normal(rng, 4 * h))


def draw_embed(rng):
    n, t, v, d = _n(rng), int(rng.choice([2, 3])), int(rng.choice([2, 3, 5])), _d(rng)
    x = rng.integers(0, v, size=(n, t))
    x[0, 1] = x[0, 0]                                # a repeated word, always
    return (x, _normal(rng, v, d))


def draw_temporal_affine(rng):
    n, t, d, m = _n(rng), int(rng.choice([1, 3])), _d(rng), _d(rng)
    return (_normal(rng, n, t, d), _normal(rng, d, m), _normal(rng, m))


def draw_temporal_softmax(rng):
    n, t, v = _n(rng), int(rng.choice([1, 3])), int(rng.choice([2, 4]))
    mask = rng.random((n, t)) < 0.6
    mask.flat[0] = False                             # at least one masked step
    return (_normal(rng, n, t, v), rng.integers(0, v, size=(n, t)), mask)


# ---------------------------------------------------------------- wrappers


def _layer(f, b, **kw):
    return dict(zip(("forward", "backward"), course_layer(f, b, **kw)))


def _loss(f):
    return dict(zip(("forward", "backward"), course_loss(f)))


def _with_input(backward):
    """Course layers whose backward wants the input instead of the cache."""
    return lambda g, x: (backward(g, x),)


def _logistic():
    return dict(forward=lambda w, b, X, Y: np.asarray(C.logistic_propagate(w, b, X, Y)[0]),
                backward=lambda g, w, b, X, Y: tuple(
                    g * d for d in C.logistic_propagate(w, b, X, Y)[1]) + (None, None))


def _three_layer(bugs):
    return dict(forward=lambda *a: np.asarray(C.three_layer_cost(*a)[0]),
                backward=lambda g, *a: (None, None) + tuple(
                    g * d for d in C.three_layer_cost(*a, bugs=bugs)[1]))


THREE = ("X", "Y", "W1", "b1", "W2", "b2", "W3", "b3")
COURSERA_GC = ("Coursera 'Improving Deep Neural Networks' week 1 Gradient Checking "
               "(backward_propagation_n), quoted in bighuang624/Andrew-Ng-Deep-Learning-notes#10")


def _dropout(backward):
    fwd = lambda x: C.dropout_forward(x, 0.6, 123)[0]            # noqa: E731
    return dict(forward=fwd,
                backward=lambda g, x: (backward(g, C.dropout_forward(x, 0.6, 123)[1]),))


def _dropout_ratio():
    fwd = lambda x: C.dropout_forward(x, 0.6, 123)[0]            # noqa: E731
    return dict(forward=fwd, backward=lambda g, x: (
        B.dropout_backward_ratio(g, x, C.dropout_forward(x, 0.6, 123)[1]),))


def _conv(backward, stride=1, pad=1):
    return _layer(C.conv_forward_naive, backward, extra=(stride, pad))


def _pool(backward, size=2, stride=2):
    return _layer(C.max_pool_forward_naive, backward, extra=(size, stride))


def _lstm_step(backward, concat=True):
    def fwd(*inputs):
        return C.lstm_step_forward(*inputs)[0]

    def bwd(g, *inputs):
        _, cache = C.lstm_step_forward(*inputs)
        dnext_h, dnext_c = g
        return backward(dnext_h, dnext_c, cache)

    f, b = tuple_to_concat(fwd, bwd) if concat else (fwd, bwd)
    return dict(forward=f, backward=b)


def _lstm_seq(step_backward):
    return _layer(C.lstm_forward,
                  lambda dh, caches: C.lstm_backward(dh, caches, step_backward))


def _gn_forward(x, gamma, beta):
    return C.groupnorm_forward(x, gamma, beta, x.shape[1] // 2)   # groups of 2 channels


def _ln():
    return _layer(C.layernorm_forward, C.layernorm_backward)


LSTM_NAMES = ("x", "prev_h", "prev_c", "Wx", "Wh", "b")
RNN_NAMES = ("x", "prev_h", "Wx", "Wh", "b")
SEQ_NAMES = ("x", "h0", "Wx", "Wh", "b")
BN = ("x", "gamma", "beta")


def _case(name, draw, names, source, bug=None, cause=(), needs=(), note="", **fb):
    return Case(name=name, draw=draw, names=names, source=source, bug=bug, cause=cause,
                needs=needs, note=note, **fb)


CORRECT = [
    _case("affine", draw_affine, ("x", "w", "b"), SOL,
          **_layer(C.affine_forward, C.affine_backward)),
    _case("affine@1e8", lambda r: draw_affine(r, 1e8), ("x", "w", "b"), SOL,
          note="x ~ 1e8, w ~ 1e-8", **_layer(C.affine_forward, C.affine_backward)),
    _case("affine@1e-8", lambda r: draw_affine(r, 1e-8), ("x", "w", "b"), SOL,
          note="x ~ 1e-8, w ~ 1e8", **_layer(C.affine_forward, C.affine_backward)),
    _case("sigmoid", draw_sigmoid, ("x",), RNN + " (stable sigmoid; s (1 - s) backward)",
          **_layer(C.sigmoid_forward, C.sigmoid_backward)),
    _case("sigmoid@saturated", lambda r: draw_sigmoid(r, 20.0, 35.0), ("x",), RNN,
          **_layer(C.sigmoid_forward, C.sigmoid_backward)),
    _case("logistic_propagate", draw_logistic, ("w", "b", "X", "Y"),
          "Coursera 'Neural Networks and Deep Learning' week 2 propagate()", **_logistic()),
    _case("logistic_propagate@saturated", lambda r: draw_logistic(r, True),
          ("w", "b", "X", "Y"), "Coursera week 2 propagate() on pixel-scale X",
          note="z = w^T X = +-20..30, labels agree: A - Y keeps ~3 digits", **_logistic()),
    _case("three_layer_net", draw_three_layer, THREE, COURSERA_GC + " (fixed)",
          **_three_layer(False)),
    _case("relu(dout*(x>0))", draw_relu, ("x",),
          "cs231n relu_backward quoted in github.com/exacity/deeplearningbook-chinese/issues/127",
          **_layer(C.relu_forward, C.relu_backward_mask)),
    _case("relu@exact-zeros", draw_relu_zeros, ("x",),
          "HomericIntelligence/Odyssey PR #2077 (checker false alarm at x = 0: 0 vs 0.5)",
          note="subgradient 0 at x = 0", **_layer(C.relu_forward, C.relu_backward_mask)),
    _case("relu@exact-zeros,slope-1", draw_relu_zeros, ("x",),
          "tensorflow/playground#19 (der: x < 0 ? 0 : 1, i.e. 1 at x = 0)",
          note="subgradient 1 at x = 0",
          forward=lambda x: np.maximum(0, x), backward=lambda g, x: (g * (x >= 0),)),
    _case("relu@1e-6", draw_relu_near_kink, ("x",), "issue 8 input 2 (right slope)",
          **_layer(C.relu_forward, C.relu_backward_mask)),
    _case("relu(in-place dout)", draw_relu, ("x",), SOL,
          note="dx = dout; dx[x <= 0] = 0 writes into grad_output",
          needs=("grad_output_copies",), **_layer(C.relu_forward, C.relu_backward)),
    _case("relu(dlfs, in-place dout)", draw_relu, ("x",),
          "oreilly-japan/deep-learning-from-scratch common/layers.py Relu (copy: "
          "KIE-KID/Deep-kid-youngmi common/layers.py)", needs=("grad_output_copies",),
          **_layer(C.relu_forward, C.relu_backward_dlfs)),
    _case("dropout(train)", draw_dropout, ("x",), SOL + " (mask over all units, keep p)",
          **_dropout(C.dropout_backward)),
    _case("batchnorm(staged)", draw_bn, BN, SOL, **_layer(C.batchnorm_forward,
                                                           C.batchnorm_backward)),
    _case("batchnorm(alt)", draw_bn, BN, SOL, **_layer(C.batchnorm_forward,
                                                        C.batchnorm_backward_alt)),
    _case("batchnorm@1e8", lambda r: draw_bn(r, 1e8), BN, SOL,
          **_layer(C.batchnorm_forward, C.batchnorm_backward_alt)),
    _case("batchnorm@1e-8", lambda r: draw_bn(r, 1e-8), BN, SOL, note="var << eps",
          **_layer(C.batchnorm_forward, C.batchnorm_backward_alt)),
    _case("batchnorm@beta1e16", draw_bn_huge_beta, BN, SOL, note="outputs ~1e16",
          **_layer(C.batchnorm_forward, C.batchnorm_backward_alt)),
    _case("batchnorm@near-constant", draw_bn_near_constant, BN, SOL,
          **_layer(C.batchnorm_forward, C.batchnorm_backward)),
    _case("batchnorm(mlpack, zero term left out)", draw_bn, BN,
          "mlpack/mlpack PR #2474 review (step 4's second term)",
          **_layer(C.batchnorm_forward, C.batchnorm_backward_no_mean_var_term)),
    _case("batchnorm(reddit, sum without axis)", draw_bn, BN,
          "reddit.com/r/cs231n/comments/hx87z3 (batchnorm_backward of the post)",
          **_layer(C.batchnorm_forward, C.batchnorm_backward_reddit)),
    _case("layernorm", draw_ln, BN, SOL, **_ln()),
    _case("spatial_batchnorm", draw_sbn, BN, SOL,
          **_layer(C.spatial_batchnorm_forward, C.spatial_batchnorm_backward)),
    _case("groupnorm", draw_gn, BN, SOL,
          **_layer(_gn_forward, C.groupnorm_backward)),
    _case("conv(stride1,pad1)", draw_conv, ("x", "w", "b"), SOL,
          **_conv(C.conv_backward_naive)),
    _case("conv(stride1,pad0)", draw_conv, ("x", "w", "b"), SOL,
          **_conv(C.conv_backward_naive, stride=1, pad=0)),
    _case("conv(stride2,pad0)", draw_conv, ("x", "w", "b"), SOL,
          **_conv(C.conv_backward_naive, stride=2, pad=0)),
    _case("max_pool(2x2,s2)", draw_pool_distinct, ("x",), SOL,
          **_pool(C.max_pool_backward_naive)),
    _case("max_pool(2x2,s1 overlapping)", draw_pool_distinct, ("x",), SOL,
          **_pool(C.max_pool_backward_naive, stride=1)),
    _case("max_pool@ties(s1)", draw_pool_ties, ("x",),
          "Theano/Theano#5404 behaviour 3 (cuDNN / new Caffe: one argmax gets it)",
          **_pool(C.max_pool_backward_naive, stride=1)),
    _case("max_pool@ties(s2)", draw_pool_ties, ("x",),
          "Theano/Theano#5404 behaviour 3, non-overlapping windows",
          **_pool(C.max_pool_backward_naive)),
    _case("reduce_max@ties(split)", draw_max_ties, ("x",), "tensorflow/tensorflow#4886",
          **_layer(C.max_forward, C.max_backward_split)),
    _case("reduce_max@gap1e-9", draw_max_near_tie, ("x",),
          "zplizzi/tensorflow-fast-rcnn#12 (grad check fails when max ~ second max)",
          **_layer(C.max_forward, C.max_backward_split)),
    _case("svm_loss", draw_scores, ("x", "y"), STAFF, **_loss(C.svm_loss)),
    _case("svm_loss@margin-kink", draw_scores_margin_kink, ("x", "y"),
          STAFF + "; cs231n.github.io#274 (svm.ipynb inline question: kinks)",
          **_loss(C.svm_loss)),
    _case("softmax_loss", draw_scores, ("x", "y"), STAFF, **_loss(C.softmax_loss)),
    _case("softmax_loss@batch1-confident", draw_scores_confident, ("x", "y"), STAFF,
          note="gradients ~1e-6..1e-26 next to a loss of ~1e-6", **_loss(C.softmax_loss)),
    _case("softmax_loss@1e3", lambda r: draw_scores(r, 1e3), ("x", "y"), STAFF,
          note="logits ~1e3: probabilities exactly 0/1", **_loss(C.softmax_loss)),
    _case("linear_svm(W)", draw_linear_svm, ("W", "X", "y"),
          "bruceoutdoors/CS231n#9 fixed form (2 reg W)",
          **_loss(lambda W, X, y: C.linear_svm_loss(W, X, y, 0.3))),
    _case("softmax_ce(vector)", draw_ce_vector, ("z", "y"),
          "z.id.vn/?p=348969 (Stack Overflow mirror), with the 1/len(y) factor",
          **_loss(C.softmax_ce_vector)),
    _case("rnn_step", draw_rnn_step, RNN_NAMES, RNN,
          **_layer(C.rnn_step_forward, C.rnn_step_backward)),
    _case("rnn_step@saturated", lambda r: draw_rnn_step(r, 12.0), RNN_NAMES, RNN,
          **_layer(C.rnn_step_forward, C.rnn_step_backward)),
    _case("rnn_forward/backward", draw_rnn_seq, SEQ_NAMES, RNN,
          **_layer(C.rnn_forward, C.rnn_backward)),
    _case("rnn_forward(h, h_T)", draw_rnn_seq, SEQ_NAMES, RNN + " (two outputs)",
          needs=("tuple_outputs",),
          **_layer(C.rnn_forward_with_last, C.rnn_backward_with_last)),
    _case("lstm_step(concat h,c)", draw_lstm_step, LSTM_NAMES, RNN + "; cthorey/CS231#1",
          note="dnext_c += ... updates grad_output in place", needs=("grad_output_copies",),
          **_lstm_step(C.lstm_step_backward)),
    _case("lstm_step(tuple h,c)", draw_lstm_step, LSTM_NAMES, RNN,
          needs=("tuple_outputs", "grad_output_copies"),
          **_lstm_step(C.lstm_step_backward, concat=False)),
    _case("lstm_step@saturated", lambda r: draw_lstm_step(r, 10.0), LSTM_NAMES, RNN,
          needs=("grad_output_copies",), **_lstm_step(C.lstm_step_backward)),
    _case("lstm_forward/backward", draw_lstm_seq, SEQ_NAMES, RNN,
          **_lstm_seq(C.lstm_step_backward)),
    _case("lstm_forward@saturated", lambda r: draw_lstm_seq(r, 10.0), SEQ_NAMES, RNN,
          **_lstm_seq(C.lstm_step_backward)),
    _case("word_embedding", draw_embed, ("x", "W"), RNN,
          **_layer(C.word_embedding_forward, C.word_embedding_backward, nones=(0,))),
    _case("temporal_affine", draw_temporal_affine, ("x", "w", "b"), RNN + " (staff)",
          **_layer(C.temporal_affine_forward, C.temporal_affine_backward)),
    _case("temporal_softmax_loss", draw_temporal_softmax, ("x", "y", "mask"),
          RNN + " (staff)", **_loss(C.temporal_softmax_loss)),
]

BUGGY = [
    _case("affine: db = mean", draw_affine_batch, ("x", "w", "b"), "kvfrans/notes#5",
          bug="bias gradient averaged over the batch instead of summed", cause=("factor",),
          **_layer(C.affine_forward, B.affine_backward_db_mean)),
    _case("sigmoid: derivative from the input", draw_sigmoid, ("x",),
          "BoltzmannEntropy/interviews.ai#15 (and #4)", bug="x (1 - x) with x the input",
          forward=lambda x: C.sigmoid(x), backward=_with_input(B.sigmoid_backward_from_input)),
    _case("sigmoid: sigmoid(1 - sigmoid(dz))", draw_sigmoid, ("x",),
          "yizt/numpy_neural_network#3", bug="backward ignores the input and grad_output's "
                                            "linearity", cause=("linear", "grad_output"),
          forward=lambda x: C.sigmoid(x), backward=_with_input(B.sigmoid_backward_yizt)),
    _case("three_layer_net: planted dW2 x2, db1 x4", draw_three_layer, THREE, COURSERA_GC,
          bug="dW2 twice too large, db1 four times", **_three_layer(True)),
    _case("relu: relu2deriv(output >= 0)", draw_relu_mixed, ("x",),
          "iamtrask/Grokking-Deep-Learning PR #13", bug="gradient passes through dead units",
          **_layer(C.relu_forward, B.relu_backward_from_output_ge)),
    _case("relu: forward clips x in place", draw_relu_mixed, ("x",),
          "public cs231n-style layers.py (index id 20181422954, repository not named)",
          bug="forward mutates its input; the cached x has no negatives, so dx passes "
              "through negative inputs", cause=("mutat", "in place", "modif", "chang"),
          **_layer(B.relu_forward_in_place, B.relu_backward_in_place_cache)),
    _case("relu@1e-6: slope 0.5", draw_relu_near_kink, ("x",), "issue 8 input 2",
          bug="slope 0.5 at x = 1e-6 (differentiable there)",
          **_layer(C.relu_forward, B.relu_backward_half_slope_near_kink)),
    _case("dropout: mask not applied", draw_dropout, ("x",), "ddbourgin/numpy-ml#94",
          bug="dropped units get gradient", **_dropout(B.dropout_backward_no_mask)),
    _case("dropout: no 1/p", draw_dropout, ("x",),
          "rohitg00/ai-engineering-from-scratch PR #17 review", bug="factor p missing",
          cause=("factor",), **_dropout(B.dropout_backward_no_scale)),
    _case("dropout: out/in ratio", draw_dropout, ("x",), "kaldi-asr/kaldi#3890",
          bug="dropped units with input exactly 0 pass the gradient", **_dropout_ratio()),
    _case("batchnorm: dgamma keepdims", draw_bn, BN, SOL,
          bug="dgamma, dbeta of shape (1, D) for parameters of shape (D,)", cause=("shape",),
          **_layer(C.batchnorm_forward, B.batchnorm_backward_keepdims)),
    _case("batchnorm: dx without gamma", draw_bn, BN, "denizyuret/Knet.jl#288",
          bug="dx misses the factor gamma",
          **_layer(C.batchnorm_forward, B.batchnorm_backward_no_gamma_in_dx)),
    _case("batchnorm@beta1e16: dx without gamma", draw_bn_huge_beta, BN,
          "denizyuret/Knet.jl#288, at outputs ~1e16 (issue 8 input 3's kind)",
          bug="dx misses the factor gamma",
          **_layer(C.batchnorm_forward, B.batchnorm_backward_no_gamma_in_dx)),
    _case("batchnorm: stats as constants", draw_bn, BN, "generic",
          bug="dx = dout gamma / std (no mean/variance terms)",
          **_layer(C.batchnorm_forward, B.batchnorm_backward_no_stats)),
    _case("batchnorm: 1/(N-1) in backward", draw_bn, BN, "generic",
          bug="unbiased variance differentiated, biased used forward",
          **_layer(C.batchnorm_forward, B.batchnorm_backward_unbiased)),
    _case("layernorm: batch axes", draw_ln, BN, "cf. flagos-ai/FlagGems#5392",
          bug="reductions over the batch axis",
          **_layer(C.layernorm_forward, B.layernorm_backward_batch_axes)),
    _case("spatial_bn: reshape without transpose", draw_sbn_mixing, BN, "generic",
          bug="dout.reshape(-1, C) mixes channels and positions",
          **_layer(C.spatial_batchnorm_forward, B.spatial_batchnorm_backward_no_transpose)),
    _case("groupnorm: no mean terms", draw_gn, BN, "generic",
          bug="dx = dout gamma / std", **_layer(_gn_forward, B.groupnorm_backward_no_group_mean)),
    _case("conv: dx_pad[pad:-pad] at pad 0", draw_conv, ("x", "w", "b"), SOL,
          bug="empty dx when pad = 0", cause=("shape",),
          **_conv(B.conv_backward_pad_slice, stride=1, pad=0)),
    _case("conv: dx window '=' not '+='", draw_conv, ("x", "w", "b"), "generic",
          bug="overlapping windows overwrite", **_conv(B.conv_backward_assign)),
    _case("conv: dx to channel m (filter index)", draw_conv_square_channels, ("x", "w", "b"),
          "NervanaSystems/neon#111", bug="input gradient written to the filter's channel",
          **_conv(B.conv_backward_channel_index)),
    _case("conv: dw from sample 0", draw_conv_batch, ("x", "w", "b"), "cf. vaibhavnaagar/cnn#1",
          bug="batch sum forgotten in dw", **_conv(B.conv_backward_first_sample_dw)),
    _case("max_pool: '=' not '+=' (overlapping)", draw_pool_distinct, ("x",), SOL,
          bug="a max shared by two windows keeps one window's gradient",
          **_pool(B.max_pool_backward_assign, stride=1)),
    _case("max_pool: int(row) at ties", draw_pool_ties, ("x",), SOL,
          bug="backward raises on a tied window", cause=("rais", "ValueError", "error"),
          **_pool(B.max_pool_backward_where_int)),
    _case("max_pool(s1): every tie gets all", draw_pool_ties, ("x",),
          "Theano/Theano#5404 behaviour 1", bug="tied maxima all get the full gradient",
          cause=("tie", "kink"), **_pool(B.max_pool_backward_all_ties, stride=1)),
    _case("max_pool(s2): every tie gets all", draw_pool_ties, ("x",),
          "Theano/Theano#5404 behaviour 1", bug="tied maxima all get the full gradient",
          cause=("tie", "kink"), **_pool(B.max_pool_backward_all_ties)),
    _case("reduce_max: is_close mask", draw_max_close, ("x",), "mni-ml/framework PR #22",
          bug="gradient to non-maxima within 1e-2",
          **_layer(C.max_forward, B.max_backward_isclose)),
    _case("reduce_max@gap1e-9: split", draw_max_near_tie, ("x",), "issue 8 input 2",
          bug="gradient split between values 1e-9 apart",
          **_layer(C.max_forward, B.max_backward_split_near_tie)),
    _case("svm_loss: '=' not '-='", draw_scores, ("x", "y"), "bruceoutdoors/CS231n#5",
          bug="label column off by one margin", **_loss(B.svm_loss_assign_count)),
    _case("linear_svm: reg W not 2 reg W", draw_linear_svm, ("W", "X", "y"),
          "bruceoutdoors/CS231n#9", bug="regulariser gradient halved",
          **_loss(lambda W, X, y: B.linear_svm_reg_half(W, X, y, 0.3))),
    _case("softmax_ce: 1/len(y) missing", draw_ce_vector, ("z", "y"),
          "z.id.vn/?p=348969 (Stack Overflow mirror)", bug="gradient len(y) times too large",
          cause=("factor",), **_loss(B.softmax_ce_missing_mean)),
    _case("softmax_loss: sign", draw_scores, ("x", "y"), "generic", bug="p - y negated",
          cause=("sign",), **_loss(B.softmax_loss_sign)),
    _case("softmax_loss@1e3: unshifted backward", draw_scores_overflow, ("x", "y"),
          "generic (cs231n notes: numeric stability)", bug="nan gradient at large logits",
          cause=("finite", "nan"), **_loss(B.softmax_loss_unshifted_backward)),
    _case("temporal_softmax: mask not in dx", draw_temporal_softmax, ("x", "y", "mask"),
          "generic", bug="masked steps get gradient",
          **_loss(B.temporal_softmax_loss_no_mask_in_dx)),
    _case("rnn_step: divide by 1-h^2", draw_rnn_step, RNN_NAMES,
          "oreilly-japan/deep-learning-from-scratch-2#26 (the proposal)",
          bug="tanh' divided instead of multiplied",
          **_layer(C.rnn_step_forward, B.rnn_step_backward_divide)),
    _case("rnn_backward: no carry", draw_rnn_seq_long, SEQ_NAMES, "Halfish/cs231n#4 (question)",
          bug="dh[:, t] only; gradient from later steps dropped",
          **_layer(C.rnn_forward, B.rnn_backward_no_carry)),
    _case("lstm_step: dc overwritten", draw_lstm_step, LSTM_NAMES, "apache/mxnet#4057",
          bug="dnext_c ignored", **_lstm_step(B.lstm_step_backward_overwrite_dc)),
    _case("lstm_step: forget gate w/o h path", draw_lstm_step, LSTM_NAMES,
          "nicklashansen/rnn_lstm_from_scratch#1", bug="df misses dh o tanh'(c)",
          **_lstm_step(B.lstm_step_backward_forget_no_h_path)),
    _case("lstm_step: sigmoid(f) not f(1-f)", draw_lstm_step, LSTM_NAMES,
          "CaptainE/RNN-LSTM-in-numpy#1", bug="gate derivative replaced by sigmoid(gate)",
          **_lstm_step(B.lstm_step_backward_sigmoid_not_derivative)),
    _case("lstm_step: bias copy-paste", draw_lstm_step, LSTM_NAMES, "hanbt/learn_dl#53",
          bug="db of input/output gates = db of forget gate",
          **_lstm_step(B.lstm_step_backward_bias_copy_paste)),
    _case("lstm_step: tanh'(c) as 1-h^2", draw_lstm_step, LSTM_NAMES, "generic",
          bug="uses next_h for tanh(next_c)", **_lstm_step(B.lstm_step_backward_tanh_of_h)),
    _case("lstm_step@saturated: dc overwritten", lambda r: draw_lstm_step(r, 10.0),
          LSTM_NAMES, "apache/mxnet#4057", bug="dnext_c ignored (saturated gates)",
          **_lstm_step(B.lstm_step_backward_overwrite_dc)),
    _case("lstm_forward: forget gate w/o h path", draw_lstm_seq_long, SEQ_NAMES,
          "nicklashansen/rnn_lstm_from_scratch#1", bug="df misses dh o tanh'(c)",
          **_lstm_seq(B.lstm_step_backward_forget_no_h_path)),
    _case("lstm_forward@saturated: sigmoid(f)", lambda r: draw_lstm_seq_long(r, 10.0), SEQ_NAMES,
          "CaptainE/RNN-LSTM-in-numpy#1", bug="gate derivative replaced by sigmoid(gate)",
          **_lstm_seq(B.lstm_step_backward_sigmoid_not_derivative)),
    _case("word_embedding: dW[x] += dout", draw_embed, ("x", "W"),
          "karpathy/nn-zero-to-hero#57", bug="repeated words counted once",
          **_layer(C.word_embedding_forward, B.word_embedding_backward_fancy_add, nones=(0,))),
]

CASES = CORRECT + BUGGY
