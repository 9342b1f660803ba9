"""``check_jax``: a JAX function's ``jax.vjp``, judged by the numeric checker.

Private module behind :mod:`numeric.adapters` (public name: ``numeric.check_jax``).
Imports jax only when called, so ``import numeric`` never does.

* Inputs may be pytrees (a dict of parameters, a list of layers' weights): every float
  leaf is checked and named by its path (``params['W']``); integer leaves are passed as
  they are.
* ``fn`` and its VJP are compiled with ``jax.jit`` for the check (once per dtype), and
  run as they are when they cannot be traced (measured: a failing 4x5 custom_vjp check
  1.5 s instead of 5.6 s).
* The float64 reference runs under ``jax.enable_x64(True)`` (JAX computes in float32
  otherwise), so float64 inputs are checked as float64. ``fn`` may be ``jax.jit``-ed: it
  is traced once per dtype (float64, complex128 for the complex step).
* Low-precision leaves (float32, bfloat16, float16) are also run as the user runs them
  (the ``jax_enable_x64`` setting left as it is) and compared with the float64 reference
  (:mod:`numeric.adapters._lowprec`).
* ``order=2``: the VJP of the VJP, ``(x, v) -> vjp(fn, x)(v)`` differentiated again.
"""

from __future__ import annotations

import contextlib

import numpy as np

from numeric.adapters import _common

__all__ = ["check_jax"]

_OWN = ("names", "order")
_LOW = ("float32", "bfloat16", "float16")


def _x64(jax, on=True):
    if hasattr(jax, "enable_x64"):
        return jax.enable_x64(on)
    from jax.experimental import enable_x64, disable_x64  # older JAX

    return enable_x64() if on else disable_x64()


class _Leaves:
    """The inputs as one flat list of leaves, and back."""

    def __init__(self, inputs, names, jax):
        tu = jax.tree_util
        self.trees, self.leaves, self.names = [], [], []
        for name, inp in zip(names, inputs):
            flat, tree = tu.tree_flatten_with_path(inp)
            self.trees.append((tree, len(flat)))
            for path, leaf in flat:
                self.leaves.append(leaf)
                self.names.append(name + tu.keystr(path))

    def unflatten(self, leaves):
        out, at = [], 0
        for tree, n in self.trees:
            out.append(tree.unflatten(list(leaves[at:at + n])))
            at += n
        return out


def _dtype_name(x) -> str:
    return str(np.asarray(x).dtype) if not hasattr(x, "dtype") else str(x.dtype)


class _MaybeJit:
    """``f`` compiled with ``jax.jit`` (the check calls it thousands of times: one dispatch
    per call instead of one per operation), or as it is for argument dtypes whose tracing
    failed (Python control flow on values, NumPy calls inside): then errors come from the
    plain call, as the user would see them."""

    def __init__(self, f, jax):
        self.f, self.jitted, self.failed = f, jax.jit(f), set()

    def __call__(self, ts, *rest):
        key = tuple(str(t.dtype) for t in ts)
        if key not in self.failed:
            try:
                return self.jitted(ts, *rest)
            except Exception:
                self.failed.add(key)
        return self.f(ts, *rest)


def _problem(fn, lv, checked, jax, order, low=False):
    jnp = jax.numpy
    ctx = contextlib.nullcontext if low else (lambda: _x64(jax))
    dtypes = [_dtype_name(x) for x in lv.leaves]

    def arrays(xs, complex_ok=False, force=False):
        cplx = force or (complex_ok and any(np.iscomplexobj(x) for x in xs))
        out = []
        for x, dt in zip(xs, dtypes):
            if np.asarray(x).dtype.kind in "fc":
                want = "complex128" if cplx else (dt if low else "float64")
                out.append(jnp.asarray(np.asarray(x)).astype(want))
            else:
                out.append(jnp.asarray(np.asarray(x)))
        return out

    def call(leaves):
        return fn(*lv.unflatten(leaves))

    def float_leaf(t):
        return jnp.issubdtype(t.dtype, jnp.inexact)

    def flat(o):
        return _common.flatten_outputs(jax.tree_util.tree_leaves(o), float_leaf,
                                       lambda t: np.asarray(t).astype(
                                           np.complex128 if jnp.iscomplexobj(t) else np.float64))

    def cotangent(out, v):
        leaves, tree = jax.tree_util.tree_flatten(out)
        fl = [t for t in leaves if float_leaf(t)]
        parts, at = [], 0
        for t in fl:  # v may be a tracer (order 2): cut it with jnp
            parts.append(jnp.reshape(jnp.asarray(v)[at:at + t.size], t.shape))
            at += t.size
        parts = iter(parts)
        cts = [next(parts).astype(t.dtype) if float_leaf(t)
               else np.zeros(t.shape, jax.dtypes.float0) for t in leaves]
        return tree.unflatten(cts)

    def vjp_fn(ts):
        """``(out, pullback)`` of ``fn`` as a function of the checked leaves."""
        def partial(*ws):
            full = list(ts)
            for k, w in zip(checked, ws):
                full[k] = w
            return call(full)
        return jax.vjp(partial, *[ts[k] for k in checked])

    def numpy_grads(gs, n):
        res = [None] * n
        for k, g in zip(checked, gs):
            res[k] = np.asarray(g).astype(np.float64)
        return res

    if order == 1:
        run_fn = _MaybeJit(call, jax)

        def vjp_core(ts, v):
            out, pull = vjp_fn(ts)
            return pull(cotangent(out, v))
        run_vjp = _MaybeJit(vjp_core, jax)

        def forward(*xs):
            with ctx():
                return flat(run_fn(arrays(xs, complex_ok=not low)))

        def vjp(v, *xs):
            with ctx():
                return numpy_grads(run_vjp(arrays(xs), jnp.asarray(v)), len(xs))
        return forward, vjp

    def first(xs):  # (x, v1) -> J(x)^T v1, as a function of jax arrays
        # complex inputs (the complex step): JAX's VJP rules do not conjugate, so for a
        # holomorphic fn J(x + ih)^T v is the holomorphic extension; the checker validates
        # it against real differences and falls back when it is not
        ts = arrays(xs[:-1], force=any(np.iscomplexobj(x) for x in xs))
        out, _ = vjp_fn(ts)
        fl = [t for t in jax.tree_util.tree_leaves(out) if float_leaf(t)]
        v1 = jnp.asarray(np.asarray(xs[-1])).astype(fl[0].dtype)

        def g_of(v1, *ws):
            full = list(ts)
            for k, w in zip(checked, ws):
                full[k] = w
            o, pull = vjp_fn(full)
            return jnp.concatenate([jnp.ravel(g) for g in pull(cotangent(o, v1))])
        return g_of, v1, [ts[k] for k in checked]

    def forward2(*xs):
        if low and any(np.iscomplexobj(x) for x in xs):
            raise TypeError("the low-precision run takes real inputs")
        with ctx():
            g_of, v1, ws = first(xs)
            out = np.asarray(g_of(v1, *ws))
            return out.astype(np.complex128 if np.iscomplexobj(out) else np.float64)

    def vjp2(w, *xs):
        with ctx():
            g_of, v1, ws = first(xs)
            out, pull = jax.vjp(g_of, v1, *ws)
            gv, *gs = pull(jnp.asarray(w).astype(out.dtype))
            res = numpy_grads(gs, len(xs))
            res[-1] = np.asarray(gv).astype(np.float64)
            return res
    return forward2, vjp2


def check_jax(fn, inputs, **options):
    """Check ``jax.vjp`` of ``fn`` at ``inputs``; return a ``GradientReport``.

    ``fn``: a JAX function (plain, ``jax.custom_vjp``, ``jax.jit``-ed) of ``len(inputs)``
    arguments returning an array or a pytree of arrays. ``inputs``: a list of arrays or
    pytrees (dicts, lists, tuples of arrays); float leaves are checked, named by their path,
    integer leaves passed as they are. Float32/bfloat16/float16 leaves are checked against
    ``fn`` in float64 (itself checked first). Options: ``names`` (one per input),
    ``order`` (1, or 2 for the VJP of the VJP) and every option of
    :func:`numeric.check_layer`. Raises ``ImportError`` (one line naming the extra) when
    jax is not installed.

    >>> import jax, jax.numpy as jnp, numpy as np
    >>> x = np.array([[0.3, -1.2], [2.0, 0.5]])
    >>> check_jax(lambda p, x: jnp.tanh(p["W"] @ x).sum(0), [{"W": x.T}, x]).ok
    True
    >>> @jax.custom_vjp
    ... def square(x):
    ...     return x ** 2
    >>> square.defvjp(lambda x: (x ** 2, x), lambda x, g: (g * x,))   # should be 2 g x
    >>> print(str(check_jax(square, [x])).splitlines()[0])
    gradient check FAILED: 1 of 1 inputs wrong (inputs[0]); ...
    """
    jax = _common.require("jax")
    order = _common.order(options)
    if not callable(fn):
        raise TypeError(f"fn: expected a callable (a JAX function), got {type(fn).__name__}")
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(f"inputs: expected a list or tuple of arrays or pytrees, got "
                        f"{type(inputs).__name__}")
    names = options.get("names")
    names = [f"inputs[{k}]" for k in range(len(inputs))] if names is None else list(names)
    if len(names) != len(inputs):
        raise ValueError(f"names: expected {len(inputs)} names, got {len(names)}")
    lv = _Leaves(inputs, names, jax)
    for name, x in zip(lv.names, lv.leaves):
        kind = np.dtype(_dtype_name(x)).kind if _dtype_name(x) not in _LOW[1:] else "f"
        if kind not in "biuf":
            raise TypeError(f"inputs ({name}): expected a real or integer array, got dtype "
                            f"{_dtype_name(x)}")
    checked = [k for k, x in enumerate(lv.leaves)
               if _dtype_name(x) in _LOW or np.dtype(_dtype_name(x)).kind == "f"]
    lows = [d for d in ("bfloat16", "float16", "float32")  # lowest precision first
            if d in {_dtype_name(lv.leaves[k]) for k in checked}]
    xs = [np.asarray(np.asarray(x, dtype=np.float64) if k in checked else np.asarray(x))
          for k, x in enumerate(lv.leaves)]
    names = list(lv.names)
    forward, vjp = _problem(fn, lv, checked, jax, 1)
    try:
        shape = np.shape(forward(*xs)) if order == 2 else None
    except Exception:  # fn raised: the order-1 check reports how
        shape = None
    if shape is not None:
        v1 = np.random.default_rng(_common._SEED + 2).standard_normal(shape)
        if lows:
            v1 = _round(v1, lows[0], jax)
        xs, names = xs + [v1], names + ["grad_output"]
        forward, vjp = _problem(fn, lv, checked, jax, 2)
    problem = _common.Problem(forward, vjp)
    if lows:
        low = lows[0]
        _, problem.vjp_low = _problem(fn, lv, checked, jax, order, low=True)
        in_dtypes = [_dtype_name(x) for x in lv.leaves] + ([low] if order == 2 else [])
        out_dtype = low if order == 2 else _out_dtype(fn, lv, jax)
        problem.round_inputs = lambda xs: [_round(x, d, jax) for x, d in zip(xs, in_dtypes)]
        problem.round_cotangent = lambda v: _round(v, out_dtype, jax)
        problem.low_dtype = low
        problem.low_eps = float(jax.numpy.finfo(low).eps)
    return _common.run(problem, xs, names, options, own=_OWN)


def _out_dtype(fn, lv, jax):
    try:
        out = fn(*lv.unflatten([jax.numpy.asarray(x) for x in lv.leaves]))
        leaves = [t for t in jax.tree_util.tree_leaves(out)
                  if jax.numpy.issubdtype(t.dtype, jax.numpy.inexact)]
        return str(min((t.dtype for t in leaves), key=lambda d: jax.numpy.finfo(d).bits))
    except Exception:  # the check reports what fn does wrong
        return "float32"


def _round(x, dtype, jax):
    """``x`` rounded to a low-precision ``dtype`` name, as float64 (others unchanged)."""
    if dtype not in _LOW:
        return x
    return np.asarray(x, dtype=np.float64).astype(jax.numpy.dtype(dtype)).astype(np.float64)
