"""``check_torch``: a PyTorch function's autograd gradient, judged by the numeric checker.

Private module behind :mod:`numeric.adapters` (public name: ``numeric.check_torch``).
Imports torch only when called, so ``import numeric`` never does.

* The analytic side is what autograd computes: ``torch.autograd.grad(out, inputs,
  grad_outputs=v)`` with a seeded random ``v`` (one per output).
* The numeric side calls ``fn`` under ``torch.no_grad()``: with complex128 tensors for the
  complex step where ``fn`` supports them (matmul, exp, tanh ... do; ``relu``, ``max_pool``
  raise), real differences otherwise; :func:`numeric.check_layer` decides and says which.
* An ``nn.Module`` is called through ``torch.func.functional_call`` on a private copy, so
  its parameters are checked too, named by their parameter names (``fc.weight``), and the
  module itself (its parameters, running statistics) is never changed.
* Low precision (float32, bfloat16, float16 inputs or parameters): the same ``fn`` in
  float64 is the reference, checked first; then the user's low-precision gradient is
  compared with it entry by entry (:mod:`numeric.adapters._lowprec`).
* Torch runs on one thread during the check (restored after): the check makes thousands
  of tiny calls, and intra-op threads made a small module's check 80x slower (37 s against
  0.45 s) on a loaded 2-core machine.
* ``order=2``: the double backward. The checked function is ``(x, v) -> J(x)^T v``
  (autograd with ``create_graph=True``), its backward autograd's VJP of that, as
  ``torch.autograd.gradgradcheck`` does.
"""

from __future__ import annotations

import copy

import numpy as np

from numeric.adapters import _common

__all__ = ["check_torch"]

_OWN = ("names", "order")
_LOW = ("float32", "bfloat16", "float16")


def _float(t, torch) -> bool:
    return isinstance(t, torch.Tensor) and (t.dtype.is_floating_point or t.dtype.is_complex)


def _to_numpy(t, torch):
    t = t.detach()
    if t.dtype in (torch.bfloat16, torch.float16):
        t = t.to(torch.float64)
    return t.cpu().resolve_conj().numpy()


def _inputs(inputs, torch):
    if isinstance(inputs, torch.Tensor) or not isinstance(inputs, (list, tuple)):
        raise TypeError("inputs: expected a list or tuple of tensors, got "
                        f"{type(inputs).__name__}")
    ts = []
    for k, x in enumerate(inputs):
        if isinstance(x, torch.Tensor):
            ts.append(x)
        elif isinstance(x, np.ndarray) and x.dtype.kind in "biuf":
            ts.append(torch.from_numpy(np.array(x)))
        else:
            raise TypeError(f"inputs[{k}]: expected a tensor, got {type(x).__name__}")
    return ts


class _TorchFn:
    """``fn`` seen as a function of a flat list of tensors (inputs, then module parameters)."""

    def __init__(self, fn, n_inputs, torch):
        self.torch = torch
        self.n = n_inputs
        self.module = None
        self.param_names = []
        if isinstance(fn, torch.nn.Module):
            self.module = copy.deepcopy(fn)  # calls may update running statistics
            self.param_names = [n for n, _ in self.module.named_parameters()]
        self.fn = fn

    def params(self):
        return [p.detach() for _, p in self.module.named_parameters()] if self.module else []

    def __call__(self, ts):
        if self.module is None:
            return self.fn(*ts)
        params = dict(zip(self.param_names, ts[self.n:]))
        return self.torch.func.functional_call(self.module, params, tuple(ts[:self.n]))


def _problem(tf, dtypes, checked, torch, order, low=None):
    """NumPy forward/VJP of ``tf`` at float64 (``low=None``) or in the user's dtypes."""

    def tensors(xs, complex_ok=False):
        cplx = complex_ok and any(np.iscomplexobj(x) for x in xs)
        out = []
        for x, dt in zip(xs, dtypes):
            if dt.is_floating_point:
                want = torch.complex128 if cplx else (dt if low else torch.float64)
                out.append(torch.as_tensor(np.asarray(x)).to(want))
            else:
                out.append(torch.as_tensor(np.asarray(x)))
        return out

    def outputs(o):
        return o if isinstance(o, (tuple, list)) else (o,)

    def flat(o):
        return _common.flatten_outputs(o, lambda t: _float(t, torch),
                                       lambda t: _to_numpy(t, torch))

    def first(xs, create_graph):
        """Outputs, the tensors that require grad, and ``J^T v`` for cotangent ``v``."""
        ts = tensors(xs)
        for k in checked:
            ts[k].requires_grad_(True)
        outs = [o for o in outputs(tf(ts)) if _float(o, torch)]
        return ts, outs

    def vjp_of(outs, wrt, v, create_graph=False):
        if not any(o.requires_grad for o in outs):
            return [None] * len(wrt)
        vs = _common.split_like(v, [tuple(o.shape) for o in outs])
        gos = [torch.as_tensor(g).to(o.dtype) for g, o in zip(vs, outs)]
        return torch.autograd.grad(outs, wrt, gos, allow_unused=True, retain_graph=True,
                                   create_graph=create_graph)

    def grads_numpy(gs, like):
        return [np.zeros(np.shape(x)) if g is None else _to_numpy(g, torch).astype(np.float64)
                for g, x in zip(gs, like)]

    if order == 1:
        def forward(*xs):
            with torch.no_grad():
                return flat(tf(tensors(xs, complex_ok=low is None)))

        def vjp(v, *xs):
            ts, outs = first(xs, False)
            wrt = [ts[k] for k in checked]
            gs = grads_numpy(vjp_of(outs, wrt, v), [xs[k] for k in checked])
            res = [None] * len(xs)
            for k, g in zip(checked, gs):
                res[k] = g
            return res
        return forward, vjp

    # order 2: inputs are xs + [v1]; the function is (x, v1) -> J(x)^T v1 (flat)
    def first_grads(xs):
        *xs, v1 = xs
        if any(np.iscomplexobj(x) for x in xs) or np.iscomplexobj(v1):
            raise TypeError("double backward is checked by real differences")
        ts, outs = first(xs, True)
        vt = [torch.as_tensor(g).to(o.dtype).requires_grad_(True)
              for g, o in zip(_common.split_like(v1, [tuple(o.shape) for o in outs]), outs)]
        wrt = [ts[k] for k in checked]
        gs = torch.autograd.grad(outs, wrt, vt, allow_unused=True, create_graph=True)
        gs = [torch.zeros_like(w) if g is None else g for g, w in zip(gs, wrt)]
        return ts, vt, gs

    def forward2(*xs):
        _, _, gs = first_grads(xs)
        return np.concatenate([np.ravel(_to_numpy(g, torch)) for g in gs]).astype(np.float64)

    def vjp2(w, *xs):
        ts, vt, gs = first_grads(xs)
        wrt = [ts[k] for k in checked] + vt
        live = [g for g in gs if g.requires_grad]
        res = [None] * len(xs)
        if live:
            ws = _common.split_like(w, [tuple(g.shape) for g in gs])
            pairs = [(g, torch.as_tensor(c).to(g.dtype)) for g, c in zip(gs, ws) if g.requires_grad]
            out = torch.autograd.grad([p[0] for p in pairs], wrt, [p[1] for p in pairs],
                                      allow_unused=True)
        else:  # the first derivative does not depend on anything (or is not differentiable)
            out = [None] * len(wrt)
        out = grads_numpy(out, [xs[k] for k in checked] + [xs[-1]])
        for k, g in zip(checked, out):
            res[k] = g
        res[-1] = np.concatenate([np.ravel(g) for g in out[len(checked):]]) if vt else None
        return res
    return forward2, vjp2


def check_torch(fn, inputs, **options):
    """Check the autograd gradient of ``fn`` at ``inputs``; return a ``GradientReport``.

    ``fn``: a callable on tensors returning a tensor or a tuple of tensors (a custom
    ``torch.autograd.Function``'s ``apply``, an ``nn.Module``, any differentiable code).
    ``inputs``: a list of tensors (NumPy arrays are converted). Checked: the floating
    inputs with ``requires_grad=True``, or every floating input when none has it; integer
    inputs (labels, indices) are passed as they are. For an ``nn.Module`` its parameters
    are checked too, named by their names. Inputs in float32/bfloat16/float16 are checked
    against the same ``fn`` in float64 (see :mod:`numeric.adapters._lowprec`).

    Options: ``names`` (one per input), ``order`` (1, or 2 for the double backward), and
    every option of :func:`numeric.check_layer` (``rng``, ``mode``, ``ulps`` ...).
    Raises ``ImportError`` (one line naming the extra) when torch is not installed,
    ``TypeError``/``ValueError`` for bad arguments.

    >>> import torch
    >>> x = torch.randn(3, 2, dtype=torch.float64)
    >>> check_torch(torch.tanh, [x]).ok
    True
    >>> class BadTanh(torch.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         y = torch.tanh(x); ctx.save_for_backward(y); return y
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         (y,) = ctx.saved_tensors; return g * (1 + y ** 2)   # sign of y**2 wrong
    >>> print(str(check_torch(BadTanh.apply, [x])).splitlines()[0])
    gradient check FAILED: 1 of 1 inputs wrong (inputs[0]); ...
    """
    torch = _common.require("torch")
    order = _common.order(options)
    if not callable(fn):
        raise TypeError(f"fn: expected a callable on tensors, got {type(fn).__name__}")
    ts = _inputs(inputs, torch)
    tf = _TorchFn(fn, len(ts), torch)
    names = options.get("names")
    names = [f"inputs[{k}]" for k in range(len(ts))] if names is None else list(names)
    if len(names) != len(ts):
        raise ValueError(f"names: expected {len(ts)} names, got {len(names)}")
    params = tf.params()
    all_ts = ts + params
    names = names + tf.param_names
    if any(t.dtype.is_complex for t in all_ts):
        raise TypeError("inputs: complex tensors are not supported (the checker perturbs "
                        "real inputs)")
    floats = [k for k, t in enumerate(ts) if t.dtype.is_floating_point]
    chosen = [k for k in floats if ts[k].requires_grad]
    trainable = [p.requires_grad for _, p in tf.module.named_parameters()] if tf.module else []
    checked = (chosen or floats) + [len(ts) + j for j, r in enumerate(trainable) if r]
    lows = sorted({str(t.dtype).split(".")[-1] for t in all_ts} & set(_LOW))
    dtypes = [t.dtype for t in all_ts]
    xs = [_to_numpy(t, torch).astype(np.float64) if t.dtype.is_floating_point
          else _to_numpy(t, torch) for t in all_ts]
    ref_fn = tf
    if lows and tf.module is not None:
        ref_fn = _TorchFn(copy.deepcopy(tf.module).to(torch.float64), len(ts), torch)
    low = max(lows, key=lambda d: torch.finfo(getattr(torch, d)).eps) if lows else None
    forward, vjp = _problem(ref_fn, dtypes, checked, torch, 1)
    shape = _out_shape(forward, xs) if order == 2 else None
    if shape is not None:  # (None: fn raised; the order-1 check reports how)
        v1 = np.random.default_rng(_common._SEED + 2).standard_normal(shape)
        if low:  # the same cotangent in both precisions
            v1 = torch.as_tensor(v1).to(getattr(torch, low)).to(torch.float64).numpy()
        xs, names = xs + [v1], names + ["grad_output"]
        forward, vjp = _problem(ref_fn, dtypes, checked, torch, 2)
    problem = _common.Problem(forward, vjp)
    if low:
        _, problem.vjp_low = _problem(tf, dtypes, checked, torch, order, low=low)
        out_dtype = getattr(torch, low) if order == 2 else _out_dtype(tf, all_ts, torch)
        in_dtypes = dtypes + ([getattr(torch, low)] if order == 2 else [])
        problem.round_inputs = lambda xs: [_round(x, dt, torch) for x, dt in zip(xs, in_dtypes)]
        problem.round_cotangent = lambda v: _round(v, out_dtype, torch)
        problem.low_dtype = low
        problem.low_eps = float(torch.finfo(getattr(torch, low)).eps)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # thousands of tiny calls: 80x faster on a loaded 2-core machine
    try:
        return _common.run(problem, xs, names, options, own=_OWN)
    finally:
        torch.set_num_threads(threads)


def _out_shape(forward, xs):
    try:
        return np.shape(forward(*xs))
    except Exception:
        return None


def _out_dtype(tf, ts, torch):
    try:
        with torch.no_grad():
            o = tf([t.detach() for t in ts])
        o = o if isinstance(o, (tuple, list)) else (o,)
        return next(t.dtype for t in o if _float(t, torch))
    except Exception:  # the check reports what fn does wrong
        return min((t.dtype for t in ts if t.dtype.is_floating_point),
                   key=lambda d: torch.finfo(d).bits)


def _round(x, dtype, torch):
    """``x`` rounded to a low-precision torch ``dtype``, as float64 (others unchanged)."""
    if dtype not in (torch.float32, torch.bfloat16, torch.float16):
        return x
    return torch.as_tensor(np.asarray(x, dtype=np.float64)).to(dtype).to(torch.float64).numpy()
