"""Arguments of :func:`numeric.check_layer`, validated up front; BLAS pinned to one thread.

Private module of :mod:`numeric.gradcheck`. Every bad argument is one ``TypeError`` or
``ValueError`` naming it, what was expected and what came.

>>> options([1.0], None, "abc", "auto", 10, 3, 32, False, False, False, -1, 10, 1.0, None)
Traceback (most recent call last):
...
TypeError: rng: expected None, a seed (int >= 0) or a numpy.random.Generator, got 'abc'
"""

from __future__ import annotations

import contextlib
from numbers import Integral, Real

import numpy as np

__all__ = ["MODES", "SEED", "one_blas_thread", "options", "spread", "maxabs"]

MODES = ("auto", "full", "directions")
_CONTROLLER = None  # threadpoolctl controller, made on first use
# default seed of grad_output: not a small integer, so v never equals data a user drew with
# default_rng(0) (v = x makes g x^T symmetric and a transposed dW invisible)
SEED = 0x9E3779B97F4A7C15


def options(inputs, names, rng, mode, max_full, n_directions, ulps, allow_float32, strict,
             allow_unresolved, batch_axis, budget, time_budget, progress):
    def bad(arg, want, got):
        return f"{arg}: expected {want}, got {got!r}"

    if isinstance(inputs, np.ndarray) or isinstance(inputs, (str, bytes)) or \
            not hasattr(inputs, "__len__") or not hasattr(inputs, "__getitem__"):
        raise TypeError(bad("inputs", "a list or tuple of arrays", type(inputs).__name__))
    if len(inputs) == 0:
        raise ValueError("inputs: expected at least one array, got an empty sequence")
    n = len(inputs)
    if names is None:
        names = [f"inputs[{k}]" for k in range(n)]
    elif isinstance(names, str) or len(names) != n:
        raise ValueError(f"names: expected {n} names, got "
                         f"{1 if isinstance(names, str) else len(names)}")
    names = [str(s) for s in names]
    if mode not in MODES:
        raise ValueError(bad("mode", f"one of {MODES}", mode))
    for arg, val, lo in (("max_full", max_full, 0), ("n_directions", n_directions, 1),
                         ("budget", budget, 1)):
        if isinstance(val, bool) or not isinstance(val, Integral) or val < lo:
            raise ValueError(bad(arg, f"an int >= {lo}", val))
    if isinstance(ulps, bool) or not isinstance(ulps, Real) or not ulps >= 1:
        raise ValueError(bad("ulps", "a number >= 1", ulps))
    if isinstance(time_budget, bool) or not isinstance(time_budget, Real) or \
            not time_budget > 0:
        raise ValueError(bad("time_budget", "a number of seconds > 0", time_budget))
    for arg, val in (("allow_float32", allow_float32), ("strict", strict),
                     ("allow_unresolved", allow_unresolved)):
        if not isinstance(val, (bool, np.bool_)):
            raise TypeError(bad(arg, "True or False", val))
    if isinstance(rng, np.random.Generator):
        pass
    elif rng is None:
        rng = np.random.default_rng(SEED)
    elif isinstance(rng, Integral) and not isinstance(rng, bool) and rng >= 0:
        rng = np.random.default_rng(int(rng))
    else:
        raise TypeError(bad("rng", "None, a seed (int >= 0) or a numpy.random.Generator", rng))
    axes = batch_axis if isinstance(batch_axis, (list, tuple)) else [batch_axis] * n
    if len(axes) != n or not all(a is None or (isinstance(a, Integral) and not isinstance(
            a, bool)) for a in axes):
        raise ValueError(bad("batch_axis", f"an int, None, or {n} of them (one per input)",
                             batch_axis))
    if not (progress is None or isinstance(progress, bool) or callable(progress)):
        raise TypeError(bad("progress", "None, True, False or a callable", progress))
    return dict(names=names, rng=rng, mode=mode, max_full=int(max_full),
                n_directions=int(n_directions), ulps=float(ulps) if not isinstance(
                    ulps, Integral) else int(ulps), allow_float32=bool(allow_float32),
                strict=bool(strict), allow_unresolved=bool(allow_unresolved),
                axes=list(axes) if isinstance(batch_axis, (list, tuple)) else batch_axis,
                budget=int(budget), time_budget=float(time_budget), progress=progress)


def one_blas_thread():
    """Limit BLAS to one thread while checking, when ``threadpoolctl`` is importable.

    Measured: a multithreaded OpenBLAS takes 11 ms for a (30, 80) @ (80, 40) complex
    product on a loaded 2-core machine, 60 us with one thread. Restored on exit.
    """
    global _CONTROLLER
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # optional: comes with scikit-learn
        return contextlib.nullcontext()
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")


def spread(x):
    """An input's spread about its mean (1 when it has none: no scale to convert by)."""
    if x.dtype.kind != "f" or x.size < 2:
        return 1.0
    s = float(np.std(x))
    return s if s > 1e-12 * float(np.max(np.abs(x))) and s > 0 else 1.0


def maxabs(a):
    return float(np.max(np.abs(a), initial=0.0))



