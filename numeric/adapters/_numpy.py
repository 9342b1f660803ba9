"""Course-style NumPy layers: ``(out, cache)`` forward/backward pairs and ``(value, grads)``.

Private module behind :mod:`numeric.adapters` (public names ``numeric.check_cache_layer``,
``numeric.check_value_and_grad``). The shapes of cs231n-style code, batch-first:

* ``out, cache = layer_forward(x, w, b, conv_param)`` and
  ``dx, dw, db = layer_backward(dout, cache)``;
* ``loss, dx = softmax_loss(x, y)`` (a value and its gradients, integer labels unchecked).

``params`` are the trailing non-array arguments (``bn_param``, ``conv_param``, a
``dropout_param`` with its ``seed``): a tuple is appended positionally, a dict passed as
keywords, and every call gets a fresh deep copy (batch norm writes its running mean into
``bn_param``; the caller's dict is never changed). ``wrt`` names the inputs the backward
returns gradients for, in its order (default: all float inputs, in order).

>>> import numpy as np
>>> def relu_forward(x):
...     return np.maximum(0, x), x
>>> def relu_backward(dout, cache):
...     return dout * (cache > 0)
>>> check_cache_layer(relu_forward, relu_backward, [np.array([[1.5, -0.5], [0.25, -2.0]])]).ok
True
"""

from __future__ import annotations

import copy

import numpy as np

from numeric.adapters import _common

__all__ = ["check_cache_layer", "check_value_and_grad"]

_OWN = ("names", "params", "wrt")


def _setup(inputs, options):
    if isinstance(inputs, np.ndarray) or not isinstance(inputs, (list, tuple)):
        raise TypeError("inputs: expected a list or tuple of arrays, got "
                        f"{type(inputs).__name__}")
    xs = []
    for k, x in enumerate(inputs):
        a = np.asarray(x)
        if a.dtype.kind not in "biuf":
            raise TypeError(f"inputs[{k}]: expected a numeric array, got dtype {a.dtype}")
        xs.append(a)
    names = options.get("names")
    names = [f"inputs[{k}]" for k in range(len(xs))] if names is None else list(names)
    if len(names) != len(xs):
        raise ValueError(f"names: expected {len(xs)} names, got {len(names)}")
    params = options.get("params", ())
    if params is None:
        params = ()
    if not isinstance(params, (tuple, list, dict)):
        raise TypeError("params: expected a tuple of extra positional arguments or a dict of "
                        f"keyword arguments, got {type(params).__name__}")
    wrt = options.get("wrt")
    floats = [k for k, x in enumerate(xs) if x.dtype.kind == "f"]
    if wrt is None:
        wrt = floats
    else:
        wrt = [wrt] if isinstance(wrt, (int, str)) else list(wrt)
        idx = []
        for w in wrt:
            if isinstance(w, str):
                if w not in names:
                    raise ValueError(f"wrt: {w!r} is not one of the input names {names}")
                w = names.index(w)
            if not (isinstance(w, int) and 0 <= w < len(xs)):
                raise ValueError(f"wrt: expected input indices in 0..{len(xs) - 1} or names, "
                                 f"got {w!r}")
            if xs[w].dtype.kind != "f":
                raise ValueError(f"wrt: inputs[{w}] ({names[w]}) is an integer array "
                                 f"({xs[w].dtype}); labels and indices get no gradient")
            idx.append(w)
        wrt = idx
    return xs, names, params, wrt


def _caller(fn, params):
    """``fn(*xs, <fresh copy of params>)``."""
    if isinstance(params, dict):
        return lambda *xs: fn(*xs, **copy.deepcopy(params))
    return lambda *xs: fn(*xs, *copy.deepcopy(tuple(params)))


def _spread(grads, wrt, n, who):
    """One gradient per input from what ``who`` returned for the inputs ``wrt``."""
    if isinstance(grads, np.ndarray) or not isinstance(grads, (tuple, list)):
        grads = (grads,)
    if len(grads) != len(wrt):
        raise ValueError(f"{who} returned {len(grads)} gradients for the {len(wrt)} inputs "
                         f"it is checked on ({list(wrt)}); pass wrt= to say which inputs")
    res = [None] * n
    for k, g in zip(wrt, grads):
        res[k] = g
    return res


def check_cache_layer(forward, backward, inputs, **options):
    """Check a cache-style layer: ``out, cache = forward(*inputs, *params)``,
    ``grads = backward(dout, cache)``; return a ``GradientReport``.

    A forward with several outputs returns ``(out1, out2, ..., cache)`` and its backward
    takes ``(dout1, dout2, ..., cache)`` (an LSTM step: ``next_h, next_c, cache``).

    ``backward`` returns one gradient (for one checked input) or a tuple, one per input in
    ``wrt`` (indices or names; default every float input, in order; integer inputs such as
    labels are never checked). ``params``: trailing non-array arguments, a tuple
    (positional) or a dict (keywords), deep-copied for every call. Options: ``names``,
    ``params``, ``wrt``, and every option of :func:`numeric.check_layer`; arrays are taken
    as batch-first (``batch_axis=0``) when the checker supports it.

    >>> import numpy as np
    >>> def affine_forward(x, w, b):
    ...     return x.reshape(x.shape[0], -1) @ w + b, (x, w, b)
    >>> def affine_backward(dout, cache):
    ...     x, w, b = cache
    ...     dx = (dout @ w.T).reshape(x.shape)
    ...     return dx, x.reshape(x.shape[0], -1).T @ dout, dout.sum(axis=1)   # db: wrong axis
    >>> rng = np.random.default_rng(0)
    >>> xs = [rng.standard_normal((2, 3, 2)), rng.standard_normal((6, 2)), np.zeros(2)]
    >>> r = check_cache_layer(affine_forward, affine_backward, xs, names=["x", "w", "b"])
    >>> print(str(r).splitlines()[0])
    gradient check FAILED: 1 of 3 inputs wrong (b); ...
    """
    if not callable(forward) or not callable(backward):
        raise TypeError("forward, backward: expected callables, got "
                        f"{type(forward).__name__}, {type(backward).__name__}")
    xs, names, params, wrt = _setup(inputs, options)
    run_forward = _caller(forward, params)

    shapes = []

    def outs_and_cache(*xs):
        res = run_forward(*xs)
        if not (isinstance(res, tuple) and len(res) >= 2):
            raise TypeError("forward must return (out, cache) or (out1, out2, ..., cache), "
                            f"got {type(res).__name__}" + (f" of length {len(res)}"
                                                           if isinstance(res, tuple) else ""))
        outs = [np.asarray(o) for o in res[:-1]]
        shapes[:] = [o.shape for o in outs]
        return outs, res[-1]

    def fwd(*xs):
        outs, _ = outs_and_cache(*xs)
        return outs[0] if len(outs) == 1 else np.concatenate([o.ravel() for o in outs])

    mutated = []

    def vjp(dout, *xs):
        _, cache = outs_and_cache(*xs)
        dout = np.array(dout, copy=True)  # the backward may write into its douts
        douts = [dout] if len(shapes) == 1 else _common.split_like(dout, shapes)
        before = [d.copy() for d in douts]
        grads = backward(*douts, cache)
        if not mutated and not all(np.array_equal(a, b) for a, b in zip(before, douts)):
            mutated.append(True)
        return _spread(grads, wrt, len(xs), "backward")

    report = _common.run(_common.Problem(fwd, vjp), xs, names, options, own=_OWN)
    if mutated:
        report.notes.append("backward wrote into its dout argument (e.g. dnext_c += ...): a "
                            "caller that reuses dout sees it changed; the check gave it a copy")
    return report


def check_value_and_grad(fn, inputs, **options):
    """Check ``value, grads = fn(*inputs, *params)`` (a loss and its gradients); return a
    ``GradientReport``.

    ``grads`` is one array (for one checked input) or a tuple, one per input in ``wrt``
    (default: the float inputs, in order; integer labels are never checked). ``params``:
    trailing arguments such as ``reg``, a tuple or a dict. Other options as
    :func:`check_cache_layer`.

    >>> import numpy as np
    >>> def svm_loss(x, y):
    ...     n = x.shape[0]
    ...     margins = np.maximum(0, x - x[np.arange(n), y][:, None] + 1.0)
    ...     margins[np.arange(n), y] = 0
    ...     dx = (margins > 0).astype(float)
    ...     dx[np.arange(n), y] -= dx.sum(axis=1)
    ...     return margins.sum() / n, dx / n
    >>> x, y = np.array([[0.3, 1.9, -0.4], [1.1, -0.6, 0.2]]), np.array([1, 2])
    >>> check_value_and_grad(svm_loss, [x, y]).ok
    True
    """
    if not callable(fn):
        raise TypeError(f"fn: expected a callable returning (value, grads), got "
                        f"{type(fn).__name__}")
    xs, names, params, wrt = _setup(inputs, options)
    call = _caller(fn, params)

    def value_and_grads(*xs):
        res = call(*xs)
        if not (isinstance(res, tuple) and len(res) == 2):
            raise TypeError("fn must return (value, grads), got "
                            f"{type(res).__name__}" + (f" of length {len(res)}"
                                                       if isinstance(res, tuple) else ""))
        return res

    def fwd(*xs):
        return np.asarray(value_and_grads(*xs)[0])

    def vjp(g, *xs):
        value, grads = value_and_grads(*xs)
        grads = _spread(grads, wrt, len(xs), "fn")
        return [None if d is None else np.asarray(g) * np.asarray(d) for d in grads]

    return _common.run(_common.Problem(fwd, vjp), xs, names, options, own=_OWN)
