"""A fully connected network and the four backprop equations of the reference note.

Notation of the note: ``W^l`` has shape ``(n_l, n_{l-1})``, ``b^l`` shape ``(n_l,)``,
``z^l = W^l a^{l-1} + b^l``, ``a^l = sigma(z^l)`` for hidden layers and ``a^L = f(z^L)``
for the output layer, ``delta^l = dC/dz^l``.

**Mini-batch layout: one example per column.** ``X`` is ``(n_0, N)``, ``Y`` is
``(n_L, N)``, every ``z^l``, ``a^l``, ``delta^l`` is ``(n_l, N)``; biases broadcast as
``b[:, None]``. Nothing loops over examples.

**The cost is averaged over the batch**, ``C = (1/N) sum_x C_x``. The deltas below are the
per-example ``dC_x/dz^l`` (so BP1 is the note's ``a - y`` for its three pairs), and the
``1/N`` of the average enters in BP3 and BP4::

    BP1: delta^L     = (grad a^L)^T dC_x/da^L
    BP2: delta^{l-1} = (W^l)^T delta^l (.) sigma'(z^{l-1})
    BP3: dC/dW^l     = (1/N) delta^l (a^{l-1})^T      (sum over the batch in the matmul)
    BP4: dC/db^l     = (1/N) sum_x delta^l_x

Layers are numbered 1..L as in the note; Python lists start at 0, so ``weights[l-1]`` is
``W^l`` and ``zs[l-1]`` is ``z^l`` (but ``activations[l]`` is ``a^l``, ``activations[0]``
being the input ``X = a^0``).

>>> import numpy as np
>>> net = Network.random([3, 4, 2], hidden="tanh", output="softmax", loss="log_likelihood", rng=0)
>>> net
Network(sizes=[3, 4, 2], hidden='tanh', output='softmax', loss='log_likelihood')
>>> X = np.ones((3, 5)); Y = np.tile([[1.0], [0.0]], (1, 5))
>>> grads_W, grads_b = net.backprop(X, Y)
>>> [g.shape for g in grads_W], [g.shape for g in grads_b]
([(4, 3), (2, 4)], [(4,), (2,)])
>>> net.cost(X, Y) > 0
True
"""

from __future__ import annotations

import numpy as np

from numeric.activations import get_activation
from numeric.losses import get_loss
from numeric.outputs import get_output

__all__ = ["Network"]


MAX_PARAMETERS = 50_000_000  # Network.random: 400 MB of float64 weights and biases


def _check_sizes(sizes):
    """``sizes`` as a list of ints, or an error naming the argument (and the entry)."""
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise TypeError(f"sizes: expected a list of layer sizes [n_0, ..., n_L], got "
                        f"{type(sizes).__name__} {sizes!r}")
    sizes = list(sizes)
    for i, n in enumerate(sizes):
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"sizes[{i}]: expected an integer layer size >= 1, got {n!r} "
                            f"({type(n).__name__})")
    sizes = [int(n) for n in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(
            f"sizes: expected at least 2 layer sizes, all integers >= 1, got {sizes}")
    count = sum(m * n + m for n, m in zip(sizes, sizes[1:]))
    if count > MAX_PARAMETERS:
        raise ValueError(f"sizes: expected at most {MAX_PARAMETERS:,} weights and biases in all "
                         f"({MAX_PARAMETERS * 8 // 10**6} MB of float64), got {count:,} for {sizes}")
    return sizes


def _dtype_of(arr, argument, complex_ok=True):
    """float64 for float arrays, complex128 for complex128 ones; TypeError otherwise."""
    if arr.dtype.kind == "f":
        return np.float64
    if complex_ok and arr.dtype == np.complex128:
        return np.complex128
    also = " (complex128 is also accepted, for complex-step derivatives)" if complex_ok else ""
    raise TypeError(f"{argument}: expected a float array, got dtype {arr.dtype}{also}")


def _float_array(value, argument, ndim, shape_hint):
    """Validate one parameter array; returns it as float64 or complex128 (a copy only if
    the dtype differs)."""
    arr = np.asarray(value)
    dtype = _dtype_of(arr, argument)
    if arr.ndim != ndim:
        raise ValueError(f"{argument}: expected shape {shape_hint}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{argument}: expected finite values, got nan or inf")
    return arr.astype(dtype, copy=False)


class Network:
    """Fully connected network ``sizes = [n_0, ..., n_L]`` with one hidden activation.

    ``weights[l-1]`` is ``W^l`` ``(n_l, n_{l-1})``, ``biases[l-1]`` is ``b^l`` ``(n_l,)``;
    both are copied (float64, read-only), the caller's arrays are never changed.

    **Complex128** weights, biases and ``X`` are accepted (targets ``Y`` stay real) and
    everything is then computed in complex arithmetic with analytic formulas (branches on
    the real part), for complex-step differentiation: ``Im C(p + ih e_i) / h`` is
    ``dC/dp_i`` to a few ulps, and ``numeric.check_layer`` uses it. Float inputs give the
    same results as before (float32 is upcast); integers and complex64 raise.

    >>> import numpy as np
    >>> W, b = np.array([[0.5, -1.0]]), np.array([0.2])
    >>> X, Y = np.array([[1.0], [2.0]]), np.array([[1.0]])
    >>> net = Network([W.astype(complex)], [b], hidden="tanh", output="sigmoid", loss="mse")
    >>> d = net.cost(X + [[1e-20j], [0]], Y).imag / 1e-20
    >>> bool(np.isclose(d, net.input_gradient(X, Y)[0, 0], rtol=1e-14))
    True

    >>> import numpy as np
    >>> Network([np.eye(2)], [np.zeros(3)])
    Traceback (most recent call last):
    ...
    ValueError: biases[0]: expected shape (2,) to match weights[0] of shape (2, 2), got shape (3,)
    >>> Network([np.eye(2)], [np.zeros(2)], output="linear", loss="cross_entropy")
    Traceback (most recent call last):
    ...
    ValueError: loss 'cross_entropy' needs outputs in (0, 1); output 'linear' ranges over all reals
    """

    def __init__(self, weights, biases, hidden="sigmoid", output="sigmoid", loss="cross_entropy"):
        self.hidden = get_activation(hidden)
        self.output = get_output(output)
        self.loss = get_loss(loss)
        self.loss.check(self.output)
        if isinstance(weights, np.ndarray) or not hasattr(weights, "__len__") or not weights:
            raise TypeError("weights: expected a non-empty list of 2-D arrays W^1..W^L, "
                            f"got {type(weights).__name__}")
        if isinstance(biases, np.ndarray) or not hasattr(biases, "__len__") \
                or len(biases) != len(weights):
            got = len(biases) if hasattr(biases, "__len__") else type(biases).__name__
            raise ValueError(f"biases: expected a list of {len(weights)} 1-D arrays "
                             f"(one per weight matrix), got {got}")
        self.weights, self.biases = [], []
        for i, (W, b) in enumerate(zip(weights, biases)):
            W = np.array(_float_array(W, f"weights[{i}]", 2, "(n_l, n_{l-1})"))
            b = np.array(_float_array(b, f"biases[{i}]", 1, "(n_l,)"))
            if i and W.shape[1] != self.weights[-1].shape[0]:
                raise ValueError(
                    f"weights[{i}]: expected {self.weights[-1].shape[0]} columns to match "
                    f"weights[{i - 1}] of shape {self.weights[-1].shape}, got shape {W.shape}")
            if b.shape != (W.shape[0],):
                raise ValueError(f"biases[{i}]: expected shape ({W.shape[0]},) to match "
                                 f"weights[{i}] of shape {W.shape}, got shape {b.shape}")
            W.flags.writeable = b.flags.writeable = False
            self.weights.append(W)
            self.biases.append(b)

    @classmethod
    def random(cls, sizes, hidden="sigmoid", output="sigmoid", loss="cross_entropy",
               rng=None, scale=1.0):
        """Random network: ``W^l ~ scale N(0, 1)/sqrt(n_{l-1})``, ``b^l ~ scale N(0, 1)``.

        ``rng`` is a ``numpy.random.Generator``, a seed, or None (fresh entropy).

        >>> Network.random([2, 3, 1], rng=1).sizes
        [2, 3, 1]
        >>> Network.random([2])
        Traceback (most recent call last):
        ...
        ValueError: sizes: expected at least 2 layer sizes, all integers >= 1, got [2]
        >>> Network.random([3, 10**9, 2])
        Traceback (most recent call last):
        ...
        ValueError: sizes: expected at most 50,000,000 weights and biases in all (400 MB of float64), got 6,000,000,002 for [3, 1000000000, 2]
        >>> Network.random([True, 2])
        Traceback (most recent call last):
        ...
        TypeError: sizes[0]: expected an integer layer size >= 1, got True (bool)
        """
        sizes = _check_sizes(sizes)
        if not np.isfinite(scale) or scale <= 0:
            raise ValueError(f"scale: expected a finite number > 0, got {scale!r}")
        rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        weights = [scale * rng.standard_normal((m, n)) / np.sqrt(n)
                   for n, m in zip(sizes[:-1], sizes[1:])]
        biases = [scale * rng.standard_normal(m) for m in sizes[1:]]
        return cls(weights, biases, hidden=hidden, output=output, loss=loss)

    def __repr__(self):
        return (f"Network(sizes={self.sizes}, hidden={self.hidden.name!r}, "
                f"output={self.output.name!r}, loss={self.loss.name!r})")

    @property
    def sizes(self):
        """``[n_0, n_1, ..., n_L]``."""
        return [self.weights[0].shape[1]] + [W.shape[0] for W in self.weights]

    # ---------------------------------------------------------------- validation

    def _bad_shape(self, argument, value, n):
        raise ValueError(f"{argument}: expected shape ({n}, N) with N >= 1 (one example per "
                         f"column), got shape {np.shape(value)}")

    def _check_batch(self, X, Y=None):
        checked = {"Y": None}
        for argument, value, n in (("X", X, self.sizes[0]), ("Y", Y, self.sizes[-1])):
            if argument == "Y" and value is None:
                continue
            arr = np.asarray(value)
            dtype = _dtype_of(arr, argument, complex_ok=argument == "X")  # targets stay real
            if arr.ndim != 2 or arr.shape[0] != n or arr.shape[1] < 1:
                self._bad_shape(argument, arr, n)
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{argument}: expected finite values, got nan or inf")
            checked[argument] = arr.astype(dtype, copy=False)
        X, Y = checked["X"], checked["Y"]
        if Y is None:
            return X, None
        if Y.shape[1] != X.shape[1]:
            raise ValueError(f"Y: expected {X.shape[1]} columns (one per example of X), "
                             f"got shape {Y.shape}")
        self.loss.check_targets(Y)
        return X, Y

    # ---------------------------------------------------------------- forward and cost

    def forward(self, X):
        """``(zs, activations)``: ``zs[l-1] = z^l`` and ``activations[l] = a^l``, a^0 = X.

        >>> import numpy as np
        >>> net = Network([np.array([[2.0]])], [np.array([-1.0])], output="linear", loss="mse")
        >>> net.forward(np.array([[1.0, 3.0]]))
        ([array([[1., 5.]])], [array([[1., 3.]]), array([[1., 5.]])])
        """
        return self._forward(self._check_batch(X)[0])

    def _forward(self, X):
        """forward() for an already validated X."""
        zs, activations = [], [X]
        for l, (W, b) in enumerate(zip(self.weights, self.biases), start=1):
            z = W @ activations[-1] + b[:, None]
            if l < len(self.weights):
                if not self.hidden.in_domain(z):
                    raise ValueError(
                        f"X: z^{l} leaves the domain {self.hidden.domain} of hidden activation "
                        f"{self.hidden.name!r}")
                a = self.hidden.fn(z)
            else:
                a = self.output.fn(z)
            zs.append(z)
            activations.append(a)
        return zs, activations

    def cost(self, X, Y) -> float:
        """``C = (1/N) sum_x C_x``, computed from the logits ``z^L`` where the pair allows.

        A ``complex`` when the parameters or ``X`` are complex (see the class docstring).
        """
        X, Y = self._check_batch(X, Y)
        zs, activations = self._forward(X)
        c = np.mean(self.loss.cost(self.output, zs[-1], Y, a=activations[-1]))
        return complex(c) if np.iscomplexobj(c) else float(c)

    # ---------------------------------------------------------------- backprop

    def delta_L(self, zL, aL, Y):
        """BP1 per example: ``delta^L = (grad a^L)^T dC_x/da^L`` (fused from logits if possible).

        >>> import numpy as np
        >>> net = Network.random([1, 2], output="softmax", loss="log_likelihood", rng=0)
        >>> z = np.array([[0.0], [0.0]])
        >>> net.delta_L(z, net.output.fn(z), np.array([[1.0], [0.0]]))
        array([[-0.5],
               [ 0.5]])
        """
        return self.loss.delta(self.output, zL, Y, a=aL)

    def deltas(self, X, Y):
        """``[delta^1, ..., delta^L]``, each ``(n_l, N)``, per example (not divided by N)."""
        return self._backward(*self._check_batch(X, Y))[1]

    def _backward(self, X, Y):
        """(activations, deltas) for already validated X, Y."""
        zs, activations = self._forward(X)
        # BP1: delta^L = (grad a^L)^T dC/da^L
        delta = self.delta_L(zs[-1], activations[-1], Y)
        deltas = [delta]
        for l in range(len(self.weights), 1, -1):  # l = L..2; weights[l-1] is W^l
            # BP2: delta^{l-1} = (W^l)^T delta^l ⊙ sigma'(z^{l-1})
            delta = (self.weights[l - 1].T @ delta) * self.hidden.deriv(zs[l - 2])
            deltas.append(delta)
        return activations, deltas[::-1]

    def backprop(self, X, Y):
        """``(grads_W, grads_b)`` of the batch-averaged cost, matching weights/biases.

        >>> import numpy as np
        >>> net = Network([np.array([[2.0]])], [np.array([0.0])], output="linear", loss="mse")
        >>> net.backprop(np.array([[1.0, 3.0]]), np.array([[0.0, 0.0]]))
        ([array([[10.]])], [array([4.])])
        """
        X, Y = self._check_batch(X, Y)
        activations, deltas = self._backward(X, Y)
        N = X.shape[1]
        # BP3: dC/dW^l = delta^l (a^{l-1})^T, averaged: the matmul sums over the batch
        grads_W = [d @ a.T / N for d, a in zip(deltas, activations[:-1])]
        # BP4: dC/db^l = delta^l, averaged over the batch
        grads_b = [d.sum(axis=1) / N for d in deltas]
        return grads_W, grads_b

    def input_gradient(self, X, Y):
        """``dC/dX = (1/N) (W^1)^T delta^1``, shape ``(n_0, N)``."""
        X, Y = self._check_batch(X, Y)
        return self.weights[0].T @ self._backward(X, Y)[1][0] / X.shape[1]

    # ---------------------------------------------------------------- flat parameters

    def params(self):
        """All parameters as one flat float64 vector: W^1 (row-major), b^1, W^2, b^2, ...

        >>> import numpy as np
        >>> Network([np.array([[1.0, 2.0]])], [np.array([3.0])], loss="mse").params()
        array([1., 2., 3.])
        """
        return np.concatenate([p.ravel() for W, b in zip(self.weights, self.biases)
                               for p in (W, b)])

    def with_params(self, vector):
        """A new Network with the same shapes and names and parameters from ``vector``.

        >>> import numpy as np
        >>> net = Network([np.array([[1.0, 2.0]])], [np.array([3.0])], loss="mse")
        >>> net.with_params(np.array([4.0, 5.0, 6.0])).weights
        [array([[4., 5.]])]
        >>> net.with_params(np.zeros(2))
        Traceback (most recent call last):
        ...
        ValueError: vector: expected a flat array of 3 parameters, got shape (2,)
        """
        size = sum(W.size + b.size for W, b in zip(self.weights, self.biases))
        vec = np.asarray(vector)
        if vec.shape != (size,):
            raise ValueError(f"vector: expected a flat array of {size} parameters, "
                             f"got shape {vec.shape}")
        _dtype_of(vec, "vector")
        weights, biases, i = [], [], 0
        for W, b in zip(self.weights, self.biases):
            weights.append(vec[i:i + W.size].reshape(W.shape))
            i += W.size
            biases.append(vec[i:i + b.size])
            i += b.size
        return Network(weights, biases, hidden=self.hidden, output=self.output, loss=self.loss)
