r"""The document's world: a small network with symbolic weights, built from its definitions.

A :class:`World` holds layer sizes ``n_0..n_L`` (default ``2, 3, 2, 3``, so ``L = 3``),
an optional mini-batch of ``N = 2`` examples (when the document sums over ``x``) and
the definitions the document made, in its own notation: ``z^l_j`` (default
``\sum_k W^l_{jk} a^{l-1}_k + b^l_j``), the hidden activation (default a generic
differentiable ``\sigma``), the output function (default the hidden activation) and
the loss (default a generic ``C`` whose gradient ``\partial C/\partial a^L_j`` is a free
real value per component). Every node is a :mod:`derive.symbols` symbol.

:meth:`World.total` is the chain rule on this graph: ``d node / d Y`` with every
other input held fixed, which is what ``\frac{\partial X}{\partial Y}`` means in
backpropagation (``Y`` may be an inner node such as ``z^l_j``).

>>> w = World()
>>> from derive.symbols import W, a, z
>>> w.total(z(2, 1), W(2, 1, 3))
a^{1}_{3}
>>> w.total(a(1, 2), z(1, 2))
Derivative(sigma(z^{1}_{2}), z^{1}_{2})
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import sympy as sp

from derive import symbols as S
from derive.errors import UsageError
from derive.functions import relu

__all__ = ["DEFAULT_SIZES", "World", "sigma_generic", "logistic"]

DEFAULT_SIZES = (2, 3, 2, 3)

#: the generic activation: any differentiable real function (proofs hold for all of them)
sigma_generic = sp.Function("sigma", real=True)
#: what the generic activation is taken to be when a counterexample needs numbers
_t = sp.Dummy("t", real=True)
logistic = sp.Lambda(_t, 1 / (1 + sp.exp(-_t)))

ETA = sp.Symbol(r"\eta", positive=True)
EPS = sp.Symbol("epsilon", positive=True)  # the order of a first-order (\approx) check


def grad_symbol(j, x=None) -> sp.Symbol:
    """``\\partial C/\\partial a^L_j`` of the generic loss: a free real value."""
    sup = "L" if x is None else "L,x_{%s}" % x
    return sp.Symbol(r"\frac{\partial C}{\partial a^{%s}_{%s}}" % (sup, j), real=True)


def delta_symbol(p: sp.Symbol) -> sp.Symbol:
    """``\\Delta W^l_{jk}``: a free change of a parameter."""
    return sp.Symbol(r"\Delta %s" % p.name, real=True)


def cost_symbol(x=None) -> sp.Symbol:
    return sp.Symbol("C" if x is None else "C_{x_{%s}}" % x, real=True)


@dataclass
class World:
    """Sizes, batch and definitions; ``defs`` maps a kind ('z', 'hidden', 'output',
    'loss', 'loss_x', 'delta', 'update_W', 'update_b') to a callable building the
    node's local expression (set by :mod:`derive.check.evaluate`)."""

    sizes: tuple = DEFAULT_SIZES
    batch: int | None = None
    defs: dict = field(default_factory=dict)
    assumptions: list = field(default_factory=list)
    cases: list = field(default_factory=lambda: [{}])
    single: bool = False  # one example of a batch document (N = 1, sum over x of one term)

    def __post_init__(self):
        if len(self.sizes) < 2 or any(not isinstance(s, int) or s < 1 for s in self.sizes):
            raise UsageError("sizes", "at least two layer sizes, each an int >= 1", self.sizes)
        self._memo: dict = {}
        self._local: dict = {}

    def copy(self) -> "World":
        defs = dict(self.defs)
        defs["constraints"] = list(defs.get("constraints", ()))
        return World(self.sizes, self.batch, defs, list(self.assumptions), list(self.cases))

    def __repr__(self) -> str:
        return "World(sizes=%s, batch=%s, defs=%s)" % (self.sizes, self.batch, sorted(self.defs))

    # ---------------------------------------------------------------- shape
    @property
    def L(self) -> int:
        return len(self.sizes) - 1

    def size(self, layer: int) -> int:
        return self.sizes[layer]

    @property
    def examples(self):
        return [None] if self.batch is None else list(range(1, self.batch + 1))

    # ---------------------------------------------------------------- nodes
    def params(self):
        """Every weight and bias (the variables of gradient descent)."""
        out = []
        for l in range(1, self.L + 1):
            out += [S.W(l, j, k) for j in range(1, self.size(l) + 1)
                    for k in range(1, self.size(l - 1) + 1)]
            out += [S.b(l, j) for j in range(1, self.size(l) + 1)]
        return out

    def _node_info(self):
        if "_info" not in self._local:
            info = {}
            for x in self.examples:
                for l in range(1, self.L + 1):
                    for j in range(1, self.size(l) + 1):
                        info[S.z(l, j, x)] = ("z", l, j, x)
                        info[S.a(l, j, x)] = ("a", l, j, x)
                info[cost_symbol(x)] = ("C_x" if x is not None else "C", None, None, x)
            if self.batch is not None:
                info[cost_symbol()] = ("C", None, None, None)
            self._local["_info"] = info
        return self._local["_info"]

    def local(self, node: sp.Symbol):
        """The node's expression in its parents, or None for an input (leaf)."""
        info = self._node_info().get(node)
        if info is None:
            return None
        if node in self._local:
            return self._local[node]
        kind, l, j, x = info
        if kind == "z":
            expr = self.defs["z"](self, l, j, x) if "z" in self.defs else (
                sp.Add(*[S.W(l, j, k) * S.a(l - 1, k, x) for k in range(1, self.size(l - 1) + 1)])
                + S.b(l, j))
        elif kind == "a":
            if l == self.L and "output" in self.defs:
                expr = self.defs["output"](self, j, x)
            elif "hidden" in self.defs:
                expr = self.defs["hidden"](self, l, j, x)
            else:
                expr = self.defs.get("sigma", sigma_generic)(S.z(l, j, x))
        elif kind == "C_x" or kind == "C" and self.batch is None:
            expr = self.defs["loss_x" if "loss_x" in self.defs else "loss"](self, x) \
                if ("loss_x" in self.defs or "loss" in self.defs and self.batch is None) else None
        else:  # C of a batch
            expr = self.defs["loss"](self, None) if "loss" in self.defs else \
                sp.Add(*[cost_symbol(q) for q in self.examples]) / self.batch
        self._local[node] = expr
        return expr

    def is_generic_cost(self, node) -> bool:
        info = self._node_info().get(node)
        return info is not None and info[0] in ("C", "C_x") and self.local(node) is None

    # ---------------------------------------------------------------- chain rule
    def total(self, expr, wrt: sp.Symbol):
        """``d expr / d wrt`` through the network (other inputs held fixed)."""
        if isinstance(expr, sp.MatrixBase):
            return expr.applyfunc(lambda e: self.total(e, wrt))
        out = sp.S.Zero
        for s in expr.free_symbols:
            if s == wrt:
                out += sp.diff(expr, s)
                continue
            d = self._total_node(s, wrt)
            if d != 0:
                out += sp.diff(expr, s) * d
        return out

    def _total_node(self, node, wrt):
        key = (node, wrt)
        if key in self._memo:
            return self._memo[key]
        if node == wrt:
            result = sp.S.One
        elif self.is_generic_cost(node):
            info = self._node_info()[node]
            x = info[3]
            L = self.L
            result = sp.S.Zero
            for j in range(1, self.size(L) + 1):
                d = self._total_node(S.a(L, j, x), wrt)
                if d != 0:
                    result += grad_symbol(j, x) * d
        else:
            expr = self.local(node)
            result = sp.S.Zero if expr is None else self.total(expr, wrt)
        self._memo[key] = result
        return result

    # ---------------------------------------------------------------- normal form
    def canonical(self, expr):
        """Replace every activation ``a^l_j`` (l >= 1) and cost by its definition, so
        that both sides of a link are written in ``z``, weights, inputs and targets."""
        if isinstance(expr, sp.MatrixBase):
            return expr.applyfunc(self.canonical)
        info = self._node_info()
        for _ in range(4):
            subs = {s: self.local(s) for s in expr.free_symbols
                    if s in info and info[s][0] != "z" and self.local(s) is not None}
            if not subs:
                break
            expr = expr.xreplace(subs)
        return expr

    def to_leaves(self, expr):
        """Also replace every ``z^l_j`` by its definition, down to inputs and weights."""
        info = self._node_info()
        for _ in range(2 * self.L + 4):
            expr = self.canonical(expr)
            subs = {s: self.local(s) for s in expr.free_symbols
                    if s in info and info[s][0] == "z"}
            if not subs:
                break
            expr = expr.subs(subs)
        return expr

    # ---------------------------------------------------------------- sample points
    def leaves(self):
        out = []
        for x in self.examples:
            out += [S.a(0, k, x) for k in range(1, self.size(0) + 1)]
            out += [S.y(j, x) for j in range(1, self.size(self.L) + 1)]
            if self.local(cost_symbol(x)) is None:
                out += [grad_symbol(j, x) for j in range(1, self.size(self.L) + 1)]
        return self.params() + out

    def sample(self, seed: int, extra=()) -> dict:
        """Exact rational values for every leaf (and ``extra`` symbols); targets in
        (0, 1), the rest in [-9/4, 9/4] (all positive for even seeds, so that ReLU
        units are active); then the forward pass numerically (30 digits)."""
        rng = random.Random(seed)
        point = {}
        signs = [-1, 1] if seed % 2 else [1]  # every other point all positive: ReLUs active
        for s in list(self.leaves()) + sorted(set(extra) - set(self.leaves()), key=str):
            if s.name.startswith("y"):
                point[s] = sp.Rational(rng.randint(1, 9), 10)
            elif s == ETA or s.is_positive:
                point[s] = sp.Rational(rng.randint(1, 9), 10)
            else:
                point[s] = sp.Rational(rng.choice(signs) * rng.randint(1, 9), rng.randint(4, 9))
        for case in self.cases:
            for s, v in case.items():
                point[s] = sp.sympify(v)
            break
        values = dict(point)
        for x in self.examples:
            for l in range(1, self.L + 1):
                for j in range(1, self.size(l) + 1):
                    zz = self.local(S.z(l, j, x))
                    values[S.z(l, j, x)] = self.numeric(zz, values)
                for j in range(1, self.size(l) + 1):
                    values[S.a(l, j, x)] = self.numeric(self.local(S.a(l, j, x)), values)
        return point, values

    @staticmethod
    def numeric(expr, values):
        """Evaluate at ``values``; the generic activation is the logistic function."""
        if isinstance(expr, sp.MatrixBase):
            return expr.applyfunc(lambda e: World.numeric(e, values))
        expr = sp.sympify(expr)
        if expr.has(sigma_generic):
            expr = expr.replace(sigma_generic, logistic).doit()
        if expr.has(relu):
            expr = expr.replace(relu, lambda t: sp.Max(0, t))
        return sp.N(expr.xreplace(values), 30)
