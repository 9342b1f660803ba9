r"""One verdict per link of a chain: proved, refuted, or not understood.

* **proved** -- SymPy reduced the residual (left minus right, after replacing every
  activation and cost by its definition) to exactly 0, for every value of every free
  index at the world's sizes, treating the weighted inputs ``z`` as free (which proves
  it for every value of the weights and inputs too); or, failing that, after writing
  everything in weights, biases, inputs and targets. Inequalities are proved with
  SymPy's sign rules for all real values.
* **refuted** -- the residual evaluated at a concrete point (exact rational weights,
  biases, inputs, targets; the generic activation taken as the logistic function) is
  nonzero; the point and the residual are reported.
* **not understood** -- the formula could not be read, or the residual vanished at
  the sample points but SymPy could not reduce it to 0.

>>> from derive.check.parse import parse_chain
>>> from derive.check.world import World
>>> c = parse_chain(r"\frac{\partial C}{\partial b^l_j} = \delta^l_j")
>>> check_link(World(), c.first, *c.links[0][::-1]).verdict
'proved'
>>> c = parse_chain(r"\frac{\partial C}{\partial b^l_j} = -\delta^l_j")
>>> r = check_link(World(), c.first, *c.links[0][::-1])
>>> r.verdict, sorted(r.counterexample)[:3]
('refuted', ['W^{1}_{11}', 'W^{1}_{12}', 'W^{1}_{21}'])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp
from sympy.core.function import AppliedUndef

from derive.check.evaluate import Evaluator, ShapeError, free_indices, index_ranges
from derive.check.parse import Node, NotUnderstood, parse_chain
from derive.check.world import EPS, ETA, World, sigma_generic

_COST = parse_chain("C").first

__all__ = ["LinkResult", "check_link", "PROVED", "REFUTED", "NOT_UNDERSTOOD"]

PROVED, REFUTED, NOT_UNDERSTOOD = "proved", "refuted", "not understood"
_TOL = sp.Float("1e-12")  # |residual| above this at 30 digits (exact inputs) refutes
_SEEDS = (1, 2, 3, 4)
_MAX_OPS = 4000  # larger residuals are not handed to cancel/rewrite (they can take minutes)


@dataclass
class LinkResult:
    """The verdict on one link, with its reason, counterexample (or None) and the
    readings used (``notes``: (wrong, right, why) triples)."""

    verdict: str
    reason: str
    counterexample: dict | None = None
    notes: list = field(default_factory=list)
    corrected: str | None = None
    pos: int | None = None

    def __repr__(self) -> str:
        return "LinkResult(%s: %s)" % (self.verdict, self.reason)


def _cheap_zero(expr) -> bool:
    return sp.expand(expr) == 0


def _zero(expr) -> bool:
    """expand; then (exp, log, tanh or a denominator) together + cancel, and the same
    after rewriting in exp -- only for expressions of moderate size."""
    if sp.count_ops(expr) > _MAX_OPS:
        return False
    if expr.has(sp.exp):
        try:
            if sp.cancel(sp.together(_name_exps(expr))) == 0:
                return True
        except (sp.PolynomialError, TypeError):
            pass
    e = sp.expand(expr)
    if e == 0:
        return True
    if e.has(sp.exp, sp.log, sp.tanh) or any(t.is_Pow and t.exp.is_negative
                                              for t in e.atoms(sp.Pow)):
        try:
            if sp.cancel(sp.together(_name_exps(e))) == 0:
                return True
            e2 = sp.expand(sp.powsimp(e.rewrite(sp.exp)))
            if e2 == 0 or sp.cancel(sp.together(e2)) == 0:
                return True
        except (sp.PolynomialError, TypeError):
            pass
    return False


def _name_exps(e):
    """``exp(c z) -> E_z**c`` with ``E_z > 0`` a symbol: a rational function in the
    ``E``'s that is 0 is 0 at ``E_z = exp(z)`` (and cancel is much faster on it)."""

    def named(x):
        c, arg = x.args[0].as_coeff_Mul()
        if not arg.is_Symbol:
            return x
        return sp.Symbol("E[%s]" % arg.name, positive=True) ** c

    return e.replace(lambda x: isinstance(x, sp.exp), named)


def _entries(v):
    if isinstance(v, sp.MatrixBase):
        return list(v)
    return [v]


def _shapes_match(u, v):
    um, vm = isinstance(u, sp.MatrixBase), isinstance(v, sp.MatrixBase)
    if um and vm:
        return u.shape == v.shape
    if um:
        return u.shape == (1, 1)
    if vm:
        return v.shape == (1, 1)
    return True


def _first_order(d):
    """(value at 0, first derivative at 0) after scaling every change and eta by eps."""
    subs = {s: EPS * s for s in d.free_symbols if s == ETA or s.name.startswith(r"\Delta")}
    d = d.xreplace(subs)
    return [d.subs(EPS, 0), sp.diff(d, EPS).subs(EPS, 0)]


def _as_real_atoms(d):
    atoms = d.atoms(sp.Derivative, sp.Subs, AppliedUndef, sp.Function)
    return d.xreplace({a: sp.Dummy(real=True) for a in atoms if not a.is_Symbol})


def _sign_ok(d, rel) -> bool | None:
    d = _as_real_atoms(d)
    test = {"<=": d.is_nonpositive, "<": d.is_negative, ">=": d.is_nonnegative,
            ">": d.is_positive}[rel]
    return test


def _holds(value, rel):
    return {"<=": value <= _TOL, "<": value < 0, ">=": value >= -_TOL, ">": value > 0}[rel]


def _counter(world, env, point, residual_value, where):
    out = {q: v for q, v in env.items()}
    for s, v in point.items():
        out[s.name] = float(v)
    out["residual"] = float(residual_value)
    if where:
        out["entry"] = where
    return out


def _describe(world, envs, notes):
    sizes = "-".join(map(str, world.sizes))
    n = len(envs)
    parts = [f"sizes {sizes}" + (f", {n} index values" if n > 1 or envs[0] else "")]
    if world.batch:
        parts.append(f"batch N={world.batch}")
    if world.single:
        parts.append("one example (N = 1)")
    if "hidden" not in world.defs and "sigma" not in world.defs:
        parts.append("\u03c3 any differentiable function")
    if "loss" not in world.defs and "loss_x" not in world.defs:
        parts.append("C any differentiable loss")
    parts += world.assumptions
    return ", ".join(parts)


def check_link(world: World, lhs: Node, rhs: Node, rel: str) -> LinkResult:
    """Check ``lhs rel rhs`` (``rel`` from :data:`~derive.check.parse.RELATIONS`)."""
    notes: list = []
    try:
        return _check(world, lhs, rhs, rel, notes)
    except ShapeError as exc:
        square = World((2,) * len(world.sizes), world.batch, dict(world.defs))
        if len(set(world.sizes)) > 1:
            again = check_link(square, lhs, rhs, rel)
            if again.verdict == REFUTED:
                again.reason = (f"{exc.message} at sizes {'-'.join(map(str, world.sizes))}; at "
                                f"sizes {'-'.join(map(str, square.sizes))}, where the shapes "
                                f"fit, {again.reason}")
                return again
        return LinkResult(NOT_UNDERSTOOD, exc.message, None, notes, pos=exc.pos or None)
    except NotUnderstood as exc:
        return LinkResult(NOT_UNDERSTOOD, exc.message, None, notes, pos=exc.pos or None)
    except RecursionError:
        return LinkResult(NOT_UNDERSTOOD, "the document's definitions refer to each other in a "
                          "circle (a node defined through itself)", None, notes, pos=lhs.pos)


def _check(world, lhs, rhs, rel, notes):
    letters = free_indices(lhs, rhs)
    envs = index_ranges(world, letters, [lhs, rhs])
    if not envs:
        raise NotUnderstood("no index value is valid at these sizes", lhs.pos)
    if rel == "to" and _is_update(lhs, rhs):
        rel = "gets"  # W^l \to W^l - \eta ...: an update written with an arrow
    pending, first_order, uses_eta = [], rel in ("approx", "to"), False
    for env in envs:
        ev = Evaluator(world, env, notes)
        u, v = ev.value(lhs), ev.value(rhs)
        if rel == "gets":
            v = _gets(world, ev, lhs, u, v)
            u = u * 0 if isinstance(u, sp.MatrixBase) else sp.S.Zero
        if not _shapes_match(u, v):
            shape = lambda q: q.shape if isinstance(q, sp.MatrixBase) else "scalar"  # noqa
            raise ShapeError(f"the two sides have shapes {shape(u)} and {shape(v)}",
                             rhs.pos, "=")
        first_order |= ev.first_order
        if ev.first_order:
            u, v = _only_written_changes(u, v, notes)
        for where, (p, q) in enumerate(zip(_entries(u), _entries(v))):
            d = world.canonical(sp.sympify(p) - sp.sympify(q))
            uses_eta |= d.has(ETA)
            for rule in world.defs.get("constraints", ()):
                d = d.xreplace(rule(world))
            for case in world.cases:
                pending.append((env, where if isinstance(u, sp.MatrixBase) else None,
                                d.xreplace(case) if case else d, case))
    what = _describe(world, envs, notes)
    if rel in ("<=", "<", ">=", ">"):
        return _inequality(world, pending, rel, notes, what)
    order = ""
    if first_order:
        order = " to first order in the changes (\u0394W, \u0394b" + (", \u03b7" if uses_eta else "") + ")"
        if rel == "to":
            order += "; `\\to` read as a first-order statement for \u0394W, \u0394b \u2192 0"
        pending = [(env, w, part, case) for env, w, d, case in pending
                   for part in _first_order(d)]
    for env, where, d, case in pending:
        if _cheap_zero(d):
            continue
        found = _refute(world, env, where, d, case)
        if found:
            return LinkResult(REFUTED, f"residual {found['residual']:.6g} at the point given "
                                       f"({_where(env, where)})", found, notes)
        if not _zero(d) and not _zero(world.to_leaves(d)):
            return LinkResult(NOT_UNDERSTOOD, "the residual vanishes at %d sample points but "
                              "SymPy could not reduce it to 0 (%s)" % (len(_SEEDS), _where(env, where)),
                              None, notes)
    return LinkResult(PROVED, "residual 0%s; %s" % (order, what), None, notes)


def _is_update(lhs, rhs) -> bool:
    if lhs.kind != "sym" or lhs.info["name"] not in ("W", "b"):
        return False
    stack = [rhs]
    while stack:
        node = stack.pop()
        if node.kind == "sym" and node.info["name"] == lhs.info["name"]:
            return True
        stack += [a for a in node.args if hasattr(a, "kind")]
    return False


def _changes(q):
    return {s for e in _entries(q) for s in sp.sympify(e).free_symbols
            if s.name.startswith(r"\Delta")}


def _only_written_changes(u, v, notes):
    """``\\Delta C \\approx \\frac{\\partial C}{\\partial w} \\Delta w``: when one change is
    written, only it moves; the others are 0 (stated)."""
    written = _changes(u) & _changes(v)
    others = (_changes(u) | _changes(v)) - written
    if len(written) != 1 or not others:  # a sum of changes claims the whole differential
        return u, v
    why = "only the changes written (%s) are nonzero" % ", ".join(sorted(s.name for s in written))
    if ("changes", "0", why, False) not in notes:
        notes.append(("changes", "0", why, False))
    zero = {s: 0 for s in others}
    return (u.xreplace(zero) if hasattr(u, "xreplace") else u,
            v.xreplace(zero) if hasattr(v, "xreplace") else v)


def _where(env, where):
    text = ", ".join(f"{q}={v}" for q, v in env.items()) or "no free index"
    return text + ("" if where is None else f", entry {where + 1}")


def _refute(world, env, where, d, case):
    for seed in _SEEDS:
        point, values = world.sample(seed, extra=[s for s in d.free_symbols
                                                  if s not in world._node_info()])
        values.update({s: sp.sympify(v) for s, v in case.items()})
        val = world.numeric(d, values)
        if val.is_number and not val.is_real:
            continue
        if val.is_number and abs(val) > _TOL:
            point = {s: v for s, v in point.items() if s not in case}
            out = _counter(world, env, point, val, None if where is None else where + 1)
            if d.has(sigma_generic):
                out["sigma"] = "logistic"
            return out
    return None


def _inequality(world, pending, rel, notes, what):
    for env, where, d, case in pending:
        if _sign_ok(d, rel) is True:
            continue
        for seed in range(1, 21):
            point, values = world.sample(seed, extra=[s for s in d.free_symbols
                                                      if s not in world._node_info()])
            values.update({s: sp.sympify(v) for s, v in case.items()})
            val = world.numeric(d, values)
            if val.is_number and val.is_real and not _holds(val, rel):
                return LinkResult(REFUTED, f"left - right = {float(val):.6g} violates {rel}",
                                  _counter(world, env, point, val, where), notes)
        return LinkResult(NOT_UNDERSTOOD, f"holds at 20 sample points but SymPy could not "
                          f"show it for all values ({_where(env, where)})", None, notes)
    return LinkResult(PROVED, f"holds for all real values (SymPy sign rules), \u03b7 > 0; {what}",
                      None, notes)


def _gets(world, ev, lhs, u, v):
    """``W <- W - eta dC/dW``: the change it makes must be the document's Delta W, or
    without one, a gradient-descent step ``-eta dC/dW`` (stated)."""
    params = set(world.params())
    if not all(p in params for p in _entries(u)):
        raise NotUnderstood("an update (`\\gets`) of something that is not a weight or a bias",
                            lhs.pos, r"\gets")
    kind = "update_W" if str(_entries(u)[0]).startswith("W") else "update_b"
    if kind in world.defs:
        step = ev._change
    else:
        ev.note("update", r"-\eta\,\partial C/\partial w", "an update with no \u0394W/\u0394b "
                "defined before it is read as a gradient-descent step", typo=False)
        step = lambda p: -ETA * world.total(ev.value(_COST), p)  # noqa: E731
    change = u.applyfunc(step) if isinstance(u, sp.MatrixBase) else step(u)
    return (v - u) - change

