"""Course-style (cs231n-shaped) NumPy layers, each with a buggy twin: a test fixture table.

Written here in the style of the public course solutions (batch-first arrays, ``(out,
cache)`` forwards, loops in the naive conv and pool, param dicts), each bug one that
people make in them: a crop ``[pad:-pad]`` that is empty at pad 0, a missing term of the
batch-norm backward, an assignment where repeated indices must accumulate.
"""

from __future__ import annotations

import numpy as np


def affine_forward(x, w, b):
    return x.reshape(x.shape[0], -1) @ w + b, (x, w, b)


def affine_backward(dout, cache, bug=False):
    x, w, b = cache
    db = dout.mean(0) if bug else dout.sum(0)
    return (dout @ w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout, db


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache, bug=False):
    return (cache > 0).astype(float) if bug else dout * (cache > 0)


def batchnorm_forward(x, gamma, beta, bn_param):
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    mu, var = x.mean(0), x.var(0)
    xhat = (x - mu) / np.sqrt(var + eps)
    d = x.shape[1]
    bn_param["running_mean"] = momentum * bn_param.get("running_mean", np.zeros(d)) + (1 - momentum) * mu
    bn_param["running_var"] = momentum * bn_param.get("running_var", np.zeros(d)) + (1 - momentum) * var
    return gamma * xhat + beta, (xhat, gamma, np.sqrt(var + eps))


def batchnorm_backward(dout, cache, bug=False):
    xhat, gamma, std = cache
    dxhat = dout * gamma
    dx = (dxhat - dxhat.mean(0) - (0 if bug else xhat * (dxhat * xhat).mean(0))) / std
    return dx, (dout * xhat).sum(0), dout.sum(0)


def dropout_forward(x, dropout_param):
    p = dropout_param["p"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = (np.random.rand(*x.shape) < p) / p
    return x * mask, (dropout_param, mask)


def dropout_backward(dout, cache, bug=False):
    param, mask = cache
    return dout * (mask * param["p"] ** 2 if bug else mask)


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    Ho, Wo = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    out = np.zeros((N, F, Ho, Wo), dtype=np.result_type(x, w))
    for i in range(Ho):
        for j in range(Wo):
            win = xp[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
            out[:, :, i, j] = np.tensordot(win, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache, bug=False):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    HH, WW = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            sl = (slice(None), slice(None), slice(i * stride, i * stride + HH),
                  slice(j * stride, j * stride + WW))
            dw += np.tensordot(dout[:, :, i, j], xp[sl], axes=([0], [0]))
            dxp[sl] += np.tensordot(dout[:, :, i, j], w, axes=([1], [0]))
    H, W = x.shape[2:]
    dx = dxp[:, :, pad:-pad, pad:-pad] if bug else dxp[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, dout.sum((0, 2, 3))


def max_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    out = np.zeros((N, C, 1 + (H - ph) // s, 1 + (W - pw) // s))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].max((2, 3))
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache, bug=False):
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            win = x[:, :, i * s:i * s + ph, j * s:j * s + pw]
            m = np.ones_like(win) if bug else (win == win.max((2, 3), keepdims=True))
            dx[:, :, i * s:i * s + ph, j * s:j * s + pw] += m * dout[:, :, i, j][:, :, None, None]
    return dx


def svm_loss(x, y, bug=False):
    n = x.shape[0]
    margins = np.maximum(0, x - x[np.arange(n), y][:, None] + 1.0)
    margins[np.arange(n), y] = 0
    dx = (margins > 0).astype(float)
    if not bug:
        dx[np.arange(n), y] -= dx.sum(1)
    return margins.sum() / n, dx / n


def softmax_loss(x, y, bug=False):
    n = x.shape[0]
    shifted = x - x.max(1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    dx = np.exp(log_p)
    dx[np.arange(n), y] -= 1
    return -log_p[np.arange(n), y].mean(), dx if bug else dx / n


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache, bug=False):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - (next_h if bug else next_h ** 2))
    return da @ Wx.T, da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(0)


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    i, f, o, g = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), _sigmoid(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)


def lstm_step_backward(dnext_h, dnext_c, cache, bug=False):
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
    dnext_c += dnext_h * o * (1 - np.tanh(next_c) ** 2)   # in place, as course code does
    dprev_c = dnext_c if bug else dnext_c * f
    da = np.hstack([dnext_c * g * i * (1 - i), dnext_c * prev_c * f * (1 - f),
                    dnext_h * np.tanh(next_c) * o * (1 - o), dnext_c * i * (1 - g ** 2)])
    return da @ Wx.T, da @ Wh.T, dprev_c, x.T @ da, prev_h.T @ da, da.sum(0)


def temporal_affine_forward(x, w, b):
    return x @ w + b, (x, w, b)


def temporal_affine_backward(dout, cache, bug=False):
    x, w, b = cache
    dw = np.einsum("ntd,ntm->dm", x, dout)
    return dout @ w.T, dw, dout.sum((0, 1)) / (x.shape[0] if bug else 1)


def temporal_softmax_loss(x, y, mask, bug=False):
    N, T, V = x.shape
    xf, yf, mf = x.reshape(N * T, V), y.reshape(N * T), mask.reshape(N * T)
    p = np.exp(xf - xf.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    loss = -np.sum(mf * np.log(p[np.arange(N * T), yf])) / N
    dx = p.copy()
    dx[np.arange(N * T), yf] -= 1
    dx = dx / N * (1 if bug else mf[:, None])
    return loss, dx.reshape(N, T, V)


def word_embedding_forward(x, W):
    return W[x], (x, W)


def word_embedding_backward(dout, cache, bug=False):
    x, W = cache
    dW = np.zeros_like(W)
    if bug:
        dW[x] = dout            # repeated words overwrite instead of accumulating
    else:
        np.add.at(dW, x, dout)
    return dW


def _buggy(backward):
    return lambda *args: backward(*args, bug=True)


def _n(r, *shape):
    return r.standard_normal(shape)


# name, kind ("cache" or "value"), forward or fn, backward, make(rng) -> inputs, params
LAYERS = [
    ("affine", "cache", affine_forward, affine_backward,
     lambda r: [_n(r, 3, 2, 3), _n(r, 6, 4), _n(r, 4)], ()),
    ("relu", "cache", relu_forward, relu_backward, lambda r: [_n(r, 3, 4)], ()),
    ("batchnorm", "cache", batchnorm_forward, batchnorm_backward,
     lambda r: [_n(r, 4, 3), _n(r, 3), _n(r, 3)], ({"mode": "train"},)),
    ("dropout", "cache", dropout_forward, dropout_backward,
     lambda r: [_n(r, 4, 5)], ({"mode": "train", "p": 0.6, "seed": 3},)),
    ("conv_naive pad 0", "cache", conv_forward_naive, conv_backward_naive,
     lambda r: [_n(r, 2, 2, 4, 4), _n(r, 2, 2, 3, 3), _n(r, 2)], ({"stride": 1, "pad": 0},)),
    ("max_pool_naive", "cache", max_pool_forward_naive, max_pool_backward_naive,
     lambda r: [_n(r, 2, 2, 4, 4)], ({"pool_height": 2, "pool_width": 2, "stride": 2},)),
    ("svm_loss", "value", svm_loss, None, lambda r: [_n(r, 5, 4), r.integers(0, 4, 5)], ()),
    ("softmax_loss", "value", softmax_loss, None,
     lambda r: [_n(r, 5, 4), r.integers(0, 4, 5)], ()),
    ("rnn_step", "cache", rnn_step_forward, rnn_step_backward,
     lambda r: [_n(r, 3, 4), _n(r, 3, 5), _n(r, 4, 5), _n(r, 5, 5), _n(r, 5)], ()),
    ("lstm_step", "cache", lstm_step_forward, lstm_step_backward,
     lambda r: [_n(r, 3, 4), _n(r, 3, 5), _n(r, 3, 5), _n(r, 4, 20), _n(r, 5, 20), _n(r, 20)],
     ()),
    ("temporal_affine", "cache", temporal_affine_forward, temporal_affine_backward,
     lambda r: [_n(r, 2, 3, 4), _n(r, 4, 5), _n(r, 5)], ()),
    ("temporal_softmax_loss", "value", temporal_softmax_loss, None,
     lambda r: [_n(r, 2, 3, 5), r.integers(0, 5, (2, 3)), np.array([[1, 1, 0], [1, 0, 0]])],
     ()),
    ("word_embedding", "cache", word_embedding_forward, word_embedding_backward,
     lambda r: [np.array([[0, 2, 0], [1, 2, 2]]), _n(r, 4, 3)], ()),
]
