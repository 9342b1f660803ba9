r"""User-defined activations and losses, written once as SymPy formulas.

:func:`define_activation` takes an elementwise formula ``sigma(z)``; in one call it
checks the formula (free symbols, kinks), derives ``sigma'`` with SymPy, confirms the
derivative against a 30-digit numerical derivative, builds stable NumPy functions
(``1/(1+e^{-u})`` and ``ln(1+e^{u})`` become the package's overflow-free sigmoid and
softplus before lambdifying), checks SymPy and NumPy agree at sample points, and
registers the activation in both registries -- :data:`numeric.ACTIVATIONS` (so the
network and the built-in property tests use it) and :data:`derive.functions.ACTIVATIONS`.

>>> import numpy as np, sympy as sp
>>> z = sp.Symbol("z", real=True)
>>> swish = define_activation("swish_doc", z / (1 + sp.exp(-z)), z)
>>> swish
CustomActivation('swish_doc': z*sigma(z))
>>> print(swish.latex())
\operatorname{swish\_doc}(z) = z \sigma\left(z\right),\quad \operatorname{swish\_doc}'(z) = z \left(1 - \sigma\left(z\right)\right) \sigma\left(z\right) + \sigma\left(z\right)
>>> swish.numeric.deriv(np.array([-1000.0, 0.0, 1000.0]))
array([0. , 0.5, 1. ])
>>> import numeric
>>> numeric.get_activation("swish_doc") is swish.numeric
True
>>> undefine("swish_doc")

:func:`define_loss` takes a per-component loss ``term(a_j, y_j)`` (the cost of one
example sums it over the output components) and proves ``delta^L`` in closed form
with every output function it is compatible with:

>>> a, y = sp.symbols("a y", real=True)
>>> logcosh = define_loss("logcosh_doc", lambda a, y: sp.log(sp.cosh(a - y)))
>>> [(p.output, p.proved) for p in logcosh.proofs]
[('linear', True), ('sigmoid', True), ('softmax', True)]
>>> logcosh.delta("linear")
tanh(a_j - y_j)
>>> undefine("logcosh_doc")

Bad definitions are refused with the reason:

>>> define_activation("bad", z * sp.Symbol("k"), z)
Traceback (most recent call last):
...
derive.errors.UsageError: expr: expected an expression in z only, got free symbols k
>>> define_activation("bad", sp.Abs(z), z)
Traceback (most recent call last):
...
derive.errors.UsageError: kinks: expected every point where |z| is not differentiable (declare kinks=(0,)), got ()
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import mpmath
import numpy as np
import sympy as sp

import numeric
from derive import functions as _functions
from derive.errors import UsageError
from numeric import _stable
from numeric import activations as _nact
from numeric import losses as _nloss

__all__ = ["CustomActivation", "CustomLoss", "LossProof", "define_activation", "define_loss",
           "undefine"]

_sig, _softplus = _functions.sigmoid, _functions.softplus
_NUMPY = [{"sigmoid": _stable.sigmoid, "softplus": _stable.softplus,
           "sigmoid_prime": lambda x: _stable.sigmoid(x) * _stable.sigmoid(-x),
           "Heaviside": lambda x, h0=0.0: np.where(np.asarray(x) > 0, 1.0, 0.0),
           "erf": np.vectorize(math.erf, otypes=[float]),  # NumPy has no erf
           "erfc": np.vectorize(math.erfc, otypes=[float])}, "numpy"]
_MP = [{"sigmoid": lambda x: 1 / (1 + mpmath.exp(-x)),
        "softplus": lambda x: mpmath.log(1 + mpmath.exp(x)),
        "Heaviside": lambda x, h0=0: mpmath.mpf(1) if x > 0 else mpmath.mpf(0)}, "mpmath"]
_SAMPLES = np.array([-6.0, -3.1, -1.3, -0.45, 0.2, 0.7, 1.6, 2.9, 5.3])


def _stabilize(expr):
    """Rewrite 1/(1+e^{-u}) as sigmoid(u) and ln(1+e^{u}) as softplus(u)."""
    def is_sig(e):
        return (e.is_Pow and e.exp == -1 and e.base.is_Add and len(e.base.args) == 2
                and sp.S.One in e.base.args and any(isinstance(t, sp.exp) for t in e.base.args))

    def to_sig(e):
        u = [t for t in e.base.args if isinstance(t, sp.exp)][0].args[0]
        return _sig(-u)

    def is_sp(e):
        b = e.args[0] if isinstance(e, sp.log) else None
        return (b is not None and b.is_Add and len(b.args) == 2 and sp.S.One in b.args
                and any(isinstance(t, sp.exp) for t in b.args))

    def to_sp(e):
        return _softplus([t for t in e.args[0].args if isinstance(t, sp.exp)][0].args[0])

    return expr.replace(is_sig, to_sig).replace(is_sp, to_sp)


def _kinks_of(expr, var):
    """Real points where a piecewise piece of ``expr`` switches (Abs, Max, Min, Heaviside...)."""
    args = [a.args[0] for a in expr.atoms(sp.Abs, sp.Heaviside, sp.sign)]
    args += [m.args[0] - m.args[1] for m in expr.atoms(sp.Max, sp.Min) if len(m.args) == 2]
    points = set()
    for a in args:
        try:
            points |= {float(s) for s in sp.solve(a, var) if s.is_real}
        except (NotImplementedError, TypeError):
            continue
    return sorted(points)


def _samples(domain, kinks):
    lo, hi = domain
    pts = _SAMPLES.copy()
    if lo > -math.inf or hi < math.inf:
        a = lo if lo > -math.inf else hi - 8.0
        b = hi if hi < math.inf else lo + 8.0
        pts = a + (b - a) * (np.arange(1, 10) / 10.0)
    return np.array([p for p in pts if all(abs(p - k) > 1e-3 for k in kinks)])


def _agree(name, what, numpy_fn, exact, points):
    got = np.asarray(numpy_fn(points.copy()), dtype=np.float64) * np.ones_like(points)
    with mpmath.workdps(30):
        want = [exact(mpmath.mpf(float(p))) for p in points]
    for p, a, b in zip(points, got, want):
        if isinstance(b, mpmath.mpc) or not abs(a - b) <= 1e-9 * abs(b) + 1e-12:
            raise UsageError(what, f"NumPy and SymPy forms of {name} that agree",
                             f"at z={p:g}: NumPy {a!r}, SymPy {mpmath.nstr(b, 17)}")


@dataclass(frozen=True, repr=False)
class CustomActivation:
    """A user-defined activation: the formula, its derivative and the registered NumPy object."""

    name: str
    expr: sp.Expr
    var: sp.Symbol
    derivative: sp.Expr
    numeric: _nact.Activation = field(compare=False)

    def __repr__(self):
        return f"CustomActivation({self.name!r}: {self.expr})"

    def latex(self) -> str:
        """``f(z) = ..., f'(z) = ...`` with the activation's own name as its symbol
        (``\\sigma`` is kept for the logistic sigmoid, which its formula may use)."""
        own, v = r"\operatorname{%s}" % self.name.replace("_", r"\_"), sp.latex(self.var)
        return (f"{own}({v}) = {sp.latex(self.expr)},\\quad {own}'({v}) = "
                f"{sp.latex(self.derivative)}")

    def _repr_latex_(self):
        return "$" + self.latex() + "$"


def define_activation(name, expr, var, *, domain=None, kinks=(), fn=None, deriv=None,
                      replace: bool = False) -> CustomActivation:
    """Define, verify and register an elementwise activation ``sigma(var) = expr``.

    ``domain`` is the open interval of valid inputs (default the whole line); ``kinks``
    must list every point where ``expr`` is not differentiable. ``fn`` / ``deriv`` are
    optional hand-written NumPy versions, checked against the formula instead of
    generated from it.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise UsageError("name", "an identifier", repr(name))
    if not isinstance(var, sp.Symbol):
        raise UsageError("var", "a SymPy Symbol", repr(var))
    try:
        expr = sp.sympify(expr)
    except sp.SympifyError as exc:
        raise UsageError("expr", "a SymPy expression", repr(expr)) from exc
    stray = expr.free_symbols - {var}
    if stray:
        raise UsageError("expr", f"an expression in {var} only",
                         "free symbols " + ", ".join(sorted(map(str, stray))))
    domain = (-math.inf, math.inf) if domain is None else tuple(float(d) for d in domain)
    found = _kinks_of(expr, var)
    missing = [k for k in found if all(abs(k - float(d)) > 1e-12 for d in kinks)]
    if missing:
        shown = ", ".join(f"{k:g}" for k in missing)
        raise UsageError("kinks", f"every point where {sp.sstr(expr).replace('Abs(z)', '|z|')} is not "
                         f"differentiable (declare kinks=({shown},))", repr(tuple(kinks)))
    stable = _stabilize(expr)
    derivative = sp.diff(stable, var)
    points = _samples(domain, list(kinks) + found)
    # the derivative, against a numerical derivative of the formula at 30 digits
    f_mp = sp.lambdify(var, expr, modules=_MP)
    d_mp = sp.lambdify(var, derivative, modules=_MP)
    with mpmath.workdps(30):
        for p in points:
            num, sym = mpmath.diff(f_mp, mpmath.mpf(float(p))), d_mp(mpmath.mpf(float(p)))
            if not abs(num - sym) <= mpmath.mpf(10) ** -20 * (1 + abs(sym)):
                raise UsageError("expr", "a formula differentiable on its domain",
                                 f"d/d{var} disagrees with a numerical derivative at {p:g}")
    np_fn = fn or sp.lambdify(var, stable, modules=_NUMPY, cse=True)
    np_deriv = deriv or sp.lambdify(var, derivative, modules=_NUMPY, cse=True)
    _agree(name, "fn", np_fn, f_mp, points)
    _agree(name, "deriv", np_deriv, d_mp, points)
    act = _nact.Activation(name, _elementwise(np_fn), _elementwise(np_deriv),
                           kinks=tuple(float(k) for k in kinks), domain=domain)
    if not replace and (name in numeric.ACTIVATIONS or name in _functions.ACTIVATIONS):
        raise UsageError("name", "a new activation name (or replace=True)", repr(name))
    numeric.register_activation(act, replace=replace)
    _functions.register_activation(name, sp.Lambda(var, expr), replace=replace)
    return CustomActivation(name, stable, var, derivative, act)


def _elementwise(f):
    def call(z):
        z = np.asarray(z, dtype=np.float64)
        with np.errstate(over="ignore", under="ignore"):
            return np.asarray(f(z), dtype=np.float64) * np.ones_like(z)
    return call


# ---------------------------------------------------------------- losses


@dataclass(frozen=True)
class LossProof:
    """``delta^L_j = dC/dz_j`` derived from the cost equals the general-form closed form."""

    output: str
    n: int
    proved: bool
    residual: sp.Expr


@dataclass(frozen=True, repr=False)
class CustomLoss:
    """A user-defined loss: per-component ``term``, ``dterm/da``, proofs of delta^L."""

    name: str
    term: sp.Expr
    grad: sp.Expr
    proofs: tuple
    numeric: object = field(compare=False)

    def __repr__(self):
        return f"CustomLoss({self.name!r}: C = sum_j {self.term})"

    def delta(self, output: str) -> sp.Expr:
        """Closed form of ``delta^L_j`` with ``output`` (in ``a_j``, ``y_j``, ``a_k``)."""
        l_j = self.grad.subs({_A: _AJ, _Y: _YJ})
        if output == "linear":
            return l_j
        if output == "sigmoid":
            return _AJ * (1 - _AJ) * l_j
        if output == "softmax":
            l_k = self.grad.subs({_A: _AK, _Y: _YK})
            return _AJ * (l_j - sp.Sum(_AK * l_k, (_K, 1, _N)))
        raise UsageError("output", "one of linear, sigmoid, softmax", repr(output))

    def latex(self) -> str:
        return r"C = \sum_{j} " + sp.latex(self.term.subs({_A: _AJ, _Y: _YJ}))


_A, _Y = sp.symbols("a y", real=True)
_AJ, _YJ, _AK, _YK = sp.symbols("a_j y_j a_k y_k", real=True)
_K, _N = sp.symbols("k n", integer=True, positive=True)


def _prove(term, output, n):
    zs = sp.symbols(f"z1:{n + 1}", real=True)
    ys = sp.symbols(f"y1:{n + 1}", real=True)
    a = _functions.get_output(output).concrete(list(zs))
    cost = sp.Add(*[term(p, q) for p, q in zip(a, ys)])
    grad = [sp.diff(term(_A, _Y), _A).subs({_A: p, _Y: q}) for p, q in zip(a, ys)]
    for j in range(n):
        derived = sp.diff(cost, zs[j])
        if output == "linear":
            claimed = grad[j]
        elif output == "sigmoid":
            claimed = a[j] * (1 - a[j]) * grad[j]
        else:
            claimed = a[j] * (grad[j] - sp.Add(*[a[k] * grad[k] for k in range(n)]))
        residual = sp.simplify(sp.expand(derived - claimed))
        if residual != 0:
            return LossProof(output, n, False, residual)
    return LossProof(output, n, True, sp.S.Zero)


def define_loss(name, term, *, needs=(-math.inf, math.inf), targets=(-math.inf, math.inf),
                replace: bool = False, n: int = 2) -> CustomLoss:
    """Define, prove and register a loss ``C_x = sum_j term(a_j, y_j)``.

    ``term`` is a SymPy callable of two real symbols (output component, target component).
    ``delta^L`` is proved at size ``n`` with every output whose range lies in ``needs``.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise UsageError("name", "an identifier", repr(name))
    if not callable(term):
        raise UsageError("term", "a callable (a, y) -> SymPy expression", type(term).__name__)
    body = sp.sympify(term(_A, _Y))
    stray = body.free_symbols - {_A, _Y}
    if stray:
        raise UsageError("term", "an expression in its two arguments (a, y) only",
                         "free symbols " + ", ".join(sorted(map(str, stray))))
    if not replace and (name in numeric.LOSSES or name in _functions.LOSSES):
        raise UsageError("name", "a new loss name (or replace=True)", repr(name))
    grad = sp.simplify(sp.diff(body, _A))
    ranges = {"linear": (-math.inf, math.inf), "sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0)}
    outputs = [o for o, (lo, hi) in ranges.items() if needs[0] <= lo and hi <= needs[1]]
    proofs = tuple(_prove(term, o, n) for o in outputs)
    failed = [p for p in proofs if not p.proved]
    if failed:
        raise UsageError("term", "a loss whose delta^L SymPy can reduce to the general form",
                         f"residual {failed[0].residual} with output {failed[0].output}")
    c_np = sp.lambdify((_A, _Y), _stabilize(body), modules=_NUMPY, cse=True)
    g_np = sp.lambdify((_A, _Y), _stabilize(grad), modules=_NUMPY, cse=True)
    loss = _nloss.Loss(name, lambda a, y: np.sum(c_np(a, y) * np.ones_like(a), axis=0),
                       lambda a, y: g_np(a, y) * np.ones_like(a),
                       needs=tuple(needs), targets=tuple(targets))
    _nloss.LOSSES[name] = loss
    _functions.LOSSES[name] = _functions.Loss(name, f"C = sum_j {body}", term)
    return CustomLoss(name, body, grad, proofs, loss)


def undefine(name: str) -> None:
    """Remove a user-defined activation or loss from both registries."""
    if name in numeric.ACTIVATIONS:
        _nact.unregister_activation(name)
        _functions.ACTIVATIONS.pop(name, None)
    elif name in _nloss.LOSSES and name not in ("mse", "cross_entropy", "log_likelihood"):
        del _nloss.LOSSES[name]
        _functions.LOSSES.pop(name, None)
    else:
        raise UsageError("name", "a user-defined activation or loss", repr(name))
