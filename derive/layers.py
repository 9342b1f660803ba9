r"""SymPy forms of the built-in layer library, checked against :mod:`numeric.layers`.

Each :class:`SymbolicLayer` puts side by side the SymPy forward (a function of symbolic
inputs of small concrete shape, see :mod:`derive.vjp`: a ``Matrix`` for 1-D and 2-D
inputs, a NumPy object array of symbols for image batches ``(N, C, H, W)`` and kernels),
the NumPy layer it
verifies, and the LaTeX of its derivative in the notation ``g = \partial C/\partial y``
(the grad_output) and ``\bar{x} = \partial C / \partial x``. Elementwise layers derive
their ``\sigma'`` with SymPy; the others print the closed form that the NumPy backward
implements, which :meth:`SymbolicLayer.check` verifies against the exact VJP.

>>> sorted(LAYERS)[:5]
['attention', 'batch_norm', 'conv1d', 'conv2d', 'dense']
>>> print(layer_latex("dense"))
\begin{aligned} y &= W x + b \mathbf{1}^{T} \\ \bar{x} &= W^{T} g,\quad \bar{W} = g\, x^{T},\quad \bar{b} = g\,\mathbf{1} \end{aligned}
>>> import numpy as np
>>> x, W, b = np.ones((3, 2)), np.arange(6.0).reshape(2, 3), np.zeros(2)
>>> LAYERS["dense"].check([x, W, b]).ok
True
>>> rng = np.random.default_rng(0)
>>> x, w, b = rng.normal(size=(2, 2, 4, 4)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)
>>> LAYERS["conv2d"].configure(stride=2, padding=1).check([x, w, b])
VJPReport(ok=True, n_checked=121, wrong=0)
>>> layer_latex("conv3d")
Traceback (most recent call last):
...
derive.errors.UsageError: layer: expected one of dense, sigmoid, tanh, relu, softplus, swish, gelu, softmax, log_softmax, layer_norm, batch_norm, dropout, conv1d, max_pool1d, embedding, attention, residual, conv2d, max_pool2d, spatial_batch_norm, group_norm, rnn_step, lstm_step, temporal_softmax_loss, got 'conv3d'
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
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
    params: tuple = field(compare=False, default=())

    @property
    def numeric(self):
        """The :class:`numeric.layers.Layer` this form verifies (same hyperparameters)."""
        return _numeric.LAYERS[self.name].configure(**dict(self.params))

    def __repr__(self):
        extra = f", params={dict(self.params)!r}" if self.params else ""
        return f"SymbolicLayer({self.name!r}{extra})"

    def configure(self, **params) -> "SymbolicLayer":
        """This form with other hyperparameters, and its NumPy twin likewise.

        >>> LAYERS["conv2d"].configure(padding=1)
        SymbolicLayer('conv2d', params={'stride': 1, 'padding': 1})
        """
        merged = _numeric.LAYERS[self.name].configure(**{**dict(self.params), **params}).params
        return replace(self, sympy_forward=_numeric._bind(self.sympy_forward, merged),
                       params=merged)

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


# ---------------------------------------------------------------- image layers, (N, C, H, W)
# 4-D inputs arrive as NumPy object arrays of symbols (derive.vjp.symbolic_inputs)


def _conv2d(x, w, b, *, stride=1, padding=0):
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    xp = np.full((N, C, H + 2 * padding, W + 2 * padding), sympy.S.Zero, dtype=object)
    xp[:, :, padding:padding + H, padding:padding + W] = x
    Ho, Wo = (H + 2 * padding - kh) // stride + 1, (W + 2 * padding - kw) // stride + 1
    y = np.empty((N, F, Ho, Wo), dtype=object)
    for n, f, i, j in np.ndindex(y.shape):
        window = xp[n, :, stride * i:stride * i + kh, stride * j:stride * j + kw]
        y[n, f, i, j] = Add(*(window * w[f]).ravel()) + b[f]
    return y


class _WindowMax(sympy.Function):
    """max of a pooling window, left unevaluated: SymPy's ``Max`` compares its arguments
    pairwise on every construction, and differentiating a k-way ``Max`` builds k more
    (17 s for one 3x3 overlapping pool). The derivative in argument ``a`` is the product
    of ``Heaviside(a - b)`` over the others: 1 where ``a`` is the strict maximum, a kink
    (refused by the check) at a tie."""

    @classmethod
    def eval(cls, *args):
        return None

    def fdiff(self, argindex=1):
        a = self.args[argindex - 1]
        return sympy.Mul(*[sympy.Heaviside(a - b) for k, b in enumerate(self.args) if k != argindex - 1])

    _imp_ = staticmethod(lambda *args: max(args))  # what lambdify evaluates


def _max_pool2d(x, *, kernel_size=2, stride=2):
    N, C, H, W = x.shape
    k = kernel_size
    y = np.empty((N, C, (H - k) // stride + 1, (W - k) // stride + 1), dtype=object)
    for n, c, i, j in np.ndindex(y.shape):
        y[n, c, i, j] = _WindowMax(*x[n, c, stride * i:stride * i + k, stride * j:stride * j + k].ravel())
    return y


def _normalize_groups(x, groups):
    """Normalise ``x`` over each index tuple of ``groups`` (lists of indices of x)."""
    y = np.empty(x.shape, dtype=object)
    for idx in groups:
        for i, v in zip(idx, _normalized([x[i] for i in idx])):
            y[i] = v
    return y


def _channel_affine(xhat, gamma, beta):
    y = np.empty(xhat.shape, dtype=object)
    for i in np.ndindex(*xhat.shape):
        y[i] = gamma[i[1]] * xhat[i] + beta[i[1]]
    return y


def _spatial_batch_norm(x, gamma, beta):
    N, C, H, W = x.shape
    channels = [[(n, c, h, w) for n, h, w in np.ndindex(N, H, W)] for c in range(C)]
    return _channel_affine(_normalize_groups(x, channels), gamma, beta)


def _group_norm(x, gamma, beta, *, groups=2):
    N, C, H, W = x.shape
    size = C // groups
    sets = [[(n, g * size + c, h, w) for c, h, w in np.ndindex(size, H, W)]
            for n in range(N) for g in range(groups)]
    return _channel_affine(_normalize_groups(x, sets), gamma, beta)


# ---------------------------------------------------------------- recurrent steps (columns)


def _rnn_step(x, h, Wx, Wh, b):
    return (Wx * x + Wh * h + b * sympy.ones(1, x.cols)).applyfunc(tanh)


def _lstm_step(x, h, c, Wx, Wh, b):
    H = h.rows
    a = Wx * x + Wh * h + b * sympy.ones(1, x.cols)
    i, f, o = (a[k * H:(k + 1) * H, :].applyfunc(_sigmoid) for k in (0, 1, 3))
    u = a[2 * H:3 * H, :].applyfunc(tanh)
    cn = f.multiply_elementwise(c) + i.multiply_elementwise(u)
    return o.multiply_elementwise(cn.applyfunc(tanh)), cn


def _temporal_softmax_loss(x, y, mask):
    V, N, T = x.shape
    terms = [mask[n, t] * (x[int(y[n, t]), n, t] - log(Add(*[exp(x[v, n, t]) for v in range(V)])))
             for n, t in np.ndindex(N, T)]
    return -Add(*terms) / N


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
    SymbolicLayer("max_pool1d", _maxpool, r"y_{i} &= \max(x_{2i}, x_{2i+1})",
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
    SymbolicLayer("conv2d", _conv2d,
                  r"y_{n,f,i,j} &= b_{f} + \sum_{c,p,q} w_{f,c,p,q}\, \tilde{x}_{n,c,\,si+p,\,sj+q}"
                  r",\quad \tilde{x} = x \text{ zero-padded by } P",
                  r"\bar{x}_{n,c,h,k} &= \sum_{f,i,j,p,q:\ si+p = h+P,\ sj+q = k+P} w_{f,c,p,q}\, g_{n,f,i,j},"
                  r"\quad \bar{w}_{f,c,p,q} = \sum_{n,i,j} g_{n,f,i,j}\, \tilde{x}_{n,c,\,si+p,\,sj+q},"
                  r"\quad \bar{b}_{f} = \sum_{n,i,j} g_{n,f,i,j}", params=(("stride", 1), ("padding", 0))),
    SymbolicLayer("max_pool2d", _max_pool2d,
                  r"y_{n,c,i,j} &= \max_{0 \le p,q < k} x_{n,c,\,si+p,\,sj+q}",
                  r"\bar{x}_{n,c,h,w} &= \sum_{i,j} g_{n,c,i,j}\,[(h,w) = \operatorname{argmax}_{\text{window } (i,j)} x]"
                  r"\quad \text{(overlapping windows add up)}", params=(("kernel_size", 2), ("stride", 2))),
    SymbolicLayer("spatial_batch_norm", _spatial_batch_norm,
                  r"\gamma_{c} \hat{x}_{n,c,h,w} + \beta_{c},\quad \hat{x}_{:,c,:,:} = \frac{x_{:,c,:,:} - \operatorname{mean}(x_{:,c,:,:})}{\sqrt{\operatorname{var}(x_{:,c,:,:}) + \epsilon}}",
                  (_NORM_BACK % (r"n,h,w", r"n,h,w")).replace(r"\sum_{n} (g \circ \hat{x})_{:,n}", r"\sum_{n,h,w} (g \circ \hat{x})_{n,c,h,w}")
                  .replace(r"\bar{\beta} = g\,\mathbf{1}", r"\bar{\beta}_{c} = \sum_{n,h,w} g_{n,c,h,w}")),
    SymbolicLayer("group_norm", _group_norm,
                  r"\gamma_{c} \hat{x}_{n,c,h,w} + \beta_{c},\quad \hat{x}_{n,G,:,:} = \frac{x_{n,G,:,:} - \operatorname{mean}(x_{n,G,:,:})}{\sqrt{\operatorname{var}(x_{n,G,:,:}) + \epsilon}}"
                  r"\ \text{for each group } G \text{ of } C/\text{groups channels}",
                  (_NORM_BACK % (r"G,h,w", r"G,h,w")).replace(r"\sum_{n} (g \circ \hat{x})_{:,n}", r"\sum_{n,h,w} (g \circ \hat{x})_{n,c,h,w}")
                  .replace(r"\bar{\beta} = g\,\mathbf{1}", r"\bar{\beta}_{c} = \sum_{n,h,w} g_{n,c,h,w}"),
                  params=(("groups", 2),)),
    SymbolicLayer("rnn_step", _rnn_step, r"h' &= \tanh(W_{x} x + W_{h} h + b \mathbf{1}^{T})",
                  r"\delta &= g \circ (1 - h'^{2}),\quad \bar{x} = W_{x}^{T} \delta,\quad \bar{h} = W_{h}^{T} \delta,"
                  r"\quad \bar{W}_{x} = \delta x^{T},\quad \bar{W}_{h} = \delta h^{T},\quad \bar{b} = \delta \mathbf{1}"),
    SymbolicLayer("lstm_step", _lstm_step,
                  r"\begin{bmatrix} i \\ f \\ u \\ o \end{bmatrix} &= \begin{bmatrix} \sigma \\ \sigma \\ \tanh \\ \sigma \end{bmatrix}(W_{x} x + W_{h} h + b \mathbf{1}^{T}),"
                  r"\quad c' = f \circ c + i \circ u,\quad h' = o \circ \tanh c'",
                  r"\bar{c}' &= g_{c'} + g_{h'} \circ o \circ (1 - \tanh^{2} c'),\quad \bar{c} = \bar{c}' \circ f,"
                  r"\quad \bar{a} = \begin{bmatrix} \bar{c}' \circ u \circ i (1 - i) \\ \bar{c}' \circ c \circ f (1 - f) \\ \bar{c}' \circ i \circ (1 - u^{2}) \\ g_{h'} \circ \tanh c' \circ o (1 - o) \end{bmatrix},"
                  r"\quad \bar{x} = W_{x}^{T} \bar{a},\quad \bar{h} = W_{h}^{T} \bar{a},\quad \bar{W}_{x} = \bar{a} x^{T},\quad \bar{W}_{h} = \bar{a} h^{T},\quad \bar{b} = \bar{a} \mathbf{1}"),
    SymbolicLayer("temporal_softmax_loss", _temporal_softmax_loss,
                  r"L &= -\frac{1}{N} \sum_{n,t} m_{n,t} \ln \operatorname{softmax}(x_{:,n,t})_{y_{n,t}}",
                  r"\bar{x}_{:,n,t} &= \frac{g\, m_{n,t}}{N} \left(\operatorname{softmax}(x_{:,n,t}) - e_{y_{n,t}}\right)"),
)

#: name -> SymbolicLayer, the names and order of :data:`numeric.layers.LAYERS`.
LAYERS: dict = {layer.name: layer for layer in _LAYERS}


def layer_latex(name: str) -> str:
    r"""The LaTeX (KaTeX-renderable, an ``aligned`` block) of a layer and its derivative.

    Older names (``maxpool``) are accepted; the LaTeX is the canonical layer's.

    >>> print(layer_latex("sigmoid"))
    \begin{aligned} y &= \frac{1}{1 + e^{- z}} \\ \bar{z} &= g \circ \sigma'(z),\quad \sigma'(z) = \frac{e^{- z}}{\left(1 + e^{- z}\right)^{2}} \end{aligned}
    """
    name = _numeric.ALIASES.get(name, name) if isinstance(name, str) else name
    if name not in LAYERS:
        raise UsageError("layer", "one of " + ", ".join(LAYERS), repr(name))
    return LAYERS[name].latex()
