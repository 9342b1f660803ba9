"""Low precision: the user's float32/bfloat16/float16 gradient against the float64 one.

Private module behind :mod:`numeric.adapters`. Finite differences cannot judge a float32
gradient to better than about ``sqrt(eps) ~ 3e-4`` (and float16 not at all), which is why
``torch.autograd.gradcheck`` on float32 either fails correct code or, with its tolerance
loosened, passes wrong code. Here the same function run in float64 is the reference:
it is checked first by :func:`numeric.check_layer` (so it is right), then the
low-precision VJP ``g`` is compared entry by entry with the float64 VJP ``r`` at the
*same* point (the low-precision inputs and cotangent, upcast exactly) with the bound

    tol_i = 16 * (eps |r_i| + eps rms(r) + cond_i + noise_i)

* ``eps``: the low dtype's machine epsilon (float32 1.2e-7, bfloat16 7.8e-3, float16 9.8e-4);
* ``eps rms(r)``: rounding at the scale of the input's gradient (an entry that is 0 in
  float32 and 1e-9 in float64, e.g. a saturated sigmoid, is not a bug);
* ``cond_i``: how far the exact gradient moves when every input moves by one rounding
  (``x (1 +- eps)``, random signs, twice): the entry's conditioning, measured in float64;
* ``noise_i``: how far the low-precision *error* ``g - r`` moves when the cotangent moves
  by one rounding (twice), plus the spread of two identical low-precision calls: the
  rounding noise of the user's own computation. A systematic bug (a factor 1.01) cancels
  from that difference, so it does not widen its own bound.

Measured (tests/test_adapters_torch.py): correct float32 layers stay under a tenth of
the bound for every seed tried, and a 1e-2 relative bug exceeds it by 300x or more.
"""

from __future__ import annotations

import numpy as np

__all__ = ["compare"]

_FACTOR = 16.0
_SHOWN = 10


def _report_classes():
    """The checker's Entry and InputResult classes, wherever the checker keeps them."""
    for module in ("numeric._report", "numeric.gradcheck._report"):
        try:
            mod = __import__(module, fromlist=["Entry", "InputResult"])
            return mod.Entry, mod.InputResult
        except (ImportError, AttributeError):
            continue
    return None, None


def _as64(gs):
    return [None if g is None else np.asarray(g, dtype=np.float64) for g in gs]


def compare(report, problem, xs, names, rng):
    """Append one result per checked input (``name [float32]``) to ``report``."""
    eps = problem.low_eps
    dtype = problem.low_dtype
    f = np.asarray(problem.forward(*xs))
    v = rng.standard_normal(f.shape)
    low, v = problem.vjp_low(v, *xs)
    low, ref = _as64(low), _as64(problem.vjp(v, *xs))
    checked = [k for k, (a, b) in enumerate(zip(low, ref)) if a is not None and b is not None]
    zero = {k: np.zeros(ref[k].shape) for k in checked}
    cond, noise = dict(zero), dict(zero)
    for _ in range(2):
        moved = [x * (1 + eps * rng.choice([-1.0, 1.0], np.shape(x)))
                 if np.asarray(x).dtype.kind == "f" else x for x in xs]
        g = _as64(problem.vjp(v, *moved))
        for k in checked:
            cond[k] = np.maximum(cond[k], np.abs(g[k] - ref[k]))
    for _ in range(2):
        low2, v2 = problem.vjp_low(v * (1 + 2 * eps * rng.choice([-1.0, 1.0], v.shape)), *xs)
        low2, ref2 = _as64(low2), _as64(problem.vjp(v2, *xs))
        for k in checked:
            noise[k] = np.maximum(noise[k], np.abs((low2[k] - ref2[k]) - (low[k] - ref[k])))
    again, _ = problem.vjp_low(v, *xs)
    again = _as64(again)
    Entry, InputResult = _report_classes()
    worst = 0.0
    for k in checked:
        spread = np.abs(again[k] - low[k])
        if spread.any():
            report.notes.append(f"{names[k]} [{dtype}]: two identical {dtype} backward calls "
                                f"differ by up to {spread.max():.3g} (nondeterministic); "
                                "that spread is part of the bound")
        scale = float(np.sqrt(np.mean(ref[k] ** 2))) if ref[k].size else 0.0
        tol = _FACTOR * (eps * (np.abs(ref[k]) + scale) + cond[k] + noise[k] + spread)
        err = np.abs(low[k] - ref[k])
        bad = ~(err <= tol)
        ratio = err / np.maximum(tol, 1e-300)
        worst = max(worst, float(ratio.max()) if ratio.size else 0.0)
        _add_result(report, Entry, InputResult, f"{names[k]} [{dtype}]", ref[k], low[k],
                    err, tol, bad, dtype)
    report.notes.append(f"{dtype}: each entry compared with the float64 reference (the same "
                        f"function in float64, checked above) within 16 x (eps_{dtype} x "
                        "(|entry| + rms of the input's gradient) + conditioning + measured "
                        f"{dtype} noise); largest error/bound {worst:.2g}")


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
    res = InputResult(name, ref.shape, method, int(ref.size))
    res.n_wrong = n_bad
    res.wrong = [Entry(name, idx, a, b, e, t, "wrong", method) for idx, a, b, e, t in rows]
    res.diagnosis = diagnosis
    report.inputs.append(res)
