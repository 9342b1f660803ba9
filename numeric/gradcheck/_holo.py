"""Complex-step-safe NumPy: the holomorphic extensions of the real functions NumPy
computes through ``|z|`` or ``conj(z)`` on complex input.

Private module of :mod:`numeric.gradcheck`. The complex step reads ``d f / d x`` from
``Im f(x + i h) / h``; that needs every operation on the way to be the holomorphic
extension of its real counterpart. NumPy's complex ``var``, ``std``, ``abs``,
``linalg.norm``, ``vdot`` and ``conj`` are not: ``np.var(x + i h u)`` is
``mean |x - mu|^2``, real, and the variance path of a batch norm vanishes from the
derivative (seen on every course batch norm). :class:`StepArray` is an ``ndarray``
subclass the checker hands to ``forward`` at complex inputs; while data stays in it, those
functions compute the real formula's holomorphic extension instead:

====================  ==============================  ================================
function              NumPy on complex                here (holomorphic, = real at h=0)
====================  ==============================  ================================
``var``, ``std``      ``mean |z - mu|^2``             ``mean (z - mu)^2`` (its sqrt)
``abs``               ``sqrt(re^2 + im^2)``           ``z sign(Re z)`` (``sign(Im z)``
                                                      at ``Re z = 0``: a kink branches)
``sign``              ``z / |z|`` (NumPy 2)           ``sign(Re z)``
``linalg.norm``       ``sqrt(sum |z|^2)``             ``sqrt(sum z^2)`` (ord None / 2)
``vdot``              ``sum conj(a) b``               ``sum a b``
``conj``              ``re - i im``                   ``z`` (real data: the identity)
====================  ==============================  ================================

Only data that is complex by the step alone (``|Im z| <= 1e-8 max |Re z|``, or 1e-15) is
treated so; data complex by design (``x[0] + 1j * x[1]``) keeps NumPy's functions. Code
that leaves the subclass (``np.asarray``, a new ``np.zeros`` filled in place) gets
NumPy's own functions; the checker's validation against real differences then catches
the dropped path, as before.

>>> import numpy as np
>>> x = np.array([1.0, 2.0, 4.0]) + 1j * 1e-20 * np.array([1.0, 0.0, 0.0])
>>> float(np.var(x).imag), float(np.var(x.view(StepArray)).imag) / 1e-20  # d var / d x_0
(0.0, -0.8888888888888888)
"""

from __future__ import annotations

import numpy as np

__all__ = ["StepArray", "step_view", "hits"]

_HITS = [0]  # holomorphic replacements computed so far (does a forward need the subclass?)


def hits() -> int:
    """How many times a replacement in the table above was computed on complex data:
    a forward that never calls one runs on plain arrays (no per-ufunc Python overhead)."""
    return _HITS[0]


def _plain(a):
    return a.view(np.ndarray) if isinstance(a, StepArray) else a


def _wrap(r):
    if isinstance(r, np.ndarray) and not isinstance(r, StepArray):
        return r.view(StepArray)
    return r


def _is_complex(a):
    return np.iscomplexobj(a)


def _stepped(z):
    """Complex only by the step: ``|Im z| <= 1e-8 max |Re z|``, or ``<= 1e-15`` (the
    complex step's ``h`` is 1e-20; an all-zero real part is a kink at 0). Data that is complex by design (``x[0] + 1j * x[1]``, a complex-valued
    layer) keeps NumPy's own ``|z|``: the holomorphic extension of ``|x|`` is no
    derivative of a modulus."""
    z = np.asarray(z)
    if z.size == 0:
        return True
    im = float(np.max(np.abs(z.imag)))
    return im <= 1e-8 * float(np.max(np.abs(z.real))) or im <= 1e-15


def _abs(z):
    _HITS[0] += 1
    s = np.sign(z.real)
    s = np.where(s == 0, np.sign(z.imag), s)
    return z * s


def _moments(numpy_fn, root):
    """NumPy's ``var`` (``root=False``) or ``std`` (``root=True``), holomorphic on data
    complex by the step: ``mean((z - mu)^2)`` and its square root. Options this does not
    mirror (``out=``, ``dtype=``, ``where=``) get NumPy's own."""
    def fn(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kw):
        a = np.asarray(_plain(a))
        if kw or out is not None or dtype is not None or not _is_complex(a) or \
                not _stepped(a):
            return numpy_fn(a, axis=axis, dtype=dtype, out=out, ddof=ddof,
                            keepdims=keepdims, **kw)
        _HITS[0] += 1
        n = a.size if axis is None else int(np.prod([a.shape[i]
                                                     for i in np.atleast_1d(axis)]))
        d = a - a.mean(axis=axis, keepdims=True)
        v = (d * d).sum(axis=axis, keepdims=keepdims) / (n - ddof)
        return np.sqrt(v) if root else v
    return fn


_var = _moments(np.var, root=False)
_std = _moments(np.std, root=True)


def _norm(x, ord=None, axis=None, keepdims=False):
    x = np.asarray(_plain(x))
    vector = axis is None and x.ndim == 1 or isinstance(axis, (int, np.integer))
    if _is_complex(x) and _stepped(x) and (ord is None and (axis is None or vector)
                           or ord == 2 and vector or ord == "fro"):
        _HITS[0] += 1
        return np.sqrt((x * x).sum(axis=axis, keepdims=keepdims))
    return np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)


def _vdot(a, b):
    a, b = np.asarray(_plain(a)), np.asarray(_plain(b))
    if not (_stepped(a) and _stepped(b)):
        return np.vdot(a, b)
    _HITS[0] += 1
    return (a.reshape(-1) * b.reshape(-1)).sum()


_FUNCTIONS = {np.var: _var, np.std: _std, np.linalg.norm: _norm, np.vdot: _vdot}


class StepArray(np.ndarray):
    """A complex ``ndarray`` whose non-holomorphic NumPy functions compute the holomorphic
    extension of the real formula (module docstring), for the complex step."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        args = [_plain(a) for a in inputs]
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = tuple(_plain(o) for o in out)
        elif method == "__call__" and len(args) == 1 and not kwargs and \
                _is_complex(args[0]) and _stepped(args[0]):
            z = np.asarray(args[0])
            if ufunc is np.absolute:
                return _wrap(_abs(z))
            if ufunc is np.sign:
                _HITS[0] += 1
                return _wrap(np.sign(z.real).astype(z.dtype))
            if ufunc is np.conjugate:
                _HITS[0] += 1
                return _wrap(z.copy())
        result = getattr(ufunc, method)(*args, **kwargs)
        if out is not None:  # the caller's own arrays (x += y returns x)
            return out[0] if len(out) == 1 else out
        if isinstance(result, tuple):
            return tuple(_wrap(r) for r in result)
        return _wrap(result)

    def __array_function__(self, func, types, args, kwargs):
        impl = _FUNCTIONS.get(func)
        if impl is not None:
            try:
                return _wrap(impl(*args, **kwargs))
            except TypeError:
                pass  # a signature we do not mirror: NumPy's own
        return super().__array_function__(func, types, args, kwargs)

    def var(self, *args, **kwargs):
        return _wrap(_var(self, *args, **kwargs))

    def std(self, *args, **kwargs):
        return _wrap(_std(self, *args, **kwargs))

    def conj(self):
        if not _stepped(self):
            return _wrap(np.conj(self.view(np.ndarray)))
        _HITS[0] += 1
        return _wrap(np.array(self.view(np.ndarray)))

    conjugate = conj


def step_view(a):
    """``a`` as a :class:`StepArray` when it is complex, else unchanged."""
    return a.view(StepArray) if isinstance(a, np.ndarray) and _is_complex(a) else a
