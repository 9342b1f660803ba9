"""Correct course-style layers (cs231n assignment shapes: batch first), re-written from
public solutions; each function names the file it follows.

Main source: github.com/0809zheng/CS231n-assignment2019, ``assignment2/cs231n/layers.py``
(commit bfc81c1989e7) and ``assignment3/cs231n/rnn_layers.py`` (commit 3f5c85398663);
the losses and temporal layers are the course's own staff code shipped in those files.
Forward: ``f(*inputs) -> (out, cache)``; backward: ``f_backward(dout, cache) -> grads``.
"""

from __future__ import annotations

import numpy as np

# ---------------------------------------------------------------- dense, relu, dropout


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    # the solution's own words: dx = dout; dx[x <= 0] = 0  (writes into dout)
    dx = dout
    dx[cache <= 0] = 0
    return dx


def relu_backward_mask(dout, cache):
    # dx = dout * (x > 0), as quoted from cs231n in exacity/deeplearningbook-chinese#127
    return dout * (cache > 0)


def relu_backward_dlfs(dout, cache):
    """oreilly-japan/deep-learning-from-scratch common/layers.py ``Relu.backward`` (copy
    read: KIE-KID/Deep-kid-youngmi common/layers.py): ``dout[self.mask] = 0; dx = dout``."""
    dout[cache <= 0] = 0
    return dout


def dropout_forward(x, p, seed):
    # inverted dropout; p = probability of keeping a unit (course convention)
    mask = (np.random.default_rng(seed).random(x.shape) < p) / p
    return x * mask, mask


def dropout_backward(dout, cache):
    return dout * cache


def sigmoid_forward(x):
    s = sigmoid(x)
    return s, s


def sigmoid_backward(dout, cache):
    """dx = dout * s (1 - s) from the cached output (the course's hint)."""
    return dout * cache * (1 - cache)


def logistic_propagate(w, b, X, Y):
    """Coursera "Neural Networks and Deep Learning", week 2 ``propagate`` (one example per
    column): A = sigmoid(w^T X + b), cross-entropy cost, dw = X (A - Y)^T / m,
    db = sum(A - Y) / m. Returns (cost, (dw, db))."""
    m = X.shape[1]
    A = 1 / (1 + np.exp(-(w.T @ X + b)))
    cost = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m
    dz = np.real(A) - Y
    return cost, (X @ dz.T / m, np.sum(dz) / m)


def three_layer_cost(X, Y, W1, b1, W2, b2, W3, b3, bugs=False):
    """Coursera "Improving Deep Neural Networks", week 1 "Gradient Checking":
    LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID, logistic cost, columns are
    examples. ``bugs=True`` plants the assignment's own two mistakes (dW2 * 2, db1 * 4/m),
    as quoted in bighuang624/Andrew-Ng-Deep-Learning-notes#10."""
    m = X.shape[1]
    Z1 = W1 @ X + b1
    A1 = np.maximum(0, Z1)
    Z2 = W2 @ A1 + b2
    A2 = np.maximum(0, Z2)
    Z3 = W3 @ A2 + b3
    A3 = 1 / (1 + np.exp(-Z3))
    cost = np.sum(-Y * np.log(A3) - (1 - Y) * np.log(1 - A3)) / m
    if np.iscomplexobj(cost):
        return cost, None
    dZ3 = A3 - Y
    dW3, db3 = dZ3 @ A2.T / m, dZ3.sum(axis=1, keepdims=True) / m
    dZ2 = (W3.T @ dZ3) * (A2 > 0)
    dW2, db2 = dZ2 @ A1.T / m * (2 if bugs else 1), dZ2.sum(axis=1, keepdims=True) / m
    dZ1 = (W2.T @ dZ2) * (A1 > 0)
    dW1 = dZ1 @ X.T / m
    db1 = dZ1.sum(axis=1, keepdims=True) * ((4 if bugs else 1) / m)
    return cost, (dW1, db1, dW2, db2, dW3, db3)


# ---------------------------------------------------------------- normalisation


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    std = np.sqrt(var + eps)
    xhat = (x - mu) / std
    return gamma * xhat + beta, (x, gamma, mu, var, std, xhat)


def batchnorm_backward(dout, cache):
    """Staged chain rule through mean and variance (the solution's ``batchnorm_backward``)."""
    x, gamma, mu, var, std, xhat = cache
    n = x.shape[0]
    dxhat = dout * gamma
    dvar = np.sum(dxhat * (x - mu) * -0.5 * std**-3, axis=0)
    dmu = np.sum(-dxhat / std, axis=0) + dvar * np.mean(-2.0 * (x - mu), axis=0)
    dx = dxhat / std + dvar * 2.0 * (x - mu) / n + dmu / n
    return dx, np.sum(dout * xhat, axis=0), dout.sum(axis=0)


def batchnorm_backward_alt(dout, cache):
    """The simplified one-line form (``batchnorm_backward_alt``)."""
    x, gamma, mu, var, std, xhat = cache
    n = x.shape[0]
    dxhat = dout * gamma
    dx = (n * dxhat - dxhat.sum(axis=0) - xhat * np.sum(dxhat * xhat, axis=0)) / (n * std)
    return dx, np.sum(dout * xhat, axis=0), dout.sum(axis=0)


def batchnorm_backward_no_mean_var_term(dout, cache):
    """mlpack's batch-norm Backward() before PR #2474 left out the dmu term coming through
    the variance, ``dvar * mean(-2 (x - mu))``; that term is zero (the centred data sums
    to 0), so the gradient is still right (mlpack/mlpack#2474 review, iamshnoo's note)."""
    x, gamma, mu, var, std, xhat = cache
    n = x.shape[0]
    dxhat = dout * gamma
    dvar = np.sum(dxhat * (x - mu) * -0.5 * std**-3, axis=0)
    dmu = np.sum(-dxhat / std, axis=0)
    dx = dxhat / std + dvar * 2.0 * (x - mu) / n + dmu / n
    return dx, np.sum(dout * xhat, axis=0), dout.sum(axis=0)


def batchnorm_backward_reddit(dout, cache):
    """r/cs231n thread hx87z3 ("Batchnorm W1,2 gradient error 1e0 but ~e-8 when using
    batchnorm_backward_alt"): the poster's backward sums ``-2 (x - mu)`` over *all* axes
    (no ``axis=0``). That sum is zero up to rounding either way, so the layer is right
    (the thread's 1e0 error came from elsewhere)."""
    x, gamma, mu, var, std, xhat = cache
    n = x.shape[0]
    inv = 1.0 / std
    dnorm = dout * gamma
    dvar = np.sum(dnorm * (x - mu) * -0.5 * (var + 1e-5) ** -1.5, axis=0, keepdims=True)
    dmu = np.sum(dnorm * -inv, axis=0, keepdims=True) + dvar * (np.sum(-2.0 * (x - mu)) / n)
    dx = dnorm * inv + dvar * (2.0 / n) * (x - mu) + dmu / n
    return dx, np.sum(dout * xhat, axis=0), dout.sum(axis=0)


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    std = np.sqrt(var + eps)
    xhat = (x - mu) / std
    return gamma * xhat + beta, (x, gamma, std, xhat)


def layernorm_backward(dout, cache):
    x, gamma, std, xhat = cache
    d = x.shape[1]
    dxhat = dout * gamma
    dx = (d * dxhat - dxhat.sum(axis=1, keepdims=True)
          - xhat * np.sum(dxhat * xhat, axis=1, keepdims=True)) / (d * std)
    return dx, np.sum(dout * xhat, axis=0), dout.sum(axis=0)


def spatial_batchnorm_forward(x, gamma, beta):
    n, c, h, w = x.shape
    flat = x.transpose(0, 2, 3, 1).reshape(-1, c)
    out, cache = batchnorm_forward(flat, gamma, beta)
    return out.reshape(n, h, w, c).transpose(0, 3, 1, 2), (x.shape, cache)


def spatial_batchnorm_backward(dout, cache):
    (n, c, h, w), bn_cache = cache
    flat = dout.transpose(0, 2, 3, 1).reshape(-1, c)
    dx, dgamma, dbeta = batchnorm_backward_alt(flat, bn_cache)
    return dx.reshape(n, h, w, c).transpose(0, 3, 1, 2), dgamma, dbeta


def groupnorm_forward(x, gamma, beta, groups, eps=1e-5):
    """gamma, beta of shape (1, C, 1, 1) as in the course's notebook."""
    n, c, h, w = x.shape
    xg = x.reshape(n, groups, -1)
    mu = xg.mean(axis=2, keepdims=True)
    std = np.sqrt(xg.var(axis=2, keepdims=True) + eps)
    xhat = ((xg - mu) / std).reshape(x.shape)
    return gamma * xhat + beta, (groups, gamma, std, xhat)


def groupnorm_backward(dout, cache):
    groups, gamma, std, xhat = cache
    n, c, h, w = dout.shape
    dgamma = np.sum(dout * xhat, axis=(0, 2, 3), keepdims=True)
    dbeta = np.sum(dout, axis=(0, 2, 3), keepdims=True)
    dxhat = (dout * gamma).reshape(n, groups, -1)
    xh = xhat.reshape(n, groups, -1)
    m = xh.shape[2]
    dx = (m * dxhat - dxhat.sum(axis=2, keepdims=True)
          - xh * np.sum(dxhat * xh, axis=2, keepdims=True)) / (m * std)
    return dx.reshape(dout.shape), dgamma, dbeta


# ---------------------------------------------------------------- convolution, pooling


def conv_forward_naive(x, w, b, stride, pad):
    n, c, h, wd = x.shape
    f, _, hh, ww = w.shape
    ho = 1 + (h + 2 * pad - hh) // stride
    wo = 1 + (wd + 2 * pad - ww) // stride
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((n, f, ho, wo), dtype=np.result_type(x, w, b))
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out, (x, w, b, stride, pad)


def conv_backward_naive(dout, cache):
    x, w, b, stride, pad = cache
    f, _, hh, ww = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            sl = (slice(None), slice(None), slice(i * stride, i * stride + hh),
                  slice(j * stride, j * stride + ww))
            dw += np.tensordot(dout[:, :, i, j], xp[sl], axes=([0], [0]))
            dxp[sl] += np.tensordot(dout[:, :, i, j], w, axes=([1], [0]))
    h, wd = x.shape[2:]
    return dxp[:, :, pad:pad + h, pad:pad + wd], dw, dout.sum(axis=(0, 2, 3))


def max_pool_forward_naive(x, size, stride):
    n, c, h, w = x.shape
    ho, wo = 1 + (h - size) // stride, 1 + (w - size) // stride
    out = np.zeros((n, c, ho, wo), dtype=x.dtype)
    for i in range(ho):
        for j in range(wo):
            out[:, :, i, j] = x[:, :, i * stride:i * stride + size,
                                j * stride:j * stride + size].max(axis=(2, 3))
    return out, (x, size, stride)


def max_pool_backward_naive(dout, cache):
    """Gradient to the first maximum of each window (a subgradient at ties), accumulated
    with ``+=`` so overlapping windows add up."""
    x, size, stride = cache
    dx = np.zeros_like(x)
    n, c, ho, wo = dout.shape
    for a in range(n):
        for k in range(c):
            for i in range(ho):
                for j in range(wo):
                    win = x[a, k, i * stride:i * stride + size, j * stride:j * stride + size]
                    r, s = np.unravel_index(np.argmax(win), win.shape)
                    dx[a, k, i * stride + r, j * stride + s] += dout[a, k, i, j]
    return dx


def max_forward(x):
    """Row max, ``tf.reduce_max``-style (tensorflow/tensorflow#4886)."""
    return x.max(axis=1), x


def max_backward_split(dout, cache):
    """TF reduce_max's rule: ties share the gradient equally (0, 1/3, 1/3, 1/3 in #4886)."""
    x = cache
    hit = x == x.max(axis=1, keepdims=True)
    return dout[:, None] * hit / hit.sum(axis=1, keepdims=True)


# ---------------------------------------------------------------- losses (course staff code)


def svm_loss(x, y):
    n = x.shape[0]
    correct = x[np.arange(n), y]
    margins = np.maximum(0, x - correct[:, None] + 1.0)
    margins[np.arange(n), y] = 0
    loss = np.sum(margins) / n
    pos = (margins > 0).astype(float)
    dx = pos.copy()
    dx[np.arange(n), y] -= pos.sum(axis=1)
    return loss, np.real(dx) / n


def softmax_loss(x, y):
    shifted = x - np.max(x, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    n = x.shape[0]
    loss = -np.sum(log_probs[np.arange(n), y]) / n
    dx = np.exp(log_probs)
    dx[np.arange(n), y] -= 1
    return loss, dx / n


def linear_svm_loss(W, X, y, reg):
    """Assignment-1 ``svm_loss_vectorized``: scores X W, hinge, L2 ``reg * sum(W^2)``."""
    n = X.shape[0]
    scores = X @ W
    correct = scores[np.arange(n), y]
    margins = np.maximum(0, scores - correct[:, None] + 1.0)
    margins[np.arange(n), y] = 0
    loss = margins.sum() / n + reg * np.sum(W * W)
    mask = (margins > 0).astype(float)
    mask[np.arange(n), y] -= mask.sum(axis=1)
    dW = X.T @ mask / n + 2 * reg * W
    return loss, dW


def softmax_ce_vector(z, y_onehot):
    """Stack Overflow (mirrored at z.id.vn/?p=348969): cost = -sum(y log softmax(z)) / len(y)."""
    e = np.exp(z - np.max(z))
    s = e / e.sum()
    cost = -np.sum(y_onehot * np.log(s)) / len(y_onehot)
    return cost, (np.real(s) - y_onehot) / len(y_onehot)


# ---------------------------------------------------------------- recurrent (assignment 3)


def sigmoid(x):
    """The course's "numerically stable" sigmoid (masks on the sign of x)."""
    pos = x >= 0
    z = np.zeros_like(x)
    z[pos] = np.exp(-x[pos])
    z[~pos] = np.exp(x[~pos])
    top = np.ones_like(x)
    top[~pos] = z[~pos]
    return top / (1 + z)


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    a = x @ Wx + prev_h @ Wh + b
    next_h = np.tanh(a)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    da = (1 - next_h**2) * dnext_h
    return da @ Wx.T, da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(axis=0)


def rnn_forward(x, h0, Wx, Wh, b):
    n, t, _ = x.shape
    h = np.zeros((n, t, h0.shape[1]), dtype=np.result_type(x, h0, Wx))
    prev, caches = h0, []
    for s in range(t):
        prev, cache = rnn_step_forward(x[:, s], prev, Wx, Wh, b)
        h[:, s] = prev
        caches.append(cache)
    return h, caches


def rnn_backward(dh, caches):
    n, t, _ = dh.shape
    dx = np.zeros((n, t, caches[0][0].shape[1]))
    dWx, dWh, db = 0, 0, 0
    dprev = np.zeros_like(dh[:, 0])
    for s in reversed(range(t)):
        dxs, dprev, dWxs, dWhs, dbs = rnn_step_backward(dh[:, s] + dprev, caches[s])
        dx[:, s] = dxs
        dWx, dWh, db = dWx + dWxs, dWh + dWhs, db + dbs
    return dx, dprev, dWx, dWh, db


def rnn_forward_with_last(x, h0, Wx, Wh, b):
    """Two outputs of different shapes: all hidden states (N, T, H) and the last (N, H)."""
    h, caches = rnn_forward(x, h0, Wx, Wh, b)
    return (h, h[:, -1]), caches


def rnn_backward_with_last(douts, caches):
    dh, dlast = douts
    dh = dh.copy()
    dh[:, -1] += dlast
    return rnn_backward(dh, caches)


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 2 * H:3 * H])
    g = np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    return (next_h, next_c), (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)


def lstm_step_backward(dnext_h, dnext_c, cache):
    """As in the solution (and cthorey/CS231#1): ``dnext_c +=`` -- updates the caller's
    cotangent array in place; the value is right."""
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
    tc = np.tanh(next_c)
    do = dnext_h * tc
    dnext_c += dnext_h * o * (1 - tc**2)
    df, dprev_c, di, dg = dnext_c * prev_c, dnext_c * f, dnext_c * g, dnext_c * i
    da = np.hstack([di * i * (1 - i), df * f * (1 - f), do * o * (1 - o), dg * (1 - g**2)])
    return da @ Wx.T, da @ Wh.T, dprev_c, x.T @ da, prev_h.T @ da, da.sum(axis=0)


def lstm_forward(x, h0, Wx, Wh, b):
    n, t, _ = x.shape
    H = h0.shape[1]
    h = np.zeros((n, t, H), dtype=np.result_type(x, h0, Wx))
    prev_h, prev_c, caches = h0, np.zeros_like(h0), []
    for s in range(t):
        (prev_h, prev_c), cache = lstm_step_forward(x[:, s], prev_h, prev_c, Wx, Wh, b)
        h[:, s] = prev_h
        caches.append(cache)
    return h, caches


def lstm_backward(dh, caches, step_backward=None):
    step_backward = step_backward or lstm_step_backward
    n, t, H = dh.shape
    dx = np.zeros((n, t, caches[0][0].shape[1]))
    dWx = dWh = db = 0
    dprev_h, dprev_c = np.zeros((n, H)), np.zeros((n, H))
    for s in reversed(range(t)):
        dxs, dprev_h, dprev_c, dWxs, dWhs, dbs = step_backward(
            dh[:, s] + dprev_h, dprev_c, caches[s])
        dx[:, s] = dxs
        dWx, dWh, db = dWx + dWxs, dWh + dWhs, db + dbs
    return dx, dprev_h, dWx, dWh, db


def word_embedding_forward(x, W):
    return W[x], (x, W)


def word_embedding_backward(dout, cache):
    x, W = cache
    dW = np.zeros_like(W)
    np.add.at(dW, x, dout)
    return dW


def temporal_affine_forward(x, w, b):
    n, t, d = x.shape
    return (x.reshape(n * t, d) @ w).reshape(n, t, -1) + b, (x, w, b)


def temporal_affine_backward(dout, cache):
    x, w, b = cache
    n, t, d = x.shape
    m = b.shape[0]
    dx = (dout.reshape(n * t, m) @ w.T).reshape(n, t, d)
    dw = x.reshape(n * t, d).T @ dout.reshape(n * t, m)
    return dx, dw, dout.sum(axis=(0, 1))


def temporal_softmax_loss(x, y, mask):
    n, t, v = x.shape
    xf, yf, mf = x.reshape(n * t, v), y.reshape(n * t), mask.reshape(n * t)
    probs = np.exp(xf - np.max(xf, axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.sum(mf * np.log(probs[np.arange(n * t), yf])) / n
    dx = np.real(probs).copy()
    dx[np.arange(n * t), yf] -= 1
    dx *= mf[:, None] / n
    return loss, dx.reshape(n, t, v)
