"""Numeric derivatives of the scalar ``v . forward(*inputs)``: complex step, real differences.

Private module of :mod:`numeric.gradcheck`.

* **complex step**: ``d/dx_i (v . f) = Im(v . f(x + i h e_i)) / h`` with ``h = 1e-20``.
  No subtractive cancellation: exact to a few ulps of ``A_i = sum_j |v_j J_ji|`` even where
  the true value is 1e-13 next to outputs of size 1 (a saturated sigmoid). It needs
  complex-safe code; :class:`ComplexUnsafe` is raised when ``forward`` visibly is not, and
  the caller cross-checks it against real differences. A step at ``-ih`` takes the other
  branch exactly where the code branches on the real part being equal (ReLU at 0, a tie of
  a max): the two give the one-sided derivatives there (:func:`complex_group`).
* **real differences** (:func:`real_probe`): ``f(x +- h)``, ``f(x +- h/2)`` give one-sided
  slopes at two steps and a Richardson-extrapolated central difference with an error
  estimate (truncation from the two steps, rounding from the forward's measured noise).

Output vectors are differenced BEFORE contracting with ``v``, so outputs an entry does
not move cancel exactly and add no rounding noise.

>>> import numpy as np
>>> from numeric.gradcheck._calls import Layer
>>> ev = Evaluator(Layer(np.exp, lambda g, x: (g * np.exp(x),), [np.array([0.0, 1.0])]),
...                np.array([1.0, 2.0]))
>>> d, A, F = complex_sweep(ev, 0)
>>> d.tolist() == [1.0, 2 * np.exp(1.0)]
True
>>> p = real_probe(ev, 0, 1)
>>> bool(abs(p.central - 2 * np.exp(1.0)) < 1e-8), p.kink
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from numeric.gradcheck._calls import ComplexUnsafe

__all__ = ["EPS", "Evaluator", "Probe", "complex_sweep", "complex_direction",
           "complex_group", "complex_columns", "complex_direction_outputs", "one_sided", "real_probe", "resolve", "real_direction"]

EPS = float(np.finfo(np.float64).eps)
H_COMPLEX = 1e-20
_H_REAL = 2.0 ** -16  # ~ eps^(1/3), relative to the input's scale (:func:`_scale`)
_J_MAX = 2_000_000  # keep the complex-step columns (as a matrix) up to this many numbers
_NOISE_ULPS = 16.0  # default rounding noise of one forward value, in ulps of |f_j|


def _scale(x) -> float:
    """The scale an input varies on, for step lengths: its spread (standard deviation),
    but at least 2^-28 of its mean size, so that a step (2^-16 of this) is some 256 ulps
    (``1e8 + randn`` is stepped by ~1e-5, not by 1e3, and ``1e8 + 1e-4 randn`` by ~6e-6:
    steps stay inside the gaps between its entries, the argmax of a pooling window); its
    mean size when it has no spread (a constant or a single entry); else 1."""
    if x.dtype.kind != "f" or x.size == 0:
        return 1.0
    size = float(np.mean(np.abs(x)))
    sd = float(np.std(x)) if x.size > 1 else 0.0
    if sd > 0:
        return max(sd, size * 2.0 ** -28)
    return size if size > 0 else 1.0


class Evaluator:
    """``forward`` around base inputs ``layer.inputs`` (or ``xs``), cotangent ``v``, ``f0``.

    ``noise``: the relative rounding noise of one forward value (``16 eps`` unless the
    forward was measured to be noisier, e.g. a forward computing in float32 inside).
    """

    def __init__(self, layer, v, xs=None, f0=None, noise=_NOISE_ULPS * EPS):
        self.layer = layer
        self.inputs = list(layer.inputs if xs is None else xs)
        self.v = np.asarray(v, dtype=np.float64).reshape(-1)
        self.absv = np.abs(self.v)
        self.f0 = layer.forward(self.inputs) if f0 is None else f0
        self.absvf = self.absv * np.abs(self.f0)
        self.noise = noise
        self.noise_abs = 0.0  # measured absolute noise of one output value (0: not known)
        self.scale = [_scale(x) for x in self.inputs]

    @property
    def n_evals(self):
        return self.layer.n_forward

    def call(self, repl):
        """``forward`` with inputs replaced: ``repl`` maps input index -> array."""
        args = [repl.get(k, x) for k, x in enumerate(self.inputs)]
        return self.layer.forward(args)

    def call_complex(self, repl):
        args = [repl.get(k, x) for k, x in enumerate(self.inputs)]
        out = self.layer.forward_complex(args)
        if out.size != self.f0.size:
            raise ComplexUnsafe("forward returned a different shape for a complex input")
        return out


def complex_sweep(ev: Evaluator, k: int, entries=None):
    """Complex step over the entries of input ``k``: numeric ``d``, ``A = sum|v J|``, ``F``.

    ``F_i = sum_j |v_j f_j|`` over the outputs ``j`` that entry ``i`` moves: the size of the
    quantities a correct analytic gradient may cancel (``1 - s`` of a saturated sigmoid).
    """
    x = ev.inputs[k]
    xc = x.astype(np.complex128)
    flat = xc.reshape(-1)
    idx = range(x.size) if entries is None else entries
    n, M = len(idx), ev.f0.size
    v, absv, absvf, h = ev.v, ev.absv, ev.absvf, H_COMPLEX
    J = np.empty((n, M)) if n * M <= _J_MAX else None
    d, A, F = np.empty(n), np.empty(n), np.empty(n)
    with ev.layer.complex_calls():
        for m, out in enumerate(_sweep_calls(ev, k, xc, flat, idx, h)):
            if J is not None:
                J[m] = out.imag
                continue
            c = out.imag
            d[m], A[m], F[m] = (v @ c) / h, (absv @ np.abs(c)) / h, absvf @ (c != 0)
    if J is not None:
        d, A, F = (J @ v) / h, (np.abs(J) @ absv) / h, (J != 0) @ absvf
    if not (np.isfinite(d).all() and np.isfinite(A).all()):
        raise ComplexUnsafe("complex step gave non-finite derivatives")
    return d, A, F


def _sweep_calls(ev, k, xc, flat, idx, h):
    """One complex-step call an entry (a generator, so that each output is reduced before
    the next call)."""
    for i in idx:
        xi = flat[i]
        flat[i] = xi + 1j * h
        try:
            yield ev.call_complex({k: xc})
        finally:
            flat[i] = xi


def complex_direction(ev: Evaluator, us: dict, sign: float = 1.0, xs=None):
    """Complex-step derivative of ``v . f`` along ``{input: direction}`` (one call): d, A.

    ``sign=-1`` steps at ``-ih`` (the other branch at a kink); ``xs`` replaces the base
    inputs (a perturbed point).
    """
    base = ev.inputs if xs is None else xs
    repl = {k: base[k] + (sign * 1j * H_COMPLEX) * u.reshape(base[k].shape)
            for k, u in us.items()}
    if xs is not None:
        repl = {**{k: x for k, x in enumerate(xs)}, **repl}
    out = ev.call_complex(repl)
    c = out.imag
    d = (ev.v @ c) / (sign * H_COMPLEX)
    if not np.isfinite(d):
        raise ComplexUnsafe("complex step gave a non-finite derivative")
    return float(d), float(ev.absv @ np.abs(c)) / H_COMPLEX


def complex_columns(ev: Evaluator, k: int, i: int):
    """Per-output contributions ``v_j df_j/dx_i`` at ``+ih`` and at ``-ih`` (2 calls).

    At a kink the two differ; each output's share of a subgradient lies between them.
    """
    e = np.zeros(ev.inputs[k].size)
    e[i] = 1.0
    out = []
    for sign in (1.0, -1.0):
        c = ev.call_complex({k: ev.inputs[k] + (sign * 1j * H_COMPLEX) * e.reshape(
            ev.inputs[k].shape)}).imag
        out.append(ev.v * c / (sign * H_COMPLEX))
    return out


def complex_direction_outputs(ev: Evaluator, us: dict):
    """``v_j d f_j`` along ``{input: direction}`` per output (one call): which outputs the
    direction moves, and by how much."""
    repl = {k: ev.inputs[k] + (1j * H_COMPLEX) * u.reshape(ev.inputs[k].shape)
            for k, u in us.items()}
    return ev.v * ev.call_complex(repl).imag / H_COMPLEX


def complex_group(ev: Evaluator, groups: dict, sign: float = -1.0) -> float:
    """Complex step at ``sign * ih`` on a group of entries ``{input: entries}`` (one call).

    For analytic code it equals the sum of the single-entry ``+ih`` steps; where it does
    not, ``forward`` took another branch (a kink): bisecting the group names the entries.
    """
    us = {}
    for k, ee in groups.items():
        u = np.zeros(ev.inputs[k].size)
        u[np.asarray(ee, dtype=int)] = 1.0
        us[k] = u
    return complex_direction(ev, us, sign)[0]


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
    h: float = 0.0     # the step
    moved: bool = True  # some output changed at all (else the probe says nothing)
    mask: object = None  # which outputs changed
    # per-output hull of the one-sided slopes at h/2, summed: sum_j min(l_j, r_j) and
    # sum_j max(l_j, r_j). At ties shared by overlapping windows each output's share of a
    # subgradient lies between its own one-sided values, the total between these
    hull_lo: float = float("nan")
    hull_hi: float = float("nan")


def _rounding(ev, moved, h):
    """``sum_j |v_j f_j|`` over the moved outputs (all when none moved) and the rounding
    noise of one difference quotient at step ``h``, relative and absolute noise both."""
    scale = ev.absvf @ moved if moved.any() else float(ev.absvf.sum())
    return scale, max(ev.noise * scale, ev.noise_abs * float(ev.absv @ moved)) / h


def _probe(ev, h, f_of, third=False):
    """Shared by entry and direction probes; ``f_of(s)`` evaluates at offset ``s h``.

    ``third``: also at ``+-h/4`` for grown steps (truncation not known to be in its
    ``h^2`` regime): value from ``h/2, h/4``, bound ``max(|c3 - c2|, |c2 - c1| / 4)``.
    """
    fp1, fm1, fp2, fm2 = f_of(1.0), f_of(-1.0), f_of(0.5), f_of(-0.5)
    f0, v = ev.f0, ev.v
    moved = (fp1 != f0) | (fm1 != f0) | (fp2 != f0) | (fm2 != f0)
    if third:
        fp3, fm3 = f_of(0.25), f_of(-0.25)
        moved |= (fp3 != f0) | (fm3 != f0)
    scale, noise1 = _rounding(ev, moved, h)
    r1, l1 = (v @ (fp1 - f0)) / h, (v @ (f0 - fm1)) / h
    r2, l2 = (v @ (fp2 - f0)) / (h / 2), (v @ (f0 - fm2)) / (h / 2)
    c1, c2 = (v @ (fp1 - fm1)) / (2 * h), (v @ (fp2 - fm2)) / h
    gap1, gap2 = r1 - l1, r2 - l2
    kink = abs(gap2) > 4 * 2 * noise1 and abs(gap2) > 0.75 * abs(gap1)
    central, error = (4 * c2 - c1) / 3, abs(c2 - c1) + 2 * noise1
    if third:
        c3 = (v @ (fp3 - fm3)) / (h / 2)
        central = (4 * c3 - c2) / 3
        error = max(abs(c3 - c2), abs(c2 - c1) / 4) + 6 * noise1
    lj, rj = v * (f0 - fm2) / (h / 2), v * (fp2 - f0) / (h / 2)
    return Probe(left=float(l2), right=float(r2), central=float(central), error=float(error),
                 noise=float(2 * noise1), A=float(ev.absv @ np.abs(fp1 - fm1)) / (2 * h),
                 F=float(scale), kink=bool(kink), h=float(h), moved=bool(moved.any()),
                 mask=moved, hull_lo=float(np.minimum(lj, rj).sum()),
                 hull_hi=float(np.maximum(lj, rj).sum()))


def _entry_step(ev, k, i, grow):
    x = ev.inputs[k]
    xi = float(x.reshape(-1)[i])
    h = grow * _H_REAL * max(ev.scale[k], abs(xi) * 2.0 ** -28)
    return xi, (xi + h) - xi  # exactly representable


def real_probe(ev: Evaluator, k: int, i: int, grow: float = 1.0) -> Probe:
    """Real differences of ``v . f`` in entry ``i`` of input ``k`` (4 forward calls).

    ``grow`` multiplies the default step: above 1 to resolve tiny derivatives (6 calls),
    below 1 to shrink towards a kink that a longer step crossed.
    """
    xr = ev.inputs[k].copy()
    flat = xr.reshape(-1)
    xi, h = _entry_step(ev, k, i, grow)

    def f_of(s):
        flat[i] = xi + s * h
        out = ev.call({k: xr})
        flat[i] = xi
        return out

    return _probe(ev, h, f_of, third=grow > 1.0)


def one_sided(ev: Evaluator, k: int, i: int) -> Probe:
    """Left and right slopes of ``v . f`` at entry ``i`` (2 forward calls) and their noise.

    ``central`` is their mean, with ``error = noise + h |right - left|``: a quick bound,
    trusted only when small.
    """
    xr = ev.inputs[k].copy()
    flat = xr.reshape(-1)
    xi, h = _entry_step(ev, k, i, 1.0)
    flat[i] = xi + h
    fp = ev.call({k: xr})
    flat[i] = xi - h
    fm = ev.call({k: xr})
    moved = (fp != ev.f0) | (fm != ev.f0)
    scale, noise = _rounding(ev, moved, h)
    left, right = (ev.v @ (ev.f0 - fm)) / h, (ev.v @ (fp - ev.f0)) / h
    return Probe(left=float(left), right=float(right), central=float(ev.v @ (fp - fm)) / (2 * h),
                 error=float(noise + h * abs(right - left)), noise=float(noise),
                 A=float(ev.absv @ np.abs(fp - fm)) / (2 * h), F=float(scale), kink=False,
                 h=float(h))


def resolve(ev: Evaluator, k: int, i: int, p: Probe) -> Probe:
    """Grow the step to shrink the error bound (tiny derivatives that rounding hides at
    the default step; a forward that rounds its outputs to float32). Keeps the probe with
    the smallest bound; stops at a kink (or a step that moved forward on one side only),
    a non-finite value or a bound below 1% of the value. At most 4 more probes, steps 16x apart: one bound that grew is no reason to
    stop (a bound is an estimate, and the first one may be the lucky one)."""
    best = p
    for j in range(1, 5):
        q = real_probe(ev, k, i, grow=16.0 ** j)
        if q.kink or not (np.isfinite(q.central) and np.isfinite(q.error)):
            break
        if (q.left == 0) != (q.right == 0):
            break  # forward moved on one side only: the step reached a kink (a window's max)
        if q.error < best.error:
            best = q
        if q.error < 0.01 * abs(q.central):
            break
    return best


def real_direction(ev: Evaluator, us: dict, grow: float = 1.0) -> Probe:
    """Real differences of ``v . f`` along ``{input: direction}`` (4 forward calls)."""
    umax = max(float(np.max(np.abs(u), initial=0.0)) for u in us.values())
    h = grow * _H_REAL * min(ev.scale[k] for k in us) / umax
    shaped = {k: u.reshape(ev.inputs[k].shape) for k, u in us.items()}
    return _probe(ev, h, lambda s: ev.call({k: ev.inputs[k] + (s * h) * u
                                            for k, u in shaped.items()}), third=grow > 1.0)
