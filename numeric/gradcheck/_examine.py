"""The examination: rounding in ``backward``, or a formula error?

Private module of :mod:`numeric.gradcheck`. A complex-step entry outside its tolerance is
compared again at random points a tiny relative distance away: a formula error moves
smoothly (the relative discrepancy stays put), rounding in ``backward`` jumps erratically
and averages out. Erratic with zero mean: *inaccurate*; otherwise *wrong*. The rules that
turn a discrepancy into "inaccurate" or "verified" each name what they excuse and why;
``tests/test_gradcheck_found.py`` holds a negative control for each.
"""

from __future__ import annotations

import numpy as np

from numeric.gradcheck import _method as M
from numeric.gradcheck._calls import ComplexUnsafe, UserCodeError

__all__ = ["examine", "EXAMINE"]

_LEVELS = tuple(2.0 ** -e for e in (36, 28, 22, 18, 15, 13, 12, 11, 10, 9, 8, 7, 6, 5))
_POINTS = 60      # points on the line for the rounding test
_FIRST = 6        # points first: a steady discrepancy is decided on these
_T = 5.0          # fitted r(0) beyond this many standard errors: a formula error
_EXAMINE = 8      # entries examined per check (the rest inherit the verdict, said so)
EXAMINE = _EXAMINE


def examine(ev, layer, items, rng, ulps, progress, checked=None, scale=None, reach=0.0,
            cond=0.0):
    """Wrong or inaccurate? ``items``: list of (input k, entry i, analytic, numeric).

    Along one random line through the checked inputs, ``x (1 + s delta u)`` (``u = 1`` at
    the entry, uniform in [-1/2, 1/2] elsewhere, ``s`` in [-1, 1]), the relative
    discrepancy ``r(s) = analytic / numeric - 1`` is sampled at ``_POINTS`` points, for the
    largest ``delta`` (from 2^-5 down to 2^-36) at which the numeric value stays within 50%
    at every point: wide enough that intermediates of ``backward`` cross many float
    boundaries, narrow enough that no branch of ``forward`` changes. Then:

    * steady ``r`` (within 0.1%): a formula error (wrong);
    * ``r(0)`` an outlier among its neighbours (the discrepancy vanishes a hair away): a
      branch taken at exactly this point (``0/0``, ``x == 0``, a tolerance mask): wrong;
    * a line fitted to the neighbours splits ``r`` into a smooth part and jumps: a fitted
      ``r(0)`` away from zero beyond ``_T`` standard errors and half the jumps is a
      formula error under rounding noise (wrong); otherwise rounding in ``backward``
      (inaccurate, with its digits).

    (``r`` is the plain difference where the numeric value changes sign or comes within
    10% of 0 along the line.)
    ``reach``: ulps of the output-sized quantities the entry moves (output units);
    ``cond``: the relative rounding a backward that centres the input (``x - mean x``)
    makes, ``ulps eps max|x| / spread(x)`` (x ~ 1e3 + randn: 1e3 eps). Either bounds the
    rounding bias an offset may be excused as: up to 4 observed jumps with 8 distinct
    analytic values or more, up to one float cell (their spacing) with fewer, and never
    below the numeric value's own jitter on lines shorter than 2^-36. Before that, four
    exits: a numeric value that is itself noise (moves of a few ulps change it by 50%,
    below 1e-6 of the layer's gradients: verified when the analytic value lies within
    it); an exact 0 and a lost term below the rounding of the outputs the entry moves
    ("every digit lost": inaccurate); and levels whose moves round to nothing, skipped.
    Returns {(k, i): (status, note)}.
    """
    out = {}
    checked = set(range(len(ev.inputs))) if checked is None else set(checked)
    for n, (k, i, g0, d0) in enumerate(items):
        progress(f"examined {n} of {len(items)} disagreeing entries")
        # the entry itself moves fully, every other checked entry by up to half as much:
        # moving all by random signs can leave the entry's intermediates unchanged (w a with
        # w up and a down); inputs without a gradient (labels, data) stay put
        u = [rng.uniform(-0.5, 0.5, x.shape) if x.dtype.kind == "f" and j in checked else None
             for j, x in enumerate(ev.inputs)]
        u[k].reshape(-1)[i] = 1.0
        u = _direction(ev, u)
        # the neighbourhood: the numeric value within 50% of itself, or within a few times
        # the discrepancy (a true 0 may be a root of the derivative, growing linearly)
        stable = max(0.5 * abs(d0), 4 * abs(g0 - d0))
        # relative discrepancies only while the numeric value keeps away from 0
        dref = d0 if 4 * abs(g0 - d0) <= 0.5 * abs(d0) else 0.0
        r0 = _rel(g0, d0, dref)
        verdict, last = None, None
        for level in sorted(_LEVELS + (2.0 ** -44, 2.0 ** -52), reverse=True):
            S = np.concatenate([[-1.0, 1.0], rng.uniform(-1, 1, _FIRST - 2)])
            pairs = [_at(ev, layer, u, level * t, k, i) for t in S]
            if any(g is None for g, _ in pairs):
                continue
            if not _moves(ev, u, level):
                continue  # moves below half an ulp: nothing was perturbed, nothing learnt
            last = pairs
            if any(abs(d - d0) > stable for _, d in pairs):
                if level <= 2.0 ** -36:
                    break  # a jump within moves of a few ulps: the numeric value is noise
                continue
            R = [_rel(g, d, dref) for g, d in pairs]
            Dn = np.array([d0] + [d for _, d in pairs])
            Sn = np.concatenate([[0.0], S])
            fit = np.polyval(np.polyfit(Sn, Dn, 1), Sn)
            noise = float(np.max(np.abs(Dn - fit)))
            # (only at steps so short that a smooth numeric value is a straight line)
            if level <= 2.0 ** -36 and noise > 0.1 * abs(d0) and \
                    abs(g0 - np.mean(Dn)) <= 2 * noise + abs(np.mean(Dn)):
                verdict = ("verified", f"the numeric value is itself rounding noise here "
                           f"(+- {noise:.2g}: forward cancels larger terms); the analytic "
                           "value lies within it")
                break
            if g0 == 0 and all(g == 0 for g, _ in pairs) and d0 != 0 and \
                    abs(d0) <= reach and any(d != d0 for _, d in pairs):
                # exactly 0 while the true value moves, and the true value is below the
                # rounding of the outputs the entry moves (1 - s with s rounded to 1): every
                # digit lost, which no black box can tell from a zeroed gradient
                verdict = ("inaccurate", f"every digit lost: exactly 0 where the true value "
                           f"({d0:.2g}) is below the rounding of the outputs it moves "
                           f"({reach:.2g}); e.g. 1 - s of a saturated unit rounded to 0")
                break
            if d0 != 0 and max(abs(d0), abs(g0 - d0)) <= min(
                    reach, ulps * M.EPS * (scale or {}).get(k, 0.0)) and \
                    any(d != d0 for _, d in pairs) and all(d != 0 for _, d in pairs) and \
                    all(abs(g / d - g0 / d0) <= 1e-3 * abs(g0 / d0 - 1) for g, d in pairs):
                # the same, with a term of the entry lost rather than all of it: the entry
                # (p(1 - p) ~ 1e-161 with p rounded to 1) is below the rounding of the
                # output-sized quantities it moves, so is any term of it. And below ulps of
                # the layer's slopes (the outputs' spread over the input's): outputs of
                # 1e16 that move by O(1) excuse no lost O(1) term
                verdict = ("inaccurate", f"every digit of a term lost: the true value "
                           f"({d0:.2g}) and the discrepancy are below the rounding of the "
                           f"outputs the entry moves ({reach:.2g}); e.g. p (1 - p) with p "
                           "rounded to 1")
                break
            if all(abs(r - r0) <= 1e-3 * abs(r0) for r in R):
                verdict = ("wrong", f"a steady discrepancy ({'relative ' if d0 else ''}"
                           f"{r0:.3g}) under input perturbations up to {level:.2g} relative: "
                           "a formula error")
                break
            if _smooth(S, R, r0, pairs):
                verdict = ("wrong", f"a discrepancy ({'relative ' if d0 else ''}{r0:.3g}) "
                           "that varies smoothly, without a rounding jump, under input "
                           f"perturbations up to {level:.2g} relative: a formula error (a "
                           "transposed or wrong term)")
                break
            more = rng.uniform(-1, 1, _POINTS - _FIRST)
            extra = [_at(ev, layer, u, level * t, k, i) for t in more]
            if any(g is None for g, _ in extra) or any(abs(d - d0) > stable for _, d in extra):
                continue
            S = np.concatenate([S, more])
            everything = pairs + extra
            # relative discrepancies wherever the numeric value kept its sign and 10% of its
            # size along the whole line (a large discrepancy is no reason to go absolute:
            # there the smooth truth, e^z of a saturated sigmoid, is far from a line)
            D = np.array([d for _, d in everything])
            dref = d0 if d0 != 0 and np.all(np.sign(D) == np.sign(d0)) and \
                np.all(np.abs(D) >= 0.1 * abs(d0)) else 0.0
            r0 = _rel(g0, d0, dref)
            R = np.array([_rel(g, d, dref) for g, d in everything])
            unit = abs(d0) if dref else 1.0
            values = np.unique([g for g, _ in everything] + [g0])
            cells = len(values)
            excuse = max(reach / abs(d0), cond) if dref else reach
            if 1 < cells < 8:
                # few float cells: a rounding bias is at most one of them (1 - s at z = 34
                # moves in steps of an ulp of 1; a factor 2 on 2e-15 is many steps away)
                excuse = min(excuse, float(np.min(np.diff(values))) / unit)
            # ... but never below the numeric value's own jitter on lines so short that a
            # smooth truth is straight: a noisy truth is no exact reference. Jitter = the
            # differences of neighbours (in s) of the residuals about a cubic
            Sall, Dall = np.concatenate([[0.0], S]), np.concatenate([[d0], D])
            resid = Dall - np.polyval(np.polyfit(Sall, Dall, 3), Sall)
            jumps = np.diff(resid[np.argsort(Sall)])
            rough = float(np.median(np.abs(jumps))) / (0.6745 * np.sqrt(2))
            if level <= 2.0 ** -36:  # (longer lines: curvature, not jitter)
                excuse = max(excuse, 4 * rough / unit)
            verdict = _rounding_test(S, R, r0, d0, dref, level, cells,
                                     (scale or {}).get(k, float("inf")), excuse)
            break
        if verdict is None:
            verdict = _noise_or_wrong(g0, d0, last, (scale or {}).get(k, float("inf")))
        out[(k, i)] = verdict
    return out


def _noise_or_wrong(g0, d0, pairs, scale=float("inf")):
    """No perturbation kept the numeric value within 50%, not even moves of a few ulps
    (``pairs``: the smallest level that moved anything): a smooth derivative cannot do that, so the numeric value
    is itself rounding noise (the chain rule inside forward cancels larger terms: a batch
    norm of two examples at x ~ 1e8, where every path nearly cancels), when the jumps are
    below 1e-6 of the layer's gradient scale. The analytic value is verified when it lies
    within that noise, else wrong."""
    if pairs and all(g is not None for g, _ in pairs):
        D = np.array([d0] + [d for _, d in pairs])
        noise, mid = float(np.max(np.abs(D - D.mean()))), float(D.mean())
        # (jumps far below the layer's gradients: a tie flipping under moves of a few
        # ulps, max pooling at a tie, jumps by a whole gradient and is no rounding)
        if noise > 0.1 * abs(d0) and abs(g0 - mid) <= 2 * noise + abs(mid) and \
                noise <= 1e-6 * scale:
            return ("verified", f"the numeric value is itself rounding noise here (it jumps by "
                    f"{noise:.2g} under moves of a few ulps: forward's derivative cancels "
                    "larger terms); the analytic value lies within it")
    return ("wrong", "no perturbation keeps the numeric value within 50%: not a rounding "
            "effect")


def _smooth(S, R, r0, pairs):
    """A discrepancy on the first points that a parabola in ``s`` follows to 1e-3 of
    itself, while the analytic values take at least 5 distinct values (so no staircase of
    a few float cells is mistaken for smooth): no rounding jumps, a formula error that
    moves with x (a transposed dW). Saves the 54 further points of the rounding test."""
    if r0 == 0 or len({g for g, _ in pairs}) < 5:
        return False
    s = np.concatenate([[0.0], S])
    r = np.concatenate([[r0], R])
    fit = np.polyval(np.polyfit(s, r, 2), s)
    return bool(np.max(np.abs(r - fit)) <= 1e-3 * abs(r0))


def _moves(ev, u, t):
    """Whether ``x + t u`` differs from ``x`` anywhere (steps below half an ulp do not)."""
    return any(np.any(x + t * uu != x) for x, uu in zip(ev.inputs, u) if uu is not None)


def _direction(ev, u):
    """The line's direction in absolute terms: ``x u`` (relative moves), and ``scale u``
    at entries that are exactly 0."""
    return [None if uu is None else np.where(x == 0, ev.scale[j], x) * uu
            for j, (x, uu) in enumerate(zip(ev.inputs, u))]


def _at(ev, layer, u, t, k, i):
    """(analytic, numeric) of entry ``i`` of input ``k`` at ``x (1 + t u)`` (``u`` as
    :func:`_direction` gives it: zero entries move by ``t`` times the input's scale)."""
    xs = [x if uu is None else x + t * uu for x, uu in zip(ev.inputs, u)]
    try:
        grads = layer.backward(ev.v, xs)
        g = float(np.asarray(grads[k], dtype=np.float64).reshape(-1)[i])
        e = np.zeros(xs[k].size)
        e[i] = 1.0
        d = M.complex_direction(ev, {k: e}, xs=xs)[0]
    except (UserCodeError, ComplexUnsafe, TypeError, IndexError, ValueError):
        return None, None
    return g, d


def _rel(g, d, d0):
    """The discrepancy: relative where the numeric value at the base point is nonzero,
    absolute everywhere when it is 0 (one kind of number along the whole line)."""
    return (g - d) / d if d0 != 0 and d != 0 else g - d


def _rounding_test(S, R, r0, d0, dref, delta, cells=_POINTS, scale=float("inf"), reach=0.0):
    """Fit ``R = a + b S`` on the neighbours; jumps are the residuals. (status, note)."""
    X = np.stack([np.ones_like(S), S], axis=1)
    coef, *_ = np.linalg.lstsq(X, R, rcond=None)
    resid = R - X @ coef
    m = R.size
    sd = float(np.sqrt(resid @ resid / max(m - 2, 1)))
    se = sd * float(np.sqrt(np.linalg.inv(X.T @ X)[0, 0]))
    a = float(coef[0])
    rho = float(resid.max() - resid.min()) / 2  # amplitude of the jumps
    kind = "relative " if dref else ""
    if abs(r0 - a) > max(_T * sd, 1.5 * rho) and abs(r0 - a) > 1e-3 * abs(r0):
        return ("wrong", f"the discrepancy at this point ({kind}{r0:.3g}) is not seen a hair "
                f"away (there {kind}{a:.3g} +- {sd:.2g}): a branch taken at exactly this "
                "point (0/0, x == 0, a tolerance mask)")
    if d0 == 0 and rho > 0 and abs(a) <= 4 * rho and abs(a) <= 1e-6 * scale:
        # a true 0 computed as a residue no larger than the backward's own rounding jumps
        # there (the mean of a few float cells need not be 0 at steps of 2^-52), and tiny
        # next to the layer's gradients (``scale``): not a mask flipping a whole gradient
        return ("inaccurate", f"a rounding residue ({a:.2g}, jumps {rho:.2g}) where the true "
                "value is 0")
    # wrong: steady, or a mean offset both statistically clear and larger than half the
    # rounding jumps; with fewer than 8 distinct analytic values the mean of so few jumps
    # is no better known than the jumps themselves: the offset must exceed them
    # (an offset within ``reach``, ulps of the output-sized quantities the entry moves,
    # relative to the derivative, is the size a rounding bias over a few float cells can
    # have: not called a formula error. With 8 cells or more the jumps are seen, and a
    # backward that never touched output-sized quantities jumps far less than ``reach``:
    # the bias is then bounded by 4 jumps, so beta + 1e16 excuses no O(1) error in dx)
    if sd <= 1e-3 * abs(a) or (abs(a) > _T * se and abs(a) > (0.5 if cells >= 8 else 1.0) * rho
                               and abs(a) > (reach if cells < 8 else min(reach, 4 * rho))):
        return ("wrong", f"a {'steady' if sd <= 1e-3 * abs(a) else 'systematic'} "
                f"discrepancy ({kind}{a:.3g}, rounding jumps {sd:.2g}) under input "
                f"perturbations up to {delta:.2g} relative: a formula error")
    if d0 != 0:
        digits = max(0.0, -np.log10(max(sd if dref else sd / abs(d0), 1e-17)))
        return ("inaccurate", f"right formula, about {digits:.0f} correct digits: the "
                f"discrepancy jumps (spread {sd:.2g} relative) and averages to zero under "
                "tiny input perturbations; likely a cancellation in backward (e.g. 1 - s of "
                "a saturated sigmoid: use sigmoid(-z))")
    if sd > 1e-6 * scale:
        return ("wrong", f"where the true value is 0, the analytic value jumps by {sd:.2g} "
                "under tiny perturbations, far more than rounding could: a branch (a mask, a "
                "threshold such as isclose) flipping")
    return ("inaccurate", f"a rounding residue (spread {sd:.2g}) where the true value is 0; "
            "it jumps and averages to zero under tiny input perturbations")
