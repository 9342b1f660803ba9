"""A zoo of hand-written layers, each with its correct backward and buggy twins.

Used only by the tests of :mod:`numeric.gradcheck` and by ``bench/bench_gradcheck.py``.
Every layer is ``forward(*inputs)`` / ``backward(g, *inputs) -> tuple`` in the package's
layout (one example per column); ``draw(rng)`` returns float64 inputs of random shapes
(integer inputs for indices and labels, whose gradient is ``None``). Each bug is a
mistake people make: sign, transposed dW (square and non-square), bias from one sample,
a missing term, a factor 2, softmax with only the diagonal of its Jacobian, a relative
error of 1e-3, zeroed or clipped gradients in saturated regions, gradients routed to the
wrong element, duplicate indices overwritten instead of summed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

__all__ = ["BUGS", "CASES", "Case"]


@dataclass(frozen=True)
class Case:
    name: str
    names: tuple
    draw: Callable          # rng -> tuple of inputs
    forward: Callable
    backward: Callable      # the correct one
    bugs: dict = field(default_factory=dict)   # bug name -> buggy backward

    def __repr__(self):
        return f"Case({self.name!r})"


def _sizes(rng, lo=2, hi=6):
    return int(rng.integers(lo, hi + 1))


def _nonsquare(rng):
    n = _sizes(rng)
    m = n + int(rng.integers(1, 3))
    return (n, m) if rng.random() < 0.5 else (m, n)


# ---------------------------------------------------------------- dense


def _dense(x, W, b):
    return W @ x + b[:, None]


def _dense_back(g, x, W, b):
    return W.T @ g, g @ x.T, g.sum(axis=1)


def _draw_dense(rng, square=False):
    n, m = (_sizes(rng),) * 2 if square else _nonsquare(rng)
    N = _sizes(rng)
    return rng.standard_normal((n, N)), rng.standard_normal((m, n)), rng.standard_normal(m)


# ---------------------------------------------------------------- activations


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def _draw_z(rng, saturated=False):
    z = rng.standard_normal((_sizes(rng), _sizes(rng)))
    if saturated:  # every other entry pushed out to |z| in [25, 31]
        flat = z.reshape(-1)
        flat[::2] = np.sign(flat[::2]) * rng.uniform(25, 31, flat[::2].size)
    return (z,)


def _draw_relu(rng):
    (z,) = _draw_z(rng)
    z.reshape(-1)[::3] = 0.0  # exactly at the kink
    z[-1, -1] = -abs(z[-1, -1]) - 0.1  # at least one negative entry
    return (z,)


# ---------------------------------------------------------------- softmax family


def _softmax(z):
    e = np.exp(z - z.max(axis=0))
    return e / e.sum(axis=0)


def _log_softmax(z):
    s = z - z.max(axis=0)
    return s - np.log(np.exp(s).sum(axis=0))


def _nll(z, y):
    N = z.shape[1]
    return -_log_softmax(z)[y, np.arange(N)].sum() / N


def _nll_back(g, z, y, scale=True):
    N = z.shape[1]
    d = _softmax(z)
    d[y, np.arange(N)] -= 1.0
    return g * d / (N if scale else 1), None


def _draw_labels(rng):
    k, N = _sizes(rng), _sizes(rng)
    return rng.standard_normal((k, N)), rng.integers(0, k, N)


# ---------------------------------------------------------------- output/loss pairs


def _bce(z, y):
    log_a = -np.log1p(np.exp(-z))
    log_1ma = -z - np.log1p(np.exp(-z))
    return -(y * log_a + (1 - y) * log_1ma).sum() / z.shape[1]


def _bce_back(g, z, y, N=None):
    N = z.shape[1] if N is None else N
    return g * (_sig(z) - y) / N, -g * z / z.shape[1]


def _draw_pair(rng):
    shape = (_sizes(rng), _sizes(rng))
    return rng.standard_normal(shape), rng.uniform(0.05, 0.95, shape)


def _mse(a, y):
    return ((a - y) ** 2).sum() / (2 * a.shape[1])


def _l1(a, y):  # np.abs: not complex-safe, so the checker falls back to real differences
    return np.abs(a - y).sum() / a.shape[1]


# ---------------------------------------------------------------- normalisation


def _norm(x, axis):
    xc = x - x.mean(axis=axis, keepdims=True)
    r = 1.0 / np.sqrt((xc * xc).mean(axis=axis, keepdims=True) + 1e-5)
    return xc * r, r


def _ln(x, gamma, beta, axis=0):
    xh, _ = _norm(x, axis)
    return gamma[:, None] * xh + beta[:, None]


def _ln_back(g, x, gamma, beta, axis=0, mean_term=True, var_term=True):
    xh, r = _norm(x, axis)
    dxh = g * gamma[:, None]
    dx = dxh
    if mean_term:
        dx = dx - dxh.mean(axis=axis, keepdims=True)
    if var_term:
        dx = dx - xh * (dxh * xh).mean(axis=axis, keepdims=True)
    return r * dx, (g * xh).sum(axis=1), g.sum(axis=1)


def _bn(x, gamma, beta):
    return _ln(x, gamma, beta, axis=1)


def _draw_norm(rng):
    n, N = _sizes(rng, 3, 6), _sizes(rng, 3, 6)
    return (rng.standard_normal((n, N)) * 2 + 1, rng.standard_normal(n) + 1,
            rng.standard_normal(n))


# ---------------------------------------------------------------- convolution, pooling


def _conv(x, w):
    K, L = w.size, x.shape[0]
    return sum(w[k] * x[k:L - K + 1 + k] for k in range(K))


def _conv_back(g, x, w, flip_dw=False, flip_dx=False):
    K, L = w.size, x.shape[0]
    dw = np.array([(g * x[k:L - K + 1 + k]).sum() for k in range(K)])
    dx = np.zeros_like(x)
    for k in range(K):
        dx[k:L - K + 1 + k] += w[K - 1 - k if flip_dx else k] * g
    return dx, dw[::-1] if flip_dw else dw


def _draw_conv(rng):
    K = _sizes(rng, 2, 4)
    return rng.standard_normal((K + _sizes(rng), _sizes(rng))), rng.standard_normal(K)


def _pool(x):
    return x.reshape(x.shape[0] // 2, 2, x.shape[1]).max(axis=1)


def _pool_back(g, x, how="argmax"):
    P, N = g.shape
    xr = x.reshape(P, 2, N)
    d = np.zeros_like(xr)
    if how == "argmax":
        np.put_along_axis(d, xr.argmax(axis=1)[:, None, :], g[:, None, :], axis=1)
    elif how == "all maxima":  # every tied maximum gets the full gradient
        d = (xr == xr.max(axis=1, keepdims=True)) * g[:, None, :]
    elif how == "first":
        d[:, 0, :] = g
    else:  # average-pool gradient
        d[:] = g[:, None, :] / 2
    return (d.reshape(x.shape),)


def _draw_pool(rng, ties=False):
    x = rng.standard_normal((2 * _sizes(rng), _sizes(rng)))
    if ties:
        x[1::4] = x[0::4]  # every other window holds a tie
    x[1, -1] = x[0, -1] + 1.0  # at least one window whose maximum is its second element
    return (x,)


# ---------------------------------------------------------------- embedding


def _embed(E, idx):
    return E[idx].T  # (d, N): one example per column


def _embed_back(g, E, idx, assign=False):
    dE = np.zeros_like(E)
    if assign:
        dE[idx] = g.T  # overwrites duplicates instead of summing them
    else:
        np.add.at(dE, idx, g.T)
    return dE, None


def _draw_embed(rng):
    V, d, N = _sizes(rng), _sizes(rng), _sizes(rng, 3, 6)
    idx = rng.integers(0, V, N)
    idx[-1] = idx[0]  # a repeated index
    return rng.standard_normal((V, d)), idx


# ---------------------------------------------------------------- attention


def _attn_parts(X, Wq, Wk, Wv):
    s = np.sqrt(X.shape[0])
    Q, K, V = Wq @ X, Wk @ X, Wv @ X
    A = _softmax(K.T @ Q / s)  # (keys, queries), softmax over keys
    return Q, K, V, A, s


def _attn(X, Wq, Wk, Wv):
    _, _, V, A, _ = _attn_parts(X, Wq, Wk, Wv)
    return V @ A


def _attn_back(g, X, Wq, Wk, Wv, bug=None):
    Q, K, V, A, s = _attn_parts(X, Wq, Wk, Wv)
    dV, dA = g @ A.T, V.T @ g
    dS = A * (1 - A) * dA if bug == "diag" else A * (dA - (dA * A).sum(axis=0))
    if bug != "no_scale":
        dS = dS / s
    dQ, dK = K @ dS, Q @ dS.T
    dX = Wq.T @ dQ + Wk.T @ dK + Wv.T @ dV
    return dX, dQ @ X.T, dK @ X.T, dV @ X.T


def _draw_attn(rng):
    d, T = _sizes(rng, 2, 4), _sizes(rng, 2, 5)
    return (rng.standard_normal((d, T)),) + tuple(rng.standard_normal((d, d)) / np.sqrt(d)
                                                  for _ in range(3))


# ---------------------------------------------------------------- residual block


def _res(x, W1, W2):
    return x + W2 @ np.tanh(W1 @ x)


def _res_back(g, x, W1, W2, skip=True):
    t = np.tanh(W1 @ x)
    dh = (W2.T @ g) * (1 - t * t)
    dx = W1.T @ dh + (g if skip else 0)
    return dx, dh @ x.T, g @ t.T


def _draw_res(rng):
    n, h = _nonsquare(rng)
    return (rng.standard_normal((n, _sizes(rng))), rng.standard_normal((h, n)),
            rng.standard_normal((n, h)))


# ---------------------------------------------------------------- the table


def _elem(deriv):
    return lambda g, z: (g * deriv(z),)


_dsig = lambda z: _sig(z) * (1 - _sig(z))  # naive: 1e-3 relative rounding at z = 30

CASES = [
    Case("dense", ("x", "W", "b"), _draw_dense, _dense, _dense_back, {
        "dx sign flipped": lambda g, x, W, b: (-W.T @ g, g @ x.T, g.sum(1)),
        "dW transposed (non-square W)": lambda g, x, W, b: (W.T @ g, (g @ x.T).T, g.sum(1)),
        "bias gradient from one sample": lambda g, x, W, b: (W.T @ g, g @ x.T, g[:, 0]),
        "dW factor 2": lambda g, x, W, b: (W.T @ g, 2 * g @ x.T, g.sum(1)),
        "dW off by 1e-3 relative": lambda g, x, W, b: (W.T @ g, 1.001 * g @ x.T, g.sum(1)),
    }),
    Case("dense_square", ("x", "W", "b"), lambda r: _draw_dense(r, square=True), _dense,
         _dense_back, {
             "dW transposed (square W)": lambda g, x, W, b: (W.T @ g, x @ g.T, g.sum(1)),
             "dx uses W not W.T": lambda g, x, W, b: (W @ g, g @ x.T, g.sum(1)),
         }),
    Case("sigmoid", ("z",), _draw_z, _sig, _elem(_dsig), {
        "off by 1e-3 relative": _elem(lambda z: 1.001 * _dsig(z)),
        "s(1+s) instead of s(1-s)": _elem(lambda z: _sig(z) * (1 + _sig(z))),
    }),
    Case("sigmoid_saturated", ("z",), lambda r: _draw_z(r, True), _sig, _elem(_dsig), {
        "zeroed where |z| > 20": _elem(lambda z: np.where(abs(z) > 20, 0.0, _dsig(z))),
        "z clipped to [-20, 20]": _elem(lambda z: _dsig(np.clip(z, -20, 20))),
    }),
    Case("tanh", ("z",), _draw_z, np.tanh, _elem(lambda z: 1 - np.tanh(z) ** 2), {
        "1 - t instead of 1 - t^2": _elem(lambda z: 1 - np.tanh(z)),
    }),
    Case("relu", ("z",), _draw_relu, lambda z: np.maximum(z, 0), _elem(lambda z: z > 0), {
        "passes the gradient everywhere": _elem(lambda z: np.ones_like(z)),
        "mask on the wrong side": _elem(lambda z: z < 0),
    }),
    Case("softplus", ("z",), _draw_z, lambda z: np.log1p(np.exp(z)), _elem(_sig), {
        "sigmoid(-z)": _elem(lambda z: _sig(-z)),
    }),
    Case("softmax", ("z",), _draw_z, _softmax,
         lambda g, z: (_softmax(z) * (g - (g * _softmax(z)).sum(axis=0)),), {
             "only the diagonal of the Jacobian":
                 lambda g, z: (g * _softmax(z) * (1 - _softmax(z)),),
         }),
    Case("log_softmax", ("z",), _draw_z, _log_softmax,
         lambda g, z: (g - _softmax(z) * g.sum(axis=0),), {
             "missing the softmax term": lambda g, z: (g,),
         }),
    Case("softmax_nll", ("z", "labels"), _draw_labels, _nll, _nll_back, {
        "summed, not averaged over the batch": lambda g, z, y: _nll_back(g, z, y, scale=False),
    }),
    Case("sigmoid_bce", ("z", "y"), _draw_pair, _bce, _bce_back, {
        "dz not averaged over the batch": lambda g, z, y: _bce_back(g, z, y, N=1),
    }),
    Case("linear_mse", ("a", "y"), _draw_pair, _mse,
         lambda g, a, y: (g * (a - y) / a.shape[1], -g * (a - y) / a.shape[1]), {
             "dy sign flipped":
                 lambda g, a, y: (g * (a - y) / a.shape[1], g * (a - y) / a.shape[1]),
         }),
    Case("l1_loss", ("a", "y"), _draw_pair, _l1,
         lambda g, a, y: (g * np.sign(a - y) / a.shape[1], -g * np.sign(a - y) / a.shape[1]), {
             "not averaged over the batch":
                 lambda g, a, y: (g * np.sign(a - y), -g * np.sign(a - y)),
         }),
    Case("layer_norm", ("x", "gamma", "beta"), _draw_norm, _ln, _ln_back, {
        "missing the mean term": lambda g, x, ga, be: _ln_back(g, x, ga, be, mean_term=False),
        "missing the variance term": lambda g, x, ga, be: _ln_back(g, x, ga, be, var_term=False),
    }),
    Case("batch_norm", ("x", "gamma", "beta"), _draw_norm, _bn,
         lambda g, x, ga, be: _ln_back(g, x, ga, be, axis=1), {
             "missing the variance term": lambda g, x, ga, be: _ln_back(g, x, ga, be, axis=1,
                                                                      var_term=False),
         }),
    Case("conv1d", ("x", "w"), _draw_conv, _conv, _conv_back, {
        "dw flipped": lambda g, x, w: _conv_back(g, x, w, flip_dw=True),
        "dx with the unflipped kernel": lambda g, x, w: _conv_back(g, x, w, flip_dx=True),
    }),
    Case("max_pool", ("x",), _draw_pool, _pool, _pool_back, {
        "routed to the first element": lambda g, x: _pool_back(g, x, "first"),
        "average-pool gradient": lambda g, x: _pool_back(g, x, "mean"),
    }),
    Case("max_pool_ties", ("x",), lambda r: _draw_pool(r, ties=True), _pool, _pool_back, {
        "both tied elements get the gradient": lambda g, x: _pool_back(g, x, "all maxima"),
    }),
    Case("embedding", ("E", "indices"), _draw_embed, _embed, _embed_back, {
        "duplicate indices overwritten": lambda g, E, i: _embed_back(g, E, i, assign=True),
    }),
    Case("attention", ("X", "Wq", "Wk", "Wv"), _draw_attn, _attn, _attn_back, {
        "softmax Jacobian diagonal only": lambda g, *a: _attn_back(g, *a, bug="diag"),
        "missing 1/sqrt(d)": lambda g, *a: _attn_back(g, *a, bug="no_scale"),
    }),
    Case("residual", ("x", "W1", "W2"), _draw_res, _res, _res_back, {
        "missing the skip path": lambda g, x, W1, W2: _res_back(g, x, W1, W2, skip=False),
    }),
]

BUGS = [(case, bug, back) for case in CASES for bug, back in case.bugs.items()]
