"""Stochastic gradient descent in NumPy: the training runs behind the note's claims.

The note asks which loss learns faster and whether a small or a large learning rate
is better. This module answers with real runs, built on :class:`numeric.Network`
(one example per column, cost averaged over the batch):

* :func:`sgd` -- mini-batch SGD with a pluggable update rule (the thing a claim
  check can mutate, e.g. a flipped sign), returning a :class:`TrainingRun`;
* :func:`single_neuron` -- the neuron that starts badly wrong (input 1, target 0);
* :func:`digits_run` -- a small sigmoid network on scikit-learn's digits (shipped
  with the package, no network access), cached per configuration so repeated
  callers (claims, report, tests) pay once.

>>> run = single_neuron("cross_entropy", epochs=3)
>>> len(run.costs), run.costs[-1] < run.costs[0]
(4, True)
"""

from __future__ import annotations

import contextlib
import functools
import time
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "TrainingRun",
    "accuracy",
    "build_network",
    "digits_data",
    "digits_run",
    "gradient_step",
    "learning_rate_sweep",
    "sgd",
    "single_neuron",
]


def gradient_step(param: np.ndarray, grad: np.ndarray, eta: float) -> np.ndarray:
    """The note's update: ``W <- W - eta dC/dW`` (same for b).

    >>> gradient_step(np.array([1.0, 2.0]), np.array([0.5, -1.0]), 0.1)
    array([0.95, 2.1 ])
    """
    return param - eta * grad


@dataclass
class TrainingRun:
    """What one training run measured, epoch by epoch (index 0 = before training)."""

    loss: str
    eta: float
    costs: list = field(default_factory=list)       # training cost per epoch
    accuracies: list = field(default_factory=list)  # held-out accuracy per epoch
    outputs: list = field(default_factory=list)     # single neuron: a per epoch
    seconds: float = 0.0

    @property
    def diverged(self) -> bool:
        """True if the cost became non-finite or ended above where it started."""
        c = np.asarray(self.costs, dtype=float)
        return bool(not np.all(np.isfinite(c)) or c[-1] > c[0])

    def __repr__(self) -> str:
        last = self.accuracies[-1] if self.accuracies else None
        return (f"TrainingRun(loss={self.loss!r}, eta={self.eta!r}, epochs={len(self.costs) - 1}, "
                f"cost {self.costs[0]:.4g} -> {self.costs[-1]:.4g}, accuracy={last}, "
                f"{self.seconds:.2f}s)")


# ---------------------------------------------------------------- the network ----

def _one_blas_thread():
    """Limit BLAS to one thread while training: the matrices are tiny (64 x 32 x 16),
    so extra threads only contend -- on a loaded 2-core machine the runs took 4x longer.
    A no-op if ``threadpoolctl`` (a scikit-learn dependency) is not installed."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def build_network(weights, biases, hidden="sigmoid", output="sigmoid", loss="cross_entropy"):
    """``numeric.Network(weights, biases, hidden=..., output=..., loss=...)``.

    >>> net = build_network([np.array([[2.0]])], [np.array([2.0])], loss="mse")
    >>> round(float(net.cost(np.ones((1, 1)), np.zeros((1, 1)))), 4)
    0.4822
    """
    from numeric.network import Network

    return Network(weights, biases, hidden=hidden, output=output, loss=loss)


_build = build_network


def accuracy(net, X: np.ndarray, Y: np.ndarray) -> float:
    """Fraction of columns whose largest output is the target's largest entry.

    >>> class Fixed:  # anything with forward(X) -> (zs, activations)
    ...     def forward(self, X): return None, [X, X]
    >>> accuracy(Fixed(), np.eye(3), np.eye(3)[:, [0, 1, 0]])
    0.6666666666666666
    """
    _, activations = net.forward(X)
    return float(np.mean(np.argmax(activations[-1], axis=0) == np.argmax(Y, axis=0)))


def sgd(weights, biases, X, Y, *, eta, epochs, batch_size, hidden="sigmoid",
        output="sigmoid", loss="cross_entropy", rng=None, X_test=None, Y_test=None,
        update=gradient_step) -> TrainingRun:
    """Mini-batch SGD on ``Network(weights, biases, ...)``; returns a :class:`TrainingRun`.

    Each epoch shuffles the columns of ``X``/``Y`` with ``rng``, and for every
    mini-batch replaces each ``W^l``, ``b^l`` by ``update(param, grad, eta)``
    (default :func:`gradient_step`). Records the full training cost (and held-out
    accuracy when ``X_test`` is given) before training and after each epoch; stops
    early once the cost is no longer finite.

    >>> W, b = [np.array([[2.0]])], [np.array([2.0])]
    >>> run = sgd(W, b, np.ones((1, 1)), np.zeros((1, 1)), eta=0.15, epochs=2, batch_size=1)
    >>> [round(c, 3) for c in run.costs]
    [4.018, 3.73, 3.445]
    """
    if not (isinstance(eta, (int, float)) and eta > 0):
        raise ValueError(f"eta: expected a number > 0, got {eta!r}")
    if not (isinstance(epochs, int) and epochs >= 0):
        raise ValueError(f"epochs: expected an integer >= 0, got {epochs!r}")
    if not (isinstance(batch_size, int) and batch_size >= 1):
        raise ValueError(f"batch_size: expected an integer >= 1, got {batch_size!r}")
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1]:
        raise ValueError(f"X, Y: expected 2-D arrays with one example per column, "
                         f"got shapes {X.shape} and {Y.shape}")
    rng = np.random.default_rng(0) if rng is None else rng
    weights = [np.array(w, dtype=float) for w in weights]
    biases = [np.array(b, dtype=float) for b in biases]
    run = TrainingRun(loss=loss, eta=float(eta))
    start = time.perf_counter()

    def record():
        net = _build(weights, biases, hidden, output, loss)
        with np.errstate(all="ignore"):
            run.costs.append(float(net.cost(X, Y)))
            if X_test is not None:
                run.accuracies.append(accuracy(net, X_test, Y_test))
            if X.shape[1] == 1:
                run.outputs.append(float(net.forward(X)[1][-1][0, 0]))

    def finite():
        return all(np.all(np.isfinite(p)) for p in [*weights, *biases])

    record()
    n = X.shape[1]
    with _one_blas_thread():
        for _ in range(epochs):
            order = rng.permutation(n)
            for lo in range(0, n, batch_size):
                cols = order[lo:lo + batch_size]
                net = _build(weights, biases, hidden, output, loss)
                with np.errstate(all="ignore"):
                    grads_W, grads_b = net.backprop(X[:, cols], Y[:, cols])
                    weights = [update(w, g, eta) for w, g in zip(weights, grads_W)]
                    biases = [update(b, g, eta) for b, g in zip(biases, grads_b)]
                if not finite():  # diverged to inf/nan: the network refuses such weights
                    break
            if not finite():
                run.costs.append(float("inf"))
                break
            record()
            if not np.isfinite(run.costs[-1]):
                break
    run.seconds = time.perf_counter() - start
    return run


# ------------------------------------------------------------- the experiments ----

def single_neuron(loss: str, *, w=2.0, b=2.0, x=1.0, y=0.0, eta=0.15, epochs=300,
                  update=gradient_step) -> TrainingRun:
    """One sigmoid neuron trained on one example; by default it starts badly wrong.

    With ``w = b = 2`` and input 1 the neuron outputs ``sigma(4) = 0.98`` for target 0
    (Nielsen's example). ``run.outputs`` holds the output after each epoch.

    >>> run = single_neuron("mse", epochs=1)
    >>> round(run.outputs[0], 4)
    0.982
    """
    return sgd([np.array([[w]])], [np.array([b])], np.array([[x]]), np.array([[y]]),
               eta=eta, epochs=epochs, batch_size=1, output="sigmoid", loss=loss,
               update=update)


@functools.lru_cache(maxsize=1)
def digits_data(seed: int = 0):
    """scikit-learn's 8x8 digits as ``(X_train, Y_train, X_test, Y_test)``, columns.

    Pixels scaled to [0, 1], targets one-hot; a fixed 1297 / 500 split.

    >>> X, Y, Xt, Yt = digits_data()
    >>> X.shape, Y.shape, Xt.shape
    ((64, 1297), (10, 1297), (64, 500))
    """
    from sklearn.datasets import load_digits

    data = load_digits()
    X = data.data.T / 16.0
    Y = np.eye(10)[data.target].T
    order = np.random.default_rng(seed).permutation(X.shape[1])
    train, test = order[:-500], order[-500:]
    return X[:, train], Y[:, train], X[:, test], Y[:, test]


def digits_run(loss: str, eta: float, *, epochs: int = 30, hidden: int = 32,
               batch_size: int = 16, seed: int = 0) -> TrainingRun:
    """Train a 64-hidden-10 sigmoid network on digits with ``loss`` (cached).

    The initial weights depend only on ``seed`` and ``hidden``, so runs that differ
    only in loss or learning rate start from the same point. The same configuration
    is trained once per process, however it is spelled.
    """
    return _digits_run(str(loss), float(eta), int(epochs), int(hidden), int(batch_size), int(seed))


@functools.lru_cache(maxsize=64)
def _digits_run(loss, eta, epochs, hidden, batch_size, seed):
    X, Y, Xt, Yt = digits_data()
    rng = np.random.default_rng(seed)
    sizes = [X.shape[0], hidden, Y.shape[0]]
    weights = [rng.standard_normal((m, k)) / np.sqrt(k) for k, m in zip(sizes, sizes[1:])]
    biases = [rng.standard_normal(m) for m in sizes[1:]]
    return sgd(weights, biases, X, Y, eta=eta, epochs=epochs, batch_size=batch_size,
               output="sigmoid", loss=loss, rng=np.random.default_rng(seed + 1),
               X_test=Xt, Y_test=Yt)


def learning_rate_sweep(etas=(0.01, 0.1, 1.0, 3.0, 10.0), *, loss="cross_entropy",
                        epochs: int = 30) -> list:
    """:func:`digits_run` for each learning rate in ``etas`` (same start, same data)."""
    return [digits_run(loss, float(eta), epochs=epochs) for eta in etas]
