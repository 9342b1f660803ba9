"""What every adapter shares: the framework import, the option pass-through, the run.

Private module behind :mod:`numeric.adapters`. An adapter turns the user's function into
a NumPy *problem*: ``forward(*xs)`` (one flat float64 vector: every float output raveled
and concatenated, so a function with several outputs is checked against one random
cotangent per output), ``vjp(v, *xs)`` (one gradient per input, ``None`` for an input
that is not checked) and, for inputs in float32/bfloat16/float16, ``vjp_low(v, *xs)`` (the
same VJP run in the user's dtype). :func:`run` then

1. calls ``forward`` and ``vjp`` twice at the same point and reports a difference
   (nondeterminism, with its spread),
2. runs :func:`numeric.check_layer` on the float64 problem (the reference),
3. compares the low-precision VJP with the float64 one (:mod:`numeric.adapters._lowprec`).

>>> import numpy as np
>>> report = run(Problem(lambda x: np.sin(x), lambda v, x: (v * np.cos(x),)),
...              [np.array([0.5, 1.0])], ["x"], {})
>>> report.ok
True
>>> options_for_checker({"ulps": 8, "order": 2, "batch_axis": -1}, ("order",))
{'ulps': 8, 'batch_axis': -1}
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass

import numpy as np

__all__ = ["Problem", "flatten_outputs", "missing_framework", "options_for_checker", "require",
           "run", "split_like"]

_SEED = 0x5EED_ADA7  # adapters' own draws (second calls, low-precision probes)
_EXTRAS = {"torch": "torch", "jax": "jax"}


def missing_framework(module: str) -> ImportError:
    """The one-line error for an adapter whose framework is not installed."""
    extra = _EXTRAS.get(module, module)
    return ImportError(f"numeric.check_{module} needs {module}, which is not installed: "
                       f"pip install -e '.[{extra}]' (or pip install 'backprop-verifier[{extra}]')")


def require(module: str):
    """Import ``module`` (``"torch"``, ``"jax"``) or raise :func:`missing_framework`'s error."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise missing_framework(module) from None


@dataclass
class Problem:
    """A check in NumPy terms (see the module docstring)."""

    forward: object
    vjp: object
    vjp_low: object = None          # the VJP in the user's low precision, or None
    round_inputs: object = None     # xs -> xs rounded to the user's dtypes (as float64)
    round_cotangent: object = None  # v -> v rounded to the output's dtype (as float64)
    low_dtype: str = None           # the lowest precision ("float32", "bfloat16", "float16")
    low_eps: float = None           # its machine epsilon


def _checker():
    from numeric import check_layer

    return check_layer


def options_for_checker(options: dict, own: tuple) -> dict:
    """``options`` minus the adapter's own keywords ``own``; ``batch_axis=0`` (batch-first:
    torch, JAX and course code) added when the installed checker takes it and the caller
    did not say."""
    out = {k: v for k, v in options.items() if k not in own}
    params = inspect.signature(_checker()).parameters
    if "batch_axis" in params and "batch_axis" not in out:
        out["batch_axis"] = 0
    return out


def order(options) -> int:
    """The ``order=`` option (1: the VJP; 2: the VJP of the VJP), checked."""
    value = options.get("order", 1)
    if value not in (1, 2):
        raise ValueError(f"order: expected 1 or 2, got {value!r}")
    return value


def _rng(options):
    rng = options.get("rng")
    if isinstance(rng, np.random.Generator):
        return np.random.default_rng(rng.integers(2**63))
    return np.random.default_rng(_SEED if rng is None else rng)


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind not in "biufc" or b.dtype.kind not in "biufc":
        return True  # not an array of numbers: the checker reports that
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))


def _determinism(problem, xs, names, rng):
    """Two identical calls of ``forward`` and of ``vjp``: problems and notes."""
    problems, notes = [], []
    try:
        f1, f2 = problem.forward(*xs), problem.forward(*xs)
    except Exception:  # the checker reports the exception itself
        return problems, notes
    if not _same(f1, f2):
        spread = float(np.max(np.abs(np.asarray(f1) - np.asarray(f2))))
        problems.append("forward is nondeterministic: two calls at the same inputs differ by "
                        f"up to {spread:.3g} (unseeded randomness such as dropout in training "
                        "mode? seed it, or call .eval())")
        return problems, notes
    v = rng.standard_normal(np.shape(f1))
    try:
        g1, g2 = problem.vjp(v.copy(), *xs), problem.vjp(v.copy(), *xs)
    except Exception:
        return problems, notes
    for name, a, b in zip(names, g1, g2):
        if a is None or b is None or _same(a, b):
            continue
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        diff = np.abs(a - b)
        i = np.unravel_index(int(np.argmax(diff)), a.shape) if a.ndim else ()
        scale = float(np.max(np.abs(a))) or 1.0
        spread = (f"two identical calls differ by up to {diff.max():.3g} at {name}"
                  f"{list(int(j) for j in i)} ({diff.max() / scale:.2g} of its largest entry)")
        if diff.max() > np.sqrt(np.finfo(np.float64).eps) * scale:
            problems.append(f"backward is nondeterministic: {spread}")
        else:
            notes.append(f"backward is nondeterministic at rounding level: {spread}; "
                         "within the checker's measured-noise allowance")
    return problems, notes


def run(problem: Problem, xs, names, options, own=()):
    """Check ``problem`` at float64 inputs ``xs``; return the :class:`GradientReport`.

    ``options`` go to :func:`numeric.check_layer` (minus the adapter's own ``own``).
    """
    checker_options = options_for_checker(options, own)
    rng = _rng(options)
    problems, notes = _determinism(problem, xs, names, rng)
    report = _checker()(problem.forward, problem.vjp, xs, names=names, **checker_options)
    report.problems.extend(problems)
    report.notes.extend(notes)
    if problem.vjp_low is not None:
        from numeric.adapters._lowprec import compare

        if report.ok:
            compare(report, problem, xs, names, rng)
        else:
            report.notes.append(f"the {problem.low_dtype} gradient was not compared: the "
                                "float64 reference itself failed (above)")
    return report


def flatten_outputs(outs, is_float, to_numpy) -> np.ndarray:
    """One flat vector from an output or a tuple/list of outputs (non-float ones left out)."""
    if not isinstance(outs, (tuple, list)):
        outs = (outs,)
    parts = [np.ravel(to_numpy(o)) for o in outs if is_float(o)]
    if not parts:
        raise TypeError("fn returned no floating-point output to differentiate")
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def split_like(v, shapes):
    """Cut the flat cotangent ``v`` back into arrays of ``shapes``."""
    out, at = [], 0
    for s in shapes:
        n = int(np.prod(s, dtype=np.int64))
        out.append(np.asarray(v[at:at + n]).reshape(s))
        at += n
    return out
