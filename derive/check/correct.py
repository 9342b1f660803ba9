r"""The corrected form of a refuted ``\delta^L`` claim, in the note's notation.

When a document defines an output function and a loss (a table row, a section) and
claims a ``\delta^L`` that is refuted, the true one is derivable: the row's
``\partial C/\partial z^L_j`` is compared, at sample points, with the closed form of
every built-in output/loss pair of :mod:`derive.pairs`; the one that matches is printed
with :func:`derive.latex.note_latex`.

>>> from derive.check.world import World
>>> from derive.check.document import check_text
>>> doc = check_text(r'''
... $\mathbf a^L = \frac{1}{1 + e^{-\mathbf z^L}}$, $C = \frac12\sum_j (a^L_j - y_j)^2$
... $$\delta^L_j = a^L_j - y_j$$
... ''')
>>> doc.links[0].verdict, doc.links[0].corrected
('refuted', 'a^{L}_{j} \\left(1 - a^{L}_{j}\\right) \\left(a^{L}_{j} - y_{j}\\right)')
"""

from __future__ import annotations

import sympy as sp

from derive import symbols as S
from derive.latex import note_latex
from derive.pairs import PAIRS, a_, closed_form, y_
from derive.symbols import j as j_sym
from derive.symbols import n as n_sym
from derive.check.world import cost_symbol

__all__ = ["true_delta"]


def true_delta(world, bold: bool = False) -> str | None:
    """LaTeX of ``delta^L_j`` for ``world``'s output and loss, or None when the world
    does not define both or no built-in pair matches."""
    if "output" not in world.defs or not ({"loss", "loss_x"} & set(world.defs)):
        return None
    L, n = world.L, world.size(world.L)
    derived = [world.canonical(world.total(cost_symbol(), S.z(L, q))) for q in range(1, n + 1)]
    acts = {a_[q]: world.canonical(S.a(L, q)) for q in range(1, n + 1)}
    acts.update({y_[q]: S.y(q) for q in range(1, n + 1)})
    for output, loss in PAIRS:
        form = closed_form(output, loss).subs(n_sym, n)
        claim = [form.subs(j_sym, q).doit().xreplace(acts) for q in range(1, n + 1)]
        if all(_same(world, d, c) for d, c in zip(derived, claim)):
            return note_latex(closed_form(output, loss))
    return None


def _same(world, u, v) -> bool:
    for case in world.cases:
        for seed in (5, 6):
            _, values = world.sample(seed)
            values.update({s: sp.sympify(x) for s, x in case.items()})
            gap = world.numeric(u - v, values)
            if not gap.is_number or abs(gap) > 1e-12:
                return False
    return True
