"""Numeric derivatives of the scalar ``v . forward(*inputs)``, entry by entry.

Private module behind :mod:`numeric.gradcheck`. Two methods:

* **complex step**: ``d/dx_i (v . f) = Im(v . f(x + i h e_i)) / h`` with ``h = 1e-20``.
  No subtractive cancellation, so the result is exact to a few ulps even where the true
  value is 1e-13 next to outputs of size 1 (a saturated sigmoid). It only works when
  ``forward`` is written with analytic operations; :func:`complex_sweep` raises
  :class:`ComplexUnsafe` when it visibly is not (an exception, a real-valued result, a
  ``ComplexWarning``), and the caller cross-checks it against real differences.
* **real differences** (:func:`real_probe`): ``f(x +- h)`` and ``f(x +- h/2)`` give
  the one-sided slopes at two step sizes (kink test), and central differences with
  Richardson extrapolation plus an error estimate (truncation from the two steps,
  rounding from ``eps |f| / h``).

The output vector is differenced BEFORE contracting with ``v`` so that outputs an entry
does not touch cancel exactly and add no rounding noise.

>>> import numpy as np
>>> ev = Evaluator(lambda x: np.exp(x), [np.array([0.0, 1.0])], np.array([1.0, 2.0]))
>>> d, A, F = complex_sweep(ev, 0)
>>> d.tolist() == [1.0, 2 * np.exp(1.0)]
True
>>> p = real_probe(ev, 0, 1)
>>> bool(abs(p.central - 2 * np.exp(1.0)) < 1e-8), p.kink
(True, False)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

__all__ = ["EPS", "ComplexUnsafe", "Evaluator", "Probe", "complex_sweep",
           "complex_direction", "complex_group_minus", "one_sided", "real_probe", "resolve",
           "real_direction"]

EPS = float(np.finfo(np.float64).eps)
_H_COMPLEX = 1e-20
_H_REAL = 2.0 ** -16  # ~ eps^(1/3), relative to max(1, |x_i|)
_J_MAX = 2_000_000  # keep the complex-step columns (as a matrix) up to this many numbers
_NOISE_ULPS = 16.0  # rounding noise of one forward value, in ulps of |f_j|


class ComplexUnsafe(Exception):
    """``forward`` cannot be evaluated at complex inputs (or visibly drops the imaginary part)."""


def _scale(x) -> float:
    x = np.asarray(x)
    if x.dtype.kind != "f" or x.size == 0:
        return 1.0
    s = float(np.mean(np.abs(x)))
    return s if s > 0 else 1.0


class Evaluator:
    """Calls ``forward`` with one input replaced, counts the calls, holds ``f0`` and ``v``."""

    def __init__(self, forward, inputs, v, f0=None, n_evals=0):
        self.forward = forward
        self.inputs = list(inputs)
        self.v = np.asarray(v, dtype=np.float64).reshape(-1)
        self.absv = np.abs(self.v)
        self.n_evals = n_evals
        self.f0 = self.call(None, None) if f0 is None else np.asarray(f0).reshape(-1)
        if self.f0.size != self.v.size:
            raise ValueError(f"v: expected {self.f0.size} entries, got {self.v.size}")
        self.absvf = self.absv * np.abs(self.f0)
        # step scale of each input: its mean |x| (1 when all zero); steps relative to this,
        # not to max(1, |x_i|), so inputs of size 1e-4 do not get steps wider than their gaps
        self.scale = [_scale(x) for x in self.inputs]

    def call(self, k, xk=None):
        """``forward`` with input ``k`` replaced by ``xk`` (or ``k`` a dict: several)."""
        if isinstance(k, dict):
            args = list(self.inputs)
            for kk, xx in k.items():
                args[kk] = xx
        else:
            args = self.inputs if k is None else self.inputs[:k] + [xk] + self.inputs[k + 1:]
        self.n_evals += 1
        return np.asarray(self.forward(*args)).reshape(-1)

    def _complex_out(self, k, xc=None):
        try:
            out = self.call(k, xc)
        except Exception as exc:  # any failure at complex input means: not complex-safe
            raise ComplexUnsafe(f"forward raised {type(exc).__name__}: {exc}") from None
        if not np.iscomplexobj(out):
            raise ComplexUnsafe(f"forward returned {out.dtype} for a complex input")
        if out.size != self.f0.size:
            raise ComplexUnsafe("forward returned a different shape for a complex input")
        return out


def complex_sweep(ev: Evaluator, k: int, entries=None):
    """Complex step over the entries of input ``k``: numeric ``d``, ``A = sum|v J|``, ``F``.

    ``F_i = sum_j |v_j f_j|`` over the outputs ``j`` that entry ``i`` moves: the size of
    the quantities a correct analytic gradient is computed from (``1 - s`` of a
    saturated sigmoid is only known to ``eps |s|``).
    """
    x = ev.inputs[k]
    xc = x.astype(np.complex128)
    flat = xc.reshape(-1)
    idx = range(x.size) if entries is None else entries
    n, M = len(idx), ev.f0.size
    v, absv, absvf, h = ev.v, ev.absv, ev.absvf, _H_COMPLEX
    J = np.empty((n, M)) if n * M <= _J_MAX else None  # columns kept: reduce at the end
    d, A, F = np.empty(n), np.empty(n), np.empty(n)
    with warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning)
        for m, i in enumerate(idx):
            xi = flat[i]
            flat[i] = xi + 1j * h
            out = ev._complex_out(k, xc)
            flat[i] = xi
            if J is not None:
                J[m] = out.imag
                continue
            c = out.imag
            d[m] = (v @ c) / h
            A[m] = (absv @ np.abs(c)) / h
            F[m] = absvf @ (c != 0)
    if J is not None:
        d, A, F = (J @ v) / h, (np.abs(J) @ absv) / h, (J != 0) @ absvf
    if not (np.isfinite(d).all() and np.isfinite(A).all()):
        raise ComplexUnsafe("complex step gave non-finite derivatives")
    return d, A, F


def complex_direction(ev: Evaluator, k: int, u):
    """Complex-step directional derivative of ``v . f`` along ``u`` on input ``k``: (d, A, F)."""
    x = ev.inputs[k]
    with warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning)
        out = ev._complex_out(k, x + (1j * _H_COMPLEX) * u)
    c = out.imag
    d = (ev.v @ c) / _H_COMPLEX
    if not np.isfinite(d):
        raise ComplexUnsafe("complex step gave a non-finite derivative")
    return d, (ev.absv @ np.abs(c)) / _H_COMPLEX, ev.absvf @ (c != 0)


def complex_group_minus(ev: Evaluator, k, entries=None) -> float:
    """``v . Im f(x - i h sum_{i in entries} e_i) / (-h)``: one call for a group of entries.

    For analytic code it equals the sum of the single-entry complex steps; where it does
    not, ``forward`` took a different branch for ``-ih`` than for ``+ih`` (a max with a
    tie, ReLU at exactly 0, ...): a kink. ``k`` may be a dict ``{input: entries}``.
    """
    groups = k if isinstance(k, dict) else {k: entries}
    repl = {}
    for kk, ee in groups.items():
        xc = ev.inputs[kk].astype(np.complex128)
        xc.reshape(-1)[np.asarray(ee)] -= 1j * _H_COMPLEX
        repl[kk] = xc
    with warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning)
        out = ev._complex_out(repl, None)
    return float(ev.v @ out.imag) / -_H_COMPLEX


@dataclass
class Probe:
    """Real differences at one entry (or along one direction) with their error bars."""

    left: float        # one-sided slopes at step h/2
    right: float
    central: float     # Richardson-extrapolated central difference
    error: float       # its error estimate (truncation + rounding)
    noise: float       # rounding noise of a one-sided slope at h/2
    A: float           # sum_j |v_j| |df_j| / (2h): size of the terms of the sum
    F: float           # sum_j |v_j f_j| over moved outputs
    kink: bool         # one-sided slopes differ and the gap does not shrink with h


def _probe(ev, k, xs, f_of, third=False):
    """Shared by entry and direction probes; ``f_of(s)`` evaluates at offset ``s``.

    ``third``: also evaluate at ``+-h/4`` (2 more calls) for steps whose truncation is
    not known to be in its ``h^2`` regime (the long steps of :func:`resolve`): the value is
    then the Richardson extrapolation of ``h/2, h/4`` and the truncation bound is
    ``max(|c(h/4) - c(h/2)|, |c(h/2) - c(h)| / 4)``, so that two central differences that
    agree by accident at one pair of steps no longer make the bound small (with steps of
    the order of the input itself, ``|c(h/2) - c(h)|`` alone was 40x below the true error
    of a softmax network's ``1e-13`` gradient).
    """
    fp1, fm1, fp2, fm2 = f_of(1.0), f_of(-1.0), f_of(0.5), f_of(-0.5)
    f0, v, h = ev.f0, ev.v, xs
    moved = (fp1 != f0) | (fm1 != f0) | (fp2 != f0) | (fm2 != f0)
    if third:
        fp3, fm3 = f_of(0.25), f_of(-0.25)
        moved |= (fp3 != f0) | (fm3 != f0)
    scale = ev.absvf @ moved if moved.any() else float(ev.absvf.sum())
    noise1 = _NOISE_ULPS * EPS * scale / h
    r1, l1 = (v @ (fp1 - f0)) / h, (v @ (f0 - fm1)) / h
    r2, l2 = (v @ (fp2 - f0)) / (h / 2), (v @ (f0 - fm2)) / (h / 2)
    c1, c2 = (v @ (fp1 - fm1)) / (2 * h), (v @ (fp2 - fm2)) / h
    gap1, gap2 = r1 - l1, r2 - l2
    kink = abs(gap2) > 4 * 2 * noise1 and abs(gap2) > 0.75 * abs(gap1)
    central, error = (4 * c2 - c1) / 3, abs(c2 - c1) + 2 * noise1
    if third:
        c3 = (v @ (fp3 - fm3)) / (h / 2)
        # rounding of (4 c3 - c2) / 3: c3 has 4x, c2 2x the noise of a one-sided slope at h
        central = (4 * c3 - c2) / 3
        error = max(abs(c3 - c2), abs(c2 - c1) / 4) + 6 * noise1
    return Probe(left=l2, right=r2, central=central, error=error, noise=2 * noise1,
                 A=(ev.absv @ np.abs(fp1 - fm1)) / (2 * h), F=scale, kink=bool(kink))


def real_probe(ev: Evaluator, k: int, i: int, grow: float = 1.0) -> Probe:
    """Real differences of ``v . f`` in entry ``i`` of input ``k`` (4 forward calls).

    ``grow`` multiplies the default step (used to resolve tiny derivatives, see
    :func:`resolve`); a grown step also evaluates at ``+-h/4`` (6 calls, see :func:`_probe`).
    """
    x = ev.inputs[k]
    xr = x.copy()
    flat = xr.reshape(-1)
    xi = float(flat[i])
    h = (xi + grow * _H_REAL * max(ev.scale[k], abs(xi))) - xi  # exactly representable

    def f_of(s):
        flat[i] = xi + s * h
        out = ev.call(k, xr)
        flat[i] = xi
        return out

    return _probe(ev, k, h, f_of, third=grow > 1.0)


def one_sided(ev: Evaluator, k: int, i: int) -> Probe:
    """Left and right slopes of ``v . f`` at entry ``i`` (2 forward calls) and their noise.

    Every valid value -- the derivative of a smooth function (within ``h |f2|``, f2 the
    second derivative) or a subgradient at a kink -- lies between them; a value outside is
    wrong. ``central`` is their mean, with ``error = noise + h |right - left|`` (``h^2 |f2|``
    standing in for the ``h^2 |f3| / 6`` truncation: a quick bound, trusted only when small).
    """
    x = ev.inputs[k]
    xr = x.copy()
    flat = xr.reshape(-1)
    xi = float(flat[i])
    h = (xi + _H_REAL * max(ev.scale[k], abs(xi))) - xi
    flat[i] = xi + h
    fp = ev.call(k, xr)
    flat[i] = xi - h
    fm = ev.call(k, xr)
    moved = (fp != ev.f0) | (fm != ev.f0)
    scale = ev.absvf @ moved if moved.any() else float(ev.absvf.sum())
    noise = _NOISE_ULPS * EPS * scale / h
    left, right = (ev.v @ (ev.f0 - fm)) / h, (ev.v @ (fp - ev.f0)) / h
    return Probe(left=left, right=right, central=(ev.v @ (fp - fm)) / (2 * h),
                 error=noise + h * abs(right - left), noise=noise,
                 A=(ev.absv @ np.abs(fp - fm)) / (2 * h), F=scale, kink=False)


def resolve(ev: Evaluator, k: int, i: int, p: Probe) -> Probe:
    """Grow the step while that shrinks the error bound: for derivatives (1e-13 at a
    saturated unit) that rounding hides at the default step. Stops at a kink, at a
    non-finite value (left the domain) or when the bound grows again (truncation wins);
    at most 4 more probes, steps 16x apart."""
    best = p
    for j in range(1, 5):
        q = real_probe(ev, k, i, grow=16.0 ** j)
        if q.kink or not (np.isfinite(q.central) and np.isfinite(q.error)):
            break
        if q.error >= best.error:
            break
        best = q
        if q.error < 0.01 * abs(q.central):
            break
    return best


def real_direction(ev: Evaluator, k, u=None) -> Probe:
    """Real differences of ``v . f`` along direction ``u`` on input ``k`` (4 forward calls).

    ``k`` may be a dict ``{input: direction}`` to move several inputs at once.
    """
    us = k if isinstance(k, dict) else {k: u}
    umax = max(float(np.max(np.abs(uu), initial=0.0)) for uu in us.values())
    h = _H_REAL * min(ev.scale[kk] for kk in us) / umax
    return _probe(ev, k, h, lambda s: ev.call({kk: ev.inputs[kk] + (s * h) * uu
                                               for kk, uu in us.items()}))
