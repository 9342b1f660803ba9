"""Numbers from symbols: lambdify the proved gradients and cross-check them.

:func:`lambdify_network` turns the equations proved by :mod:`derive.pairs` (BP1) and
:func:`derive.backprop.prove_step` (BP2-BP4) into NumPy code, one ``lambdify(...,
cse=True)`` per layer shape, with sigma, sigma', softplus and softmax mapped to stable
NumPy functions (no nan for ``|z|`` up to 1000). :func:`cross_check` compares the result
with :class:`numeric.Network` backprop and with 4th-order central finite differences.

>>> import numpy as np
>>> from derive.numbers import lambdify_network, cross_check
>>> grads = lambdify_network([2, 3, 2], "tanh", "softmax", "log_likelihood")
>>> gW, gb = grads([np.ones((3, 2)), np.ones((2, 3))], [np.zeros(3), np.zeros(2)],
...                np.ones((2, 4)), np.array([[1.0] * 4, [0.0] * 4]))
>>> [g.shape for g in gW], [g.shape for g in gb]
([(3, 2), (2, 3)], [(3,), (2,)])
>>> check = cross_check([2, 3, 2], "sigmoid", "sigmoid", "cross_entropy", seed=1)
>>> check.ok, check.backprop_error < 1e-12, check.fd_error < 1e-8
(True, True, True)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from derive.backprop import prove_step
from derive.errors import UsageError
from derive.functions import get_activation, get_loss, get_output
from derive.pairs import _ASSUMPTIONS, a_, closed_form, y_
from derive.symbols import W, a, b, j as j_sym, n as n_sym, y, z

__all__ = ["CrossCheck", "STABLE", "cross_check", "lambdify_network"]


def _sigmoid(x):
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _sigmoid_prime(x):
    s = _sigmoid(x)
    return s * (1 - s)


class _logsumexp(sp.Function):  # noqa: N801 - lambdified by this name
    """Opaque ``ln sum_i exp(z_i)``: softmax is ``exp(z_j - logsumexp(z))``."""


def _np_logsumexp(*zs):
    stack = np.stack(np.broadcast_arrays(*zs))
    top = stack.max(axis=0)
    return top + np.log(np.exp(stack - top).sum(axis=0))


#: lambdify namespace: SymPy function name -> stable NumPy implementation.
STABLE = {
    "sigmoid": _sigmoid,
    "sigmoid_prime": _sigmoid_prime,
    "softplus": lambda x: np.logaddexp(0.0, x),
    "relu": lambda x: np.maximum(x, 0.0),
    "Heaviside": lambda x, h0=0.0: np.heaviside(x, 0.0),
    "_logsumexp": _np_logsumexp,
}
_MODULES = [STABLE, "numpy"]


def _lambdify(args, exprs):
    return sp.lambdify(args, exprs, modules=_MODULES, cse=True)


@lru_cache(maxsize=None)
def _layer(n_in, n_out, hidden, first):
    """Forward ``(W, b, a^{l-1}) -> z^l`` and backward (BP2, BP3) for one shape."""
    step = prove_step(n_in, n_out, hidden, layer=1 if first else 2, first=first)
    if not step.proved:
        raise AssertionError("step lemma not proved for %s" % step)
    layer = step.layer
    prev = layer - 1
    ws = [W(layer, q, r) for q in range(1, n_out + 1) for r in range(1, n_in + 1)]
    bs = [b(layer, q) for q in range(1, n_out + 1)]
    ap = [a(prev, r) for r in range(1, n_in + 1)]
    zp = [z(prev, r) for r in range(1, n_in + 1)]
    ds = [step.equations[("b", q)][1] for q in range(1, n_out + 1)]  # delta^l_q (BP4)
    zl = [sp.Add(*[W(layer, q, r) * ap[r - 1] for r in range(1, n_in + 1)]) + b(layer, q)
          for q in range(1, n_out + 1)]
    forward = _lambdify([ws, bs, ap], zl)
    grad_w = _lambdify([ds, ap], [step.equations[("W", q, r)][1] for q in range(1, n_out + 1)
                                  for r in range(1, n_in + 1)])
    back = None if first else _lambdify(
        [ws, ds, zp], [step.equations[("delta", r, None)][1] for r in range(1, n_in + 1)])
    act = get_activation(hidden)
    zl_syms = [z(layer, q) for q in range(1, n_out + 1)]
    activate = _lambdify([zl_syms], [act.fn(q) for q in zl_syms])  # a^l = sigma(z^l)
    return forward, grad_w, back, activate


@lru_cache(maxsize=None)
def _top(n_out, output, loss):
    """``z^L -> a^L`` (stable) and BP1 ``(a^L, y) -> delta^L`` from the closed form."""
    zs = [z("L", q) for q in range(1, n_out + 1)]
    As = [a("L", q) for q in range(1, n_out + 1)]
    ys = [y(q) for q in range(1, n_out + 1)]
    if output == "softmax":
        lse = _logsumexp(*zs)
        acts = [sp.exp(q - lse) for q in zs]
    else:
        acts = get_output(output).concrete(zs)
    form = closed_form(output, loss).subs(n_sym, n_out)
    sub = {a_[q]: As[q - 1] for q in range(1, n_out + 1)}
    sub.update({y_[q]: ys[q - 1] for q in range(1, n_out + 1)})
    dl = [form.subs(j_sym, q).doit().xreplace(sub) for q in range(1, n_out + 1)]
    return _lambdify([zs], acts), _lambdify([As, ys], dl)


def lambdify_network(sizes, hidden: str = "sigmoid", output: str = "sigmoid",
                     loss: str = "cross_entropy"):
    """``grads(weights, biases, X, Y) -> (grads_W, grads_b)`` from the proved equations,
    in :mod:`numeric`'s layout (one example per column, cost averaged over the batch).

    >>> lambdify_network([2, 0])
    Traceback (most recent call last):
    ...
    derive.errors.UsageError: sizes: expected at least two integer widths >= 1, got [2, 0]
    """
    from derive.backprop import _check_sizes, _layered_budget

    sizes = _check_sizes(sizes)
    _layered_budget(sizes)
    get_activation(hidden), get_output(output), get_loss(loss)
    layers = [_layer(sizes[q - 1], sizes[q], hidden, q == 1) for q in range(1, len(sizes))]
    top_act, top_delta = _top(sizes[-1], output, loss)

    def grads(weights, biases, X, Y):
        X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
        acts, zs = [list(X)], []
        for q, (forward, _, _, activate) in enumerate(layers):
            zl = forward(list(np.ravel(weights[q])), list(biases[q]), acts[-1])
            zl = [np.broadcast_to(v, X.shape[1:]) for v in zl]
            zs.append(zl)
            last = q == len(layers) - 1
            acts.append(list(top_act(zl) if last else activate(zl)))
        dl = top_delta(acts[-1], list(Y))  # BP1
        gW, gb = [None] * len(layers), [None] * len(layers)
        for q in range(len(layers) - 1, -1, -1):
            _, grad_w, back, _ = layers[q]
            dl = [np.broadcast_to(v, X.shape[1:]) for v in dl]
            shape = (sizes[q + 1], sizes[q])
            gW[q] = np.mean(np.array(grad_w(dl, acts[q])), axis=-1).reshape(shape)  # BP3
            gb[q] = np.mean(np.array(dl), axis=-1)  # BP4
            if back is not None:
                dl = back(list(np.ravel(weights[q])), dl, zs[q - 1])  # BP2
        return gW, gb

    return grads


@dataclass
class CrossCheck:
    """Symbolic gradients vs numeric backprop and vs finite differences (relative,
    infinity norm over all parameters)."""

    sizes: tuple
    pair: str
    backprop_error: float
    fd_error: float
    ok: bool
    seconds: float

    def __repr__(self) -> str:
        return "CrossCheck(%s %s: backprop %.1e, fd %.1e, %s, %.2fs)" % (
            "-".join(map(str, self.sizes)), self.pair, self.backprop_error, self.fd_error,
            "ok" if self.ok else "MISMATCH", self.seconds)


def _fd_gradient(net, X, Y, h=1e-3):
    """4th-order central differences of ``net.cost`` in every parameter."""
    p0 = net.params()
    out = np.empty_like(p0)
    for q in range(p0.size):
        step = h * max(1.0, abs(p0[q]))
        vals = []
        for c in (-2, -1, 1, 2):
            p = p0.copy()
            p[q] += c * step
            vals.append(net.with_params(p).cost(X, Y))
        out[q] = (vals[0] - 8 * vals[1] + 8 * vals[2] - vals[3]) / (12 * step)
    return out


def _flat(gW, gb):
    return np.concatenate([p.ravel() for w, v in zip(gW, gb) for p in (w, v)])


def _rel(x, ref):
    return float(np.max(np.abs(x - ref)) / max(np.max(np.abs(ref)), 1e-300))


def cross_check(sizes, hidden="sigmoid", output="sigmoid", loss="cross_entropy", *,
                N: int = 3, seed: int = 0, scale: float = 1.0, tol_backprop: float = 1e-10,
                tol_fd: float = 1e-7, fd: bool = True) -> CrossCheck:
    """Lambdified proved gradients vs ``numeric.Network.backprop`` and finite differences
    at a random network and batch (``seed``). Targets ``y`` lie in [0, 1]; for
    log-likelihood each column is one-hot.
    """
    import numeric

    start = time.perf_counter()
    sizes = tuple(sizes)
    grads = lambdify_network(sizes, hidden, output, loss)
    rng = np.random.default_rng(seed)
    net = numeric.Network.random(list(sizes), hidden, output, loss, rng=rng, scale=scale)
    X = rng.standard_normal((sizes[0], N))
    if loss == "log_likelihood" or (output, loss) in _ASSUMPTIONS:
        Y = np.eye(sizes[-1])[:, rng.integers(0, sizes[-1], N)]
    else:
        Y = rng.uniform(0.0, 1.0, (sizes[-1], N))
    mine = _flat(*grads(net.weights, net.biases, X, Y))
    theirs = _flat(*net.backprop(X, Y))
    back = _rel(mine, theirs)
    fd_err = _rel(mine, _fd_gradient(net, X, Y)) if fd else 0.0
    ok = back <= tol_backprop and fd_err <= tol_fd
    return CrossCheck(sizes, "%s/%s+%s" % (hidden, output, loss), back, fd_err, ok,
                      time.perf_counter() - start)
