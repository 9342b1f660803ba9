"""Low precision: the user's float32/bfloat16/float16 gradient against the float64 one.

Private module behind :mod:`numeric.adapters`. Finite differences cannot judge a float32
gradient to better than about ``sqrt(eps) ~ 3e-4`` (and float16 not at all), which is why
``torch.autograd.gradcheck`` on float32 either fails correct code or, with its tolerance
loosened, passes wrong code. Here the same function run in float64 is the reference:
it is checked first by :func:`numeric.check_layer` (so it is right), then the
low-precision VJP ``g`` is compared entry by entry with the float64 VJP ``r`` at the
*same* point (the low-precision inputs and cotangent, upcast exactly) with the bound

    tol_i = 16 * (eps (|r_i| + rms(r) + mean_j |v_j f_j|) + cond_i + noise_i)

* ``eps``: the low dtype's machine epsilon (float32 1.2e-7, bfloat16 7.8e-3, float16 9.8e-4);
* ``eps rms(r)``: rounding at the scale of the input's gradient;
* ``eps mean_j |v_j f_j|``: a backward that cancels quantities of the size of the outputs
  ``f`` (``1 - y`` for a sigmoid output ``y`` next to 1: 0 in float32, 1e-9 in float64)
  loses ``eps |f|`` of them, as in :func:`numeric.check_layer`'s own bound;
* ``cond_i``: how far the exact gradient moves when every input moves by one rounding
  (``x (1 +- eps)``, random signs, twice): the entry's conditioning, measured in float64;
* ``noise_i``: how far the low-precision *error* ``g - r`` moves when the inputs (at one
  rounding, twice, and at ``sqrt(eps)``, twice) or the cotangent (``sqrt(eps)``, twice)
  move (``min(sqrt(eps), 1e-3)``), plus the spread of two identical
  low-precision calls: the rounding noise of the user's own computation, sampled at
  neighbouring points. A systematic bug (a factor 1.01) cancels from that difference, so
  it does not widen its own bound.

Measured on the float32 layers of tests/test_adapters_torch.py (12 seeds each, inputs
scaled by 3): correct layers reach at most 0.035 of the bound; a 1e-2 relative bug in a
sigmoid's backward exceeds it at 99% of the entries (median 70x the bound).
"""

from __future__ import annotations

import sys

import numpy as np

__all__ = ["compare"]

_FACTOR = 16.0
_FAR = 1e-3
_SHOWN = 10


def _report_classes(report):
    """The checker's Entry and InputResult classes: those of the module that defines the
    report's class (the checker keeps them together)."""
    mod = sys.modules.get(type(report).__module__)
    return getattr(mod, "Entry", None), getattr(mod, "InputResult", None)


def _as64(gs):
    return [None if g is None else np.asarray(g, dtype=np.float64) for g in gs]


def compare(report, problem, xs, names, rng):
    """Append one result per checked input (``name [float32]``) to ``report``."""
    eps = problem.low_eps
    dtype = problem.low_dtype
    f = np.asarray(problem.forward(*xs))
    v = problem.round_cotangent(rng.standard_normal(f.shape))
    vf = float(np.mean(np.abs(v * f))) if f.size else 0.0
    low, ref = _as64(problem.vjp_low(v, *xs)), _as64(problem.vjp(v, *xs))
    checked = [k for k, (a, b) in enumerate(zip(low, ref)) if a is not None and b is not None]
    cond = {k: np.zeros(ref[k].shape) for k in checked}
    noise = {k: np.zeros(ref[k].shape) for k in checked}

    def error_moved(xm, vm):
        """Reference and low-precision VJP at a neighbour (``xm``, ``vm``) of the point."""
        r, lo = _as64(problem.vjp(vm, *xm)), _as64(problem.vjp_low(vm, *xm))
        for k in checked:
            noise[k] = np.maximum(noise[k], np.abs((lo[k] - r[k]) - (low[k] - ref[k])))
        return r

    def moved(step):
        return problem.round_inputs([x * (1 + step * rng.choice([-1.0, 1.0], np.shape(x)))
                                     if np.asarray(x).dtype.kind == "f" else x for x in xs])

    for _ in range(2):  # every input one or two roundings away (random signs)
        r = error_moved(moved(2 * eps), v)
        for k in checked:
            cond[k] = np.maximum(cond[k], np.abs(r[k] - ref[k]))
    # farther (sqrt(eps) relative, at most 1e-3 so a bug's own change stays small) for
    # samples whose rounding errors are independent of the point's
    far = min(np.sqrt(eps), _FAR)
    for _ in range(2):
        error_moved(moved(far), v)
        error_moved(xs, problem.round_cotangent(
            v * (1 + far * rng.choice([-1.0, 1.0], v.shape))))
    again = _as64(problem.vjp_low(v, *xs))
    Entry, InputResult = _report_classes(report)
    worst = 0.0
    for k in checked:
        spread = np.abs(again[k] - low[k])
        if spread.any():
            report.notes.append(f"{names[k]} [{dtype}]: two identical {dtype} backward calls "
                                f"differ by up to {spread.max():.3g} (nondeterministic); "
                                "that spread is part of the bound")
        scale = float(np.sqrt(np.mean(ref[k] ** 2))) if ref[k].size else 0.0
        tol = _FACTOR * (eps * (np.abs(ref[k]) + scale + vf) + cond[k] + noise[k] + spread)
        err = np.abs(low[k] - ref[k])
        bad = ~(err <= tol)
        ratio = err / np.maximum(tol, 1e-300)
        worst = max(worst, float(ratio.max()) if ratio.size else 0.0)
        _add_result(report, Entry, InputResult, f"{names[k]} [{dtype}]", ref[k], low[k],
                    err, tol, bad, dtype)
    report.notes.append(f"{dtype}: each entry compared with the float64 reference (the same "
                        f"function in float64, checked above) within 16 x (eps_{dtype} x "
                        "(|entry| + rms of the input's gradient + mean |v f|) + conditioning + "
                        f"measured {dtype} noise); largest error/bound {worst:.2g}")


def _add_result(report, Entry, InputResult, name, ref, low, err, tol, bad, dtype):
    method = f"{dtype} gradient vs float64 reference"
    n_bad = int(bad.sum())
    order = np.argsort(-(err / np.maximum(tol, 1e-300)).ravel())[:_SHOWN]
    rows = [(tuple(int(j) for j in np.unravel_index(i, ref.shape)), float(low.ravel()[i]),
             float(ref.ravel()[i]), float(err.ravel()[i]), float(tol.ravel()[i]))
            for i in order if bad.ravel()[i]]
    diagnosis = []
    if n_bad:
        r = ref[bad]
        nz = np.abs(r) > 0
        if nz.any():
            c = low[bad][nz] / r[nz]
            if np.ptp(c) <= 1e-3 * abs(np.median(c)):
                diagnosis.append(f"{dtype} gradient = {np.median(c):.6g} x the float64 reference "
                                 "at every wrong entry (a constant factor)")
    if InputResult is None:
        if n_bad:
            idx, a, b, e, t = rows[0]
            report.problems.append(f"{name}: {n_bad} of {ref.size} entries differ from the "
                                   f"float64 reference beyond the {dtype} rounding bound; worst "
                                   f"{list(idx)}: {dtype} {a:.9g}, float64 {b:.9g}, "
                                   f"|error| {e:.2e}, tol {t:.2e}")
        return
    res = InputResult(name, ref.shape, method, int(ref.size),
                      wrong=[Entry(name, idx, a, b, e, t, "wrong", method)
                             for idx, a, b, e, t in rows], diagnosis=diagnosis)
    res.n_wrong = n_bad
    report.inputs.append(res)
