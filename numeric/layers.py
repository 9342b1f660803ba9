"""The built-in layer library: one small object per layer, forward and backward side by side.

Arrays follow the package's mini-batch layout: one example per column, features along
axis 0. A layer is called as ``forward(*inputs) -> y`` and differentiated as
``backward(g, *inputs) -> tuple`` where ``g = dC/dy`` has the shape of ``y`` and the
tuple holds ``dC/d input`` for each input (``None`` for inputs that are not
differentiated: a dropout mask, embedding indices).

Each :class:`Layer` also declares how to draw its inputs: ``shapes`` is a function whose
parameter names are the free sizes (``m``, ``n``, ``N``...) and which returns one shape
per input, and ``domains`` names each input's valid values (``"real"``, ``"positive"``,
``"separated"`` -- entries kept apart so that a max has no ties --, ``"nonzero"`` -- away
from a kink at 0 --, ``"mask"`` -- dropout masks in {0, 2} --, ``"binary"`` -- 0 or 1, a
sequence mask --, ``"unit"`` -- in [-1, 1], where a larger range saturates a gate past
what float64 can differentiate --, ``"index:V"`` -- integers below the size ``V``). :mod:`numeric.testing`
turns that into Hypothesis strategies.

Image layers (``conv2d``, ``max_pool2d``, ``spatial_batch_norm``, ``group_norm``) take
``(N, C, H, W)`` batches as PyTorch does (:mod:`numeric._image`); recurrent steps keep
one example per column (:mod:`numeric._sequence`). Hyperparameters (stride, padding,
kernel size, groups) are keyword arguments with defaults, listed in ``params``;
:meth:`Layer.configure` returns the layer with other values. Names are PyTorch-style
snake_case; the older ``maxpool`` is accepted as an alias of ``max_pool1d``.

>>> import numpy as np
>>> dense = LAYERS["dense"]
>>> dense
Layer('dense', inputs=('x', 'W', 'b'), domains=('real', 'real', 'real'))
>>> dense.input_shapes(n=3, m=2, N=4)
((3, 4), (2, 3), (2,))
>>> x, W, b = np.ones((3, 4)), np.ones((2, 3)), np.zeros(2)
>>> dense.forward(x, W, b)[:, 0]
array([3., 3.])
>>> [g.shape for g in dense.backward(np.ones((2, 4)), x, W, b)]
[(3, 4), (2, 3), (2,)]
>>> sorted(LAYERS) == sorted(LAYER_NAMES)
True
>>> conv = get_layer("conv2d").configure(stride=2, padding=1)
>>> conv
Layer('conv2d', inputs=('x', 'w', 'b'), domains=('real', 'real', 'real'), params={'stride': 2, 'padding': 1})
>>> [s for s in conv.input_shapes(N=1, C=2, H=4, W=4, F=3, kh=3, kw=3)]
[(1, 2, 4, 4), (3, 2, 3, 3), (3,)]
>>> conv.forward(np.ones((1, 2, 4, 4)), np.ones((3, 2, 3, 3)), np.zeros(3)).shape
(1, 3, 2, 2)
"""

from __future__ import annotations

import functools
import inspect
import math
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from numeric import _image, _sequence, _stable
from numeric._registry import lookup

__all__ = ["ALIASES", "LAYERS", "LAYER_NAMES", "Layer", "get_layer"]

_DOMAINS = ("real", "unit", "positive", "separated", "nonzero", "mask", "binary")


@dataclass(frozen=True, repr=False)
class Layer:
    """One layer: ``forward``, ``backward`` and what its inputs look like.

    ``inputs`` names the arguments of ``forward``; ``shapes(**sizes)`` returns their
    shapes; ``domains`` gives each input's valid values (see the module docstring);
    ``params`` the hyperparameters (name, value) that ``forward``, ``backward`` and
    ``shapes`` take as keywords.

    >>> Layer("bad", abs, abs, ("x",), lambda n: ((n,),), ("wild",))
    Traceback (most recent call last):
    ...
    ValueError: domains: expected one of real, unit, positive, separated, nonzero, mask, binary, index:SIZE per input, got 'wild'
    """

    name: str
    forward: Callable = field(compare=False)
    backward: Callable = field(compare=False)
    inputs: tuple = ()
    shapes: Callable = field(compare=False, default=None)
    domains: tuple = ()
    params: tuple = field(compare=False, default=())

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name: expected a non-empty string, got {self.name!r}")
        for attr in ("forward", "backward", "shapes"):
            if not callable(getattr(self, attr)):
                raise TypeError(f"{attr}: expected a callable, got {getattr(self, attr)!r}")
        domains = tuple(self.domains) or ("real",) * len(self.inputs)
        if len(domains) != len(self.inputs):
            raise ValueError(
                f"domains: expected one per input ({len(self.inputs)}), got {len(domains)}"
            )
        for d in domains:
            if d not in _DOMAINS and not (isinstance(d, str) and d.startswith("index:")):
                raise ValueError(
                    "domains: expected one of " + ", ".join(_DOMAINS)
                    + f", index:SIZE per input, got {d!r}"
                )
        object.__setattr__(self, "domains", domains)
        object.__setattr__(self, "params", tuple(dict(self.params).items()))

    def __repr__(self):
        extra = f", params={dict(self.params)!r}" if self.params else ""
        return f"Layer({self.name!r}, inputs={self.inputs!r}, domains={self.domains!r}{extra})"

    def configure(self, **params) -> "Layer":
        """This layer with other hyperparameters (each a non-negative integer; ``padding``
        may be 0, the others are at least 1).

        >>> get_layer("max_pool2d").configure(kernel_size=3, stride=1).params
        (('kernel_size', 3), ('stride', 1))
        >>> get_layer("max_pool2d").configure(pad=1)
        Traceback (most recent call last):
        ...
        ValueError: params: max_pool2d takes kernel_size, stride, got pad
        """
        known = dict(self.params)
        unknown = sorted(set(params) - set(known))
        if unknown:
            raise ValueError(f"params: {self.name} takes {', '.join(known) or 'no parameters'}, "
                             f"got {', '.join(unknown)}")
        for key, value in params.items():
            low = 0 if key == "padding" else 1
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"{key}: expected an integer >= {low}, got {value!r}")
        merged = tuple({**known, **{k: int(v) for k, v in params.items()}}.items())
        if merged == self.params:
            return self
        return replace(self, forward=_bind(self.forward, merged),
                       backward=_bind(self.backward, merged),
                       shapes=_bind(self.shapes, merged), params=merged)

    @property
    def sizes(self) -> tuple:
        """Names of the free sizes, e.g. ``('n', 'm', 'N')`` for dense (hyperparameters,
        which have defaults, are not sizes)."""
        return tuple(name for name, p in inspect.signature(self.shapes).parameters.items()
                     if p.default is inspect.Parameter.empty)

    def input_shapes(self, **sizes) -> tuple:
        """The shape of every input for the given sizes."""
        missing = set(self.sizes) - set(sizes)
        if missing:
            raise ValueError(f"sizes: expected values for {sorted(missing)}, got {sorted(sizes)}")
        return tuple(tuple(int(d) for d in s) for s in self.shapes(**sizes))

    @property
    def differentiable(self) -> tuple:
        """True for each input whose gradient ``backward`` returns."""
        return tuple(not (d in ("mask", "binary") or d.startswith("index:")) for d in self.domains)

    def __call__(self, *inputs):
        return self.forward(*inputs)


class _Bound(functools.partial):
    """A layer function with its hyperparameters bound (``configure``)."""


@functools.lru_cache(maxsize=None)
def _bind_cached(fn, params):
    return _Bound(fn, **dict(params))


def _bind(fn, params):
    # one object per (function, params): the symbolic check caches compiled forms by it
    return _bind_cached(fn.func if isinstance(fn, _Bound) else fn, params)


# ---------------------------------------------------------------- elementwise pieces


def _sig(z):
    return _stable.sigmoid(z)


def _dsig(z):
    # s(z) s(-z) keeps full relative accuracy on both tails (s (1-s) loses it for z >> 0)
    return _stable.sigmoid(z) * _stable.sigmoid(-z)


_GELU_C = math.sqrt(2.0 / math.pi)
_GELU_A = 0.044715


def _gelu(z):
    # 0.5 z (1 + tanh u) written as z sigmoid(2u): no cancellation in 1 + tanh u for u << 0
    return z * _sig(2.0 * _GELU_C * (z + _GELU_A * z**3))


def _gelu_deriv(z):
    u2 = 2.0 * _GELU_C * (z + _GELU_A * z**3)
    return _sig(u2) + z * _dsig(u2) * 2.0 * _GELU_C * (1.0 + 3.0 * _GELU_A * z**2)


def _elementwise(name, fn, deriv, domain="real"):
    return Layer(name, fn, lambda g, z: (g * deriv(z),), ("z",),
                 lambda n, N: ((n, N),), (domain,))


# ---------------------------------------------------------------- layers with parameters


def _dense(x, W, b):
    return W @ x + b[:, None]  # z = W a + b, b broadcast over the batch columns


def _dense_back(g, x, W, b):
    return W.T @ g, g @ x.T, g.sum(axis=1)  # BP2 / BP4 / BP3 in the note's names


def _softmax_back(g, z):
    a = _stable.softmax(z)
    return (a * (g - (g * a).sum(axis=0)),)


def _log_softmax_back(g, z):
    return (g - _stable.softmax(z) * g.sum(axis=0),)


_NORM_EPS = _image.NORM_EPS  # one epsilon for every norm layer


def _normalize(x, axis):
    xc = x - x.mean(axis=axis, keepdims=True)
    r = 1.0 / np.sqrt((xc * xc).mean(axis=axis, keepdims=True) + _NORM_EPS)
    return xc * r, r


def _norm_back(g, x, gamma, axis):
    xhat, r = _normalize(x, axis)
    gh = g * gamma[:, None]  # gamma is per feature (row) in both norms
    dx = r * (gh - gh.mean(axis=axis, keepdims=True)
              - xhat * (gh * xhat).mean(axis=axis, keepdims=True))
    return dx, (g * xhat).sum(axis=1), g.sum(axis=1)


def _layer_norm(x, gamma, beta):
    # normalise each example (column) over its features
    return gamma[:, None] * _normalize(x, 0)[0] + beta[:, None]


def _batch_norm(x, gamma, beta):
    # training mode: normalise each feature (row) over the batch
    return gamma[:, None] * _normalize(x, 1)[0] + beta[:, None]


def _conv1d(x, w):
    # valid cross-correlation along axis 0 of each column: y[t] = sum_j w[j] x[t + j]
    k = w.shape[0]
    T = x.shape[0] - k + 1
    return sum(w[j] * x[j:j + T] for j in range(k))


def _conv1d_back(g, x, w):
    k = w.shape[0]
    T = g.shape[0]
    dx = np.zeros_like(x)
    for j in range(k):
        dx[j:j + T] += w[j] * g
    dw = np.array([(g * x[j:j + T]).sum() for j in range(k)])
    return dx, dw


def _maxpool(x):
    # pool size 2, stride 2 along axis 0: y[i] = max(x[2i], x[2i+1])
    return np.maximum(x[0::2], x[1::2])


def _maxpool_back(g, x):
    first = x[0::2] >= x[1::2]
    dx = np.zeros_like(x)
    dx[0::2] = g * first
    dx[1::2] = g * ~first
    return (dx,)


def _embedding(E, idx):
    # E has one embedding per column (d, V); example n looks up column idx[n]
    return E[:, np.asarray(idx, dtype=np.intp)]


def _embedding_back(g, E, idx):
    dE = np.zeros_like(E)
    np.add.at(dE.T, np.asarray(idx, dtype=np.intp), g.T)  # repeated indices accumulate
    return dE, None


def _attention(Q, K, V):
    # queries, keys and values are columns; A[k, q] = softmax over keys of k.q / sqrt(d)
    A = _stable.softmax(K.T @ Q / math.sqrt(Q.shape[0]))
    return V @ A


def _attention_back(g, Q, K, V):
    s = math.sqrt(Q.shape[0])
    A = _stable.softmax(K.T @ Q / s)
    dA = V.T @ g
    dS = A * (dA - (dA * A).sum(axis=0))
    return K @ dS / s, Q @ dS.T / s, g @ A.T


def _residual(x, W, b):
    return x + np.tanh(W @ x + b[:, None])


def _residual_back(g, x, W, b):
    h = np.tanh(W @ x + b[:, None])
    dz = g * (1.0 - h * h)
    return g + W.T @ dz, dz @ x.T, dz.sum(axis=1)


def _conv2d_shapes(N, C, H, W, F, kh, kw, *, stride=1, padding=0):
    return ((N, C, H, W), (F, C, min(kh, H + 2 * padding), min(kw, W + 2 * padding)), (F,))


def _pool2d_shapes(N, C, Ho, Wo, *, kernel_size=2, stride=2):
    # the input has exactly Ho x Wo windows
    return ((N, C, stride * (Ho - 1) + kernel_size, stride * (Wo - 1) + kernel_size),)


def _group_norm_shapes(N, c, H, W, *, groups=2):
    # c channels per group
    return ((N, groups * c, H, W), (groups * c,), (groups * c,))


_LAYERS = (
    Layer("dense", _dense, _dense_back, ("x", "W", "b"),
          lambda n, m, N: ((n, N), (m, n), (m,))),
    _elementwise("sigmoid", _sig, _dsig),
    _elementwise("tanh", np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
    _elementwise("relu", lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float),
                 "nonzero"),
    _elementwise("softplus", _stable.softplus, _sig),
    _elementwise("swish", lambda z: z * _sig(z), lambda z: _sig(z) * (1.0 + z * _sig(-z))),
    _elementwise("gelu", _gelu, _gelu_deriv),
    Layer("softmax", _stable.softmax, _softmax_back, ("z",), lambda n, N: ((n, N),)),
    Layer("log_softmax", _stable.log_softmax, _log_softmax_back, ("z",),
          lambda n, N: ((n, N),)),
    Layer("layer_norm", _layer_norm, lambda g, x, ga, be: _norm_back(g, x, ga, 0),
          ("x", "gamma", "beta"), lambda n, N: ((n, N), (n,), (n,))),
    Layer("batch_norm", _batch_norm, lambda g, x, ga, be: _norm_back(g, x, ga, 1),
          ("x", "gamma", "beta"), lambda n, N: ((n, N), (n,), (n,))),
    Layer("dropout", lambda x, mask: x * mask, lambda g, x, mask: (g * mask, None),
          ("x", "mask"), lambda n, N: ((n, N), (n, N)), ("real", "mask")),
    Layer("conv1d", _conv1d, _conv1d_back, ("x", "w"),
          lambda t, k, N: ((t + k - 1, N), (k,))),
    Layer("max_pool1d", _maxpool, _maxpool_back, ("x",), lambda m, N: ((2 * m, N),),
          ("separated",)),
    Layer("embedding", _embedding, _embedding_back, ("E", "idx"),
          lambda d, V, N: ((d, V), (N,)), ("real", "index:V")),
    Layer("attention", _attention, _attention_back, ("Q", "K", "V"),
          lambda d, q, k, e: ((d, q), (d, k), (e, k))),
    Layer("residual", _residual, _residual_back, ("x", "W", "b"),
          lambda n, N: ((n, N), (n, n), (n,))),
    # image layers, (N, C, H, W); the kernel is clipped to the padded input so that every
    # drawn size gives at least one output row
    Layer("conv2d", _image.conv2d, _image.conv2d_back, ("x", "w", "b"), _conv2d_shapes,
          params=(("stride", 1), ("padding", 0))),
    Layer("max_pool2d", _image.max_pool2d, _image.max_pool2d_back, ("x",), _pool2d_shapes,
          ("separated",), params=(("kernel_size", 2), ("stride", 2))),
    Layer("spatial_batch_norm", _image.spatial_batch_norm, _image.spatial_batch_norm_back,
          ("x", "gamma", "beta"), lambda N, C, H, W: ((N, C, H, W), (C,), (C,))),
    Layer("group_norm", _image.group_norm, _image.group_norm_back, ("x", "gamma", "beta"),
          _group_norm_shapes, params=(("groups", 2),)),
    # recurrent steps and the sequence loss, one example per column
    # declared domain "unit" ([-1, 1]) for every input: with entries up to 3, pre-activations reach
    # ~40, tanh rounds to exactly +-1 and 1 - h^2 = 0 where the true derivative is 1e-16:
    # every digit of the gradient lost, a float64 limit that no checker can tell from a
    # zeroed gradient (docs/gradcheck.md, known limits); within [-1, 1] |pre-act| <= 7
    Layer("rnn_step", _sequence.rnn_step, _sequence.rnn_step_back, ("x", "h", "Wx", "Wh", "b"),
          lambda D, H, N: ((D, N), (H, N), (H, D), (H, H), (H,)), ("unit",) * 5),
    Layer("lstm_step", _sequence.lstm_step, _sequence.lstm_step_back,
          ("x", "h", "c", "Wx", "Wh", "b"),
          lambda D, H, N: ((D, N), (H, N), (H, N), (4 * H, D), (4 * H, H), (4 * H,)),
          ("unit",) * 6),
    Layer("temporal_softmax_loss", _sequence.temporal_softmax_loss,
          _sequence.temporal_softmax_loss_back, ("x", "y", "mask"),
          lambda V, N, T: ((V, N, T), (N, T), (N, T)), ("real", "index:V", "binary")),
)

#: name -> Layer: the 17 layers of the first list, then the image and sequence layers.
LAYERS: dict = {layer.name: layer for layer in _LAYERS}
LAYER_NAMES: tuple = tuple(LAYERS)
#: older names still accepted by :func:`get_layer`; output always uses the canonical name.
ALIASES: dict = {"maxpool": "max_pool1d"}
LAYER_ALIASES = ALIASES  # the name derive.catalog looks for


def get_layer(name) -> Layer:
    """Look a layer up by name or alias (a :class:`Layer` is returned unchanged).

    >>> get_layer("maxpool").name
    'max_pool1d'
    >>> get_layer("conv3d")
    Traceback (most recent call last):
    ...
    ValueError: layer: unknown layer 'conv3d'; known: attention, batch_norm, ...
    """
    return lookup(LAYERS, name, Layer, "layer", "layer", aliases=ALIASES)
