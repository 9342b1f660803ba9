"""Recognise what a wrong gradient looks like, from the analytic and numeric arrays.

Private module of :mod:`numeric.gradcheck`. Only patterns that can be told apart
reliably: sign flipped, a constant factor, transposed (square matrices), zeros where the
numeric gradient is not zero, wrong only in some samples (along ``batch_axis``: columns by
the project's convention, rows for batch-first arrays) or in some rows/columns. Numeric
values that are not known (large inputs localised by group testing) are NaN.

>>> import numpy as np
>>> n = np.arange(1.0, 7.0).reshape(2, 3)
>>> describe(-n, n, np.ones((2, 3), bool))
['sign flipped: analytic = -numeric']
>>> describe(2 * n, n, np.ones((2, 3), bool))
['off by a constant factor: analytic = 2 x numeric']
>>> m = np.array([[1.0, 2.0], [3.0, 4.0]])
>>> describe(m.T, m, m != m.T)
['transposed: analytic.T = numeric (a square matrix, so the shape could not tell)']
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

__all__ = ["describe", "transposed_shape_hint"]

_CLOSE = 1e-6  # relative residual under which a pattern is said to fit


def _fits(a, b) -> bool:
    scale = np.linalg.norm(b)
    return scale > 0 and np.linalg.norm(a - b) <= _CLOSE * scale


def _nice(c: float) -> str:
    f = Fraction(c).limit_denominator(64)
    if f != 0 and abs(float(f) - c) <= 1e-9 * abs(c):
        return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"
    return f"{c:.6g}"


def _listing(idx, limit=8) -> str:
    idx = [int(i) for i in idx]
    text = ", ".join(map(str, idx[:limit]))
    return text + (f", ... ({len(idx)} in all)" if len(idx) > limit else "")


def describe(g, n, bad, batch_axis=-1) -> list:
    """Sentences naming the recognisable pattern of ``g`` (analytic) against ``n`` (numeric).

    ``bad`` marks the entries judged wrong; ``batch_axis`` the axis that indexes examples
    (``None``: no such axis). Returns an empty list when nothing fits.

    >>> g = np.ones((3, 2)); n = g.copy(); n[1] = 2.0
    >>> describe(g, n, n != g, batch_axis=0)[-1]
    'only sample 1 of 3 (axis 0) is wrong'
    """
    g, n, bad = np.asarray(g, float), np.asarray(n, float), np.asarray(bad, bool)
    out = []
    if not bad.any():
        return out
    known = bad & np.isfinite(n)
    gb, nb = g[known], n[known]  # the patterns are about the entries judged wrong
    if _fits(-gb, nb) and not _fits(gb, nb):
        where = "" if bad.all() else f" at the {int(bad.sum())} wrong entries"
        out.append(f"sign flipped: analytic = -numeric{where}")
    nn = float(nb @ nb)
    if nn > 0:
        c = float(gb @ nb) / nn
        if c != 0 and abs(c - 1) > _CLOSE and abs(c + 1) > _CLOSE and _fits(gb, c * nb):
            where = "" if bad.all() else f" at the {int(bad.sum())} wrong entries"
            out.append(f"off by a constant factor: analytic = {_nice(c)} x numeric{where}")
    # (only where the transpose explains it and the values as they stand do not: a 1 x 1
    # or symmetric gradient off by rounding is no transpose)
    if g.ndim == 2 and g.shape[0] == g.shape[1] > 1 and np.isfinite(n).all() and \
            _fits(g.T, n) and not _fits(g, n):
        return ["transposed: analytic.T = numeric (a square matrix, so the shape could not tell)"]
    if out and bad.all():
        return out
    zero = known & (g == 0) & (n != 0)
    if zero.any():
        what = "all" if zero.sum() == bad.sum() else f"{int(zero.sum())} of the {int(bad.sum())}"
        out.append(f"zero where it should not be: analytic is exactly 0 at {what} wrong entries")
    if zero.any() and zero.sum() == bad.sum():
        return out  # zeroing explains every wrong entry; where they are says nothing more
    if g.ndim >= 2:
        out += _where(bad, batch_axis)
    elif g.ndim == 1 and 0 < bad.sum() < bad.size:
        out.append(f"only entries {_listing(np.flatnonzero(bad))} of {bad.size} are wrong")
    if not out:
        ratio = np.linalg.norm(gb - nb) / max(np.linalg.norm(nb), 1e-300)
        out.append(f"no simple pattern (not a sign, factor, transpose or zeroing): "
                   f"|analytic - numeric| / |numeric| = {ratio:.3g}; a missing or wrong term?")
    return out


def _where(bad, batch_axis):
    """Which samples (along ``batch_axis``) and which rows/columns hold the wrong entries."""
    out = []
    nd = bad.ndim
    s = None if batch_axis is None or not -nd <= batch_axis < nd else batch_axis % nd
    axes = ([s] if s is not None else []) + [a for a in range(nd) if a != s][:1]
    for a in axes:
        hit = bad.any(axis=tuple(b for b in range(nd) if b != a))
        if not 0 < hit.sum() < hit.size:
            continue
        word = "sample" if a == s else {0: "row", 1: "column"}.get(a, f"index on axis {a}")
        if a == s and nd == 2:
            where = f" ({'column' if a == 1 else 'row'} {{}})"
        else:
            where = ""
        good = np.flatnonzero(~hit)
        if a == s and good.size == 1:
            out.append(f"only {word} {good[0]}{where.format(good[0])} agrees (axis {a}): looks "
                       "like a gradient taken from one sample, or a batch term missing")
        elif hit.sum() == 1:
            out.append(f"only {word} {int(np.flatnonzero(hit)[0])} of {hit.size} (axis {a}) "
                       "is wrong")
        else:
            plural = {"sample": "samples", "row": "rows", "column": "columns"}.get(word, word)
            out.append(f"only {plural} {_listing(np.flatnonzero(hit))} of {hit.size} "
                       f"(axis {a}) are wrong")
    return out


def transposed_shape_hint(got, expected) -> str:
    """A hint when a gradient's shape is the transpose of the input's.

    >>> transposed_shape_hint((3, 2), (2, 3))
    ' (the transpose of the expected shape: a transposed gradient?)'
    """
    got, expected = tuple(got), tuple(expected)
    if len(got) == 2 and got == expected[::-1]:
        return " (the transpose of the expected shape: a transposed gradient?)"
    return ""
