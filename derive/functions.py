"""SymPy activations, output functions and losses that carry their own derivative.

Each activation is one small :class:`Activation` with its pieces side by side: the
opaque SymPy function used in proofs (``fn``), its derivative (``prime``) and the
explicit formula it stands for (``explicit``). Opaque functions keep derivatives
canonical -- ``diff(sigmoid(x), x)`` is ``sigmoid(x)*(1 - sigmoid(x))``, not a nest of
``exp`` -- and each derivative identity is proved once against the explicit formula
by :func:`prove_activation_identities`.

>>> import sympy as sp
>>> from derive.functions import sigmoid, sigmoid_prime, softplus, relu
>>> x = sp.Symbol("x", real=True)
>>> sp.diff(sigmoid(x), x)
(1 - sigma(x))*sigma(x)
>>> sp.diff(softplus(x), x), sp.diff(relu(x), x)
(sigma(x), Heaviside(x))
>>> sp.latex(sigmoid_prime(x)), sp.latex(sigmoid(x))
("\\\\sigma'\\\\left(x\\\\right)", '\\\\sigma\\\\left(x\\\\right)')
>>> sigmoid(x).rewrite(sp.exp)
1/(1 + exp(-x))
>>> all(r.proved for r in prove_activation_identities())
True
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import sympy as sp

from derive.errors import UsageError

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "IdentityProof",
    "LOSSES",
    "Loss",
    "OUTPUTS",
    "Output",
    "get_activation",
    "get_loss",
    "get_output",
    "prove_activation_identities",
    "register_activation",
    "relu",
    "sigmoid",
    "sigmoid_prime",
    "softplus",
]

_x = sp.Dummy("x", real=True)


# ---------------------------------------------------------------- opaque functions
class sigmoid(sp.Function):  # noqa: N801 - printed and lambdified by this name
    """Logistic function ``sigma(x) = 1/(1+exp(-x))``; ``sigma' = sigma (1 - sigma)``."""

    is_real = True

    def fdiff(self, argindex=1):
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sp.exp(-x))

    def _latex(self, printer, exp=None):
        body = r"\sigma\left(%s\right)" % printer._print(self.args[0])
        return body if exp is None else r"%s^{%s}" % (body, exp)

    def _sympystr(self, printer):
        return "sigma(%s)" % printer._print(self.args[0])


class sigmoid_prime(sp.Function):  # noqa: N801
    """``sigma'(x)``: prints as itself; ``expand(func=True)`` gives ``sigma (1 - sigma)``."""

    is_real = True

    def fdiff(self, argindex=1):
        s = sigmoid(self.args[0])
        return s * (1 - s) * (1 - 2 * s)

    def _eval_expand_func(self, **hints):
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return sp.exp(-x) / (1 + sp.exp(-x)) ** 2

    def _latex(self, printer, exp=None):
        body = r"\sigma'\left(%s\right)" % printer._print(self.args[0])
        return body if exp is None else r"%s^{%s}" % (body, exp)

    def _sympystr(self, printer):
        return "sigma'(%s)" % printer._print(self.args[0])


class softplus(sp.Function):  # noqa: N801
    """``softplus(x) = ln(1 + exp(x))``; its derivative is ``sigma(x)``."""

    is_real = True

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return sp.log(1 + sp.exp(x))


class relu(sp.Function):  # noqa: N801
    """``relu(x) = max(0, x)``; its derivative is ``Heaviside(x)`` (kink at 0)."""

    is_real = True

    def fdiff(self, argindex=1):
        return sp.Heaviside(self.args[0])

    def _eval_rewrite_as_Piecewise(self, x, **kwargs):
        return sp.Piecewise((0, x < 0), (x, True))


# ---------------------------------------------------------------- activations
@dataclass(frozen=True)
class Activation:
    """A hidden activation: ``fn`` (opaque, used in proofs), ``prime`` (its claimed
    derivative, printable), ``explicit`` (the formula ``fn`` stands for) and
    ``kinks`` (points where it is not differentiable)."""

    name: str
    fn: Callable[[sp.Expr], sp.Expr]
    prime: Callable[[sp.Expr], sp.Expr]
    explicit: Callable[[sp.Expr], sp.Expr]
    kinks: tuple = ()

    def __repr__(self) -> str:
        return "Activation(%r: %s' = %s)" % (self.name, self.fn(_X), self.prime(_X))


_X = sp.Symbol("x", real=True)


def _identity(x):
    return x


ACTIVATIONS: dict[str, Activation] = {
    "identity": Activation("identity", _identity, lambda x: sp.Integer(1), _identity),
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_prime, lambda x: 1 / (1 + sp.exp(-x))),
    "tanh": Activation(
        "tanh", sp.tanh, lambda x: 1 - sp.tanh(x) ** 2,
        lambda x: (sp.exp(x) - sp.exp(-x)) / (sp.exp(x) + sp.exp(-x)),
    ),
    "relu": Activation(
        "relu", relu, sp.Heaviside, lambda x: sp.Piecewise((0, x < 0), (x, True)), kinks=(0,)
    ),
    "softplus": Activation("softplus", softplus, sigmoid, lambda x: sp.log(1 + sp.exp(x))),
}


def register_activation(name: str, fn, replace: bool = False) -> Activation:
    """Add a user-defined activation: ``fn`` is a SymPy callable (``x -> expr``) or an
    expression in one symbol. Its derivative is taken by SymPy.

    >>> act = register_activation("cube", lambda x: x**3)
    >>> act.prime(sp.Symbol("t"))
    3*t**2
    >>> register_activation("cube", lambda x: x**3)
    Traceback (most recent call last):
    ...
    derive.errors.UsageError: name: expected a new activation name (or replace=True), got 'cube'
    >>> del ACTIVATIONS["cube"]
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise UsageError("name", "an identifier", repr(name))
    if name in ACTIVATIONS and not replace:
        raise UsageError("name", "a new activation name (or replace=True)", repr(name))
    if isinstance(fn, sp.Expr) and not callable(fn):
        free = sorted(fn.free_symbols, key=str)
        if len(free) != 1:
            raise UsageError("fn", "an expression in exactly one symbol", fn)
        expr, var = fn, free[0]
        fn = sp.Lambda(var, expr)
    if not callable(fn):
        raise UsageError("fn", "a SymPy callable or an expression", type(fn).__name__)
    body = sp.sympify(fn(_x))
    derivative = sp.Lambda(_x, sp.diff(body, _x))
    act = Activation(name, fn, lambda x: derivative(x), fn)
    ACTIVATIONS[name] = act
    return act


def get_activation(name: str) -> Activation:
    """Look up a hidden activation by name (UsageError if unknown).

    >>> get_activation("tanh").prime(_X)
    1 - tanh(x)**2
    """
    if name not in ACTIVATIONS:
        raise UsageError("activation", "one of " + ", ".join(ACTIVATIONS), repr(name))
    return ACTIVATIONS[name]


# ---------------------------------------------------------------- outputs and losses
@dataclass(frozen=True)
class Output:
    """An output function ``a^L = f(z^L)``: ``concrete(zs)`` gives the list of
    ``a^L_j`` for concrete size; ``indexed(z, j, n)`` gives ``a^L_j`` in index form."""

    name: str
    formula: str
    concrete: Callable[[list], list]
    indexed: Callable

    def __repr__(self) -> str:
        return "Output(%r: %s)" % (self.name, self.formula)


def _softmax(zs):
    total = sp.Add(*[sp.exp(q) for q in zs])
    return [sp.exp(q) / total for q in zs]


OUTPUTS: dict[str, Output] = {
    "linear": Output("linear", "a_j = z_j", list, lambda zb, q, n: zb[q]),
    "sigmoid": Output(
        "sigmoid", "a_j = sigma(z_j)", lambda zs: [sigmoid(q) for q in zs],
        lambda zb, q, n: sigmoid(zb[q]),
    ),
    "softmax": Output(
        "softmax", "a_j = exp(z_j) / sum_i exp(z_i)", _softmax,
        lambda zb, q, n: sp.exp(zb[q]) / sp.Sum(sp.exp(zb[_sum_i]), (_sum_i, 1, n)),
    ),
}

_sum_i = sp.Symbol("i_s", integer=True, positive=True)


@dataclass(frozen=True)
class Loss:
    """A per-example loss ``C = sum_j term(a_j, y_j)`` (summed over output components)."""

    name: str
    formula: str
    term: Callable[[sp.Expr, sp.Expr], sp.Expr]

    def concrete(self, a_list, y_list) -> sp.Expr:
        """``C`` for concrete size: ``sum_j term(a_j, y_j)``."""
        return sp.Add(*[self.term(p, q) for p, q in zip(a_list, y_list)])

    def indexed(self, a_of, y_base, n) -> sp.Expr:
        """``C`` for symbolic size: ``Sum(term(a_of(i), y[i]), (i, 1, n))``."""
        return sp.Sum(self.term(a_of(_sum_i), y_base[_sum_i]), (_sum_i, 1, n))

    def __repr__(self) -> str:
        return "Loss(%r: %s)" % (self.name, self.formula)


LOSSES: dict[str, Loss] = {
    "mse": Loss("mse", "C = 1/2 sum_j (a_j - y_j)^2", lambda p, q: (p - q) ** 2 / 2),
    "cross_entropy": Loss(
        "cross_entropy", "C = -sum_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)]",
        lambda p, q: -(q * sp.log(p) + (1 - q) * sp.log(1 - p)),
    ),
    "log_likelihood": Loss(
        "log_likelihood", "C = -sum_j y_j ln a_j", lambda p, q: -q * sp.log(p)
    ),
}


def get_output(name: str) -> Output:
    """Look up an output function by name (UsageError if unknown).

    >>> get_output("softmax").concrete([_X, 2 * _X])[0]
    exp(x)/(exp(2*x) + exp(x))
    """
    if name not in OUTPUTS:
        raise UsageError("output", "one of " + ", ".join(OUTPUTS), repr(name))
    return OUTPUTS[name]


def get_loss(name: str) -> Loss:
    """Look up a loss by name (UsageError if unknown).

    >>> get_loss("mse").concrete([_X], [1])
    (x - 1)**2/2
    """
    if name not in LOSSES:
        raise UsageError("loss", "one of " + ", ".join(LOSSES), repr(name))
    return LOSSES[name]


# ---------------------------------------------------------------- identity proofs
@dataclass
class IdentityProof:
    """``d/dx explicit(x) == prime(x)`` rewritten to explicit (exp) form."""

    name: str
    claimed: sp.Expr
    residual: sp.Expr
    proved: bool
    domain: str
    seconds: float

    def __repr__(self) -> str:
        verdict = "proved" if self.proved else "NOT proved (residual %s)" % self.residual
        return "IdentityProof(%s' = %s on %s: %s)" % (self.name, self.claimed, self.domain, verdict)


def _explicit(expr):
    return expr.rewrite(sp.exp).replace(relu, lambda q: sp.Piecewise((0, q < 0), (q, True)))


def prove_activation_identities(names=None) -> list[IdentityProof]:
    """Prove each activation's derivative against its explicit formula.

    Kinked activations are proved on each open piece (``x < 0`` and ``x > 0``).

    >>> [str(r).split(":")[0] for r in prove_activation_identities(["sigmoid"])]
    ["IdentityProof(sigmoid' = sigma'(x) on the real line"]
    """
    results = []
    for name in names or list(ACTIVATIONS):
        act = get_activation(name)
        start = time.perf_counter()
        claimed = act.prime(_X)
        residual = _explicit(sp.diff(act.explicit(_X), _X)) - _explicit(claimed)
        pieces = [residual]
        domain = "the real line"
        if act.kinks:
            t = sp.Symbol("t", positive=True)
            pieces = [residual.subs(_X, c + s * t) for c in act.kinks for s in (1, -1)]
            domain = "the real line minus " + ", ".join(map(str, act.kinks))
        reduced = [sp.simplify(sp.cancel(sp.powsimp(sp.expand(p)))) for p in pieces]
        residual = sp.Add(*[sp.Abs(r) for r in reduced]) if act.kinks else reduced[0]
        results.append(
            IdentityProof(name, claimed, residual, all(r == 0 for r in reduced), domain,
                          time.perf_counter() - start)
        )
    return results
