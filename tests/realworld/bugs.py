"""Buggy twins: backward passes (and two forwards) with the mistakes people actually
made, each re-written in the course's conventions. The docstring of each names the public
thread, pull request or solution file the mistake comes from (``generic`` when it is a
well-known mistake without one thread to cite)."""

from __future__ import annotations

import numpy as np

from . import course as C

# ---------------------------------------------------------------- relu


def relu_backward_from_output_ge(dout, cache):
    """iamtrask/Grokking-Deep-Learning PR #13: ``relu2deriv(output) = output >= 0`` is 1
    for every unit (a ReLU output is never negative), so gradient flows through dead units."""
    out = np.maximum(0, cache)
    return dout * (out >= 0)


def relu_forward_in_place(x):
    """A public cs231n-style layers.py (index id 20181422954; the index does not name its
    repository): ``out = x; out[out < 0] = 0; cache = x`` -- the forward clips its input
    in place, so the cache holds the clipped x ..."""
    out = x
    out[out < 0] = 0
    return out, x


def relu_backward_in_place_cache(dout, cache):
    """... and ``dx[x < 0] = 0`` on that cache never fires: negative inputs pass the
    gradient."""
    dx = dout
    dx[cache < 0] = 0
    return dx


def relu_backward_half_slope_near_kink(dout, cache):
    """issue 8, input 2: slope 0.5 at the entry that sits 1e-6 from the kink."""
    dx = dout * (cache > 0)
    near = np.abs(cache) < 1e-5
    return np.where(near, 0.5 * dout, dx)


def affine_backward_db_mean(dout, cache):
    """kvfrans/notes#5: ``d_b1 = mean(d_h2)`` instead of the sum over the batch."""
    dx, dw, db = C.affine_backward(dout, cache)
    return dx, dw, dout.mean(axis=0)


def sigmoid_backward_from_input(dout, x):
    """BoltzmannEntropy/interviews.ai#15 (and #4): ``grad_input = self.x * (1 - self.x) *
    grad`` with ``self.x`` the *input* of the sigmoid, not its output."""
    return dout * x * (1 - x)


def sigmoid_backward_yizt(dout, x):
    """yizt/numpy_neural_network#3: ``sigmoid_backward(next_dz) =
    sigmoid_forward(1 - sigmoid_forward(next_dz))`` -- no use of the layer's input at all."""
    return C.sigmoid(1 - C.sigmoid(dout))


# ---------------------------------------------------------------- dropout


def dropout_backward_no_mask(dout, cache):
    """ddbourgin/numpy-ml#94: the dropout wrapper's backward divides by the keep
    probability but never applies the mask."""
    p = 1.0 / cache.max()
    return dout / p


def dropout_backward_no_scale(dout, cache):
    """rohitg00/ai-engineering-from-scratch PR #17 review: kept units miss the 1/p scaling
    of inverted dropout (mask applied as 0/1)."""
    return dout * (cache != 0)


def dropout_backward_ratio(dout, x, mask):
    """kaldi-asr/kaldi#3890: no mask kept; ``in_deriv = out / in * out_deriv``, and where
    ``in == 0`` the derivative is passed through unchanged -- wrong for a dropped unit
    whose input is exactly 0."""
    out = x * mask
    ratio = np.divide(out, x, out=np.ones_like(x), where=x != 0)
    return dout * ratio


# ---------------------------------------------------------------- batch/layer norm


def batchnorm_backward_keepdims(dout, cache):
    """0809zheng/CS231n-assignment2019 layers.py: dgamma, dbeta with ``keepdims=True``,
    shape (1, D) for a gamma of shape (D,) (the course's rel_error broadcasts it away)."""
    dx, dgamma, dbeta = C.batchnorm_backward(dout, cache)
    return dx, dgamma[None, :], dbeta[None, :]


def batchnorm_backward_no_gamma_in_dx(dout, cache):
    """denizyuret/Knet.jl#288: ``dyivar = dy .* ivar`` is taken before ``dy = g .* dy``,
    so dx misses the factor gamma."""
    x, gamma, mu, var, std, xhat = cache
    return C.batchnorm_backward_alt(dout, (x, np.ones_like(gamma), mu, var, std, xhat))[0], \
        np.sum(dout * xhat, axis=0), dout.sum(axis=0)


def batchnorm_backward_no_stats(dout, cache):
    """generic (the first attempt in most course write-ups): dx = dout * gamma / std,
    treating mean and variance as constants."""
    x, gamma, mu, var, std, xhat = cache
    return dout * gamma / std, np.sum(dout * xhat, axis=0), dout.sum(axis=0)


def batchnorm_backward_unbiased(dout, cache):
    """generic: the backward differentiates the unbiased variance (1/(N-1)) while the
    forward normalises by the biased one (np.var)."""
    x, gamma, mu, var, std, xhat = cache
    n = x.shape[0]
    dxhat = dout * gamma
    dvar = np.sum(dxhat * (x - mu) * -0.5 * std**-3, axis=0)
    dmu = np.sum(-dxhat / std, axis=0)
    dx = dxhat / std + dvar * 2.0 * (x - mu) / (n - 1) + dmu / n
    return dx, np.sum(dout * xhat, axis=0), dout.sum(axis=0)


def layernorm_backward_batch_axes(dout, cache):
    """The assignment's hint "copy your batch norm": the reductions left on axis 0 (the
    batch) instead of axis 1 (the features); cf. flagos-ai/FlagGems#5392 (layer norm
    backward reducing over the wrong extent)."""
    x, gamma, std, xhat = cache
    n = x.shape[0]
    dxhat = dout * gamma
    dx = (n * dxhat - dxhat.sum(axis=0, keepdims=True)
          - xhat * np.sum(dxhat * xhat, axis=0, keepdims=True)) / (n * std)
    return dx, np.sum(dout * xhat, axis=0), dout.sum(axis=0)


def spatial_batchnorm_backward_no_transpose(dout, cache):
    """generic (a classic in spatial batch norm): ``dout.reshape(-1, C)`` without moving the
    channel axis last, so the batch-norm backward mixes channels and positions."""
    (n, c, h, w), bn_cache = cache
    dx, dgamma, dbeta = C.batchnorm_backward_alt(dout.reshape(-1, c), bn_cache)
    return dx.reshape(n, c, h, w), dgamma, dbeta


def groupnorm_backward_no_group_mean(dout, cache):
    """generic: group norm's dx without the two mean terms (xhat treated as x/std)."""
    groups, gamma, std, xhat = cache
    n = dout.shape[0]
    dx = (dout * gamma).reshape(n, groups, -1) / std
    return (dx.reshape(dout.shape), np.sum(dout * xhat, axis=(0, 2, 3), keepdims=True),
            np.sum(dout, axis=(0, 2, 3), keepdims=True))


# ---------------------------------------------------------------- conv, pooling


def conv_backward_pad_slice(dout, cache):
    """0809zheng/CS231n-assignment2019 layers.py: ``dx = dx_pad[:, :, pad:-pad, pad:-pad]``
    is empty when pad = 0."""
    x, w, b, stride, pad = cache
    _, dw, db = C.conv_backward_naive(dout, cache)
    xp_shape = (x.shape[0], x.shape[1], x.shape[2] + 2 * pad, x.shape[3] + 2 * pad)
    dxp = np.zeros(xp_shape)
    dx_full, _, _ = C.conv_backward_naive(dout, cache)
    dxp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]] = dx_full
    return dxp[:, :, pad:-pad, pad:-pad], dw, db


def conv_backward_assign(dout, cache):
    """generic (the pooling solution's mistake carried to conv): ``dx_pad[window] = ...``
    instead of ``+=``, so overlapping windows overwrite each other."""
    x, w, b, stride, pad = cache
    f, _, hh, ww = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp = np.zeros_like(xp)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            sl = (slice(None), slice(None), slice(i * stride, i * stride + hh),
                  slice(j * stride, j * stride + ww))
            dxp[sl] = np.tensordot(dout[:, :, i, j], w, axes=([1], [0]))
    _, dw, db = C.conv_backward_naive(dout, cache)
    return dxp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]], dw, db


def conv_backward_first_sample_dw(dout, cache):
    """cf. vaibhavnaagar/cnn#1 ("missing np.sum before adding" in the kernel gradient):
    dw from example 0 only, the batch sum forgotten."""
    x, w, b, stride, pad = cache
    dx, _, db = C.conv_backward_naive(dout, cache)
    _, dw, _ = C.conv_backward_naive(dout[:1], (x[:1], w, b, stride, pad))
    return dx, dw, db


def conv_backward_channel_index(dout, cache):
    """NervanaSystems/neon#111: the input gradient written to channel ``m`` (the filter
    index) instead of ``d`` (the input channel) -- here with as many filters as channels,
    so the shapes agree: dx[:, c] receives filter c's whole contribution summed over its
    channels."""
    x, w, b, stride, pad = cache
    f, c, hh, ww = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp = np.zeros_like(xp)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            hs, ws = slice(i * stride, i * stride + hh), slice(j * stride, j * stride + ww)
            for m in range(f):
                dxp[:, m, hs, ws] += (dout[:, m, i, j][:, None, None, None] * w[m]).sum(axis=1)
    _, dw, db = C.conv_backward_naive(dout, cache)
    return dxp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]], dw, db


def max_pool_backward_assign(dout, cache):
    """0809zheng/CS231n-assignment2019 layers.py: ``dx[...] = dout[n, c, i, j]`` -- with
    overlapping windows (stride < size) a maximum shared by two windows keeps only the
    last window's gradient."""
    x, size, stride = cache
    dx = np.zeros_like(x)
    n, c, ho, wo = dout.shape
    for a in range(n):
        for k in range(c):
            for i in range(ho):
                for j in range(wo):
                    win = x[a, k, i * stride:i * stride + size, j * stride:j * stride + size]
                    r, s = np.unravel_index(np.argmax(win), win.shape)
                    dx[a, k, i * stride + r, j * stride + s] = dout[a, k, i, j]
    return dx


def max_pool_backward_where_int(dout, cache):
    """0809zheng/CS231n-assignment2019 layers.py: ``row, col = np.where(win == win.max())``
    then ``int(row)``: fails on a window with a tied maximum (``row`` has two entries; the
    solution's ``int(row)`` is written ``row.item()`` here, same failure, no deprecation)."""
    x, size, stride = cache
    dx = np.zeros_like(x)
    n, c, ho, wo = dout.shape
    for a in range(n):
        for k in range(c):
            for i in range(ho):
                for j in range(wo):
                    win = x[a, k, i * stride:i * stride + size, j * stride:j * stride + size]
                    row, col = np.where(win == np.max(win))
                    dx[a, k, i * stride + row.item(), j * stride + col.item()] = dout[a, k, i, j]
    return dx


def max_pool_backward_all_ties(dout, cache):
    """Theano/Theano#5404, behaviour 1 (old Caffe, Theano CPU): every element equal to the
    window maximum gets the whole gradient -- not a subgradient when there is a tie."""
    x, size, stride = cache
    dx = np.zeros_like(x)
    n, c, ho, wo = dout.shape
    for i in range(ho):
        for j in range(wo):
            sl = (slice(None), slice(None), slice(i * stride, i * stride + size),
                  slice(j * stride, j * stride + size))
            win = x[sl]
            hit = win == win.max(axis=(2, 3), keepdims=True)
            dx[sl] += hit * dout[:, :, i, j][:, :, None, None]
    return dx


def max_backward_isclose(dout, cache):
    """mni-ml/framework PR #22 review: the max mask built with ``is_close`` (|a - b| < 1e-2)
    routes gradient to non-maximal elements within 1e-2 of the maximum."""
    x = cache
    hit = np.abs(x - x.max(axis=1, keepdims=True)) < 1e-2
    return dout[:, None] * hit


def max_backward_split_near_tie(dout, cache):
    """issue 8, input 2 (second part): top values 1e-9 apart, gradient split between them."""
    x = cache
    hit = np.abs(x - x.max(axis=1, keepdims=True)) < 1e-6
    return dout[:, None] * hit / hit.sum(axis=1, keepdims=True)


# ---------------------------------------------------------------- losses


def svm_loss_assign_count(x, y):
    """bruceoutdoors/CS231n#5: ``X_mask[arange, y] = -incorrect_counts`` (the correct-class
    entries were not zeroed, so ``=`` must be ``-=``): the label column is off by one."""
    n = x.shape[0]
    correct = x[np.arange(n), y]
    margins = np.maximum(0, x - correct[:, None] + 1.0)
    loss = (np.sum(margins) - n) / n
    mask = (margins > 0).astype(float)
    mask[np.arange(n), y] = -mask.sum(axis=1)
    return loss, mask / n


def linear_svm_reg_half(W, X, y, reg):
    """bruceoutdoors/CS231n#9: regulariser ``reg * sum(W^2)`` but gradient ``reg * W``."""
    loss, dW = C.linear_svm_loss(W, X, y, reg)
    return loss, dW - reg * W


def softmax_ce_missing_mean(z, y_onehot):
    """Stack Overflow question mirrored at z.id.vn/?p=348969: the cost is divided by
    ``len(y)`` but the gradient is ``s - y`` (factor 1/len(y) missing)."""
    loss, d = C.softmax_ce_vector(z, y_onehot)
    return loss, d * len(y_onehot)


def softmax_loss_sign(x, y):
    """generic: dx = onehot(y) - p (gradient of the log-likelihood, not of the loss)."""
    loss, dx = C.softmax_loss(x, y)
    return loss, -dx


def softmax_loss_unshifted_backward(x, y):
    """generic (cs231n notes, "practical issues: numeric stability"): the forward shifts by
    the max, the backward recomputes exp(x) unshifted -- inf/inf = nan at logits ~1e3."""
    loss, _ = C.softmax_loss(x, y)
    n = x.shape[0]
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(x)
        p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(n), y] -= 1
    return loss, p / n


def temporal_softmax_loss_no_mask_in_dx(x, y, mask):
    """generic: the mask applied to the loss but not to dx."""
    loss, _ = C.temporal_softmax_loss(x, y, mask)
    _, dx = C.temporal_softmax_loss(x, y, np.ones_like(mask))
    return loss, dx


# ---------------------------------------------------------------- recurrent


def rnn_step_backward_divide(dnext_h, cache):
    """oreilly-japan/deep-learning-from-scratch-2#26 proposes ``dt = dh_next / (1 - h^2)``
    instead of ``dh_next * (1 - h^2)`` (the book's code is right; the proposal is not)."""
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h / (1 - next_h**2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(axis=0)


def rnn_backward_no_carry(dh, caches):
    """The question in Halfish/cs231n#4 ("why is dnext_h = dh[:, t] + dprev_h?"): feeding
    only ``dh[:, t]`` drops the gradient carried back from later steps."""
    n, t, _ = dh.shape
    dx = np.zeros((n, t, caches[0][0].shape[1]))
    dWx = dWh = db = 0
    dprev = None
    for s in reversed(range(t)):
        dxs, dprev, dWxs, dWhs, dbs = C.rnn_step_backward(dh[:, s], caches[s])
        dx[:, s] = dxs
        dWx, dWh, db = dWx + dWxs, dWh + dWhs, db + dbs
    return dx, dprev, dWx, dWh, db


def _lstm_pieces(cache):
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
    return x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c, np.tanh(next_c)


def _lstm_finish(da, cache, dprev_c):
    x, prev_h, prev_c, Wx, Wh = cache[:5]
    return da @ Wx.T, da @ Wh.T, dprev_c, x.T @ da, prev_h.T @ da, da.sum(axis=0)


def lstm_step_backward_overwrite_dc(dnext_h, dnext_c, cache):
    """apache/mxnet#4057: ``dc = dh * o * (1 - tanh(c)^2)`` overwrites the incoming
    ``dnext_c`` instead of adding to it."""
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, c, tc = _lstm_pieces(cache)
    dc = dnext_h * o * (1 - tc**2)
    da = np.hstack([dc * g * i * (1 - i), dc * prev_c * f * (1 - f),
                    dnext_h * tc * o * (1 - o), dc * i * (1 - g**2)])
    return _lstm_finish(da, cache, dc * f)


def lstm_step_backward_forget_no_h_path(dnext_h, dnext_c, cache):
    """nicklashansen/rnn_lstm_from_scratch#1: the forget gate's gradient uses only the
    incoming cell gradient, not the path through next_h = o tanh(c)."""
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, c, tc = _lstm_pieces(cache)
    dc = dnext_c + dnext_h * o * (1 - tc**2)
    da = np.hstack([dc * g * i * (1 - i), dnext_c * prev_c * f * (1 - f),
                    dnext_h * tc * o * (1 - o), dc * i * (1 - g**2)])
    return _lstm_finish(da, cache, dc * f)


def lstm_step_backward_sigmoid_not_derivative(dnext_h, dnext_c, cache):
    """CaptainE/RNN-LSTM-in-numpy#1: ``df = sigmoid(f) * df`` -- the sigmoid applied again
    to the gate instead of its derivative f (1 - f)."""
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, c, tc = _lstm_pieces(cache)
    dc = dnext_c + dnext_h * o * (1 - tc**2)
    da = np.hstack([dc * g * i * (1 - i), dc * prev_c * C.sigmoid(f),
                    dnext_h * tc * o * (1 - o), dc * i * (1 - g**2)])
    return _lstm_finish(da, cache, dc * f)


def lstm_step_backward_bias_copy_paste(dnext_h, dnext_c, cache):
    """hanbt/learn_dl#53: ``bi_grad = delta_f``, ``bo_grad = delta_f`` -- the input- and
    output-gate bias gradients copied from the forget gate."""
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, c, tc = _lstm_pieces(cache)
    dc = dnext_c + dnext_h * o * (1 - tc**2)
    da = np.hstack([dc * g * i * (1 - i), dc * prev_c * f * (1 - f),
                    dnext_h * tc * o * (1 - o), dc * i * (1 - g**2)])
    dx, dh, dpc, dWx, dWh, db = _lstm_finish(da, cache, dc * f)
    H = prev_h.shape[1]
    db = db.copy()
    db[:H] = db[H:2 * H]
    db[2 * H:3 * H] = db[H:2 * H]
    return dx, dh, dpc, dWx, dWh, db


def lstm_step_backward_tanh_of_h(dnext_h, dnext_c, cache):
    """generic: tanh'(c) written as ``1 - next_h**2`` (next_h = o tanh c, not tanh c)."""
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, c, tc = _lstm_pieces(cache)
    next_h = o * tc
    dc = dnext_c + dnext_h * o * (1 - next_h**2)
    da = np.hstack([dc * g * i * (1 - i), dc * prev_c * f * (1 - f),
                    dnext_h * tc * o * (1 - o), dc * i * (1 - g**2)])
    return _lstm_finish(da, cache, dc * f)


def word_embedding_backward_fancy_add(dout, cache):
    """karpathy/nn-zero-to-hero#57: ``dC[Xb[k]] += demb[k]`` -- buffered fancy-index ``+=``
    keeps one update per repeated index instead of summing them (np.add.at needed)."""
    x, W = cache
    dW = np.zeros_like(W)
    dW[x] += dout
    return dW
