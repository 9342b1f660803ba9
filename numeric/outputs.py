"""Output functions ``a^L = f(z^L)``: linear, sigmoid, softmax, each one small frozen object.

Mini-batch layout: one example per column, ``z`` and ``a`` have shape ``(n_L, N)``.
Softmax normalises each column.

BP1 in its general form is ``delta^L = (grad a^L)^T dC/da^L``; each output provides it as
a vectorised Jacobian-transpose product ``vjp(z, a, g)`` over the whole batch (no loop
over examples). For softmax the full Jacobian is ``J = diag(a) - a a^T`` and

    J^T g = a * (g - sum_i a_i g_i)            (per column)

which :func:`jacobian` (shape ``(N, n, n)``, for tests and teaching) lets you check:

>>> import numpy as np
>>> sm = get_output("softmax")
>>> z = np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 5.0]]); g = np.array([[1.0, 2.0], [0.0, 1.0], [3.0, -1.0]])
>>> J = sm.jacobian(z)
>>> J.shape
(2, 3, 3)
>>> bool(np.allclose(sm.vjp(z, sm.fn(z), g), np.einsum("nij,in->jn", J, g)))
True

Losses with a logarithm need ``ln a`` and ``ln(1 - a)``; computing them from ``a`` fails
once ``a`` rounds to 0 or 1 (|z| of a few dozen), so outputs that can also give them
straight from the logits (``log``, ``log1m``) with the matching products
``log_vjp(z, u) = (grad ln a)^T u`` and ``log1m_vjp(z, v) = (grad ln(1-a))^T v``,
all finite for |z| up to 1000. ``range`` is the open interval the outputs lie in; the
losses use it to refuse combinations such as a linear output with cross-entropy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from numeric import _stable
from numeric._registry import lookup

__all__ = ["Output", "OUTPUTS", "get_output"]


@dataclass(frozen=True, repr=False)
class Output:
    """One output function with its Jacobian pieces side by side (see the module docstring).

    >>> get_output("sigmoid")
    Output('sigmoid', range=(0.0, 1.0), elementwise=True)
    """

    name: str
    fn: Callable = field(compare=False)
    vjp: Callable = field(compare=False)  # (z, a, g) -> (grad a)^T g, shape (n, N)
    jacobian: Callable = field(compare=False)  # z -> (N, n, n), J[x, i, j] = da_i/dz_j
    range: tuple = (-math.inf, math.inf)
    elementwise: bool = True
    log: Optional[Callable] = field(default=None, compare=False)
    log1m: Optional[Callable] = field(default=None, compare=False)
    log_vjp: Optional[Callable] = field(default=None, compare=False)
    log1m_vjp: Optional[Callable] = field(default=None, compare=False)

    def __call__(self, z):
        return self.fn(z)

    def __repr__(self):
        return f"Output({self.name!r}, range={self.range!r}, elementwise={self.elementwise})"

    @property
    def has_logs(self) -> bool:
        """True when ln a, ln(1-a) and their Jacobian products come from the logits."""
        return None not in (self.log, self.log1m, self.log_vjp, self.log1m_vjp)


def _as2d(z):
    z = _stable._arr(z)  # float64, or complex128 for complex-step differentiation
    if z.ndim != 2:
        raise ValueError(f"z: expected a 2-D array (n_L, N), got shape {z.shape}")
    return z


def _diag_jacobian(d):
    """(n, N) elementwise derivatives -> (N, n, n) diagonal Jacobians."""
    n, N = d.shape
    J = np.zeros((N, n, n))
    idx = np.arange(n)
    J[:, idx, idx] = d.T
    return J


# ---------------------------------------------------------------- linear: a = z


def _linear(z):
    return _as2d(z).copy()


def _linear_vjp(z, a, g):
    return _stable._arr(g).copy()


def _linear_jacobian(z):
    return _diag_jacobian(np.ones_like(_as2d(z)))


# ---------------------------------------------------------------- sigmoid: a = 1/(1+e^-z)


def _sigmoid(z):
    return _stable.sigmoid(_as2d(z))


def _sigmoid_vjp(z, a, g):
    # a (1 - a) g with 1 - a = sigmoid(-z): no cancellation where a rounds near 1
    return a * _stable.sigmoid(-_as2d(z)) * g


def _sigmoid_jacobian(z):
    return _diag_jacobian(_sigmoid(z) * _stable.sigmoid(-_as2d(z)))


def _sigmoid_log_vjp(z, u):
    return u * _stable.sigmoid(-_as2d(z))  # d ln a / dz = 1 - a = sigmoid(-z)


def _sigmoid_log1m_vjp(z, v):
    return -v * _stable.sigmoid(_as2d(z))  # d ln(1-a) / dz = -a


# ---------------------------------------------------------------- softmax (per column)


def _softmax(z):
    return _stable.softmax(_as2d(z))


def _softmax_vjp(z, a, g):
    # J^T g with J = diag(a) - a a^T, without forming J: a * (g - sum_i a_i g_i), written
    # around the pivot k = argmax a of each column (sum a = 1):
    #     g_j - sum_i a_i g_i = (g_j - g_k) - sum_{i != k} a_i (g_i - g_k)
    # When a_k rounds near 1 (logits ~34 apart), the plain form cancels g_k against
    # a_k g_k and loses 1 - a_k (~1e-12) to an ulp of 1; here the small terms are summed
    # directly and delta_k stays accurate to a few ulps of itself.
    a, g = np.broadcast_arrays(a, g)
    k = np.expand_dims(np.argmax(a.real, axis=0), 0)
    gk = np.take_along_axis(g, k, axis=0)
    d = g - gk
    return a * (d - np.sum(a * d, axis=0, keepdims=True))


def _softmax_jacobian(z):
    a = _softmax(z).T  # (N, n)
    return np.einsum("ni,ij->nij", a, np.eye(a.shape[1])) - a[:, :, None] * a[:, None, :]


def _softmax_log_vjp(z, u):
    # d ln a_j / dz_k = delta_jk - a_k  =>  (grad ln a)^T u = u - a sum(u)
    a = _softmax(z)
    return u - a * np.sum(u, axis=0, keepdims=True)


def _softmax_log1m_vjp(z, v):
    # d ln(1 - a_j) / dz = -a_j (e_j - q^(j)), q^(j) = softmax of z without row j: bounded
    z = _as2d(z)
    av = _softmax(z) * v
    return -av + np.einsum("jkn,jn->kn", _stable.softmax_without(z), av)


OUTPUTS: dict = {
    out.name: out
    for out in (
        Output("linear", _linear, _linear_vjp, _linear_jacobian),
        Output(
            "sigmoid", _sigmoid, _sigmoid_vjp, _sigmoid_jacobian, range=(0.0, 1.0),
            log=lambda z: _stable.log_sigmoid(_as2d(z)),
            log1m=lambda z: _stable.log_sigmoid(-_as2d(z)),
            log_vjp=_sigmoid_log_vjp, log1m_vjp=_sigmoid_log1m_vjp,
        ),
        Output(
            "softmax", _softmax, _softmax_vjp, _softmax_jacobian, range=(0.0, 1.0),
            elementwise=False,
            log=lambda z: _stable.log_softmax(_as2d(z)),
            log1m=lambda z: _stable.log1m_softmax(_as2d(z)),
            log_vjp=_softmax_log_vjp, log1m_vjp=_softmax_log1m_vjp,
        ),
    )
}


def get_output(name) -> Output:
    """Look an output function up by name (an :class:`Output` is returned unchanged).

    >>> get_output("softmax").elementwise
    False
    >>> get_output("relu")
    Traceback (most recent call last):
    ...
    ValueError: output: unknown output function 'relu'; known: linear, sigmoid, softmax
    >>> get_output("Identity").name
    'linear'
    >>> get_output("softmaks")
    Traceback (most recent call last):
    ...
    ValueError: output: unknown output function 'softmaks'; known: linear, sigmoid, softmax; did you mean softmax?
    """
    return lookup(OUTPUTS, name, Output, "output", "output function", OUTPUT_ALIASES)


# other names people type for the outputs (any case or separator is accepted as well)
OUTPUT_ALIASES = {"identity": "linear", "none": "linear", "logistic": "sigmoid"}
