"""Hypothesis strategies for networks of :mod:`numeric.network`, and a reference finite difference.

Names are drawn from the LIVE registries when a strategy is built, so call the
strategy functions inside the test body (``data.draw(activation_names())``): an
activation registered at run time (issue 4) is then picked up by the built-in property
tests. Weights and inputs come from a numpy Generator seeded by Hypothesis (fast, and
never the all-zeros arrays that would put every relu exactly on its kink); shapes are
drawn by Hypothesis and shrink.

Every drawn case respects the activation's declared ``domain`` (hidden layers are scaled
and centred into it) and the loss's target domain (softmax targets lie on the simplex).
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

import numeric
from numeric.losses import compatible

__all__ = [
    "activation_names",
    "build_case",
    "central_difference",
    "kink_distance",
    "network_cases",
    "pairs",
    "targets_for",
]

KINK_MARGIN = 1e-3  # hidden pre-activations closer than this to a kink are rejected


def activation_names():
    """Sampled from ``numeric.ACTIVATIONS`` as it is NOW (call inside the test)."""
    return st.sampled_from(sorted(numeric.ACTIVATIONS))


def pairs():
    """Every compatible (output, loss) name pair."""
    return st.sampled_from(sorted(
        (o, l) for o in numeric.OUTPUTS for l in numeric.LOSSES if compatible(o, l)))


def targets_for(output, loss, shape, rng):
    """Targets Y in the loss's domain: reals for mse, [0, 1] otherwise, columns summing to 1
    for softmax outputs (where the log-likelihood is the note's one)."""
    if numeric.get_output(output).name == "softmax":
        Y = rng.uniform(0.01, 1.0, shape)
        return Y / Y.sum(axis=0, keepdims=True)
    if numeric.get_loss(loss).name == "mse":
        return rng.uniform(-2.0, 2.0, shape)
    return rng.uniform(0.0, 1.0, shape)


def _fit_into_domain(W, b, a, act):
    """Rescale W and recentre b so that z = W a + b lies well inside act.domain."""
    lo, hi = act.domain
    if math.isinf(lo) and math.isinf(hi):
        return W, b
    center = (lo + hi) / 2 if not (math.isinf(lo) or math.isinf(hi)) else (
        lo + 1.0 if math.isinf(hi) else hi - 1.0)
    half = min((hi - lo) / 4, 0.5)
    s = np.max(np.abs(W @ a)) if a.size else 0.0
    t = 1.0 if s <= half else half / s
    return W * t, np.full_like(b, center)


def kink_distance(zs, act):
    """Smallest |z - k| over hidden pre-activations and kinks of ``act`` (inf if none)."""
    return min((float(np.min(np.abs(z - k))) for z in zs for k in act.kinks), default=math.inf)


def build_case(hidden, output, loss, sizes, N, scale, rng):
    """(Network, X, Y) with weights from ``rng``; None if a hidden z lands within
    ``KINK_MARGIN`` of a kink or a hidden value is not finite (the caller draws again)."""
    act = numeric.get_activation(hidden)
    L = len(sizes) - 1
    X = rng.uniform(-2.0, 2.0, (sizes[0], N))
    weights, biases, a = [], [], X
    for l, (n, m) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        W = scale * rng.standard_normal((m, n)) / math.sqrt(n)
        b = scale * rng.standard_normal(m)
        if l < L:  # hidden layer: keep z inside the activation's domain
            W, b = _fit_into_domain(W, b, a, act)
            with np.errstate(all="ignore"):
                a = np.asarray(act.fn(W @ a + b[:, None]), dtype=np.float64)
            if not np.all(np.isfinite(a)):
                return None
        weights.append(W)
        biases.append(b)
    Y = targets_for(output, loss, (sizes[-1], N), rng)
    net = numeric.Network(weights, biases, hidden=hidden, output=output, loss=loss)
    zs, _ = net.forward(X)
    if kink_distance(zs[:-1], act) <= KINK_MARGIN:
        return None
    return net, X, Y


@st.composite
def network_cases(draw, *, hidden=None, output=None, loss=None, depths=(1, 4), widths=(1, 8),
                  batches=(1, 5), scale=None):
    """(Network, X, Y): depth L in ``depths``, widths in ``widths``, batch N in ``batches``.

    Unspecified names are drawn (hidden from the live registry, (output, loss) from the
    compatible pairs). Cases rejected by :func:`build_case` are skipped with ``assume``.
    """
    if hidden is None:
        hidden = draw(activation_names())
    if output is None or loss is None:
        output, loss = draw(pairs())
    L = draw(st.integers(*depths))
    sizes = [draw(st.integers(*widths)) for _ in range(L + 1)]
    N = draw(st.integers(*batches))
    if scale is None:
        scale = draw(st.sampled_from([0.5, 1.0, 2.0]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    case = build_case(hidden, output, loss, sizes, N, scale, rng)
    assume(case is not None)
    return case


def central_difference(f, x, h=1e-6):
    """Reference gradient of a scalar ``f`` at array ``x`` by central differences.

    ``h`` is relative to each entry's size: ``h * max(1, |x_i|)``. Truncation error is
    O(h^2 f'''), rounding O(eps |f| / h): about 1e-9 relative for smooth f of size 1.

    >>> import numpy as np
    >>> g = central_difference(lambda v: float(np.sum(v ** 3)), np.array([1.0, -2.0]))
    >>> np.allclose(g, [3.0, 12.0])
    True
    """
    x = np.asarray(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = h * max(1.0, abs(x[i]))
        xp, xm = x.copy(), x.copy()
        xp[i] += step
        xm[i] -= step
        grad[i] = (f(xp) - f(xm)) / (2 * step)
    return grad
