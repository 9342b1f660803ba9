"""Large inputs: random directions, and group testing to localise wrong entries.

Private module of :mod:`numeric.gradcheck`. A random direction ``u`` checks ``u . g``
against one complex-step call along ``u``. When one fails, the wrong entries are found by
adaptive group testing: a random direction supported on half of a failing set tells
whether that half holds a wrong entry (one call); a half that passes clears all its
entries at once, and when the first half passes the second is known to fail without a
call. About ``2 k log2(P / k)`` calls find ``k`` wrong entries among ``P``, against ``P``
for the entry-by-entry check. The work is capped by ``budget`` forward calls; the list
(or ``time_budget`` seconds) is then a sample, and the report says so; so it is after
100 wrong entries.
"""

from __future__ import annotations

import time

import numpy as np

from numeric.gradcheck import _method as M
from numeric.gradcheck._calls import ComplexUnsafe, UserCodeError
from numeric.gradcheck._judge import _idx
from numeric.gradcheck._report import Entry, InputResult

__all__ = ["DirectionsCheck", "directions_fail", "localise"]

_SAMPLE = 100  # wrong entries found before the list is declared a sample


def _tol(ulps, u, g, A_u):
    return ulps * M.EPS * (float(np.abs(u) @ np.abs(g)) + A_u)


def _direction(ev, k, u, g, ulps):
    """(ok, numeric) for ``u . g`` against the directional derivative along ``u``."""
    ug = float(u @ g)
    try:
        d, A_u = M.complex_direction(ev, {k: u})
        return abs(ug - d) <= _tol(ulps, u, g, A_u), d
    except ComplexUnsafe:
        p = M.real_direction(ev, {k: u})
        return abs(ug - p.central) <= p.error + _tol(ulps, u, g, p.A), p.central


def directions_fail(ev, k, g, ulps, rng, n):
    """True when one of ``n`` random directions disagrees."""
    for _ in range(n):
        u = rng.standard_normal(g.size)
        ok, _ = _direction(ev, k, u, g, ulps)
        if not ok:
            return True
    return False


def localise(ev, k, g, ulps, rng, budget, progress, time_budget=float("inf")):
    """Entries of input ``k`` holding a wrong value, by group testing.

    Returns (entries found, complete): ``complete`` is False when ``budget`` forward calls
    ran out before every failing group was split down to single entries.
    """
    start, t0 = ev.n_evals, time.monotonic()
    found = []
    stack = [(np.arange(g.size), True)]  # (set, known to fail)
    while stack:
        S, fails = stack.pop()
        if ev.n_evals - start >= budget or len(found) >= _SAMPLE or \
                time.monotonic() - t0 > time_budget:
            return sorted(found), False
        if not fails:
            u = np.zeros(g.size)
            u[S] = rng.standard_normal(S.size)
            ok, _ = _direction(ev, k, u, g, ulps)
            if ok:
                continue
        if S.size == 1:
            found.append(int(S[0]))
            continue
        left, right = S[: S.size // 2], S[S.size // 2:]
        u = np.zeros(g.size)
        u[left] = rng.standard_normal(left.size)
        ok, _ = _direction(ev, k, u, g, ulps)
        if ok:
            stack.append((right, True))   # the parent fails, the left half does not
        else:
            stack.append((right, False))
            stack.append((left, True))
        progress(f"localising wrong entries: {len(found)} found, {ev.n_evals - start} calls")
    return sorted(found), True


class DirectionsCheck:
    """Mixin: large (or expensive) inputs checked by directions, failures localised."""

    def _directions(self, ev, checked, g0):
        results = {}
        for k in checked:
            x = self.layer.inputs[k]
            res = InputResult(self.names[k], x.shape, f"{self.n_dir} random directions", x.size)
            numeric = np.full(x.size, np.nan)
            tols = np.full(x.size, np.nan)
            try:
                failed = directions_fail(ev, k, g0[k], self.ulps, self.rng, self.n_dir)
            except UserCodeError as exc:
                res.problems.append(str(exc))
                results[k] = res
                continue
            if not failed:
                res.notes.append(f"large input: checked along {self.n_dir} random directions "
                                 "(a wrong entry below the rounding of the whole sum can hide)")
                results[k] = res
                continue
            res.method = "random directions, then group testing"
            found, complete = localise(ev, k, g0[k], self.ulps, self.rng, self.budget,
                                       self.progress, self.time_budget)
            res.notes.append(f"a random direction disagreed; {len(found)} entries localised by "
                             f"group testing" + ("" if complete else
                                                 f" (stopped at 100 found, {self.budget} forward "
                                                 f"calls or {self.time_budget:g} s: the list "
                                                 "is a sample)"))
            res.sample = not complete
            try:
                d, A, F = M.complex_sweep(ev, k, found)
                sub = {"d": d, "A": A}
            except ComplexUnsafe:
                sub = None
            for n, i in enumerate(found):
                if sub is not None:
                    numeric[i] = sub["d"][n]
                    tols[i] = self.ulps * M.EPS * sub["A"][n]
                else:
                    p = M.resolve(ev, k, i, M.real_probe(ev, k, i))
                    numeric[i], tols[i] = p.central, p.error + self.ulps * M.EPS * p.A
                if abs(g0[k][i] - numeric[i]) > tols[i]:
                    res.wrong.append(Entry(res.name, _idx(x.shape, i), float(g0[k][i]),
                                           float(numeric[i]), float(abs(g0[k][i] - numeric[i])),
                                           float(tols[i]), "wrong",
                                           "complex step" if sub is not None else
                                           "real differences"))
            if not res.wrong:
                res.notes.append("no single entry was found wrong (errors spread below each "
                                 "entry's tolerance)")
            self._finish(res, g0[k], numeric, tols, k)
            if res.sample:
                res.n_wrong = max(res.n_wrong, len(res.wrong))
            results[k] = res
        return results
