"""Check every claim of the reference note and print a verdict with its evidence.

``python -m derive claims`` runs the checks below; each returns a
:class:`ClaimResult` whose verdict is ``"proved symbolically"``, ``"checked
numerically"``, ``"failed"`` or ``"unavailable"`` (a prover that is missing never
passes). The command exits with status 1 if any check did not pass.

Every check takes the thing under test as a parameter (the update rule, the metric,
the loss pairing, the learning rates), so a mutated version can be fed in and must
come out ``"failed"``:

>>> check_descent_symbolic().verdict
'proved symbolically'
>>> check_descent_symbolic(update=lambda p, g, eta: p + eta * g).verdict
'failed'
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import sympy as sp

from derive.errors import UsageError
from numeric import training

__all__ = [
    "CHECKS",
    "ClaimResult",
    "TYPOS",
    "add_arguments",
    "check_accuracy_numeric",
    "check_accuracy_symbolic",
    "check_claims",
    "check_descent_numeric",
    "check_descent_symbolic",
    "check_digits_losses",
    "check_backprop_numeric",
    "check_derive_pairs",
    "check_derive_step",
    "check_learning_rates",
    "check_quadratic_threshold",
    "check_saturation_symbolic",
    "check_single_neuron",
    "check_typos",
    "ce_loss",
    "mse_loss",
    "run",
]

PROVED, CHECKED, FAILED, UNAVAILABLE = ("proved symbolically", "checked numerically",
                                       "failed", "unavailable")

# The note's typos and their corrections, as (wrong, right, why) LaTeX, as first written by
# hand; claim 4c's evidence now comes from ``derive.check`` run on the seed note, which finds
# these and more (kept for callers of this name).
TYPOS = (
    (r"W^l_{jk} \to 0,\ b^l_j \to 0", r"\Delta W^l_{jk} \to 0,\ \Delta b^l_j \to 0",
     "the total differential is about small changes, not small weights; and the first line "
     "is an approximation (\u2248), not a limit (\u2192)"),
    (r"W^j_{jk}", r"W^l_{jk}", "wrong layer index in BP2: the weight joining k in layer l-1 "
     "to j in layer l is W^l_{jk} (j is a neuron, not a layer)"),
    (r"\frac{\partial C}{W^l_{jk}}", r"\frac{\partial C}{\partial W^l_{jk}}",
     "missing \u2202 in the denominator: dC/W -> dC/dW"),
    (r"\nabla z^{l-1}_k", r"\sigma'(z^{l-1}_k)",
     "the factor in BP2 is the activation's derivative sigma'(z^{l-1}); read literally, "
     "dz/dz would be 1 and BP2 would be false"),
)


@dataclass(frozen=True)
class ClaimResult:
    """One check of one claim: its key (``"1a"``), title, verdict and evidence lines."""

    key: str
    title: str
    verdict: str
    evidence: tuple = ()

    @property
    def ok(self) -> bool:
        return self.verdict in (PROVED, CHECKED)

    def __str__(self) -> str:
        lines = [f"[{self.key}] {self.verdict.upper()}: {self.title}"]
        return "\n".join(lines + [f"      {e}" for e in self.evidence])


def _result(key, title, passed, verdict, evidence):
    return ClaimResult(key, title, verdict if passed else FAILED, tuple(evidence))


# ------------------------------------------------ claim 1: gradient descent ----

def check_descent_symbolic(update=training.gradient_step, n: int = 3) -> ClaimResult:
    """d/d eta C(update(w, grad C, eta)) at eta = 0 equals -|grad C|^2 <= 0.

    ``C`` is an undefined real function of ``n`` weights, so this holds for any
    differentiable loss; ``update(param, grad, eta)`` is the rule under test.

    >>> check_descent_symbolic(n=2).evidence[0]
    'd/d eta C(w - eta grad C)|_{eta=0} = -g_1**2 - g_2**2 (n = 2 weights)'
    """
    eta = sp.Symbol("eta", positive=True)
    w = sp.symbols(f"w_1:{n + 1}", real=True)
    g = sp.symbols(f"g_1:{n + 1}", real=True)  # stand for dC/dw_i at the point w
    C = sp.Function("C", real=True)
    grad = [sp.diff(C(*w), wi) for wi in w]
    moved = [update(wi, gi, eta) for wi, gi in zip(w, grad)]
    rate = sp.diff(C(*moved), eta).subs(eta, 0).doit()
    rate = rate.subs(dict(zip(grad, g)))
    target = -sum(gi**2 for gi in g)
    passed = sp.expand(rate - target) == 0 and bool(rate.is_nonpositive)
    return _result("1a", "gradient descent decreases the loss to first order: "
                   "dC/d eta = -|grad C|^2 <= 0", passed, PROVED,
                   [f"d/d eta C(w - eta grad C)|_{{eta=0}} = {sp.expand(rate)} (n = {n} weights)",
                    f"is_nonpositive: {rate.is_nonpositive}"])


def _random_net(rng, sizes, output, loss):
    weights = [rng.standard_normal((m, k)) for k, m in zip(sizes, sizes[1:])]
    biases = [rng.standard_normal(m) for m in sizes[1:]]
    return weights, biases


def check_descent_numeric(update=training.gradient_step, seeds=range(6)) -> ClaimResult:
    """One step with a small eta decreases C on random networks; find where it stops.

    For each random network (sigmoid hidden layers, several output/loss pairs) the
    step ``update(param, grad, eta)`` is taken for eta = 1e-4 .. 1e3; the check
    passes if every network's cost drops at eta = 1e-4 with the first-order
    prediction Delta C ~ -eta |grad C|^2 within 1 %.
    """
    pairs = [("sigmoid", "cross_entropy"), ("sigmoid", "mse"), ("linear", "mse"),
             ("softmax", "log_likelihood")]
    etas = 10.0 ** np.arange(-4, 4)
    evidence, passed, breaks = [], True, []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        output, loss = pairs[seed % len(pairs)]
        sizes = [3, 4, 3]
        weights, biases = _random_net(rng, sizes, output, loss)
        X = rng.standard_normal((3, 8))
        Y = np.eye(3)[rng.integers(0, 3, 8)].T if output != "linear" else rng.standard_normal((3, 8))
        net = training.build_network(weights, biases, "sigmoid", output, loss)
        c0 = net.cost(X, Y)
        gW, gb = net.backprop(X, Y)
        norm2 = sum(float(np.sum(g * g)) for g in [*gW, *gb])
        changes = []
        for eta in etas:
            moved = training.build_network([update(w, g, eta) for w, g in zip(weights, gW)],
                                           [update(b, g, eta) for b, g in zip(biases, gb)],
                                           "sigmoid", output, loss)
            with np.errstate(all="ignore"):
                changes.append(moved.cost(X, Y) - c0)
        ratio = changes[0] / (-etas[0] * norm2)
        first_up = next((e for e, d in zip(etas, changes) if not d < 0), None)
        breaks.append(first_up)
        ok = changes[0] < 0 and abs(ratio - 1) < 0.01
        passed &= ok
        evidence.append(f"net {sizes} {output}+{loss} seed {seed}: Delta C(eta=1e-4) = "
                        f"{changes[0]:.3e}, ratio to -eta|grad|^2 = {ratio:.4f}; "
                        f"first eta where C rises: {first_up if first_up else '> 1e3'}")
    return _result("1b", "one small gradient step decreases C on random networks "
                   "(and stops doing so as eta grows)", passed, CHECKED, evidence)


def check_quadratic_threshold(update=training.gradient_step) -> ClaimResult:
    """For C = lambda w^2 / 2 a step decreases C exactly when 0 < eta < 2 / lambda.

    Proved with SymPy for one curvature ``lambda > 0`` and checked numerically for
    a random 6x6 quadratic: 100 steps at 0.98 * 2 / lambda_max converge, at
    1.02 * 2 / lambda_max they diverge.
    """
    eta, lam, w = sp.Symbol("eta", positive=True), sp.Symbol("lambda", positive=True), \
        sp.Symbol("w", real=True, nonzero=True)
    cost = lambda v: lam * v**2 / 2  # noqa: E731
    change = sp.factor(cost(update(w, lam * w, eta)) - cost(w))
    region = sp.solve_univariate_inequality(change / (lam * w**2) < 0, eta, relational=False)
    sym_ok = region == sp.Interval.open(0, 2 / lam)
    rng = np.random.default_rng(0)
    Q = np.linalg.qr(rng.standard_normal((6, 6)))[0]
    curv = np.linspace(0.5, 4.0, 6)
    A = Q @ np.diag(curv) @ Q.T
    limit = 2 / curv.max()
    ends = {}
    for factor in (0.98, 1.02):
        v = rng.standard_normal(6)
        c0 = 0.5 * v @ A @ v
        for _ in range(100):
            v = update(v, A @ v, factor * limit)
        ends[factor] = (0.5 * v @ A @ v) / c0
    num_ok = ends[0.98] < 1e-3 and ends[1.02] > 1
    return _result("1c", "quadratic cost: descent needs eta < 2 / largest curvature",
                   sym_ok and num_ok, PROVED,
                   [f"Delta C = {change}; Delta C < 0 for eta in {region}",
                    f"6-D quadratic, curvatures {curv.min()}..{curv.max()}: C_100/C_0 = "
                    f"{ends[0.98]:.2e} at eta = 0.98*2/lambda_max, {ends[1.02]:.2e} at 1.02*2/lambda_max"])


# ------------------------------------------------ claim 2: accuracy as loss ----

def _accuracy_expr(z, y):
    """Score of one example of a threshold classifier: 1 if correct, else 0."""
    return sp.Heaviside(z) if y == 1 else sp.Heaviside(-z)


def check_accuracy_symbolic(metric=_accuracy_expr, data=((1, 1), (-2, 0), (3, 1))) -> ClaimResult:
    """Accuracy is piecewise constant in the weights: its gradient is 0 where it exists.

    ``metric(z, y)`` scores one example with pre-activation ``z = w x + b``. Away
    from the decision boundaries (every z nonzero) all partial derivatives vanish,
    yet the metric is not constant -- so gradient descent on it cannot move.
    """
    w, b = sp.symbols("w b", real=True)
    zs = sp.symbols(f"z_1:{len(data) + 1}", real=True, nonzero=True)
    acc = sum(metric(z, y) for z, (_, y) in zip(zs, data)) / len(data)
    dz = [sp.simplify(sp.diff(acc, z)) for z in zs]
    grad_w = sum(d * x for d, (x, _) in zip(dz, data))
    raw = sp.diff(metric(w * data[0][0] + b, data[0][1]), w)
    values = {acc.subs(dict(zip(zs, signs))) for signs in [(1,) * len(zs), (-1,) * len(zs)]}
    passed = all(d == 0 for d in dz) and sp.simplify(grad_w) == 0 and len(values) > 1
    return _result("2a", "accuracy cannot be the loss: its gradient is 0 wherever it exists",
                   passed, PROVED,
                   [f"d metric / dw = {raw} (a Dirac delta at the boundary)",
                    f"with every z_i != 0: dAcc/dz_i = {dz}, dAcc/dw = {sp.simplify(grad_w)}",
                    f"yet Acc is not constant: takes values {sorted(values, key=float)}"])


def check_accuracy_numeric(metric=training.accuracy, n_dirs: int = 20) -> ClaimResult:
    """Finite differences of ``metric(net, X, Y)`` on digits are exactly 0.

    A random 64-16-10 network on 300 digits; central differences (h = 1e-5) along
    ``n_dirs`` random directions in weight space, and the number of distinct
    values along a line of length 2 (piecewise constant, not constant).
    """
    X, Y, _, _ = training.digits_data()
    X, Y = X[:, :300], Y[:, :300]
    rng = np.random.default_rng(1)
    weights, biases = _random_net(rng, [64, 16, 10], "sigmoid", "cross_entropy")

    def at(t, direction):
        W = [w + t * dw for w, dw in zip(weights, direction)]
        return metric(training.build_network(W, biases), X, Y)

    slopes = []
    for _ in range(n_dirs):
        d = [rng.standard_normal(w.shape) for w in weights]
        slopes.append((at(1e-5, d) - at(-1e-5, d)) / 2e-5)
    line = {round(float(at(t, d)), 12) for t in np.linspace(-1, 1, 41)}
    passed = all(s == 0 for s in slopes) and len(line) > 1
    return _result("2b", "accuracy's finite-difference gradient is 0 on a real network",
                   passed, CHECKED,
                   [f"{n_dirs} random directions, h = 1e-5: max |slope| = {max(map(abs, slopes)):.3g}",
                    f"along one line t in [-1, 1]: {len(line)} distinct values (a staircase)"])


# --------------------------------------------- claim 3: which loss learns faster ----

def mse_loss(a, y):
    """Per-example MSE ``(a - y)^2 / 2`` (SymPy or NumPy)."""
    return (a - y) ** 2 / 2


def ce_loss(a, y):
    """Per-example binary cross-entropy ``-[y ln a + (1 - y) ln(1 - a)]``."""
    return -(y * sp.log(a) + (1 - y) * sp.log(1 - a))


def _in_a(delta, z):
    """Write a delta of a = 1/(1 + e^-z) in terms of a (for display)."""
    a = sp.Symbol("a", positive=True)
    return sp.factor(sp.simplify(delta.subs(sp.exp(-z), (1 - a) / a).subs(sp.exp(z), a / (1 - a))))


def check_saturation_symbolic(slow=mse_loss, fast=ce_loss) -> ClaimResult:
    """With a sigmoid output, ``slow``'s delta -> 0 when badly wrong, ``fast``'s -> +-1.

    delta = dC/dz for a = 1/(1 + e^-z); limits as z -> +oo with y = 0 and z -> -oo
    with y = 1, and the ratio slow/fast = 1/(4 cosh^2(z/2)) <= 1/4.
    """
    z, y = sp.Symbol("z", real=True), sp.Symbol("y", real=True)
    a = 1 / (1 + sp.exp(-z))
    d_slow = sp.diff(slow(a, y), z)
    d_fast = sp.diff(fast(a, y), z)
    lims = {(name, y0, s): sp.limit(d.subs(y, y0), z, s * sp.oo)
            for name, d in (("slow", d_slow), ("fast", d_fast)) for y0, s in ((0, 1), (1, -1))}
    ratio = d_slow / d_fast
    cosh_ok = sp.simplify((ratio - 1 / (4 * sp.cosh(z / 2) ** 2)).rewrite(sp.exp)) == 0
    peak = sp.simplify(a * (1 - a)).subs(z, 0)
    passed = (lims[("slow", 0, 1)] == 0 and lims[("slow", 1, -1)] == 0
              and lims[("fast", 0, 1)] == 1 and lims[("fast", 1, -1)] == -1 and cosh_ok)
    return _result("3a", "sigmoid+MSE stalls when badly wrong, sigmoid+cross-entropy does not",
                   passed, PROVED,
                   [f"delta_MSE = {_in_a(d_slow, z)}; delta_CE = {_in_a(d_fast, z)} (a = sigma(z))",
                    f"y=0, z->+oo: delta_MSE -> {lims[('slow', 0, 1)]}, delta_CE -> {lims[('fast', 0, 1)]}",
                    f"y=1, z->-oo: delta_MSE -> {lims[('slow', 1, -1)]}, delta_CE -> {lims[('fast', 1, -1)]}",
                    f"delta_MSE / delta_CE = 1/(4 cosh^2(z/2)): {cosh_ok}; its maximum (z = 0) is {peak}"])


def check_single_neuron(slow="mse", fast="cross_entropy", epochs: int = 300) -> ClaimResult:
    """Nielsen's neuron (w = b = 2, input 1, target 0, eta = 0.15): ``fast`` learns first.

    Passes if ``fast`` brings the output below 0.5 in fewer epochs than ``slow``.
    """
    runs = {name: training.single_neuron(name, epochs=epochs) for name in (slow, fast)}
    first = {name: next((i for i, a in enumerate(r.outputs) if a < 0.5), None)
             for name, r in runs.items()}
    passed = first[fast] is not None and (first[slow] is None or first[fast] < first[slow])
    return _result("3b", f"the badly wrong neuron: {fast} learns faster than {slow}",
                   passed, CHECKED,
                   [f"{n}: output {r.outputs[0]:.3f} -> {r.outputs[30]:.3f} after 30 epochs, "
                    f"-> {r.outputs[-1]:.3f} after {epochs}; first below 0.5 at epoch {first[n]}"
                    for n, r in runs.items()])


def check_digits_losses(slow="mse", fast="cross_entropy", etas=(0.1, 0.3, 1.0),
                        epochs: int = 10) -> ClaimResult:
    """On digits (64-32-10 sigmoid net, same start), ``fast`` learns faster at each eta.

    Learning speed = mean held-out accuracy over the first ``epochs`` epochs.
    """
    evidence, passed = [], True
    for eta in etas:
        speed = {n: float(np.mean(training.digits_run(n, eta).accuracies[1:epochs + 1]))
                 for n in (slow, fast)}
        passed &= speed[fast] > speed[slow]
        final = {n: training.digits_run(n, eta).accuracies[-1] for n in (slow, fast)}
        evidence.append(f"eta = {eta}: mean accuracy over epochs 1-{epochs}: {slow} "
                        f"{speed[slow]:.3f}, {fast} {speed[fast]:.3f}; after 30 epochs "
                        f"{final[slow]:.3f} vs {final[fast]:.3f}")
    return _result("3c", f"digits: {fast} learns faster than {slow} at equal learning rate",
                   passed, CHECKED, evidence)


def check_learning_rates(etas=(0.01, 0.1, 1.0, 3.0, 10.0), loss="cross_entropy") -> ClaimResult:
    """Neither smaller nor larger is better: too small is slow, too large diverges.

    Passes if the best final accuracy is at an interior learning rate, the
    smallest is at least 0.1 behind it and the largest diverges (cost rises).
    """
    runs = training.learning_rate_sweep(tuple(etas), loss=loss)
    finals = [r.accuracies[-1] for r in runs]
    best = int(np.argmax(finals))
    passed = (0 < best < len(runs) - 1 and finals[0] < finals[best] - 0.1
              and runs[-1].diverged)
    return _result("3d", "learning rate: too small is slow, too large diverges",
                   passed, CHECKED,
                   [f"eta = {r.eta:g}: accuracy after 30 epochs {a:.3f}, cost "
                    f"{r.costs[0]:.3g} -> {r.costs[-1]:.3g}{' (diverged)' if r.diverged else ''}"
                    for r, a in zip(runs, finals)])


# --------------------------------------- claim 4: forward and backward propagation ----

def _note_pair_delta(output, loss, n=2):
    """Residuals of dC/dz_j - (a_j - y_j) for explicit SymPy output/loss (one-hot y)."""
    z, y = sp.symbols(f"z_1:{n + 1}", real=True), [1] + [0] * (n - 1)
    outs = {"linear": list(z), "sigmoid": [1 / (1 + sp.exp(-zi)) for zi in z],
            "softmax": [sp.exp(zi) / sum(map(sp.exp, z)) for zi in z]}
    a = outs[output]
    costs = {"mse": sum((ai - yi) ** 2 for ai, yi in zip(a, y)) / 2,
             "cross_entropy": sum(ce_loss(ai, yi) for ai, yi in zip(a, y)),
             "log_likelihood": -sp.log(a[0])}
    return [sp.simplify(sp.diff(costs[loss], zj) - (aj - yj)) for zj, aj, yj in zip(z, a, y)]


NOTE_PAIRS = (("linear", "mse"), ("sigmoid", "cross_entropy"), ("softmax", "log_likelihood"))


def check_derive_pairs(pairs=NOTE_PAIRS) -> ClaimResult:
    """BP1 for the note's pairs, delta^L = a^L - y: ``derive.pairs`` proofs plus a re-check.

    Verdict ``"unavailable"`` if ``derive.pairs`` cannot be imported; a pair whose
    delta is not a - y (e.g. sigmoid + mse) fails the independent re-check.
    """
    title = "BP1: delta^L = a^L - y for the note's three output/loss pairs"
    try:
        from derive.pairs import prove_pair
    except ImportError as exc:
        return ClaimResult("4a", title, UNAVAILABLE, (f"derive.pairs missing: {exc}",))
    evidence, passed = [], True
    for output, loss in pairs:
        proof = prove_pair(output, loss)
        again = all(r == 0 for r in _note_pair_delta(output, loss))
        passed &= bool(getattr(proof, "proved", False)) and again
        evidence.append(f"{output}+{loss}: derive.pairs proved={getattr(proof, 'proved', None)}; "
                        f"re-derived with explicit formulas, dC/dz - (a - y) = 0: {again}")
    return _result("4a", title, passed, PROVED, evidence)


def check_derive_step(prove=None) -> ClaimResult:
    """BP2-BP4 as proved by ``derive.backprop.prove_step_symbolic()`` (unavailable if absent).

    ``prove`` replaces the prover (a callable returning an object with ``.proved``).
    """
    title = "BP2-BP4: the one-layer step lemma proved by derive.backprop"
    if prove is None:
        try:
            from derive.backprop import prove_step_symbolic as prove
        except ImportError as exc:
            return ClaimResult("4b", title, UNAVAILABLE, (f"derive.backprop missing: {exc}",))
    proof = prove()
    proved = bool(getattr(proof, "proved", False))
    return _result("4b", title, proved, PROVED, [f"prove_step_symbolic(): {proof!r}"[:300]])


def _bp2_corrected(W, delta, sigma_prime):
    """The corrected BP2: delta^{l-1}_k = sum_j W^l_{jk} delta^l_j sigma'(z^{l-1}_k)."""
    return [sum(W[j, k] * delta[j] for j in range(W.rows)) * sigma_prime[k] for k in range(W.cols)]


def _bp2_typo(W, delta, sigma_prime):
    """The note's BP2 read literally: nabla z^{l-1}_k = dz/dz = 1, no sigma' factor."""
    return [sum(W[j, k] * delta[j] for j in range(W.rows)) for k in range(W.cols)]


def _nonzero_somewhere(expr, sigma, G):
    """Evaluate with sigma = x^3, G = p^2 q + p at a fixed point: a witness of != 0."""
    x, p, q = sp.symbols("x p q")
    concrete = expr.replace(sigma, sp.Lambda(x, x**3)).replace(G, sp.Lambda((p, q), p**2 * q + p))
    point = {s_: sp.Rational(i + 2, 3) for i, s_ in enumerate(sorted(concrete.free_symbols, key=str))}
    return sp.N(concrete.doit().subs(point)) != 0


def check_typos(bp2=_bp2_corrected) -> ClaimResult:
    """The note's typos corrected, checked on a 2-2-2 net with ANY sigma and ANY cost G.

    ``delta^1_k = dC/dz^1_k`` is differentiated directly from ``C = G(W^2 sigma(z^1) + b^2)``
    and compared with ``bp2(W^2, delta^2, sigma'(z^1))``; BP3 ``dC/dW^2_{jk} =
    delta^2_j a^1_k`` likewise. The literal typo reading (no sigma') must fail.
    """
    u, v = sp.symbols("u_1:3", real=True), sp.symbols("v_1:3", real=True)
    W = sp.Matrix(2, 2, sp.symbols("W_11 W_12 W_21 W_22", real=True))
    b = sp.Matrix(sp.symbols("b_1:3", real=True))
    sigma, G = sp.Function("sigma"), sp.Function("G")
    a1 = sp.Matrix([sigma(uk) for uk in u])
    z2 = W * a1 + b
    C = G(*z2)
    delta2 = [sp.diff(G(*v), vj).subs(dict(zip(v, z2))) for vj in v]
    direct = [sp.diff(C, uk) for uk in u]
    claimed = bp2(W, delta2, [sp.diff(sigma(uk), uk) for uk in u])
    bp2_ok = all(sp.simplify(d - c) == 0 for d, c in zip(direct, claimed))
    bp3_ok = all(sp.simplify(sp.diff(C, W[j, k]) - delta2[j] * a1[k]) == 0
                 for j in range(2) for k in range(2))
    typo_res = [d - t for d, t in zip(direct, _bp2_typo(W, delta2, None))]
    typo_fails = any(_nonzero_somewhere(r, sigma, G) for r in typo_res)
    from derive.check import seed_corrections  # the corrections, as the engine finds them

    evidence = [f"{wrong}  ->  {right}: {why}" for wrong, right, why in seed_corrections()]
    evidence += [f"BP2 as given, dC/dz^1_k - rule = 0 for any sigma, G: {bp2_ok}",
                 f"BP3 dC/dW^2_jk = delta^2_j a^1_k: {bp3_ok}",
                 f"literal typo (nabla z = 1, no sigma') is false (nonzero witness): {typo_fails}"]
    return _result("4c", "the four equations with the note's typos corrected",
                   bp2_ok and bp3_ok and typo_fails, PROVED, evidence)


def _backprop(net, X, Y):
    return net.backprop(X, Y)


def check_backprop_numeric(backprop=_backprop, h: float = 1e-6) -> ClaimResult:
    """numeric.Network backprop agrees with central differences on every weight."""
    evidence, passed = [], True
    for seed, (output, loss) in enumerate([*NOTE_PAIRS, ("sigmoid", "mse")]):
        rng = np.random.default_rng(seed)
        weights, biases = _random_net(rng, [3, 4, 3], output, loss)
        X = rng.standard_normal((3, 5))
        Y = np.eye(3)[rng.integers(0, 3, 5)].T
        grads = backprop(training.build_network(weights, biases, "sigmoid", output, loss), X, Y)[0]
        worst = 0.0
        for l, W in enumerate(weights):
            for idx in np.ndindex(W.shape):
                costs = []
                for sign in (1, -1):
                    Ws = [w.copy() for w in weights]
                    Ws[l][idx] += sign * h
                    costs.append(training.build_network(Ws, biases, "sigmoid", output, loss).cost(X, Y))
                fd = (costs[0] - costs[1]) / (2 * h)
                worst = max(worst, abs(fd - grads[l][idx]) / max(1.0, abs(fd)))
        passed &= worst < 1e-6
        evidence.append(f"3-4-3 sigmoid hidden, {output}+{loss}: max relative error {worst:.1e}")
    return _result("4d", "numeric backprop (the four equations) matches finite differences",
                   passed, CHECKED, evidence)


# key -> check; the CLI and the report run them in this order
CHECKS = {
    "1a": check_descent_symbolic, "1b": check_descent_numeric, "1c": check_quadratic_threshold,
    "2a": check_accuracy_symbolic, "2b": check_accuracy_numeric,
    "3a": check_saturation_symbolic, "3b": check_single_neuron,
    "3c": check_digits_losses, "3d": check_learning_rates,
    "4a": check_derive_pairs, "4b": check_derive_step, "4c": check_typos,
    "4d": check_backprop_numeric,
}


# Seconds per check, measured 2026-11-29 on the shared 2-core machine while other jobs
# ran (load average about 7; an idle machine is 2-4x faster): the estimates err long.
CHECK_SECONDS = {"1a": 0.21, "1b": 0.12, "1c": 0.67, "2a": 0.02, "2b": 3.54, "3a": 1.41,
                 "3b": 0.55, "3c": 19.61, "3d": 10.58, "4a": 2.44, "4b": 0.43, "4c": 1.39,
                 "4d": 0.09}


def selected(only=None) -> list:
    """The keys of the checks ``only`` selects (every key starting with one of them).

    >>> selected(["3"]), len(selected())
    (['3a', '3b', '3c', '3d'], 13)
    """
    return [k for k in CHECKS if not only or any(k.startswith(o) for o in only)]


def estimate_seconds(only=None) -> float:
    """Estimated seconds of :func:`check_claims` from the measured :data:`CHECK_SECONDS`.

    >>> estimate_seconds(["1a"])
    0.21
    """
    return round(sum(CHECK_SECONDS.get(k, 1.0) for k in selected(only)), 2)


def check_claims(only=None, progress=None) -> list:
    """Run every check (or those whose key starts with one of ``only``).

    ``progress(text)``, if given, is called before each check with which check it is,
    how many are left and the estimated seconds left.
    """
    keys = selected(only)
    results = []
    for i, key in enumerate(keys, 1):
        if progress is not None:
            left = sum(CHECK_SECONDS.get(k, 1.0) for k in keys[i - 1:])
            title = (CHECKS[key].__doc__ or key).strip().splitlines()[0].replace("``", "")
            progress(f"check {i}/{len(keys)} [{key}] {title[:60]} ({len(keys) - i} after "
                     f"this; about {left:.0f} s left)")
        try:
            results.append(CHECKS[key]())
        except Exception as exc:  # a crashing check is a failed check, with the reason
            results.append(ClaimResult(key, CHECKS[key].__doc__.splitlines()[0], FAILED,
                                       (f"raised {type(exc).__name__}: {exc}",)))
    return results


# ------------------------------------------------------------------- the CLI ----

def add_arguments(parser) -> None:
    parser.add_argument("--claim", action="append", metavar="KEY",
                        help="check only this claim (1-4 or a key like 3b); repeatable")
    add_budget_arguments(parser)


DEFAULT_BUDGET = 300.0  # seconds; every check together is estimated at about 40


def add_budget_arguments(parser) -> None:
    """``--budget`` and ``--quiet``, shared by ``claims`` and ``report``."""
    parser.add_argument("--budget", default=None, metavar="SECONDS",
                        help="refuse if the checks are estimated to take longer "
                             "(default %g s)" % DEFAULT_BUDGET)
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def parse_claims(values) -> list | None:
    """The ``--claim`` keys, checked: each non-empty and selecting at least one check.

    >>> parse_claims(["3B", " 1 "]), parse_claims(None)
    (['3b', '1'], None)
    >>> parse_claims([""])
    Traceback (most recent call last):
    ...
    derive.errors.UsageError: --claim: expected one of 1, 2, 3, 4 or 1a, 1b, 1c, 2a, 2b, 3a, 3b, 3c, 3d, 4a, 4b, 4c, 4d, got an empty key
    """
    if values is None:
        return None
    keys = []
    expected = f"one of 1, 2, 3, 4 or {', '.join(CHECKS)}"
    for value in values:
        key = str(value).strip().lower()
        if not key:
            raise UsageError("--claim", expected, "an empty key")
        if not any(k.startswith(key) for k in CHECKS):
            raise UsageError("--claim", expected, repr(value))
        keys.append(key)
    return keys


def progress_printer(quiet: bool):
    """A ``progress(text)`` callable printing ``[  1.2s] text`` to stderr (or nothing)."""
    import sys

    start = time.perf_counter()

    def say(text):
        if not quiet:
            print("[%5.1fs] %s" % (time.perf_counter() - start, text), file=sys.stderr,
                  flush=True)
    return say


def check_budget(only, budget_text, extra: float = 0.0) -> float:
    """The estimate of the checks (+ ``extra``); UsageError if over ``--budget``."""
    from derive.mainjob import parse_budget

    budget = DEFAULT_BUDGET if budget_text is None else parse_budget(budget_text)
    estimate = estimate_seconds(only) + extra
    if estimate > budget:
        raise UsageError("--budget", "a request estimated within %g s" % budget,
                         "about %.2g s (measured costs of %d checks); or raise --budget to %d"
                         % (estimate, len(selected(only)), math.ceil(estimate * 1.2)))
    return estimate


def require_extras(*modules: str) -> None:
    """Raise a one-line :class:`UsageError` naming the missing optional packages."""
    import importlib.util

    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        names = {"sklearn": "scikit-learn (its digits data set)", "matplotlib": "matplotlib",
                 "latex2mathml": "latex2mathml (math in the HTML report)"}
        raise UsageError(
            "this command needs " + " and ".join(names.get(m, m) for m in missing)
            + ": install them with  python -m pip install -e '.[report]'")


def run(args) -> int:
    require_extras("sklearn")
    only = parse_claims(getattr(args, "claim", None))
    estimate = check_budget(only, getattr(args, "budget", None))
    say = progress_printer(getattr(args, "quiet", False))
    say(f"{len(selected(only))} checks, about {estimate:.0f} s (from measured costs)")
    start = time.perf_counter()
    results = check_claims(only, progress=say)
    for r in results:
        print(r)
    bad = [r.key for r in results if not r.ok]
    print(f"{len(results) - len(bad)}/{len(results)} checks passed in "
          f"{time.perf_counter() - start:.1f} s" + (f"; not passed: {', '.join(bad)}" if bad else ""))
    return 1 if bad else 0
