"""Per-entry verdicts: verified, wrong, kink, inaccurate, unresolved.

Private module of :mod:`numeric.gradcheck`.

* **Complex-step inputs** (:func:`judge_complex`). Each entry's tolerance is the rounding
  of the analytic sum, ``ulps * eps * sum_j |v_j J_ji|`` (from the complex step, never from
  the analytic value being judged), or the layer's rounding floor: ``ulps * eps`` times the
  largest ``|x * d(v.f)/dx|`` over all inputs, over this input's scale (a gradient that is
  exactly 0 computed as 1e-16 next to entries of size 1). An entry the ``-ih`` step shows to
  be at a kink passes when its value lies between the two one-sided derivatives. A
  discrepancy beyond that is **examined** (:func:`examine`): the analytic and numeric
  values are compared again at random points a tiny relative distance away; a formula
  error moves smoothly (the relative discrepancy stays put), rounding in ``backward`` jumps
  erratically and averages out. Erratic with zero mean: *inaccurate*; otherwise *wrong*.
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

__all__ = ["judge_complex", "judge_real", "quick_real", "examine", "kink_suspects"]

_LEVELS = (2.0 ** -36, 2.0 ** -28, 2.0 ** -20, 2.0 ** -14, 2.0 ** -10, 2.0 ** -7)
_FIRST = 6        # points per level before deciding whether it is informative
_POINTS = 24      # points for the rounding test (a t-test on the mean discrepancy)
_T = 5.0          # |mean| / (std / sqrt(m)) above this: a systematic error
_STEADY = 0.01    # relative change of the discrepancy under which it is "the same"
_EXAMINE = 8      # entries examined per check (the rest inherit the verdict, said so)
_CONFIRM = 3      # wrong entries per input re-checked by real differences


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


def _confirm_real(ev, k, i, g_i, d_i, tol_i):
    """Real one-sided slopes at one entry: is the complex step's value trustworthy there?

    Returns None when it is, else a (value, bound) from real differences to judge by.
    """
    try:
        q = M.one_sided(ev, k, i)
    except UserCodeError:
        return None
    lo, hi, slack = min(q.left, q.right), max(q.left, q.right), q.noise + tol_i
    if lo - slack <= d_i <= hi + slack:
        return None  # the complex step agrees with real differences
    p = M.resolve(ev, k, i, M.real_probe(ev, k, i))
    if p.error >= abs(p.central) or abs(p.central - d_i) <= p.error + tol_i:
        return None  # real differences cannot contradict it: the resolvable value wins
    return p.central, p.error + tol_i


def examine(ev, layer, items, rng, ulps, progress):
    """Wrong or inaccurate? ``items``: list of (input k, entry i, analytic, numeric).

    The analytic and numeric values are recomputed at random points ``x (1 + delta u)``
    (``u`` uniform in [-1, 1] per entry of every float input) for growing ``delta``. The
    first ``delta`` at which anything changes is used: a discrepancy that keeps its
    relative size (a formula error) is wrong; one that jumps about and averages to zero
    over ``_POINTS`` points (rounding in backward) is inaccurate, with its digits.
    Returns {(k, i): (status, note)}.
    """
    xs = ev.inputs
    out = {}
    todo = list(items)
    for delta in _LEVELS:
        if not todo:
            break
        pts = _points(ev, layer, todo, rng, delta, _FIRST)
        if pts is None:
            break
        still = []
        for n, (k, i, g0, d0) in enumerate(todo):
            G = np.array([p[0][n] for p in pts])
            D = np.array([p[1][n] for p in pts])
            if np.all(G == g0) and np.all(D == d0):
                still.append((k, i, g0, d0))   # nothing moved: a larger step is needed
                continue
            if np.max(np.abs(D - d0)) > 0.5 * abs(d0) and d0 != 0:
                out[(k, i)] = _steady_or_not(g0, d0, G, D, final=True)
                continue
            verdict = _steady_or_not(g0, d0, G, D)
            if verdict is None:  # erratic: a t-test on more points
                more = _points(ev, layer, [(k, i, g0, d0)], rng, delta, _POINTS - _FIRST)
                if more is not None:
                    G = np.concatenate([G, [p[0][0] for p in more]])
                    D = np.concatenate([D, [p[1][0] for p in more]])
                verdict = _rounding_test(g0, d0, G, D)
            out[(k, i)] = verdict
        todo = still
        progress(f"examined {len(out)} of {len(items)} disagreeing entries")
    for k, i, g0, d0 in todo:  # never moved: a constant discrepancy
        out[(k, i)] = ("wrong", "the discrepancy does not change under input perturbations")
    del xs
    return out


def _points(ev, layer, items, rng, delta, m):
    """Analytic and numeric values of ``items`` at ``m`` random points near the inputs."""
    pts = []
    for _ in range(m):
        xs = [x * (1 + delta * rng.uniform(-1, 1, x.shape)) + (x == 0) * delta *
              ev.scale[k] * rng.uniform(-1, 1, x.shape) if x.dtype.kind == "f" else x
              for k, x in enumerate(ev.inputs)]
        try:
            grads = layer.backward(ev.v, xs)
            G = [float(np.asarray(grads[k], dtype=np.float64).reshape(-1)[i])
                 for k, i, _, _ in items]
            D = []
            for k, i, _, _ in items:
                u = np.zeros(xs[k].size)
                u[i] = 1.0
                D.append(M.complex_direction(ev, {k: u}, xs=xs)[0])
        except (UserCodeError, ComplexUnsafe, TypeError, IndexError, ValueError):
            return None
        pts.append((G, D))
    return pts


def _rel(g, d):
    return (g - d) / d if d != 0 else g - d


def _steady_or_not(g0, d0, G, D, final=False):
    """Wrong when the relative discrepancy holds steady; None when it is erratic."""
    r0 = _rel(g0, d0)
    R = np.array([_rel(a, b) for a, b in zip(G, D)])
    if np.all(np.abs(R - r0) <= _STEADY * abs(r0)):
        return ("wrong", f"a steady discrepancy ({'relative ' if d0 else ''}{r0:.3g}) under "
                "input perturbations: a formula error")
    if final:
        return _rounding_test(g0, d0, G, D)
    return None


def _rounding_test(g0, d0, G, D):
    R = np.array([_rel(a, b) for a, b in zip(G, D)] + [_rel(g0, d0)])
    mu, sd, m = float(R.mean()), float(R.std(ddof=1)), R.size
    if sd == 0 or abs(mu) > _T * sd / np.sqrt(m):
        return ("wrong", f"a systematic discrepancy (mean {'relative ' if d0 else ''}{mu:.3g}"
                f", rounding spread {sd:.2g} over {m} nearby points): a formula error")
    if d0 != 0:
        digits = max(0.0, -np.log10(max(sd, 1e-17)))
        return ("inaccurate", f"right formula, about {digits:.0f} correct digits: the "
                f"discrepancy (spread {sd:.2g} relative) jumps and averages to zero under "
                "tiny input perturbations; likely a cancellation in backward (e.g. 1 - s "
                "of a saturated sigmoid: use sigmoid(-z))")
    return ("inaccurate", f"a rounding residue (spread {sd:.2g}) where the true value is "
            "0; it jumps and averages to zero under tiny input perturbations")


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
    for i in range(x.size):
        q = quick[i]
        try:
            if isinstance(q, str):
                raise UserCodeError(q)
            _judge_real_entry(res, ev, k, i, float(g[i]), ulps, floor, coarse, q, numeric, tols)
        except UserCodeError as exc:
            res.unresolved.append(Entry(res.name, _idx(x.shape, i), float(g[i]), float("nan"),
                                        float("nan"), float("nan"), "unresolved",
                                        "real differences", note=f"{exc} at a shifted input"))
    return numeric, tols


def _judge_real_entry(res, ev, k, i, gi, ulps, floor, coarse, q, numeric, tols):
    shape = ev.inputs[k].shape
    tol_q = q.error + ulps * M.EPS * q.A
    numeric[i], tols[i] = q.central, tol_q
    if (tol_q < 0.01 * abs(q.central) or tol_q < coarse) and abs(gi - q.central) <= tol_q:
        return
    p = M.real_probe(ev, k, i)
    if p.kink:  # shrink the step: a kink crossed by a long step is not a kink at x
        for grow in (1 / 16, 1 / 256, 1 / 4096):
            s = M.real_probe(ev, k, i, grow=grow)
            if s.noise > 0.5 * abs(s.right - s.left):
                break  # noise floor reached with the gap still open
            p = s
            if not s.kink:
                break
    if p.kink:
        lo, hi = min(p.left, p.right), max(p.left, p.right)
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
    if p.error >= 0.01 * abs(p.central) and p.error >= coarse:
        p = M.resolve(ev, k, i, p)
    tol = p.error + ulps * M.EPS * p.A
    numeric[i], tols[i] = p.central, tol
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
