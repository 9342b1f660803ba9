"""Forward and backward of the image layers of :mod:`numeric.layers`, side by side.

Layout: images are ``(N, C, H, W)`` -- batch, channels, rows, columns -- as in PyTorch
and course code (the package's own 2-D layers put one example per column instead; an
image batch is batch-first because that is how people write and read conv code).
Kernels are ``(F, C, kh, kw)``, per-channel parameters ``(C,)``. Every forward is
complex-safe (no ``abs``, no comparisons on the imaginary part), so the gradient checker
can use the complex step.

>>> import numpy as np
>>> x = np.arange(16.0).reshape(1, 1, 4, 4)
>>> max_pool2d(x, kernel_size=2, stride=2)[0, 0]
array([[ 5.,  7.],
       [13., 15.]])
>>> conv2d(x, np.ones((1, 1, 3, 3)), np.zeros(1), padding=1)[0, 0, 0]
array([10., 18., 24., 18.])
"""

from __future__ import annotations

import numpy as np

__all__ = ["conv2d", "conv2d_back", "group_norm", "group_norm_back", "max_pool2d",
           "max_pool2d_back", "spatial_batch_norm", "spatial_batch_norm_back"]

NORM_EPS = 1e-5  # the epsilon of every norm layer (numeric.layers._NORM_EPS)


def _out_size(size, k, stride, padding):
    return (size + 2 * padding - k) // stride + 1


def _windows(xp, kh, kw, stride):
    """A read-only view ``(N, C, Ho, Wo, kh, kw)`` of the windows of the padded input."""
    v = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))
    return v[:, :, ::stride, ::stride]


def _pad(x, padding):
    if padding == 0:
        return np.asarray(x)
    return np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))


# ---------------------------------------------------------------- conv2d


def conv2d(x, w, b, *, stride=1, padding=0):
    """Cross-correlation: ``y[n,f,i,j] = b[f] + sum_{c,p,q} w[f,c,p,q] xp[n,c,s i+p,s j+q]``.

    ``xp`` is ``x`` zero-padded by ``padding`` on each side of H and W; the output has
    ``(H + 2 padding - kh) // stride + 1`` rows (rows that do not fit are dropped).
    """
    kh, kw = w.shape[2:]
    win = _windows(_pad(x, padding), kh, kw, stride)
    return np.einsum("nchwpq,fcpq->nfhw", win, w, optimize=True) + b[None, :, None, None]


def conv2d_back(g, x, w, b, *, stride=1, padding=0):
    """``(dx, dw, db)``: each weight tap scatters ``g`` back onto the padded input."""
    kh, kw = w.shape[2:]
    H, W = x.shape[2:]
    Ho, Wo = g.shape[2:]
    win = _windows(_pad(x, padding), kh, kw, stride)
    dw = np.einsum("nchwpq,nfhw->fcpq", win, g, optimize=True)
    dxp = np.zeros((x.shape[0], x.shape[1], H + 2 * padding, W + 2 * padding),
                   dtype=np.result_type(g, w))
    for p in range(kh):
        for q in range(kw):
            dxp[:, :, p:p + stride * Ho:stride, q:q + stride * Wo:stride] += np.einsum(
                "nfhw,fc->nchw", g, w[:, :, p, q])
    # crop with explicit ends: dxp[..., padding:-padding] would be empty at padding 0
    return dxp[:, :, padding:padding + H, padding:padding + W], dw, g.sum(axis=(0, 2, 3))


# ---------------------------------------------------------------- max_pool2d


def _argmax_windows(x, kernel_size, stride):
    win = _windows(np.asarray(x), kernel_size, kernel_size, stride)
    flat = win.reshape(win.shape[:4] + (kernel_size * kernel_size,))
    # the first maximal entry of each window (row-major), on the real part: complex-safe
    return flat, np.argmax(flat.real, axis=-1)


def max_pool2d(x, *, kernel_size=2, stride=2):
    """``y[n,c,i,j] = max`` of the ``kernel_size`` square window at ``(s i, s j)``.

    Windows overlap when ``stride < kernel_size``.
    """
    flat, idx = _argmax_windows(x, kernel_size, stride)
    return np.take_along_axis(flat, idx[..., None], axis=-1)[..., 0]


def max_pool2d_back(g, x, *, kernel_size=2, stride=2):
    """``(dx,)``: each window's ``g`` goes to its first maximal entry (a subgradient at
    ties: one entry, not every tied one); overlapping windows accumulate."""
    _, idx = _argmax_windows(x, kernel_size, stride)
    N, C, Ho, Wo = idx.shape
    n, c, i, j = np.indices(idx.shape)
    rows = stride * i + idx // kernel_size
    cols = stride * j + idx % kernel_size
    dx = np.zeros(np.shape(x), dtype=np.result_type(g, np.float64))
    np.add.at(dx, (n, c, rows, cols), g)
    return (dx,)


# ---------------------------------------------------------------- spatial norms


def _normalize(x, axes):
    xc = x - x.mean(axis=axes, keepdims=True)
    r = 1.0 / np.sqrt((xc * xc).mean(axis=axes, keepdims=True) + NORM_EPS)
    return xc * r, r


def _norm_dx(gh, xhat, r, axes):
    # d xhat -> d x for a normalisation over `axes`: r (h - mean h - xhat mean(h xhat))
    return r * (gh - gh.mean(axis=axes, keepdims=True)
                - xhat * (gh * xhat).mean(axis=axes, keepdims=True))


def _per_channel(v):
    return v[None, :, None, None]


def spatial_batch_norm(x, gamma, beta):
    """Training-mode batch norm of an image batch: each channel normalised over N, H, W."""
    return _per_channel(gamma) * _normalize(x, (0, 2, 3))[0] + _per_channel(beta)


def spatial_batch_norm_back(g, x, gamma, beta):
    xhat, r = _normalize(x, (0, 2, 3))
    dx = _norm_dx(g * _per_channel(gamma), xhat, r, (0, 2, 3))
    return dx, (g * xhat).sum(axis=(0, 2, 3)), g.sum(axis=(0, 2, 3))


def _grouped(x, groups):
    N, C, H, W = x.shape
    return x.reshape(N, groups, C // groups, H, W)


def group_norm(x, gamma, beta, *, groups=2):
    """Each example's ``groups`` groups of ``C / groups`` channels normalised over
    (channels of the group, H, W); then a per-channel scale and shift."""
    xhat = _normalize(_grouped(x, groups), (2, 3, 4))[0].reshape(x.shape)
    return _per_channel(gamma) * xhat + _per_channel(beta)


def group_norm_back(g, x, gamma, beta, *, groups=2):
    xhat, r = _normalize(_grouped(x, groups), (2, 3, 4))
    gh = _grouped(g * _per_channel(gamma), groups)
    dx = _norm_dx(gh, xhat, r, (2, 3, 4)).reshape(x.shape)
    return dx, (g * xhat.reshape(x.shape)).sum(axis=(0, 2, 3)), g.sum(axis=(0, 2, 3))
