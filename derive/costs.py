"""How long a request will take, estimated before any work from measured costs.

Every item of ``python -m derive [verify]`` has a cost measured on the project's shared
2-core machine (CPU seconds, one process, in the order the main job runs them;
re-measure with ``python -m derive.costs``). :func:`estimate_verify` adds them up for a
request; the CLI refuses a request whose estimate exceeds ``--budget`` (one line,
exit 2) and names the largest size that fits.

The model, item by item:

* pair proof at size n: the measured seconds at n = 1, 2, 3, 5, 8 and symbolic n
  (geometric interpolation in between);
* layered network proof: ``c * work`` with ``work = sum_l n_l^2 n_{l-1}``; the
  mini-batch proof ``c_batch * work * N`` (the batch multiplies the downstream terms);
* expanded end-to-end check (small nets only): measured per pair at 1-1, 2-2 and 2-3-2
  with N = 1, interpolated log-log in the number of parameters, times ``N^2``. Pairs
  whose 2-3-2 check did not finish within the measuring cap carry the cap, a lower
  bound, so they are refused rather than under-estimated.

>>> est = estimate_verify(sizes=(1, 2, 3), pairs=[("linear", "mse")], network=(2, 3, 2),
...                       network_pair=("sigmoid", "cross_entropy"), batch=2)
>>> 1 < est.total < 10
True
>>> est = estimate_verify(sizes=(2,), pairs=[], network=(2, 3, 2),
...                       network_pair=("softmax", "log_likelihood"), batch=2)
>>> est.total > 60, est.largest()
(True, 'network expanded')
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["DEFAULT_BUDGET", "Estimate", "estimate_verify", "expanded_seconds",
           "largest_network", "pair_seconds"]

DEFAULT_BUDGET = 30.0  # seconds; the default run is estimated at about 5

# Measured 2026-11-29 (python -m derive.costs): seconds per pair proof at n = 1, 2, 3, 5,
# 8 and symbolic n (key None). softmax+cross_entropy is undefined at n = 1.
_PAIR = {
    ("linear", "mse"): (0.01, 0.01, 0.01, 0.02, 0.04, 0.08),
    ("sigmoid", "cross_entropy"): (0.03, 0.04, 0.05, 0.09, 0.15, 0.07),
    ("softmax", "log_likelihood"): (0.01, 0.06, 0.10, 0.24, 0.60, 0.18),
    ("linear", "cross_entropy"): (0.02, 0.03, 0.04, 0.07, 0.11, 0.08),
    ("linear", "log_likelihood"): (0.01, 0.01, 0.01, 0.01, 0.02, 0.02),
    ("sigmoid", "mse"): (0.01, 0.01, 0.01, 0.03, 0.04, 0.03),
    ("sigmoid", "log_likelihood"): (0.01, 0.01, 0.01, 0.01, 0.02, 0.02),
    ("softmax", "mse"): (0.01, 0.05, 0.07, 0.18, 0.44, 0.73),
    ("softmax", "cross_entropy"): (None, 0.21, 0.33, 1.20, 18.85, 6.76),
}
_PAIR_N = (1, 2, 3, 5, 8)
# Expanded check, N = 1, sigmoid hidden: seconds at 1-1, 2-2, 2-3-2 (parameters 2, 6, 17).
# 40.0 = did not finish within the 40 s measuring cap (a lower bound).
_EXPANDED = {
    ("linear", "mse"): (0.02, 0.03, 0.30),
    ("sigmoid", "cross_entropy"): (0.03, 0.08, 0.43),
    ("softmax", "log_likelihood"): (0.02, 1.57, 18.49),
    ("linear", "cross_entropy"): (0.22, 0.99, 40.0),
    ("linear", "log_likelihood"): (0.01, 0.01, 0.12),
    ("sigmoid", "mse"): (0.01, 0.02, 0.21),
    ("sigmoid", "log_likelihood"): (0.01, 0.01, 0.10),
    ("softmax", "mse"): (0.02, 0.31, 4.04),
    ("softmax", "cross_entropy"): (0.06, 12.04, 40.0),
}
_EXPANDED_PARAMS = (2, 6, 17)
# Layered proofs: seconds per unit of work (sum n_l^2 n_{l-1}); measured 24-6 (work 864):
# 0.26 s, mini-batch N = 2: 1.80 s; 8-8-8 (1024): 0.24 s and 0.99 s; 12-12-12 (3456):
# 1.53 s and 5.14 s.
_LAYERED_PER_WORK = 4.5e-4
_BATCH_PER_WORK_PER_N = 1.1e-3
_FIXED = 1.5  # imports, activation identities, step lemma (3x3 and symbolic), table
_UNKNOWN_PAIR = 1.0  # a user-defined pair: no measurement, assume a second per proof


@dataclass
class Estimate:
    """Estimated seconds per item of a request; ``total`` is their sum."""

    items: list = field(default_factory=list)  # (item, seconds)

    def add(self, item: str, seconds: float) -> None:
        self.items.append((item, float(seconds)))

    @property
    def total(self) -> float:
        return sum(s for _, s in self.items)

    def largest(self) -> str:
        """The item that costs most (what to shrink first)."""
        return max(self.items, key=lambda x: x[1])[0] if self.items else ""


def _geometric(xs, ys, x):
    """Interpolate y(x) log-log through the points; extrapolate with the end slopes."""
    pts = [(a, b) for a, b in zip(xs, ys) if b is not None]
    if x <= pts[0][0]:
        return pts[0][1]
    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
        if x <= x1 or (x1, y1) == pts[-1]:
            slope = math.log(max(y1, 1e-3) / max(y0, 1e-3)) / math.log(x1 / x0)
            return max(y0, 1e-3) * (x / x0) ** slope
    return pts[-1][1]  # pragma: no cover


def pair_seconds(output: str, loss: str, n) -> float:
    """Estimated seconds of ``prove_pair(output, loss, n)`` (``n=None``: symbolic).

    >>> pair_seconds("softmax", "cross_entropy", 8)
    18.85
    >>> 0.33 < pair_seconds("softmax", "cross_entropy", 4) < 1.2
    True
    """
    row = _PAIR.get((output, loss))
    if row is None:
        return _UNKNOWN_PAIR
    if n is None:
        return row[-1]
    if n in _PAIR_N and row[_PAIR_N.index(n)] is not None:
        return row[_PAIR_N.index(n)]
    return _geometric(_PAIR_N, row[:-1], n)


def _params(sizes) -> int:
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))


def _work(sizes) -> int:
    return sum(sizes[q] ** 2 * sizes[q - 1] for q in range(1, len(sizes)))


def expanded_seconds(sizes, output: str, loss: str, N: int = 1) -> float:
    """Estimated seconds of ``check_expanded(sizes, ..., N=N)``.

    >>> round(expanded_seconds((2, 3, 2), "softmax", "log_likelihood"), 2)
    18.49
    >>> expanded_seconds((2, 3, 2), "softmax", "log_likelihood", N=2) > 60
    True
    """
    row = _EXPANDED.get((output, loss), (_UNKNOWN_PAIR,) * 3)
    return _geometric(_EXPANDED_PARAMS, row, _params(sizes)) * N ** 2


def _expanded_runs(sizes, output):
    from derive.backprop import MAX_EXPANDED

    return (len(sizes) - 1 <= MAX_EXPANDED[0] and max(sizes) <= MAX_EXPANDED[1]
            and not (output == "softmax" and sizes[-1] > 2))


def estimate_verify(*, sizes, pairs, network, network_pair, batch, symbolic=True) -> Estimate:
    """The estimate of one ``verify`` request, item by item (see the module docstring)."""
    est = Estimate()
    est.add("start-up, identities, step lemma", _FIXED)
    for output, loss in pairs:
        ns = [n for n in sizes if not (n == 1 and (output, loss) == ("softmax", "cross_entropy"))]
        est.add("%s+%s proofs" % (output, loss),
                sum(pair_seconds(output, loss, n) for n in ns + ([None] if symbolic else [])))
    out, loss = network_pair
    work = _work(network)
    est.add("network layered", 0.2 + _LAYERED_PER_WORK * work + pair_seconds(out, loss, None))
    est.add("mini-batch layered", 0.1 + _BATCH_PER_WORK_PER_N * work * batch)
    if _expanded_runs(network, out):
        est.add("network expanded", sum(expanded_seconds(network, out, loss, N)
                                        for N in sorted({1, batch})))
    est.add("numeric cross-check", 0.3 + 1e-3 * _params(network))
    return est


def largest_network(network, budget: float, **request):
    """A network no wider or deeper than ``network`` whose request fits ``budget``, or
    None: the widest layer is narrowed one unit at a time (then a layer dropped) until
    the estimate fits, so it is found in a few hundred estimates at most.

    >>> largest_network((2, 3, 2), 20, sizes=(2,), pairs=[], batch=2,
    ...                 network_pair=("softmax", "log_likelihood"))
    (2, 1, 2)
    """
    cand = list(network)
    softmax = request["network_pair"][0] == "softmax"
    while len(cand) >= 2:
        if estimate_verify(network=tuple(cand), **request).total <= budget:
            return tuple(cand)
        low = 2 if softmax else 1  # softmax over one output is the constant 1
        widths = [(w, i) for i, w in enumerate(cand) if w > (low if i == len(cand) - 1 else 1)]
        if not widths:
            if len(cand) == 2:
                return None
            del cand[-2]  # drop the last hidden layer
            continue
        _, i = max(widths)
        cand[i] -= 1
    return None


def _measure() -> None:  # pragma: no cover - takes minutes; prints the tables above
    import signal
    import time
    import warnings

    from derive.backprop import check_expanded, prove_minibatch, prove_network
    from derive.pairs import PAIRS, prove_pair

    warnings.filterwarnings("ignore")

    def timed(f, cap=40):
        signal.signal(signal.SIGALRM, lambda *a: (_ for _ in ()).throw(TimeoutError()))
        signal.alarm(cap)
        start = time.perf_counter()
        try:
            f()
        except TimeoutError:
            pass
        finally:
            signal.alarm(0)
        return round(time.perf_counter() - start, 2)

    for o, c in PAIRS:
        row = [None if (n == 1 and (o, c) == ("softmax", "cross_entropy")) else
               timed(lambda: prove_pair(o, c, n=n)) for n in (*_PAIR_N, None)]
        print("pair", (o, c), row)
    for o, c in PAIRS:
        print("expanded", (o, c),
              [timed(lambda: check_expanded(s, "sigmoid", o, c)) for s in ([1, 1], [2, 2], [2, 3, 2])])
    for s in ([24, 6], [8, 8, 8]):
        print("layered", s, _work(s), timed(lambda: prove_network(s)),
              timed(lambda: prove_minibatch(s, 2)))


if __name__ == "__main__":  # pragma: no cover
    _measure()
