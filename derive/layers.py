r"""SymPy forms of the built-in layer library, checked against :mod:`numeric.layers`.

Each :class:`SymbolicLayer` puts side by side the SymPy forward (a function of symbolic
``Matrix`` inputs of small concrete shape, see :mod:`derive.vjp`), the NumPy layer it
verifies, and the LaTeX of its derivative in the notation ``g = \partial C/\partial y``
(the grad_output) and ``\bar{x} = \partial C / \partial x``. Elementwise layers derive
their ``\sigma'`` with SymPy; the others print the closed form that the NumPy backward
implements, which :meth:`SymbolicLayer.check` verifies against the exact VJP.

>>> sorted(LAYERS)[:4]
['attention', 'batch_norm', 'conv1d', 'dense']
>>> print(layer_latex("dense"))
\begin{aligned} y &= W x + b \mathbf{1}^{T} \\ \bar{x} &= W^{T} g,\quad \bar{W} = g\, x^{T},\quad \bar{b} = g\,\mathbf{1} \end{aligned}
>>> import numpy as np
>>> x, W, b = np.ones((3, 2)), np.arange(6.0).reshape(2, 3), np.zeros(2)
>>> LAYERS["dense"].check([x, W, b]).ok
True
>>> layer_latex("conv2d")
Traceback (most recent call last):
...
derive.errors.UsageError: layer: expected one of dense, sigmoid, tanh, relu, softplus, swish, gelu, softmax, log_softmax, layer_norm, batch_norm, dropout, conv1d, maxpool, embedding, attention, residual, got 'conv2d'
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Callable

import sympy
from sympy import Add, Matrix, Max, Rational, exp, log, sqrt, tanh

from derive import vjp
from derive.errors import UsageError
from numeric import layers as _numeric

__all__ = ["LAYERS", "SymbolicLayer", "layer_latex"]

_z = sympy.Symbol("z", real=True)


@dataclass(frozen=True, repr=False)
class SymbolicLayer:
    """A library layer: SymPy forward, NumPy layer and the LaTeX of its derivative."""

    name: str
    sympy_forward: Callable = field(compare=False)
    latex_forward: str = ""
    latex_backward: str = ""
    elementwise: Callable = field(compare=False, default=None)

    @property
    def numeric(self):
        """The :class:`numeric.layers.Layer` this form verifies."""
        return _numeric.LAYERS[self.name]

    def __repr__(self):
        return f"SymbolicLayer({self.name!r})"

    def latex(self) -> str:
        """``y = ...`` and the gradient of each input, one ``aligned`` block."""
        forward, backward = self.latex_forward, self.latex_backward
        if self.elementwise is not None:  # sigma' derived by SymPy, not written by hand
            forward, backward = _elementwise_latex(self.elementwise)
        lhs = "" if "&=" in forward else "y &= "
        return r"\begin{aligned} " + lhs + forward + r" \\ " + backward + r" \end{aligned}"

    def _repr_latex_(self):
        return "$$" + self.latex() + "$$"

    def check(self, inputs, **options) -> vjp.VJPReport:
        """Check the NumPy backward (or ``backward=``) against the exact VJP at ``inputs``."""
        backward = options.pop("backward", self.numeric.backward)
        return vjp.check_backward(self.sympy_forward, backward, inputs,
                                  forward=options.pop("forward", self.numeric.forward), **options)


# ---------------------------------------------------------------- elementwise layers


def _elementwise(name, fn):
    return SymbolicLayer(name, lambda z: z.applyfunc(fn), elementwise=fn)


@functools.lru_cache(maxsize=None)
def _elementwise_latex(fn):
    deriv = sympy.diff(fn(_z), _z)
    return (sympy.latex(fn(_z)),
            r"\bar{z} &= g \circ \sigma'(z),\quad \sigma'(z) = " + sympy.latex(deriv))


_GELU_C = sqrt(2 / sympy.pi)
_GELU_A = Rational("0.044715")


def _sigmoid(t):
    return 1 / (1 + exp(-t))


def _gelu(t):
    return t / 2 * (1 + tanh(_GELU_C * (t + _GELU_A * t**3)))


# ---------------------------------------------------------------- column-wise helpers


def _softmax_col(vals):
    e = [exp(v) for v in vals]
    s = Add(*e)
    return [t / s for t in e]


def _by_column(x, fn):
    cols = [fn(list(x[:, n])) for n in range(x.cols)]
    return Matrix(x.rows, x.cols, lambda i, n: cols[n][i])


def _normalized(vals, eps=Rational(_numeric._NORM_EPS)):
    mu = Add(*vals) / len(vals)
    var = Add(*[(v - mu) ** 2 for v in vals]) / len(vals)
    return [(v - mu) / sqrt(var + eps) for v in vals]


def _affine(xhat, gamma, beta):
    return Matrix(xhat.rows, xhat.cols, lambda i, n: gamma[i] * xhat[i, n] + beta[i])


def _dense(x, W, b):
    return W * x + b * sympy.ones(1, x.cols)


def _log_softmax(z):
    return _by_column(z, lambda v: [t - log(Add(*[exp(u) for u in v])) for t in v])


def _layer_norm(x, gamma, beta):
    return _affine(_by_column(x, _normalized), gamma, beta)


def _batch_norm(x, gamma, beta):
    return _affine(_by_column(x.T, _normalized).T, gamma, beta)


def _conv1d(x, w):
    k = w.rows
    return Matrix(x.rows - k + 1, x.cols,
                  lambda t, n: Add(*[w[j] * x[t + j, n] for j in range(k)]))


def _maxpool(x):
    return Matrix(x.rows // 2, x.cols, lambda i, n: Max(x[2 * i, n], x[2 * i + 1, n]))


def _embedding(E, idx):
    return Matrix.hstack(*[E[:, int(i)] for i in idx])


def _attention(Q, K, V):
    A = _by_column(K.T * Q / sqrt(Q.rows), _softmax_col)
    return V * A


def _residual(x, W, b):
    return x + _dense(x, W, b).applyfunc(tanh)


_SOFTMAX_BACK = r"\bar{z} &= a \circ \left(g - \mathbf{1}\mathbf{1}^{T} (g \circ a)\right),\quad a = \operatorname{softmax}(z)"
_NORM_BACK = (r"\bar{x} &= \frac{1}{\sqrt{\operatorname{var} + \epsilon}}\left(h - \operatorname{mean}_{%s}(h)"
              r" - \hat{x} \circ \operatorname{mean}_{%s}(h \circ \hat{x})\right),\quad h = \gamma \circ g,"
              r"\quad \bar{\gamma} = \textstyle\sum_{n} (g \circ \hat{x})_{:,n},\quad \bar{\beta} = g\,\mathbf{1}")

_LAYERS = (
    SymbolicLayer("dense", _dense, r"W x + b \mathbf{1}^{T}",
                  r"\bar{x} &= W^{T} g,\quad \bar{W} = g\, x^{T},\quad \bar{b} = g\,\mathbf{1}"),
    _elementwise("sigmoid", _sigmoid),
    _elementwise("tanh", tanh),
    _elementwise("relu", lambda t: Max(0, t)),
    _elementwise("softplus", lambda t: log(1 + exp(t))),
    _elementwise("swish", lambda t: t * _sigmoid(t)),
    _elementwise("gelu", _gelu),
    SymbolicLayer("softmax", lambda z: _by_column(z, _softmax_col),
                  r"y_{i} &= \frac{e^{z_{i}}}{\sum_{k} e^{z_{k}}}", _SOFTMAX_BACK),
    SymbolicLayer("log_softmax", _log_softmax, r"z_{i} - \ln \sum_{k} e^{z_{k}}",
                  r"\bar{z} &= g - \operatorname{softmax}(z)\, \mathbf{1}^{T} g"),
    SymbolicLayer("layer_norm", _layer_norm,
                  r"\gamma \circ \hat{x} + \beta,\quad \hat{x}_{:,n} = \frac{x_{:,n} - \operatorname{mean}(x_{:,n})}{\sqrt{\operatorname{var}(x_{:,n}) + \epsilon}}",
                  _NORM_BACK % (r"\text{features}", r"\text{features}")),
    SymbolicLayer("batch_norm", _batch_norm,
                  r"\gamma \circ \hat{x} + \beta,\quad \hat{x}_{i,:} = \frac{x_{i,:} - \operatorname{mean}(x_{i,:})}{\sqrt{\operatorname{var}(x_{i,:}) + \epsilon}}",
                  _NORM_BACK % (r"\text{batch}", r"\text{batch}")),
    SymbolicLayer("dropout", lambda x, mask: x.multiply_elementwise(mask), r"x \circ m",
                  r"\bar{x} &= g \circ m \quad (m \text{ a fixed mask})"),
    SymbolicLayer("conv1d", _conv1d, r"y_{t} &= \sum_{j} w_{j}\, x_{t+j}",
                  r"\bar{x}_{s} &= \sum_{j} w_{j}\, g_{s-j},\quad \bar{w}_{j} = \sum_{t,n} g_{t,n}\, x_{t+j,n}"),
    SymbolicLayer("maxpool", _maxpool, r"y_{i} &= \max(x_{2i}, x_{2i+1})",
                  r"\bar{x}_{2i} &= g_{i}\,[x_{2i} \geq x_{2i+1}],\quad \bar{x}_{2i+1} = g_{i}\,[x_{2i} < x_{2i+1}]"),
    SymbolicLayer("embedding", _embedding, r"y_{:,n} &= E_{:,\,\mathrm{idx}_{n}}",
                  r"\bar{E}_{:,v} &= \sum_{n:\ \mathrm{idx}_{n} = v} g_{:,n}"),
    SymbolicLayer("attention", _attention,
                  r"V A,\quad A = \operatorname{softmax}\left(\frac{K^{T} Q}{\sqrt{d}}\right)",
                  r"\bar{V} &= g A^{T},\quad \bar{S} = A \circ \left(\bar{A} - \mathbf{1}\mathbf{1}^{T}(\bar{A} \circ A)\right),"
                  r"\quad \bar{A} = V^{T} g,\quad \bar{Q} = \frac{K \bar{S}}{\sqrt{d}},\quad \bar{K} = \frac{Q \bar{S}^{T}}{\sqrt{d}}"),
    SymbolicLayer("residual", _residual, r"x + \tanh(W x + b \mathbf{1}^{T})",
                  r"\bar{x} &= g + W^{T} \delta,\quad \delta = g \circ (1 - y_{t}^{2}),\quad y_{t} = \tanh(W x + b\mathbf{1}^{T}),"
                  r"\quad \bar{W} = \delta x^{T},\quad \bar{b} = \delta \mathbf{1}"),
)

#: name -> SymbolicLayer, the names and order of :data:`numeric.layers.LAYERS`.
LAYERS: dict = {layer.name: layer for layer in _LAYERS}


def layer_latex(name: str) -> str:
    r"""The LaTeX (KaTeX-renderable, an ``aligned`` block) of a layer and its derivative.

    >>> print(layer_latex("sigmoid"))
    \begin{aligned} y &= \frac{1}{1 + e^{- z}} \\ \bar{z} &= g \circ \sigma'(z),\quad \sigma'(z) = \frac{e^{- z}}{\left(1 + e^{- z}\right)^{2}} \end{aligned}
    """
    if name not in LAYERS:
        raise UsageError("layer", "one of " + ", ".join(LAYERS), repr(name))
    return LAYERS[name].latex()
