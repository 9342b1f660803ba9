"""Losses C(a, y), each one small frozen object: cost, dC/da and fused logit paths side by side.

Mini-batch layout: one example per column, ``a``, ``y``, ``z`` have shape ``(n_L, N)``.
Every cost here is **per example**, shape ``(N,)``, summed over output components
(the network averages over the batch):

* ``mse``:            ``C_x = 1/2 ||a - y||^2``                            y any real
* ``cross_entropy``:  ``C_x = -sum_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)]``  y in [0, 1]
* ``log_likelihood``: ``C_x = -sum_j y_j ln a_j``  (= ``-ln a_{argmax y}``, one-hot y)  y >= 0

``delta`` returns BP1, ``delta^L = dC_x/dz^L``, by one of three paths:

``"fused"``
    the note's table, straight from the logits: ``linear+mse``, ``sigmoid+cross_entropy``
    (``C = softplus(z) - y z``), ``softmax+log_likelihood`` (``C = sum(y) logsumexp(z) -
    y.z``, exact for any y; with ``sum(y) = 1`` it is the note's ``delta^L = a - y``).
``"log"``
    for every other pair with a logarithm (e.g. ``softmax+cross_entropy``,
    ``sigmoid+log_likelihood``): the general form ``(grad a)^T dC/da`` evaluated as
    ``(grad ln a)^T dC/d(ln a) + (grad ln(1-a))^T dC/d(ln(1-a))``, with ``ln a`` and
    ``ln(1-a)`` taken from the logits, so it stays finite for ``|z|`` up to 1000.
``"general"``
    ``output.vjp(z, a, loss.grad(a, y))`` -- the general form exactly as written; used for
    ``mse`` with sigmoid/softmax outputs, and by the tests as a reference. For the
    log losses it overflows once ``a`` rounds to 0 or 1, which is why ``"auto"`` never
    picks it for them.

>>> import numpy as np
>>> from numeric.outputs import get_output
>>> ce, sig = get_loss("cross_entropy"), get_output("sigmoid")
>>> z = np.array([[-1000.0, 0.0, 1000.0]]); y = np.array([[1.0, 1.0, 0.0]])
>>> ce.cost(sig, z, y)
array([1.00000000e+03, 6.93147181e-01, 1.00000000e+03])
>>> ce.delta(sig, z, y)
array([[-1. , -0.5,  1. ]])
>>> compatible("linear", "cross_entropy"), compatible("softmax", "cross_entropy")
(False, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Optional

import numpy as np

from numeric import _stable
from numeric._registry import lookup
from numeric.outputs import Output, get_output

__all__ = ["Loss", "LOSSES", "get_loss", "compatible", "check_compatible", "PATHS"]

PATHS = ("auto", "fused", "log", "general")


def _interval(bounds, closed=False):
    lo, hi = bounds
    if math.isinf(lo) and math.isinf(hi):
        return "all reals"
    left, right = ("[", "]") if closed else ("(", ")")
    return f"{left}{lo:g}, {hi:g}{right}"


@dataclass(frozen=True, repr=False)
class Loss:
    """One loss: ``fn(a, y)`` per-example cost, ``grad(a, y)`` = dC/da, plus metadata.

    ``needs`` is the open interval the outputs ``a`` must lie in, ``targets`` the closed
    interval for ``y``; ``log_terms(y) -> (u, v)`` (optional) writes the cost as
    ``C_x = sum_j u_j ln a_j + v_j ln(1 - a_j)`` (``v`` may be None; ``0 ln 0 = 0``);
    ``fused[output_name] = (cost_from_logits(z, y), delta_from_logits(z, y))``.

    >>> get_loss("mse")
    Loss('mse', needs=all reals, targets=all reals, fused=('linear',))
    """

    name: str
    fn: Callable = field(compare=False)
    grad: Callable = field(compare=False)
    needs: tuple = (-math.inf, math.inf)
    targets: tuple = (-math.inf, math.inf)
    log_terms: Optional[Callable] = field(default=None, compare=False)
    fused: MappingProxyType = field(default_factory=dict, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "fused", MappingProxyType(dict(self.fused)))

    def __repr__(self):
        return (
            f"Loss({self.name!r}, needs={_interval(self.needs)}, "
            f"targets={_interval(self.targets, closed=True)}, fused={tuple(self.fused)!r})"
        )

    # -------------------------------------------------------------- checks

    def compatible(self, output) -> bool:
        """True when every value the output can take lies where this loss is defined."""
        lo, hi = get_output(output).range
        return self.needs[0] <= lo and hi <= self.needs[1]

    def check(self, output) -> Output:
        """Return the output object, or raise ValueError naming both if they do not fit.

        >>> get_loss("log_likelihood").check("linear")
        Traceback (most recent call last):
        ...
        ValueError: loss 'log_likelihood' needs outputs in (0, inf); output 'linear' ranges over all reals
        """
        out = get_output(output)
        if not self.compatible(out):
            raise ValueError(
                f"loss {self.name!r} needs outputs in {_interval(self.needs)}; "
                f"output {out.name!r} ranges over {_interval(out.range)}"
            )
        return out

    def check_targets(self, y, argument="Y") -> None:
        """Raise ValueError if a target lies outside ``targets``.

        >>> get_loss("cross_entropy").check_targets(np.array([[0.0, 2.0]]))
        Traceback (most recent call last):
        ...
        ValueError: Y: expected targets in [0, 1] for loss 'cross_entropy', got values in [0, 2]
        """
        lo, hi = self.targets
        y = np.asarray(y, dtype=np.float64)
        if y.size and (y.min() < lo or y.max() > hi):
            raise ValueError(
                f"{argument}: expected targets in {_interval(self.targets, closed=True)} "
                f"for loss {self.name!r}, got values in [{y.min():g}, {y.max():g}]"
            )

    def path_for(self, output) -> str:
        """The path ``"auto"`` picks for this output: fused, else log, else general.

        >>> [get_loss("cross_entropy").path_for(o) for o in ("sigmoid", "softmax")]
        ['fused', 'log']
        """
        out = self.check(output)
        if out.name in self.fused:
            return "fused"
        if self.log_terms is not None and out.has_logs:
            return "log"
        return "general"

    def _resolve(self, output, path):
        out = self.check(output)
        if path not in PATHS:
            raise ValueError(f"path: expected one of {', '.join(PATHS)}, got {path!r}")
        if path == "auto":
            path = self.path_for(out)
        elif path == "fused" and out.name not in self.fused:
            raise ValueError(f"path: no fused path for output {out.name!r} with loss {self.name!r}")
        elif path == "log" and not (self.log_terms is not None and out.has_logs):
            raise ValueError(f"path: no log path for output {out.name!r} with loss {self.name!r}")
        return out, path

    # -------------------------------------------------------------- cost and BP1

    def cost(self, output, z, y, *, a=None, path="auto"):
        """Per-example costs, shape ``(N,)``, for logits ``z`` (and ``a = output(z)``)."""
        out, path = self._resolve(output, path)
        if path == "fused":
            return self.fused[out.name][0](z, y)
        if path == "log":
            u, v = self.log_terms(y)
            total = _stable.xlog(u, out.log(z))
            if v is not None:
                total = total + _stable.xlog(v, out.log1m(z))
            return np.sum(total, axis=0)
        return self.fn(out.fn(z) if a is None else a, y)

    def delta(self, output, z, y, *, a=None, path="auto"):
        """BP1: ``delta^L = (grad a^L)^T dC/da^L`` per example, shape ``(n_L, N)``."""
        out, path = self._resolve(output, path)
        if path == "fused":
            return self.fused[out.name][1](z, y)
        if path == "log":
            u, v = self.log_terms(y)
            d = out.log_vjp(z, u)
            if v is not None:
                d = d + out.log1m_vjp(z, v)
            return d
        a = out.fn(z) if a is None else a
        return out.vjp(z, a, self.grad(a, y))


# ---------------------------------------------------------------- mse


def _mse(a, y):
    return 0.5 * np.sum((a - y) ** 2, axis=0)


def _mse_grad(a, y):
    return a - y


# ---------------------------------------------------------------- binary cross-entropy


def _ce(a, y):
    # from a itself: infinite once a rounds to 0 or 1 (the log path avoids this)
    with np.errstate(divide="ignore"):
        return -np.sum(_stable.xlog(y, np.log(a)) + _stable.xlog(1.0 - y, np.log1p(-a)), axis=0)


def _ce_grad(a, y):
    return -y / a + (1.0 - y) / (1.0 - a)


def _ce_sigmoid_cost(z, y):
    return np.sum(_stable.softplus(z) - y * z, axis=0)


def _ce_sigmoid_delta(z, y):
    return _stable.sigmoid(z) - y


# ---------------------------------------------------------------- log-likelihood


def _ll(a, y):
    with np.errstate(divide="ignore"):
        return -np.sum(_stable.xlog(y, np.log(a)), axis=0)


def _ll_grad(a, y):
    return -y / a


def _ll_softmax_cost(z, y):
    return np.sum(y, axis=0) * _stable.logsumexp(z, axis=0) - np.sum(y * z, axis=0)


def _ll_softmax_delta(z, y):
    return _stable.softmax(z) * np.sum(y, axis=0, keepdims=True) - y


LOSSES: dict = {
    loss.name: loss
    for loss in (
        Loss("mse", _mse, _mse_grad, fused={"linear": (_mse, _mse_grad)}),
        Loss(
            "cross_entropy", _ce, _ce_grad, needs=(0.0, 1.0), targets=(0.0, 1.0),
            log_terms=lambda y: (-y, -(1.0 - y)),
            fused={"sigmoid": (_ce_sigmoid_cost, _ce_sigmoid_delta)},
        ),
        Loss(
            "log_likelihood", _ll, _ll_grad, needs=(0.0, math.inf), targets=(0.0, math.inf),
            log_terms=lambda y: (-y, None),
            fused={"softmax": (_ll_softmax_cost, _ll_softmax_delta)},
        ),
    )
}


def get_loss(name) -> Loss:
    """Look a loss up by name (a :class:`Loss` is returned unchanged).

    >>> get_loss("hinge")
    Traceback (most recent call last):
    ...
    ValueError: loss: unknown loss 'hinge'; known: cross_entropy, log_likelihood, mse
    >>> [get_loss(s).name for s in ("CrossEntropy", "bce", "nll", "log-likelihood")]
    ['cross_entropy', 'cross_entropy', 'log_likelihood', 'log_likelihood']
    """
    return lookup(LOSSES, name, Loss, "loss", "loss", LOSS_ALIASES)


# Other names people type for the losses (any case or separator is accepted as well).
# "softmax cross-entropy" / "categorical cross-entropy" is -sum_j y_j ln a_j, this
# project's log_likelihood; "binary cross-entropy" is the per-output cross_entropy.
LOSS_ALIASES = {
    "mean_squared_error": "mse", "squared_error": "mse", "quadratic": "mse", "l2": "mse",
    "bce": "cross_entropy", "binary_cross_entropy": "cross_entropy",
    "ce": "cross_entropy", "xent": "cross_entropy",
    "nll": "log_likelihood", "negative_log_likelihood": "log_likelihood",
    "log_loss": "log_likelihood", "softmax_cross_entropy": "log_likelihood",
    "categorical_cross_entropy": "log_likelihood",
}


def compatible(output, loss) -> bool:
    """True when ``output``'s range fits ``loss``'s domain (names or objects).

    >>> from numeric.outputs import OUTPUTS
    >>> sorted((o, l) for o in OUTPUTS for l in LOSSES if not compatible(o, l))
    [('linear', 'cross_entropy'), ('linear', 'log_likelihood')]
    """
    return get_loss(loss).compatible(output)


def check_compatible(output, loss) -> None:
    """Raise ValueError naming both when ``output`` and ``loss`` do not fit.

    >>> check_compatible("linear", "cross_entropy")
    Traceback (most recent call last):
    ...
    ValueError: loss 'cross_entropy' needs outputs in (0, 1); output 'linear' ranges over all reals
    """
    get_loss(loss).check(output)
