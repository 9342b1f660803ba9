"""Output/loss pairs: derive ``delta^L = dC/dz^L`` from ``C`` and prove its closed form.

For every combination of an output function (linear, sigmoid, softmax) and a loss
(mse, cross_entropy, log_likelihood), :func:`prove_pair` differentiates the cost
directly, proves it equals the general form ``delta^L = (grad a^L)^T dC/da^L`` and
proves it equals a readable closed form -- at a concrete size ``n`` (all components)
or for symbolic ``n`` (IndexedBase and ``Sum``). A wrong claim is reported as NOT
proved with its residual:

>>> from derive.pairs import prove_pair, closed_form, a_, y_
>>> from derive.symbols import j
>>> closed_form("sigmoid", "mse")
(1 - a^{L}[j])*(a^{L}[j] - y[j])*a^{L}[j]
>>> prove_pair("sigmoid", "mse", n=2).proved
True
>>> wrong = prove_pair("sigmoid", "mse", n=2, claimed=a_[j] - y_[j])
>>> wrong.proved, wrong.residual[0]
(False, y_{1}*sigma(z^{L}_{1})**2 - y_{1}*sigma(z^{L}_{1}) + y_{1} - sigma(z^{L}_{1})**3 + sigma(z^{L}_{1})**2 - sigma(z^{L}_{1}))
>>> prove_pair("softmax", "log_likelihood").assumption
'sum(y) = 1'

How the residual is shown to be zero: ``expand`` first, then ``cancel``. For
symbolic ``n`` the softmax denominator ``Sum(exp(z_i))`` is named ``S``, every ``Sum``
is split into (factor free of the index) x (Sum of the rest), the assumption
``sum(y) = 1`` is substituted, and what is left is merged into one ``Sum`` whose body
must cancel to 0 (sound: a zero body sums to zero). The ``j <= n`` guard SymPy puts on
``d/dz_j`` is dropped with ``refine(expr, Q.le(j, n))``, which holds because ``j`` is
an index of ``z^L``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import sympy as sp

from derive.errors import UsageError
from derive.functions import LOSSES, OUTPUTS, get_loss, get_output
from derive.symbols import a as a_sym
from derive.symbols import i, indexed, j, n as n_sym
from derive.symbols import y as y_sym
from derive.symbols import z as z_sym

__all__ = [
    "MATCHING",
    "PAIRS",
    "PairProof",
    "a_",
    "closed_form",
    "matching_table",
    "prove_pair",
    "y_",
    "z_",
]

#: IndexedBases of the symbolic-n form: ``a_[j]`` is ``a^L_j``, ``y_[j]`` is ``y_j``.
a_ = indexed("a", "L")
y_ = indexed("y")
z_ = indexed("z", "L")

MATCHING = [("linear", "mse"), ("sigmoid", "cross_entropy"), ("softmax", "log_likelihood")]
PAIRS = MATCHING + [(o, c) for o in OUTPUTS for c in LOSSES if (o, c) not in MATCHING]

_ASSUMPTIONS = {("softmax", "log_likelihood"): "sum(y) = 1"}
_MAX_N = 24


def _closed_forms():
    aj, yj, ai, yi = a_[j], y_[j], a_[i], y_[i]
    return {
        ("linear", "mse"): aj - yj,
        ("linear", "cross_entropy"): (aj - yj) / (aj * (1 - aj)),
        ("linear", "log_likelihood"): -yj / aj,
        ("sigmoid", "mse"): (aj - yj) * aj * (1 - aj),
        ("sigmoid", "cross_entropy"): aj - yj,
        ("sigmoid", "log_likelihood"): -yj * (1 - aj),
        ("softmax", "mse"): aj * ((aj - yj) - sp.Sum(ai * (ai - yi), (i, 1, n_sym))),
        ("softmax", "cross_entropy"): (aj - yj) / (1 - aj)
        - aj * sp.Sum((ai - yi) / (1 - ai), (i, 1, n_sym)),
        ("softmax", "log_likelihood"): aj - yj,
    }


_CLOSED = _closed_forms()


def _check_pair(output, loss):
    get_output(output)
    get_loss(loss)
    return output, loss


def closed_form(output: str, loss: str) -> sp.Expr:
    """``delta^L_j`` in index form (``a_[j]``, ``y_[j]``, ``Sum`` over ``i`` to ``n``).

    >>> closed_form("softmax", "mse")
    (a^{L}[j] - y[j] - Sum((a^{L}[i] - y[i])*a^{L}[i], (i, 1, n)))*a^{L}[j]
    >>> closed_form("tanh", "mse")
    Traceback (most recent call last):
    ...
    derive.errors.UsageError: output: expected one of linear, sigmoid, softmax, got 'tanh'
    """
    return _CLOSED[_check_pair(output, loss)]


@dataclass
class PairProof:
    """Result of :func:`prove_pair`: ``derived`` (dC/dz^L straight from C), ``claimed``
    (closed form in the same variables), ``residual`` (0 when proved)."""

    output: str
    loss: str
    n: int | None
    derived: sp.Basic
    claimed: sp.Basic
    residual: sp.Basic
    proved: bool
    reduces_to_a_minus_y: bool
    assumption: str | None
    method: str
    seconds: float
    general_proved: bool = True
    counterexample: dict | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        size = "n" if self.n is None else "n=%d" % self.n
        verdict = "proved" if self.proved else "NOT proved, residual %s" % self.residual
        extra = "" if self.assumption is None else ", assuming %s" % self.assumption
        return "PairProof(%s+%s, %s: %s%s; a-y: %s; %s; %.3fs)" % (
            self.output, self.loss, size, verdict, extra,
            "yes" if self.reduces_to_a_minus_y else "no", self.method, self.seconds,
        )

    def _repr_latex_(self) -> str:
        try:
            from derive.latex import proof_latex

            return proof_latex(self)
        except Exception:
            return "$%s$" % sp.latex(sp.Eq(sp.Symbol(r"\delta^{L}_{j}"), self.claimed))


# ---------------------------------------------------------------- concrete n
def _zero(expr, names=None) -> tuple[bool, sp.Expr, str]:
    """Is ``expr`` identically 0? expand, then cancel. Returns (zero, reduced, method).

    ``names`` (softmax) maps ``exp(z_i)`` to positive symbols ``E_i`` and their sum to
    ``S``: zero with ``S`` free implies zero at ``S = sum E_i`` (the converse may fail,
    so a nonzero answer there is reported as not proved, residual in ``E_i``, ``S``).
    """
    if names:
        named = sp.cancel(sp.together(sp.expand(_name_exps(expr, names))))
        return named == 0, named, "name S=sum exp(z), cancel"
    reduced = sp.expand(expr)
    if reduced == 0:
        return True, sp.S.Zero, "expand"
    reduced = sp.cancel(sp.together(reduced))
    if reduced == 0:
        return True, sp.S.Zero, "expand+cancel"
    return False, reduced, "expand+cancel"


def _name_exps(expr, names):
    """``sum exp(z_i) -> S`` and ``exp(c z_i) -> E_i**c`` (names from ``_concrete``)."""
    total, names = names
    expr = expr.xreplace({total: _S})

    def rename(e):
        c, q = e.args[0].as_coeff_Mul()
        return names[q] ** c if q in names else e

    return expr.replace(lambda e: isinstance(e, sp.exp), rename)


def _concrete(output, loss, size, claimed, onehot):
    zs = [z_sym("L", q) for q in range(1, size + 1)]
    ys = [y_sym(q) for q in range(1, size + 1)]
    out, cost = OUTPUTS[output], LOSSES[loss]
    acts = out.concrete(zs)
    A = [a_sym("L", q) for q in range(1, size + 1)]
    grads = [sp.diff(cost.concrete(A, ys), q) for q in A]  # dC/da^L
    back = dict(zip(A, acts))
    to_concrete = {a_[q]: acts[q - 1] for q in range(1, size + 1)}
    to_concrete.update({y_[q]: ys[q - 1] for q in range(1, size + 1)})

    def components(expr):
        expr = expr.subs(n_sym, size)
        return [expr.subs(j, q).doit().xreplace(to_concrete) for q in range(1, size + 1)]

    C = cost.concrete(acts, ys)
    derived = [sp.diff(C, q) for q in zs]
    general = [sp.Add(*[sp.diff(acts[r], zs[q]) * grads[r].xreplace(back) for r in range(size)])
               for q in range(size)]
    claim = components(claimed)
    target = components(a_[j] - y_[j])
    # the assumption on y: one case per one-hot position, or eliminate y_n via sum(y) = 1
    if onehot:
        cases = [{ys[q]: int(q == hot) for q in range(size)} for hot in range(size)]
    elif (output, loss) in _ASSUMPTIONS:
        cases = [{ys[-1]: 1 - sp.Add(*ys[:-1])}]
    else:
        cases = [{}]
    names = None
    if output == "softmax":
        names = (sp.Add(*[sp.exp(q) for q in zs]),
                 {q: sp.Symbol("E_{%d}" % (r + 1), positive=True) for r, q in enumerate(zs)})
    residuals, general_ok, method = [], True, "expand"
    # a point where delta != a - y settles "does not reduce" without algebra
    counter = _counterexample(derived, target, zs, ys, cases[0])
    reduces = counter is None
    for case in cases:
        for q in range(size):
            d = derived[q].subs(case)
            ok, res, how = _zero(d - claim[q].subs(case), names)
            method = how if how != "expand" else method
            residuals.append(res)
            general_ok &= _zero(d - general[q].subs(case), names)[0]
            if counter is None:
                reduces &= _zero(d - target[q].subs(case), names)[0]
    proved = all(r == 0 for r in residuals)
    residual = sp.S.Zero if proved else sp.Matrix(residuals)
    return sp.Matrix(derived), sp.Matrix(claim), residual, proved and general_ok, general_ok, \
        reduces, method, counter


def _counterexample(derived, target, zs, ys, case):
    """A point (z in (0, 1/2), y in (0, 1)) where delta differs from a - y."""
    size = len(zs)
    point = {q: sp.Rational(r + 1, 2 * size + 3) for r, q in enumerate(zs)}
    point.update({q: sp.Rational(1, r + 3) for r, q in enumerate(ys)})
    if case:
        point.update({q: sp.sympify(v).subs(point) for q, v in case.items()})
    for q in range(size):
        gap = (derived[q] - target[q]).subs(case).subs(point).evalf(30)
        if gap.is_number and abs(gap) > 1e-20:
            return {"point": {str(s): v for s, v in point.items()}, "component": q + 1,
                    "delta - (a - y)": sp.Float(gap, 15)}
    return None


# ---------------------------------------------------------------- symbolic n
_S = sp.Symbol("S", positive=True)  # the softmax denominator Sum(exp(z_i), (i, 1, n))
_k = sp.Dummy("k", integer=True, positive=True)


def _is_softmax_sum(e):
    if not isinstance(e, sp.Sum) or len(e.limits) != 1:
        return False
    var, lo, hi = e.limits[0]
    return (lo, hi) == (1, n_sym) and e.function == sp.exp(z_[var])


def _split_sums(expr):
    """Replace each Sum by (factor free of its index) * Sum(rest), term by term."""

    def split(s):
        var, lo, hi = s.limits[0]
        body = sp.expand(s.function.xreplace({var: _k}))
        out = 0
        for term in sp.Add.make_args(body):
            coeff, rest = term.as_independent(_k, as_Add=False)
            out += coeff * sp.Sum(rest, (_k, lo, hi))
        return out

    return expr.replace(lambda e: isinstance(e, sp.Sum), split)


def _symbolic_zero(expr, assume_sum_y):
    expr = sp.refine(expr.doit(), sp.Q.le(j, n_sym))
    expr = expr.replace(_is_softmax_sum, lambda e: _S)
    expr = _split_sums(expr)
    if assume_sum_y:
        expr = expr.xreplace({sp.Sum(y_[_k], (_k, 1, n_sym)): 1})
    rest, sums = 0, 0
    for term in sp.Add.make_args(sp.expand(expr)):
        found = list(term.atoms(sp.Sum))
        coeff, dep = term.as_independent(*found, as_Add=False) if found else (term, 1)
        if len(found) == 1 and dep == found[0] and found[0].limits == ((_k, 1, n_sym),):
            sums += coeff * found[0].function
        else:
            rest += term
    rest, body = sp.cancel(sp.together(rest)), sp.cancel(sp.together(sums))
    residual = rest + sp.Sum(body, (_k, 1, n_sym)) if body != 0 else rest
    return residual == 0, residual


def _symbolic(output, loss, claimed, check_reduces=True):
    out, cost = OUTPUTS[output], LOSSES[loss]
    assume = (output, loss) in _ASSUMPTIONS
    a_of = lambda q: out.indexed(z_, q, n_sym)  # noqa: E731
    C = cost.indexed(a_of, y_, n_sym)
    derived = sp.refine(sp.diff(C, z_[j]).doit(), sp.Q.le(j, n_sym))
    A = sp.Dummy("A", real=True)
    grad = lambda q: sp.diff(cost.term(A, y_[q]), A).subs(A, a_of(q))  # noqa: E731
    general = sp.Sum(sp.diff(a_of(i), z_[j]) * grad(i), (i, 1, n_sym))
    concrete = {a_[j]: a_of(j), a_[i]: a_of(i)}
    claim = claimed.xreplace(concrete)
    proved, residual = _symbolic_zero(derived - claim, assume)
    general_ok, _ = _symbolic_zero(derived - general, assume)
    reduces = check_reduces and _symbolic_zero(derived - (a_of(j) - y_[j]), assume)[0]
    method = "diff+doit+refine(Q.le(j, n)); split Sums" + (", sum(y)=1" if assume else "")
    return derived, claimed, sp.S.Zero if proved else residual, proved and general_ok, \
        general_ok, reduces, method


# ---------------------------------------------------------------- public
def prove_pair(output: str, loss: str, n: int | None = None, claimed=None, *,
               onehot: bool = False) -> PairProof:
    """Derive ``delta^L`` from ``C`` and prove it equals ``claimed`` (default: the
    built-in closed form) and the general form ``(grad a^L)^T dC/da^L``.

    ``n=None`` proves it for symbolic size ``n``; ``onehot=True`` (concrete n only)
    proves it for each one-hot target instead of assuming ``sum(y) = 1``.

    >>> prove_pair("linear", "mse", n=3)
    PairProof(linear+mse, n=3: proved; a-y: yes; expand; ...s)
    >>> prove_pair("softmax", "cross_entropy", n=1)
    Traceback (most recent call last):
    ...
    derive.errors.UsageError: n: expected >= 2 for softmax+cross_entropy (a = 1 makes ln(1 - a) infinite), got 1
    """
    _check_pair(output, loss)
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise UsageError("n", "an int >= 1 or None (symbolic)", repr(n))
    if n is not None and n > _MAX_N:
        raise UsageError("n", "at most %d (larger sizes take too long to prove)" % _MAX_N, n)
    if n == 1 and (output, loss) == ("softmax", "cross_entropy"):
        raise UsageError("n", ">= 2 for softmax+cross_entropy (a = 1 makes ln(1 - a) "
                         "infinite)", 1)
    if onehot and n is None:
        raise UsageError("onehot", "a concrete n with onehot=True", "n=None")
    claimed = closed_form(output, loss) if claimed is None else sp.sympify(claimed)
    start = time.perf_counter()
    counter = None
    if n is None:  # a counterexample at n = 2 settles "does not reduce to a - y"
        counter = _concrete(output, loss, 2, claimed, False)[-1]
        derived, claim, residual, proved, general_ok, reduces, method = _symbolic(
            output, loss, claimed, counter is None)
    else:
        derived, claim, residual, proved, general_ok, reduces, method, counter = _concrete(
            output, loss, n, claimed, onehot)
    assumption = "y one-hot" if onehot else _ASSUMPTIONS.get((output, loss))
    return PairProof(output, loss, n, derived, claim, residual, proved, reduces, assumption,
                     method, time.perf_counter() - start, general_ok, counter)


def matching_table(n: int | None = 3) -> list[dict]:
    """For every output x loss pair: does ``delta^L`` reduce to ``a - y``?

    >>> [r["output"] + "+" + r["loss"] for r in matching_table(2) if r["reduces_to_a_minus_y"]]
    ['linear+mse', 'sigmoid+cross_entropy', 'softmax+log_likelihood']
    """
    rows = []
    for output, loss in PAIRS:
        proof = prove_pair(output, loss, n=n)
        rows.append({"output": output, "loss": loss,
                     "reduces_to_a_minus_y": proof.reduces_to_a_minus_y,
                     "proved": proof.proved, "closed_form": closed_form(output, loss),
                     "counterexample": proof.counterexample})
    return rows
