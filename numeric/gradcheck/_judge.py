"""Per-entry verdicts: verified, wrong, kink, inaccurate, unresolved.

Private module of :mod:`numeric.gradcheck`.

* **Complex-step inputs** (:func:`judge_complex`). Each entry's tolerance is the rounding
  of the analytic sum, ``ulps * eps * sum_j |v_j J_ji|`` (from the complex step, never from
  the analytic value being judged), or the layer's rounding floor: ``ulps * eps`` times the
  largest ``|x * d(v.f)/dx|`` over all inputs, over this input's scale (a gradient that is
  exactly 0 computed as 1e-16 next to entries of size 1). An entry the ``-ih`` step shows to
  be at a kink passes when its value lies between the two one-sided derivatives. A
  discrepancy beyond that is a candidate for the examination
  (:func:`numeric.gradcheck._examine.examine`).
* **Real-difference inputs** (:func:`judge_real`): each entry against its central
  difference and the error bound of that difference; kinks only when one-sided slopes
  differ at every step down to the rounding floor; an entry no step can resolve is
  *unresolved*, with the reason.
"""

from __future__ import annotations

import numpy as np

from numeric.gradcheck import _method as M
from numeric.gradcheck._calls import ComplexUnsafe, UserCodeError
from numeric.gradcheck._report import Entry

__all__ = ["judge_complex", "judge_real", "quick_real", "kink_suspects"]



def _idx(shape, i):
    return tuple(int(j) for j in np.unravel_index(i, shape)) if shape else ()


def kink_suspects(ev, groups, d_plus, A, ulps):
    """Entries where the ``-ih`` step disagrees with the ``+ih`` one, by bisection.

    ``groups``: {input: entries}; returns {(input, entry): derivative at -ih}.
    """
    found = {}
    stack = [groups]
    while stack:
        G = stack.pop()
        got = M.complex_group(ev, G, -1.0)
        want = sum(float(d_plus[k][np.asarray(e)].sum()) for k, e in G.items())
        scale = sum(float(A[k][np.asarray(e)].sum()) for k, e in G.items())
        if abs(got - want) <= ulps * M.EPS * scale + 1e-300:
            continue
        items = [(k, int(i)) for k, e in G.items() for i in e]
        if len(items) == 1:
            found[items[0]] = got
            continue
        half = len(items) // 2
        for part in (items[:half], items[half:]):
            g2 = {}
            for k, i in part:
                g2.setdefault(k, []).append(i)
            stack.append(g2)
    return found


def judge_complex(res, ev, k, g, sweep, minus, floor, ulps):
    """Judge every entry of input ``k`` from its complex step ``sweep = (d, A, F)``.

    ``minus``: {entry: derivative at -ih} for kink suspects. Fills ``res`` (wrong, kinks)
    and returns (numeric, tol, candidates) where candidates are entries to examine.
    """
    d, A, F = sweep
    x = ev.inputs[k]
    tol = ulps * M.EPS * A
    err = np.abs(g - d)
    flagged = ~(err <= np.maximum(tol, floor))
    cands = []
    for i, dm in minus.items():
        if abs(dm - d[i]) <= ulps * M.EPS * A[i]:
            continue  # same branch both ways: an ordinary entry
        lo, hi = min(d[i], dm), max(d[i], dm)
        try:  # each output's share between its one-sided values (ties in several windows)
            cp, cm = M.complex_columns(ev, k, i)
            lo, hi = min(lo, float(np.minimum(cp, cm).sum())), max(hi, float(np.maximum(
                cp, cm).sum()))
        except (ComplexUnsafe, UserCodeError):
            pass
        inside = lo - tol[i] - floor <= g[i] <= hi + tol[i] + floor
        near = lo if abs(g[i] - lo) < abs(g[i] - hi) else hi
        e = Entry(res.name, _idx(x.shape, i), float(g[i]), float(near),
                  0.0 if inside else float(abs(g[i] - near)), float(tol[i] + floor),
                  "kink" if inside else "wrong", "complex step at +ih and -ih",
                  left=float(dm), right=float(d[i]),
                  note="" if inside else "outside the one-sided derivatives at a kink")
        (res.kinks if inside else res.wrong).append(e)
        flagged[i] = False
    for i in np.flatnonzero(flagged):
        cands.append(int(i))
    return d, tol, cands


def _flat_below_kink(ev, k, i):
    """The longest step ``h`` (default step times 1, 16, ..., 65536) at which moving entry
    ``i`` either way leaves every output bitwise unchanged, provided every longer step
    moves forward on one side only (a pooled entry below its window's maximum: raising
    it past the maximum moves the output, lowering it never does). ``None`` otherwise: a
    zeroed ``x + 1e16`` moves both ways once the step passes its ulp of 2. Two forward
    calls a step."""
    x = ev.inputs[k]
    xr = x.copy()
    flat = xr.reshape(-1)
    h_flat = None
    for j in range(5):
        xi, h = M._entry_step(ev, k, i, 16.0 ** j)
        sides = []
        for sgn in (1.0, -1.0):
            flat[i] = xi + sgn * h
            sides.append(bool(np.any(ev.call({k: xr}) != ev.f0)))
            flat[i] = xi
        if not any(sides):
            h_flat = h
        elif all(sides):
            return None
    return h_flat


def quick_real(ev, k, progress, name):
    """One-sided slopes at every entry of input ``k`` (2 calls each): the first look, and
    the scale of the input's gradient. Entries where forward raises are ``None``."""
    out = []
    size = ev.inputs[k].size
    for i in range(size):
        if i % 256 == 0:
            progress(f"{name}: real differences, entry {i} of {size}")
        try:
            out.append(M.one_sided(ev, k, i))
        except UserCodeError as exc:
            out.append(str(exc))
    return out


def judge_real(res, ev, k, g, ulps, floor, coarse, quick):
    """Judge every entry of input ``k`` by real differences (forward not complex-safe).

    ``quick``: :func:`quick_real`'s probes; ``floor``: the layer's rounding floor for this
    input; ``coarse``: error bounds below this (1e-8 of the layer's gradient scale) count as
    resolved even when the entry itself is smaller.
    """
    x = ev.inputs[k]
    numeric = np.full(x.size, np.nan)
    tols = np.full(x.size, np.nan)
    gscale = float(np.max(np.abs(g), initial=0.0))  # the analytic gradient's own scale
    for i in range(x.size):
        q = quick[i]
        try:
            if isinstance(q, str):
                raise UserCodeError(q)
            _judge_real_entry(res, ev, k, i, float(g[i]), ulps, floor, coarse, q, numeric, tols,
                              gscale)
        except UserCodeError as exc:
            res.unresolved.append(Entry(res.name, _idx(x.shape, i), float(g[i]), float("nan"),
                                        float("nan"), float("nan"), "unresolved",
                                        "real differences", note=f"{exc} at a shifted input"))
    return numeric, tols


def _judge_real_entry(res, ev, k, i, gi, ulps, floor, coarse, q, numeric, tols, gscale):
    shape = ev.inputs[k].shape
    tol_q = q.error + ulps * M.EPS * q.A
    numeric[i], tols[i] = q.central, tol_q
    if tol_q < 0.01 * abs(q.central) and abs(gi - q.central) <= tol_q:
        return
    p = M.real_probe(ev, k, i)
    if p.kink or (p.error > 0.01 * abs(p.central) and (abs(p.right - p.left) > 4 * p.noise
                                                        or p.error > 8 * p.noise)):
        # one-sided slopes apart, or the step and its half disagreeing beyond rounding: a
        # kink at x, or one near x that a step crossed (a runner-up 1e-6 below a pooling
        # window's maximum: the gap shrinks with the step). Shorter steps until one crosses
        # nothing; a kink at x keeps its gap to the end
        for grow in (1 / 16, 1 / 256, 1 / 4096, 1 / 65536):
            s = M.real_probe(ev, k, i, grow=grow)
            gap = abs(s.right - s.left)
            if not s.kink and gap <= 4 * s.noise and \
                    s.error <= max(8 * s.noise, 0.01 * abs(s.central)):
                p = s  # this step crosses no kink
                break
            if s.noise > 0.5 * gap and not s.error < p.error:
                break  # noise floor reached with the gap still open
            if s.kink or s.error < p.error:
                p = s
    if p.kink:
        lo, hi = min(p.left, p.right, p.hull_lo), max(p.left, p.right, p.hull_hi)
        slack = p.noise + ulps * M.EPS * p.A + floor
        inside = lo - slack <= gi <= hi + slack
        near = lo if abs(gi - lo) < abs(gi - hi) else hi
        numeric[i], tols[i] = near, slack
        e = Entry(res.name, _idx(shape, i), gi, float(near), 0.0 if inside else abs(gi - near),
                  float(slack), "kink" if inside else "wrong", "one-sided differences",
                  left=p.left, right=p.right,
                  note=f"one-sided slopes differ down to step {p.h:.2g}")
        (res.kinks if inside else res.wrong).append(e)
        return
    if p.error >= 0.01 * abs(p.central):
        p = M.resolve(ev, k, i, p)
    tol = p.error + ulps * M.EPS * p.A
    numeric[i], tols[i] = p.central, tol
    flat = p.h if gi == 0 and not p.moved else (_flat_below_kink(ev, k, i)
                                                 if gi == 0 and p.central == 0 else None)
    # no output changed at all, bitwise, at a step that crossed no kink (a pooled entry
    # below its window's maximum, outputs ~1e8): a true derivative d would have moved some
    # output by more than half its ulp unless |d| <= sum_j |v_j| ulp(f_j) / 2h. Verified 0
    # when that bound is below 1e-5 of the input's gradient scale (x + 1e16, zeroed,
    # stays flat for steps below its ulp of 2: a bound of ~3, not resolved)
    bound = float(ev.absv @ np.spacing(np.abs(ev.f0))) / (2 * flat) if flat else np.inf
    if bound <= 1e-5 * gscale:
        res.notes.append(f"entry {list(_idx(shape, i))}: forward does not change at all when "
                         f"it moves by +-{flat:.2g} (so |derivative| <= {bound:.1g}); "
                         "analytic 0")
        return
    if abs(gi - p.central) > tol + floor:
        res.wrong.append(Entry(res.name, _idx(shape, i), gi, p.central, abs(gi - p.central),
                               tol + floor, "wrong", "real differences (central + Richardson)"))
    elif tol > max(abs(p.central), abs(gi)) and tol > max(floor, coarse):
        res.unresolved.append(Entry(
            res.name, _idx(shape, i), gi, p.central, abs(gi - p.central), tol, "unresolved",
            "real differences",
            note="the derivative is below the error bound of real differences; make forward "
                 "complex-safe (no abs, max on complex, astype(float)) so the complex step "
                 "can resolve it, or pass allow_unresolved=True"))
