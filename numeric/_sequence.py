"""Forward and backward of the recurrent layers of :mod:`numeric.layers`, side by side.

Layout: the package's own, one example per column. A step takes ``x (D, N)`` and the
previous hidden state ``h (H, N)``; weights ``Wx (H, D)``, ``Wh (H, H)``, ``b (H,)``
(an LSTM stacks its four gates: ``(4H, D)``, ``(4H, H)``, ``(4H,)`` in the order
input, forget, cell candidate, output -- PyTorch's order). Scores of a sequence are
``(V, N, T)``: ``x[:, :, t]`` is the usual (classes, batch) matrix at time ``t``.
Course code is batch-first (``x (N, D)``, ``Wx (D, H)``); transpose to compare.

>>> import numpy as np
>>> x, h = np.ones((2, 1)), np.zeros((3, 1))
>>> rnn_step(x, h, np.zeros((3, 2)), np.eye(3), np.zeros(3)).shape
(3, 1)
>>> lstm_step(x, h, h, np.zeros((12, 2)), np.zeros((12, 3)), np.zeros(12)).shape
(2, 3, 1)
"""

from __future__ import annotations

import numpy as np

from numeric import _stable

__all__ = ["lstm_step", "lstm_step_back", "rnn_step", "rnn_step_back",
           "temporal_softmax_loss", "temporal_softmax_loss_back"]


def _dsig(a):
    return _stable.sigmoid(a) * _stable.sigmoid(-a)  # s(a)(1 - s(a)), accurate on both tails


def rnn_step(x, h, Wx, Wh, b):
    """``h' = tanh(Wx x + Wh h + b 1^T)``."""
    return np.tanh(Wx @ x + Wh @ h + b[:, None])


def rnn_step_back(g, x, h, Wx, Wh, b):
    hn = rnn_step(x, h, Wx, Wh, b)
    dz = g * (1.0 - hn * hn)
    return Wx.T @ dz, Wh.T @ dz, dz @ x.T, dz @ h.T, dz.sum(axis=1)


def _lstm_gates(x, h, Wx, Wh, b):
    a = Wx @ x + Wh @ h + b[:, None]
    H = h.shape[0]
    return a, (_stable.sigmoid(a[:H]), _stable.sigmoid(a[H:2 * H]), np.tanh(a[2 * H:3 * H]),
               _stable.sigmoid(a[3 * H:]))


def lstm_step(x, h, c, Wx, Wh, b):
    """``y = stack(h', c')`` of shape ``(2, H, N)``: ``c' = f c + i u``, ``h' = o tanh(c')``,
    with gates ``i, f, o = sigmoid(.)``, ``u = tanh(.)`` of the rows of ``Wx x + Wh h + b``."""
    _, (i, f, u, o) = _lstm_gates(x, h, Wx, Wh, b)
    cn = f * c + i * u
    return np.stack([o * np.tanh(cn), cn])


def lstm_step_back(g, x, h, c, Wx, Wh, b):
    """``g[0]`` is dC/dh', ``g[1]`` dC/dc'."""
    a, (i, f, u, o) = _lstm_gates(x, h, Wx, Wh, b)
    H = h.shape[0]
    tc = np.tanh(f * c + i * u)
    dc = g[1] + g[0] * o * (1.0 - tc * tc)  # c' reaches the cost directly and through h'
    da = np.concatenate([dc * u * _dsig(a[:H]), dc * c * _dsig(a[H:2 * H]),
                         dc * i * (1.0 - u * u), g[0] * tc * _dsig(a[3 * H:])])
    return Wx.T @ da, Wh.T @ da, dc * f, da @ x.T, da @ h.T, da.sum(axis=1)


def temporal_softmax_loss(x, y, mask):
    """``-(1/N) sum_{n,t} mask[n,t] ln softmax(x[:, n, t])[y[n,t]]``, a scalar.

    ``y`` holds integer labels ``(N, T)``; ``mask`` (``(N, T)``, 0 or 1) drops padded steps.
    """
    logp = _stable.log_softmax(x)
    picked = np.take_along_axis(logp, np.asarray(y, dtype=np.intp)[None], axis=0)[0]
    return -(mask * picked).sum() / x.shape[1]


def temporal_softmax_loss_back(g, x, y, mask):
    """``(dx, None, None)``: labels and mask are not differentiated."""
    p = _stable.softmax(x)
    onehot = np.zeros_like(p)
    np.put_along_axis(onehot, np.asarray(y, dtype=np.intp)[None], 1.0, axis=0)
    return -g * mask[None] * (onehot - p) / x.shape[1], None, None
