"""The backprop equations, proved: one-layer step, whole networks, mini-batches.

The step lemma: let the cost downstream of layer ``l`` be an undefined function ``G``
of ``z^l`` whose partial derivatives are the named symbols ``delta^l_j`` (a
``Function`` subclass whose ``fdiff`` returns them). With
``z^l_j = sum_k W^l_{jk} sigma(z^{l-1}_k) + b^l_j`` and ``C = G(z^l)``, SymPy derives

* BP3  ``dC/dW^l_{jk} = delta^l_j a^{l-1}_k``
* BP4  ``dC/db^l_j = delta^l_j``
* BP2  ``delta^{l-1}_k = sum_j W^l_{jk} delta^l_j sigma'(z^{l-1}_k)``

and each is proved (residual ``expand`` s to 0). BP1 (``delta^L``) is
:mod:`derive.pairs`. Chaining the step over the layers of a concrete network proves
every ``dC/dW^l_{jk}`` and ``dC/db^l_j`` at a cost linear in depth
(:func:`prove_network`); :func:`check_expanded` confirms it independently from the
fully expanded cost of a small network, averaged over ``N`` examples.

>>> from derive.backprop import prove_step, prove_network, check_expanded
>>> prove_step(2, 3).proved
True
>>> prove_network([2, 3, 2]).proved
True
>>> check_expanded([2, 2, 1], N=2).proved
True
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import sympy as sp

from derive.errors import UsageError
from derive.functions import OUTPUTS, LOSSES, get_activation, get_loss, get_output
from derive.pairs import a_, closed_form, prove_pair, y_
from derive.pairs import _ASSUMPTIONS, _split_sums
from derive.symbols import W, a, b, delta, indexed, n as n_sym, m as m_sym, y, z
from derive.symbols import i as i_sym, j as j_sym, k as k_sym

__all__ = [
    "MAX_EXPANDED",
    "MAX_LAYERED_WORK",
    "MAX_WIDTH",
    "NetworkProof",
    "StepProof",
    "check_expanded",
    "prove_minibatch",
    "prove_network",
    "prove_step",
    "prove_step_symbolic",
]

MAX_WIDTH = 24  # widest layer the layered method accepts
MAX_LAYERED_WORK = 200_000  # sum over layers of n_l * n_{l-1} * n_l (~0.1 s per 1000)
MAX_EXPANDED = (3, 4)  # expanded check: at most 3 layers of width <= 4


def _downstream(layer, x=None):
    """``G``: an undefined function of ``z^l`` whose j-th partial is ``delta^l_j``."""

    def fdiff(self, argindex=1):
        return delta(layer, argindex, x)

    suffix = "" if x is None else ",x_{%s}" % x
    return type("G^{%s%s}" % (layer, suffix), (sp.Function,), {"fdiff": fdiff})


def _latex(result):
    try:
        from derive.latex import proof_latex

        return proof_latex(result)
    except Exception:
        return "$%s$" % sp.latex(sp.Symbol(repr(result)))


@dataclass
class StepProof:
    """BP2-BP4 at one layer: ``equations`` maps a name to (derived, claimed)."""

    layer: object
    n_in: int | None
    n_out: int | None
    activation: str
    proved: bool
    seconds: float
    details: dict = field(default_factory=dict)
    equations: dict = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        shape = "symbolic n x m" if self.n_in is None else "%d <- %d" % (self.n_out, self.n_in)
        return "StepProof(layer %s, %s, %s: %s, %.3fs)" % (
            self.layer, shape, self.activation,
            "proved" if self.proved else "NOT proved", self.seconds)

    _repr_latex_ = _latex


@dataclass
class NetworkProof:
    """All gradients of a network: ``details`` holds per-layer counts and times."""

    sizes: tuple
    hidden: str
    output: str
    loss: str
    method: str
    proved: bool
    seconds: float
    details: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return "NetworkProof(%s, %s/%s+%s, %s: %s, %d gradients, %.3fs)" % (
            "-".join(map(str, self.sizes)), self.hidden, self.output, self.loss, self.method,
            "proved" if self.proved else "NOT proved", self.details.get("gradients", 0),
            self.seconds)

    _repr_latex_ = _latex


def _affine(ws, bs, inputs):
    """``z^l_j = sum_k W^l_{jk} a^{l-1}_k + b^l_j``."""
    return [sp.Add(*[w * p for w, p in zip(row, inputs)]) + bias for row, bias in zip(ws, bs)]


def _d(expr, var):
    """``d expr / d var`` by SymPy's own rule for ``expr`` (``_eval_derivative``, the
    chain rule over the arguments of ``G``): what ``sympy.diff`` dispatches to, without
    the generic ``Derivative`` bookkeeping that costs 10x here (tests check both agree).
    """
    if isinstance(expr, sp.Function) or isinstance(expr, sp.Add):
        return expr._eval_derivative(var)
    return sp.diff(expr, var)


def _is_zero(expr) -> bool:
    return expr == 0 or sp.expand(expr, func=True) == 0


def _check_sizes(sizes, name="sizes"):
    try:
        sizes = tuple(sizes)
    except TypeError:
        raise UsageError(name, "a list of layer widths", repr(sizes)) from None
    if len(sizes) < 2 or any(isinstance(q, bool) or not isinstance(q, int) or q < 1
                             for q in sizes):
        raise UsageError(name, "at least two integer widths >= 1", list(sizes))
    return sizes


# ---------------------------------------------------------------- one layer
def prove_step(n_in: int, n_out: int, activation: str = "sigmoid", *, layer="l",
               first: bool = False, x=None, N: int = 1) -> StepProof:
    """Prove BP2-BP4 for one layer of shape ``n_out x n_in`` (``first``: the layer
    reads the input ``a^0``, so there is no ``delta^0``). With ``N > 1`` the cost is
    ``(1/N) sum_x G^x(z^{l,x})`` and the gradients are batch averages.

    >>> prove_step(2, 2, "tanh", layer=3)
    StepProof(layer 3, 2 <- 2, tanh: proved, ...s)
    """
    act = get_activation(activation)
    for name, value in (("n_in", n_in), ("n_out", n_out), ("N", N)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise UsageError(name, "an int >= 1", repr(value))
    start = time.perf_counter()
    prev = "l-1" if layer == "l" else (layer - 1 if isinstance(layer, int) else "%s-1" % layer)
    examples = [None] if N == 1 else list(range(1, N + 1))
    ws = [[W(layer, q, r) for r in range(1, n_in + 1)] for q in range(1, n_out + 1)]
    bs = [b(layer, q) for q in range(1, n_out + 1)]
    # C as a function of a^{l-1} (for BP3, BP4) and of z^{l-1} (for BP2): the same G
    cost_a, cost_z, inputs = 0, 0, {}
    for ex in examples:
        zp = [z(prev, r, ex) for r in range(1, n_in + 1)]
        ap = [a(prev, r, ex) for r in range(1, n_in + 1)]
        inputs[ex] = (zp, ap)
        G = _downstream(layer, ex)
        cost_a += G(*_affine(ws, bs, ap))
        if not first:
            cost_z += G(*_affine(ws, bs, [act.fn(q) for q in zp]))
    cost_a, cost_z = cost_a / N, cost_z / N
    equations = {}
    for q in range(n_out):
        derived = _d(cost_a, bs[q])
        claimed = sp.Add(*[delta(layer, q + 1, ex) for ex in examples]) / N  # BP4: dC/db^l_j
        equations[("b", q + 1)] = (derived, claimed)
        for r in range(n_in):
            derived = _d(cost_a, ws[q][r])
            claimed = sp.Add(*[delta(layer, q + 1, ex) * inputs[ex][1][r]
                               for ex in examples]) / N  # BP3: dC/dW^l_{jk}
            equations[("W", q + 1, r + 1)] = (derived, claimed)
    if not first:
        for ex in examples:
            zp = inputs[ex][0]
            for r in range(n_in):
                derived = _d(cost_z, zp[r])
                claimed = sp.Add(*[ws[q][r] * delta(layer, q + 1, ex) for q in range(n_out)]
                                 ) * act.prime(zp[r]) / N  # BP2 (times 1/N: C is averaged)
                equations[("delta", r + 1, ex)] = (derived, claimed)
    bad = [key for key, (d, c) in equations.items() if d != c and not _is_zero(d - c)]
    details = {"gradients": n_out * (n_in + 1), "equations": len(equations), "failed": bad}
    return StepProof(layer, n_in, n_out, activation, not bad, time.perf_counter() - start,
                     details, equations)


def prove_step_symbolic(activation: str = "sigmoid") -> StepProof:
    """BP2-BP4 for symbolic sizes ``n x m`` (index form). ``G`` enters through its
    first-order part ``sum_i delta^l_i z^l_i``, which has the same first partial
    derivatives as ``G`` (the chain rule); guards ``p <= n``, ``q <= m`` that SymPy
    attaches are removed with ``refine`` (p, q index existing neurons).

    >>> prove_step_symbolic().proved
    True
    """
    act = get_activation(activation)
    start = time.perf_counter()
    Wb, bb, zb, db = indexed("W", "l"), indexed("b", "l"), indexed("z", "l-1"), indexed(
        "delta", "l")
    # free indices j (row of W^l), k (column); summation over i (outputs), r (inputs)
    p, q, i_ = j_sym, k_sym, i_sym
    k_ = sp.Symbol("r", integer=True, positive=True)
    zl = lambda r: sp.Sum(Wb[r, k_] * act.fn(zb[k_]), (k_, 1, m_sym)) + bb[r]  # noqa: E731
    cost = sp.Sum(db[i_] * zl(i_), (i_, 1, n_sym))
    guard = sp.Q.le(p, n_sym) & sp.Q.le(q, m_sym)

    def derive(var):  # doit, pull index-free factors out of each Sum, doit, refine
        return sp.refine(_split_sums(sp.diff(cost, var).doit()).doit(), guard)

    equations = {
        "W": (derive(Wb[p, q]), db[p] * act.fn(zb[q])),
        "b": (derive(bb[p]), db[p]),
        "delta": (derive(zb[q]), sp.Sum(Wb[i_, q] * db[i_], (i_, 1, n_sym)) * act.prime(zb[q])),
    }
    bad = []
    for key, (d, c) in equations.items():
        residual = sp.expand(_split_sums(sp.expand(d - c, func=True)), func=True)
        if residual != 0:
            bad.append(key)
    return StepProof("l", None, None, activation, not bad, time.perf_counter() - start,
                     {"failed": bad, "gradients": "all"}, equations)


# ---------------------------------------------------------------- whole networks
def _layered_budget(sizes):
    if max(sizes) > MAX_WIDTH:
        raise UsageError("sizes", "widths <= %d for the layered proof" % MAX_WIDTH, list(sizes))
    work = sum(sizes[q] * sizes[q - 1] * sizes[q] for q in range(1, len(sizes)))
    if work > MAX_LAYERED_WORK:
        raise UsageError("sizes", "sum of n_l^2 n_(l-1) <= %d (about %d s)" % (
            MAX_LAYERED_WORK, MAX_LAYERED_WORK // 10000), work)


def prove_network(sizes, hidden: str = "sigmoid", output: str = "sigmoid",
                  loss: str = "cross_entropy", *, N: int = 1) -> NetworkProof:
    """Prove every ``dC/dW^l_{jk}`` and ``dC/db^l_j`` of a network by chaining the
    step lemma from ``delta^L`` (proved for symbolic n by :func:`prove_pair`) down to
    layer 1: one step per layer, with that layer's own symbols.

    >>> prove_network([3, 4, 4, 2], "relu", "softmax", "log_likelihood").details["gradients"]
    46
    >>> prove_network([2, 30])
    Traceback (most recent call last):
    ...
    derive.errors.UsageError: sizes: expected widths <= 24 for the layered proof, got [2, 30]
    """
    sizes = _check_sizes(sizes)
    get_activation(hidden), get_output(output), get_loss(loss)
    _layered_budget(sizes)
    start = time.perf_counter()
    base = _base_pair(output, loss)
    layers, ok, count = [], base, 0
    for layer in range(len(sizes) - 1, 0, -1):
        step = prove_step(sizes[layer - 1], sizes[layer], hidden, layer=layer,
                          first=layer == 1, N=N)
        ok &= step.proved
        count += step.details["gradients"]
        layers.append((layer, step.proved, round(step.seconds, 4)))
    return NetworkProof(sizes, hidden, output, loss, "layered", ok, time.perf_counter() - start,
                        {"gradients": count, "layers": layers[::-1], "delta_L": base})


_BASE = {}


def _base_pair(output, loss):
    if (output, loss) not in _BASE:
        _BASE[output, loss] = prove_pair(output, loss).proved
    return _BASE[output, loss]


def prove_minibatch(sizes, N: int, hidden: str = "sigmoid", output: str = "sigmoid",
                    loss: str = "cross_entropy") -> NetworkProof:
    """Mini-batch form ``dC/dW^l = (1/N) sum_x delta^{l,x} (a^{l-1,x})^T``: the layered
    proof with ``C = (1/N) sum_x C_x`` (one downstream function per example).

    >>> prove_minibatch([2, 2, 1], N=3).proved
    True
    """
    if isinstance(N, bool) or not isinstance(N, int) or N < 1:
        raise UsageError("N", "an int >= 1", repr(N))
    proof = prove_network(sizes, hidden, output, loss, N=N)
    proof.method = "layered, batch of %d" % N
    return proof


def check_expanded(sizes, hidden: str = "sigmoid", output: str = "sigmoid",
                   loss: str = "cross_entropy", *, N: int = 1) -> NetworkProof:
    """Independent end-to-end check: expand the whole cost (averaged over ``N``
    examples) in terms of inputs, weights and biases, differentiate it, and compare
    with the backprop formulas BP1-BP4 expanded the same way. Small nets only.

    >>> check_expanded([2, 5])
    Traceback (most recent call last):
    ...
    derive.errors.UsageError: sizes: expected at most 3 layers of width <= 4 for the expanded check, got [2, 5]
    """
    sizes = _check_sizes(sizes)
    act, out, cost_fn = get_activation(hidden), get_output(output), get_loss(loss)
    depth, width = MAX_EXPANDED
    if output == "softmax" and sizes[-1] > 2:  # exp terms do not cancel fast: [2,3,3] 44 s
        raise UsageError("sizes", "an output width <= 2 for the expanded check of softmax",
                         list(sizes))
    if len(sizes) - 1 > depth or max(sizes) > width or N > 3:
        raise UsageError("sizes", "at most %d layers of width <= %d for the expanded check"
                         % MAX_EXPANDED, list(sizes) if N <= 3 else "N=%d > 3" % N)
    start = time.perf_counter()
    L = len(sizes) - 1
    ws = {l: [[W(l, q, r) for r in range(1, sizes[l - 1] + 1)]
              for q in range(1, sizes[l] + 1)] for l in range(1, L + 1)}
    bs = {l: [b(l, q) for q in range(1, sizes[l] + 1)] for l in range(1, L + 1)}
    nL = sizes[-1]
    total, claims = 0, {}
    for ex in ([None] if N == 1 else range(1, N + 1)):
        acts = [[a(0, r, ex) for r in range(1, sizes[0] + 1)]]
        zs = [None]
        for l in range(1, L + 1):
            zl = [sp.Add(*[w * p for w, p in zip(row, acts[-1])]) + bias
                  for row, bias in zip(ws[l], bs[l])]
            zs.append(zl)
            acts.append(out.concrete(zl) if l == L else [act.fn(q) for q in zl])
        ys = [y(q, ex) for q in range(1, nL + 1)]
        if (output, loss) in _ASSUMPTIONS:
            ys[-1] = 1 - sp.Add(*ys[:-1])
        total += cost_fn.concrete(acts[-1], ys)
        # BP1 from the closed form, then BP2 down the layers
        form = closed_form(output, loss).subs(n_sym, nL)
        sub = {a_[q]: acts[-1][q - 1] for q in range(1, nL + 1)}
        sub.update({y_[q]: ys[q - 1] for q in range(1, nL + 1)})
        dl = [form.subs(j_sym, q).doit().xreplace(sub) for q in range(1, nL + 1)]
        for l in range(L, 0, -1):
            for q in range(sizes[l]):
                claims[("b", l, q + 1)] = claims.get(("b", l, q + 1), 0) + dl[q] / N
                for r in range(sizes[l - 1]):
                    key = ("W", l, q + 1, r + 1)
                    claims[key] = claims.get(key, 0) + dl[q] * acts[l - 1][r] / N
            if l > 1:
                dl = [sp.Add(*[ws[l][q][r] * dl[q] for q in range(sizes[l])])
                      * act.prime(zs[l - 1][r]) for r in range(sizes[l - 1])]
    total = total / N
    variables = {("W", l, q + 1, r + 1): ws[l][q][r] for l in ws for q in range(sizes[l])
                 for r in range(sizes[l - 1])}
    variables.update({("b", l, q + 1): bs[l][q] for l in bs for q in range(sizes[l])})
    bad = []
    for key, var in variables.items():
        residual = sp.expand(sp.diff(total, var) - claims[key], func=True)
        if residual != 0 and sp.cancel(sp.together(residual)) != 0:
            bad.append(key)
    return NetworkProof(sizes, hidden, output, loss, "expanded" + ("" if N == 1 else
                        ", batch of %d" % N), not bad, time.perf_counter() - start,
                        {"gradients": len(variables), "failed": bad,
                         "ops": sp.count_ops(total)})
