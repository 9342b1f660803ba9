"""Large inputs: random directions, and group testing to localise wrong entries.

Private module of :mod:`numeric.gradcheck`. A random direction ``u`` checks ``u . g``
against one complex-step call along ``u``. When one fails, the wrong entries are found by
adaptive group testing: a random direction supported on half of a failing set tells
whether that half holds a wrong entry (one call); a half that passes clears all its
entries at once, and when the first half passes the second is known to fail without a
call. About ``2 k log2(P / k)`` calls find ``k`` wrong entries among ``P``, against ``P``
for the entry-by-entry check. The work is capped by ``budget`` forward calls; the list
is then a sample, and the report says so; so it is after 100 wrong entries.
"""

from __future__ import annotations

import numpy as np

from numeric.gradcheck import _method as M
from numeric.gradcheck._calls import ComplexUnsafe

__all__ = ["directions_fail", "localise"]

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


def localise(ev, k, g, ulps, rng, budget, progress):
    """Entries of input ``k`` holding a wrong value, by group testing.

    Returns (entries found, complete): ``complete`` is False when ``budget`` forward calls
    ran out before every failing group was split down to single entries.
    """
    start = ev.n_evals
    found = []
    stack = [(np.arange(g.size), True)]  # (set, known to fail)
    while stack:
        S, fails = stack.pop()
        if ev.n_evals - start >= budget or len(found) >= _SAMPLE:
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
