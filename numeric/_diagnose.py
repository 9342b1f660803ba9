"""Recognise what a wrong gradient looks like, from the analytic and numeric arrays.

Private module behind :mod:`numeric.gradcheck`. Only patterns that can be told apart
reliably: sign flipped, a constant factor, transposed (square matrices), zeros where the
numeric gradient is not zero, wrong only in some columns (samples) or rows.

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


def describe(g, n, bad) -> list:
    """Sentences naming the recognisable pattern of ``g`` (analytic) against ``n`` (numeric).

    ``bad`` marks the entries judged wrong. Returns an empty list when nothing fits.
    """
    g, n, bad = np.asarray(g, float), np.asarray(n, float), np.asarray(bad, bool)
    out = []
    if not bad.any():
        return out
    gb, nb = g[bad], n[bad]  # the patterns are about the entries judged wrong
    if _fits(-gb, nb) and not _fits(gb, nb):
        where = "" if bad.all() else f" at the {int(bad.sum())} wrong entries"
        out.append(f"sign flipped: analytic = -numeric{where}")
    nn = float(nb @ nb)
    if nn > 0:
        c = float(gb @ nb) / nn
        if c != 0 and abs(c - 1) > _CLOSE and abs(c + 1) > _CLOSE and _fits(gb, c * nb):
            where = "" if bad.all() else f" at the {int(bad.sum())} wrong entries"
            out.append(f"off by a constant factor: analytic = {_nice(c)} x numeric{where}")
    if g.ndim == 2 and g.shape[0] == g.shape[1] and _fits(g.T, n):
        return ["transposed: analytic.T = numeric (a square matrix, so the shape could not tell)"]
    if out and bad.all():
        return out
    zero = bad & (g == 0) & (n != 0)
    if zero.any():
        what = "all" if zero.sum() == bad.sum() else f"{int(zero.sum())} of the {int(bad.sum())}"
        out.append(f"zero where it should not be: analytic is exactly 0 at {what} wrong entries")
    if zero.any() and zero.sum() == bad.sum():
        return out  # zeroing explains every wrong entry; where they are says nothing more
    if g.ndim >= 2:
        cols = bad.any(axis=tuple(range(g.ndim - 1)))
        ncol = cols.size
        if 0 < cols.sum() < ncol:
            good = np.flatnonzero(~cols)
            if good.size == 1:
                out.append(f"only column {good[0]} (sample {good[0]}) agrees: looks like a "
                           "gradient taken from one sample, or a batch term missing")
            else:
                out.append(f"only columns (samples) {_listing(np.flatnonzero(cols))} of {ncol} "
                           "are wrong")
        rows = bad.any(axis=tuple(range(1, g.ndim)))
        if 0 < rows.sum() < rows.size:
            out.append(f"only rows {_listing(np.flatnonzero(rows))} of {rows.size} are wrong")
    elif g.ndim == 1 and 0 < bad.sum() < bad.size:
        out.append(f"only entries {_listing(np.flatnonzero(bad))} of {bad.size} are wrong")
    if not out:
        ratio = np.linalg.norm(g - n) / max(np.linalg.norm(n), 1e-300)
        out.append(f"no simple pattern (not a sign, factor, transpose or zeroing): "
                   f"|analytic - numeric| / |numeric| = {ratio:.3g}; a missing or wrong term?")
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
