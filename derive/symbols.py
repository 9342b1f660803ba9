"""Symbols in the reference note's notation, named so they print as written by hand.

Every symbol is a real :class:`sympy.Symbol` (uniform assumptions, so that equal
names are equal symbols and everything cancels) whose name is already LaTeX:

>>> from derive.symbols import W, b, z, a, y, delta
>>> W(2, 1, 3), b(2, 1), z("L", 4), a("l-1", "k"), y(2), delta("l", "j")
(W^{2}_{13}, b^{2}_{1}, z^{L}_{4}, a^{l-1}_{k}, y_{2}, \\delta^{l}_{j})

Indices are separated by a comma as soon as one of them can reach 10 (``W^{2}_{111}``
would be ambiguous):

>>> W(2, 1, 11), W(2, 11, 1), W("l", "j", "k")
(W^{2}_{1,11}, W^{2}_{11,1}, W^{l}_{jk})
>>> W(2, 1, 3).is_real, W(2, 1, 3) == W(2, 1, 3)
(True, True)

One example of a mini-batch is named by ``x=``: ``a^{l-1,x_{2}}_{k}``.

>>> a(1, 3, x=2)
a^{1,x_{2}}_{3}

For symbolic size ``n`` (index notation), :func:`indexed` gives an
:class:`~sympy.IndexedBase` with the same name, and :data:`n`, :data:`i`,
:data:`j`, :data:`k` are positive integer symbols:

>>> from derive.symbols import indexed, n, j
>>> indexed("a", "L")[j], indexed("y")[j], n.is_integer
(a^{L}[j], y[j], True)
"""

from __future__ import annotations

import sympy as sp

from derive.errors import UsageError

__all__ = [
    "ASSUMPTIONS",
    "W",
    "a",
    "b",
    "delta",
    "i",
    "indexed",
    "j",
    "k",
    "m",
    "n",
    "y",
    "z",
]

#: Assumptions shared by every scalar symbol (keep them uniform: see module doc).
ASSUMPTIONS = {"real": True}

#: Sizes and summation indices for the symbolic-n (index) form.
n = sp.Symbol("n", integer=True, positive=True)
m = sp.Symbol("m", integer=True, positive=True)
i, j, k = sp.symbols("i j k", integer=True, positive=True)

_LETTERS = {"W": "W", "b": "b", "z": "z", "a": "a", "delta": r"\delta", "y": "y"}


def _index_text(index) -> str:
    if isinstance(index, bool) or not isinstance(index, (int, str)):
        raise UsageError("index", "an int >= 0 or a str", repr(index))
    if isinstance(index, int) and index < 0:
        raise UsageError("index", "an int >= 0 or a str", index)
    return str(index)


def _lower(indices) -> str:
    texts = [_index_text(q) for q in indices]
    if len(texts) > 1 and any(len(t) > 1 for t in texts):
        return ",".join(texts)
    return "".join(texts)


def _upper(layer, x) -> str:
    text = _index_text(layer)
    if x is not None:
        text += ",x_{%s}" % _index_text(x)
    return text


def _symbol(letter: str, layer, indices, x=None) -> sp.Symbol:
    head = _LETTERS[letter]
    if layer is None and x is None:
        name = "%s_{%s}" % (head, _lower(indices))
    elif layer is None:
        name = "%s^{x_{%s}}_{%s}" % (head, _index_text(x), _lower(indices))
    else:
        name = "%s^{%s}_{%s}" % (head, _upper(layer, x), _lower(indices))
    return sp.Symbol(name, **ASSUMPTIONS)


def W(l, j, k, x=None) -> sp.Symbol:
    """Weight ``W^l_{jk}`` joining neuron ``k`` of layer ``l-1`` to neuron ``j`` of ``l``.

    >>> W(1, 2, 3)
    W^{1}_{23}
    """
    return _symbol("W", l, (j, k), x)


def b(l, j, x=None) -> sp.Symbol:
    """Bias ``b^l_j``.

    >>> b("l", "j")
    b^{l}_{j}
    """
    return _symbol("b", l, (j,), x)


def z(l, j, x=None) -> sp.Symbol:
    """Weighted input ``z^l_j = sum_k W^l_{jk} a^{l-1}_k + b^l_j``.

    >>> z(3, 12)
    z^{3}_{12}
    """
    return _symbol("z", l, (j,), x)


def a(l, j, x=None) -> sp.Symbol:
    """Activation ``a^l_j = sigma(z^l_j)`` (``a^0`` is the input).

    >>> a(0, 1)
    a^{0}_{1}
    """
    return _symbol("a", l, (j,), x)


def y(j, x=None) -> sp.Symbol:
    """Target component ``y_j``.

    >>> y(1), y(1, x=3)
    (y_{1}, y^{x_{3}}_{1})
    """
    return _symbol("y", None, (j,), x)


def delta(l, j, x=None) -> sp.Symbol:
    """Error ``delta^l_j = dC/dz^l_j``.

    >>> delta("L", 2)
    \\delta^{L}_{2}
    """
    return _symbol("delta", l, (j,), x)


def indexed(letter: str, l=None) -> sp.IndexedBase:
    """IndexedBase for the symbolic-size form, e.g. ``indexed("W", "l")[j, k]``.

    >>> indexed("W", "l")[j, k]
    W^{l}[j, k]
    >>> indexed("q")
    Traceback (most recent call last):
    ...
    derive.errors.UsageError: letter: expected one of W, a, b, delta, y, z, got 'q'
    """
    if letter not in _LETTERS:
        raise UsageError("letter", "one of " + ", ".join(sorted(_LETTERS)), repr(letter))
    head = _LETTERS[letter]
    name = head if l is None else "%s^{%s}" % (head, _index_text(l))
    return sp.IndexedBase(name, **ASSUMPTIONS)
