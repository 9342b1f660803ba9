"""Check a hand-written NumPy backward against the exact vector-Jacobian product.

The user gives the forward a second time, as a SymPy function of symbolic arrays of
small concrete shape (2-D inputs arrive as a ``sympy.Matrix`` of real symbols, 1-D
inputs as a column ``Matrix``, inputs of 3 or more dimensions -- an image batch
``(N, C, H, W)``, a kernel -- as a NumPy array of dtype ``object`` holding the symbols,
so that slicing, broadcasting and ``.sum(axis=...)`` read as on floats; see
:func:`symbolic_inputs`). The forward returns an expression, a ``Matrix``, an array or
a tuple of same-shape arrays (stacked, as ``np.stack`` would). Only the nonzero entries
of the Jacobian are derived, so a conv layer at x (2, 2, 4, 4), w (3, 2, 3, 3) takes 1
to 4 s the first time and ~10 ms per further point. For a point ``x`` and a random ``v`` (the grad_output),
the reference is ``d/dx sum(v * f(x))``, differentiated exactly and evaluated with
40 significant digits; each entry of the user's gradient must agree with it to
``ulps`` (64) ulps of the *magnitude of the summed terms*
``M_i = sum_j |v_j| (|J_ji|_abs + u_ij)``: ``|J_ji|_abs`` is the Jacobian entry with every
sum and product inside it taken over absolute values (so cancellation inside a softmax
or a norm is accounted for), ``u_ij = max(|f_j|, |x_i|) / (1 + |x_i|)`` where ``J_ji`` is not
a polynomial (the O(eps) error of ``1 - sigma(z)`` near saturation), 0 where it is
(linear and bilinear pieces such as a dense layer's ``W x``). Tight enough to see a relative error of 1e-6 anywhere and an error
of 1e-13 on an entry whose true value is 1e-13; loose enough for textbook float64
implementations (``s (1 - s)``, ``1 - tanh^2``, unshifted softmax, two-pass norms).

>>> import numpy as np
>>> def sym_scale(x, w):            # y = w * x, w a 1-vector
...     return x * w[0]
>>> def back(g, x, w):
...     return g * w[0], np.array([(g * x).sum()])
>>> x, w = np.array([[1.0, -2.0], [0.5, 3.0]]), np.array([1.5])
>>> check_backward(sym_scale, back, [x, w]).ok
True
>>> def back_wrong(g, x, w):
...     return -g * w[0], np.array([(g * x).sum()])
>>> print(check_backward(sym_scale, back_wrong, [x, w]))   # doctest: +ELLIPSIS
symbolic VJP check: FAILED (4 of 5 entries wrong)
  x: 4 of 4 entries wrong -- likely: sign flipped
    x[0,0]: got ... expected ...
...

Bad definitions raise :class:`~derive.errors.UsageError`:

>>> import sympy
>>> check_backward(lambda x, w: x * sympy.Symbol("c"), back, [x, w])
Traceback (most recent call last):
...
derive.errors.UsageError: sympy_forward: expected an expression in the declared inputs x, w only, got free symbols c
"""

from __future__ import annotations

import inspect
from collections import OrderedDict
from dataclasses import dataclass, field, replace

import mpmath
import numpy as np
import sympy
from hypothesis import HealthCheck, Phase, find, settings
from hypothesis.errors import NoSuchExample
from hypothesis.strategies import SearchStrategy

from derive.errors import UsageError
from numeric.layers import Layer

__all__ = [
    "Mismatch",
    "VJPReport",
    "assert_backward",
    "assert_backward_matches_symbolic",
    "check_backward",
    "entrywise",
    "symbolic_inputs",
]

_EPS = np.finfo(np.float64).eps
_DPS = 40
_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 128


class _Kink(ArithmeticError):
    pass


def _heaviside(x, h0=None):
    if x == 0:
        raise _Kink("a step (max, relu) exactly at its switch")
    return mpmath.mpf(1) if x > 0 else mpmath.mpf(0)


def _sign(x):
    if x == 0:
        raise _Kink("abs or sign exactly at 0")
    return mpmath.sign(x)


def _dirac(*args):
    raise _Kink("a DiracDelta (second derivative of a step)")


_MODULES = [{"Heaviside": _heaviside, "sign": _sign, "DiracDelta": _dirac}, "mpmath"]


# ---------------------------------------------------------------- symbols and caching


def symbolic_inputs(names, shapes, constants=None, *, _sep=","):
    """SymPy stand-ins for the inputs: an array of real symbols per differentiated input.

    A 1-D input of shape ``(n,)`` becomes a column ``Matrix`` ``(n, 1)``, a 2-D input a
    ``Matrix``; an input of 3 or more dimensions (an image batch ``(N, C, H, W)``, a
    kernel ``(F, C, kh, kw)``) becomes a NumPy array of dtype ``object`` holding the
    symbols, so that slicing, broadcasting, ``.sum(axis=...)`` and ``np.tensordot`` work
    as on a float array (apply a SymPy function entrywise with :func:`entrywise`). An
    entry of ``constants`` that is not None is passed as its exact value instead.

    >>> W, b = symbolic_inputs(["W", "b"], [(2, 3), (2,)])
    >>> W.shape, b.shape, W[1, 2]
    ((2, 3), (2, 1), W[1,2])
    >>> x, = symbolic_inputs(["x"], [(1, 2, 2, 2)])
    >>> x.shape, x[0, 1, 0, 1], x[0, :, 0, 0].sum()
    ((1, 2, 2, 2), x[0,1,0,1], x[0,0,0,0] + x[0,1,0,0])
    """
    constants = constants or [None] * len(names)
    out = []
    for name, shape, const in zip(names, shapes, constants):
        if const is not None:
            arr = np.asarray(const)
            vals = [sympy.Integer(int(v)) if arr.dtype.kind in "iub" else sympy.Rational(float(v))
                    for v in arr.ravel()]
            out.append(_as_container(vals, arr.shape))
            continue
        idx = np.ndindex(*shape)
        form = "{}[{}]" if _sep == "," else "{}{}"
        syms = [sympy.Symbol(form.format(name, _sep.join(map(str, i))), real=True) for i in idx]
        out.append(_as_container(syms, shape))
    return out


def entrywise(fn, x):
    """``fn`` applied to every entry of a symbolic ``Matrix``, N-D array or scalar.

    >>> x, = symbolic_inputs(["x"], [(1, 1, 1, 2)])
    >>> entrywise(sympy.tanh, x)
    array([[[[tanh(x[0,0,0,0]), tanh(x[0,0,0,1])]]]], dtype=object)
    """
    if isinstance(x, (sympy.MatrixBase, sympy.NDimArray)):
        return x.applyfunc(fn)
    if isinstance(x, np.ndarray):
        out = np.empty(x.shape, dtype=object)
        out.ravel()[:] = [fn(e) for e in x.ravel()]
        return out
    return fn(x)


def _as_container(vals, shape):
    if len(shape) == 0:
        return vals[0]
    if len(shape) == 1:
        return sympy.Matrix(shape[0], 1, vals)
    if len(shape) == 2:
        return sympy.Matrix(shape[0], shape[1], vals)
    arr = np.empty(len(vals), dtype=object)
    arr[:] = vals
    return arr.reshape(shape)


def _flatten(out):
    if isinstance(out, (sympy.MatrixBase, sympy.NDimArray)):
        return [sympy.sympify(e) for e in out], tuple(out.shape)
    if isinstance(out, np.ndarray):
        return [sympy.sympify(e) for e in out.ravel()], tuple(out.shape)
    if isinstance(out, (list, tuple)):
        parts = [_flatten(o) for o in out]
        shapes = {p[1] for p in parts}
        if len(shapes) != 1:
            raise ValueError(f"a tuple of outputs of one shape, got shapes {sorted(shapes)}")
        return [e for p in parts for e in p[0]], (len(parts),) + shapes.pop()
    return [sympy.sympify(out)], ()


def _absform(expr, memo):
    """An expression for the magnitude of the terms that ``expr`` sums: every Add and Mul
    taken over absolute values (so a cancellation inside a derivative is seen)."""
    if expr in memo:
        return memo[expr]
    if expr.is_Add or expr.is_Mul:
        out = expr.func(*[_absform(a, memo) for a in expr.args])
    elif expr.is_Pow and expr.exp.is_Integer and expr.exp > 0:
        out = _absform(expr.base, memo) ** expr.exp
    else:
        out = sympy.Abs(expr)
    memo[expr] = out
    return out


def _compile(sympy_forward, names, shapes, constants):
    key = (sympy_forward, tuple(shapes),
           tuple(None if c is None else (np.asarray(c).tobytes(), np.asarray(c).dtype.str)
                 for c in constants))
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    # symbols named as identifiers: lambdify renames any other name with subs, which
    # re-evaluates every Max of a pooling layer (minutes for a 3x3 window)
    args = symbolic_inputs([f"_{k}_" for k in range(len(names))], shapes, constants, _sep="_")
    try:
        out = sympy_forward(*args)
    except (TypeError, ValueError, sympy.ShapeError, IndexError) as exc:
        shown = ", ".join(f"{n}{tuple(s)}" for n, s in zip(names, shapes))
        raise UsageError("sympy_forward", f"a function of symbolic inputs {shown}",
                         f"{type(exc).__name__}: {exc}") from None
    try:
        flat, out_shape = _flatten(out)
    except (TypeError, ValueError, sympy.SympifyError) as exc:
        raise UsageError("sympy_forward", "a SymPy expression, Matrix, array or a tuple of "
                         "same-shape arrays", f"{type(out).__name__}: {exc}") from None
    variables = [s for a, c in zip(args, constants) if c is None
                 for s in _entries(a)]
    stray = set().union(*(e.free_symbols for e in flat)) - set(variables)
    if stray:
        raise UsageError("sympy_forward", "an expression in the declared inputs "
                         + ", ".join(names) + " only",
                         "free symbols " + ", ".join(sorted(map(str, stray))))
    # the Jacobian is sparse for conv, pooling and per-channel layers: keep only the
    # (output, input) pairs where the output depends on the input
    position = {v: i for i, v in enumerate(variables)}
    rows, cols, jac = [], [], []
    for j, e in enumerate(flat):
        for sym in sorted(e.free_symbols, key=position.__getitem__):
            rows.append(j)
            cols.append(position[sym])
            jac.append(e.diff(sym))
    memo: dict = {}
    everything = sympy.lambdify(variables, flat + jac + [_absform(d, memo) for d in jac],
                                modules=_MODULES, cse=True)
    # u_ij applies where J_ji is not a polynomial (linear and bilinear pieces are exact)
    nonlinear = np.array([d != 0 and not d.is_polynomial(*d.free_symbols) for d in jac], dtype=bool)
    compiled = _Compiled(everything, out_shape, len(flat), len(variables),
                         np.array(rows, dtype=np.intp), np.array(cols, dtype=np.intp), nonlinear)
    _CACHE[key] = compiled
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return compiled


def _entries(a):
    if isinstance(a, (sympy.MatrixBase, np.ndarray)):
        return list(a.ravel()) if isinstance(a, np.ndarray) else list(a)
    return [a]


@dataclass(frozen=True)
class _Compiled:
    """The lambdified forward, sparse Jacobian ``J[rows, cols]`` and its absolute form."""

    everything: object
    out_shape: tuple
    n_out: int
    n_var: int
    rows: np.ndarray
    cols: np.ndarray
    nonlinear: np.ndarray


# ---------------------------------------------------------------- the report


@dataclass(frozen=True)
class Mismatch:
    """One wrong gradient entry: where, what came, what the exact VJP says, the tolerance."""

    input: str
    index: tuple
    got: float
    expected: float
    tolerance: float

    def __str__(self):
        where = ",".join(map(str, self.index))
        return (f"{self.input}[{where}]: got {self.got:.17g} expected {self.expected:.17g} "
                f"(|diff| {abs(self.got - self.expected):.3g} > tol {self.tolerance:.3g})")


@dataclass(frozen=True)
class VJPReport:
    """Outcome of :func:`check_backward`: ``ok``, the wrong ``entries`` and a diagnosis per input."""

    ok: bool
    n_checked: int
    entries: tuple = ()
    diagnoses: dict = field(default_factory=dict)
    problems: tuple = ()

    def __bool__(self):
        return self.ok

    def __repr__(self):
        return f"VJPReport(ok={self.ok}, n_checked={self.n_checked}, wrong={len(self.entries)})"

    def __str__(self):
        if self.ok:
            where = f", {self.problems[0]}" if self.problems else ""
            return f"symbolic VJP check: ok ({self.n_checked} entries{where})"
        lines = [f"symbolic VJP check: FAILED ({len(self.entries)} of {self.n_checked} entries wrong)"]
        lines += [f"  {p}" for p in self.problems]
        for name, (count, total, why) in self.diagnoses.items():
            lines.append(f"  {name}: {count} of {total} entries wrong -- likely: {why}")
            for m in [m for m in self.entries if m.input == name][:4]:
                lines.append(f"    {m}")
        return "\n".join(lines)


def _diagnose(got, ref, bad):
    """Name the likely mistake from the pattern of a wrong gradient."""
    scale = np.max(np.abs(ref)) if ref.size else 0.0

    def close(a, b):
        return np.allclose(a, b, rtol=1e-9, atol=1e-12 * scale)

    rel = np.abs(got - ref)[bad] / np.maximum(np.abs(ref)[bad], 1e-300)
    if np.all(got == 0) and scale > 0:
        return "gradient missing (all zeros)"
    if rel.size and np.max(rel) < 1e-3:
        return f"small relative error (up to {np.max(rel):.2g}): a rounded constant or an approximation"
    if close(got, -ref):
        return "sign flipped"
    if got.ndim == 2 and got.shape[0] == got.shape[1] and not close(ref, ref.T) and close(got, ref.T):
        return "transposed (a square shape hides it from shape checks)"
    denom = float(ref.ravel() @ ref.ravel())
    if denom > 0:
        c = float(got.ravel() @ ref.ravel()) / denom
        if abs(c - 1) > 1e-4 and close(got, c * ref):
            return f"off by a constant factor {c:.6g} (a missing or extra 1/N, 2, or scale?)"
    if scale > 0 and np.all(np.abs(ref)[bad] <= 1e-8 * scale):
        return "wrong only where the true gradient is tiny (a saturated region or an underflow?)"
    if bad.sum() < bad.size:
        return "wrong in some entries only (a missing term, a wrong index, or shape-dependent code)"
    return "wrong everywhere (a missing or extra term?)"


# ---------------------------------------------------------------- the check


def _squeezed(shape):
    return tuple(d for d in shape if d != 1)


def _names(sympy_forward, n):
    try:
        params = list(inspect.signature(sympy_forward).parameters)
    except (TypeError, ValueError):
        params = []
    return params[:n] if len(params) >= n else [f"input{i}" for i in range(n)]


def check_backward(sympy_forward, backward, inputs, *, forward=None, grad_output=None,
                   ulps: float = 64.0, seed: int = 0, value_rtol: float = 1e-9,
                   max_examples: int = 25) -> VJPReport:
    """Compare ``backward(g, *inputs)`` with the exact VJP of ``sympy_forward`` at ``inputs``.

    ``inputs`` is one point, or -- to check at drawn shapes and points -- a Hypothesis
    strategy of points or a :class:`numeric.layers.Layer` (its ``layer_inputs``; then
    ``forward``/``backward`` default to the layer's own): up to ``max_examples`` draws,
    and the first failing draw's report is returned.

    >>> import numpy as np
    >>> from numeric.layers import Layer
    >>> cube = Layer("cube", lambda x: x**3, lambda g, x: (3 * x**2 * g,), ("x",),
    ...              lambda n, N: ((n, N),))
    >>> check_backward(lambda x: x.applyfunc(lambda t: t**3), None, cube)
    VJPReport(ok=True, n_checked=..., wrong=0)
    >>> bad = lambda g, x: (3 * x**2 * g * (x.shape[1] == 1),)   # right for batch 1 only
    >>> report = check_backward(lambda x: x.applyfunc(lambda t: t**3), bad, cube)
    >>> report.ok, report.problems[-1].startswith("at drawn shapes x(")
    (False, True)

    One point: ``inputs`` are float64 arrays (integer arrays are treated as constants: indices);
    ``backward`` returns one gradient per input, ``None`` for inputs it does not
    differentiate (those are passed to ``sympy_forward`` as exact constants).
    ``forward``, when given, is the NumPy forward: its output must have the SymPy
    output's shape and agree with it (relative ``value_rtol``). ``grad_output`` defaults
    to standard normal draws from ``seed``. Gradient entries must agree within
    ``ulps * eps * M_i`` (see the module docstring).
    """
    if isinstance(inputs, (Layer, SearchStrategy)):
        return _check_drawn(sympy_forward, backward, inputs, forward=forward, ulps=ulps,
                            seed=seed, value_rtol=value_rtol, max_examples=max_examples,
                            grad_output=grad_output)
    if not callable(sympy_forward) or not callable(backward):
        raise UsageError("sympy_forward/backward", "callables",
                         f"{type(sympy_forward).__name__}/{type(backward).__name__}")
    inputs = [np.asarray(x) for x in inputs]
    inputs = [x if x.dtype.kind in "iub" else x.astype(np.float64) for x in inputs]
    names = _names(sympy_forward, len(inputs))
    rng = np.random.default_rng(seed)
    y = None
    if forward is not None:
        y = np.asarray(forward(*[x.copy() for x in inputs]), dtype=np.float64)
    # constants are decided by the backward (None gradients) and integer dtypes
    probe_shape = y.shape if y is not None else None
    if probe_shape is None:
        probe = _compile(sympy_forward, names, [x.shape for x in inputs],
                         [x if x.dtype.kind in "iub" else None for x in inputs])
        probe_shape = probe.out_shape
    g = rng.standard_normal(probe_shape) if grad_output is None else np.asarray(grad_output, float)
    g_given = g.copy()  # backward gets a copy: one that writes into grad_output in place
    try:                # must not change the reference (course LSTMs do dnext_c += ...)
        grads = backward(g_given, *[x.copy() for x in inputs])
    except Exception as exc:  # noqa: BLE001 - a crash at a drawn shape is a failed check
        shapes = ", ".join(f"{n}{x.shape}" for n, x in zip(names, inputs))
        return VJPReport(False, 0, (), {}, (f"backward raised {type(exc).__name__}: {exc} "
                                            f"at shapes {shapes} (shape-dependent code?)",))
    if not isinstance(grads, (tuple, list)) or len(grads) != len(inputs):
        raise UsageError("backward", f"a tuple of {len(inputs)} gradients (one per input, None to skip)",
                         f"{type(grads).__name__} of length {len(grads) if hasattr(grads, '__len__') else '?'}")
    constants = [x if (gr is None or x.dtype.kind in "iub") else None for x, gr in zip(inputs, grads)]
    comp = _compile(sympy_forward, names, [x.shape for x in inputs], constants)
    out_shape, n_out, n_var, rows, cols = comp.out_shape, comp.n_out, comp.n_var, comp.rows, comp.cols
    if y is not None:
        if y.shape != out_shape and _squeezed(y.shape) != _squeezed(out_shape):
            raise UsageError("forward", f"an output of the SymPy forward's shape {out_shape}",
                             f"shape {y.shape}")
        out_shape = y.shape  # a column Matrix stands for a 1-D NumPy output
    if g.shape != out_shape:
        raise UsageError("grad_output", f"shape {out_shape}", f"shape {g.shape}")
    point = [mpmath.mpf(float(v)) for x, c in zip(inputs, constants) if c is None for v in x.ravel()]
    with mpmath.workdps(_DPS):
        try:
            values = comp.everything(*point)
            n_nz = len(rows)
            f_val, j_val = values[:n_out], values[n_out:n_out + n_nz]
            a_val = values[n_out + n_nz:]
        except _Kink as exc:
            raise UsageError("inputs", "a point where the forward is differentiable",
                             f"{exc}; draw the point away from kinks") from None
        except (ZeroDivisionError, ValueError) as exc:
            raise UsageError("inputs", "a point inside the forward's domain", str(exc)) from None
        bad = [v for v in list(f_val) + list(j_val) if not mpmath.isfinite(v) or isinstance(v, mpmath.mpc)]
        if bad:
            raise UsageError("inputs", "a point where the forward and its derivative are finite and real",
                             f"{bad[0]} (outside the domain or not differentiable)")
        f_abs = np.array([float(abs(b)) for b in f_val])
        if y is not None:
            x_max = max((float(np.max(np.abs(x), initial=0.0)) for x in inputs), default=0.0)
            atol = value_rtol * float(np.max(f_abs, initial=0.0)) + ulps * _EPS * x_max
            for j, (a, b) in enumerate(zip(y.ravel(), f_val)):
                if not abs(a - b) <= value_rtol * abs(b) + atol:
                    raise UsageError("forward", "NumPy and SymPy forms that agree",
                                     f"output entry {tuple(int(k) for k in np.unravel_index(j, out_shape))}: "
                                     f"NumPy {float(a)!r}, SymPy {mpmath.nstr(b, 17)}")
        v = [mpmath.mpf(float(t)) for t in g.ravel()]
        terms: list = [[] for _ in range(n_var)]
        for j, i, d in zip(rows.tolist(), cols.tolist(), j_val):
            terms[i].append(v[j] * d)
        ref = np.array([float(mpmath.fsum(t)) for t in terms])
    # tolerance: a few ulps of the summed terms |v_j| |J_ji|_abs (every sum inside J_ji
    # taken in absolute value, so cancellation is accounted for), plus rounding of quantities
    # the size of the output or the input wherever J_ji is not a polynomial (1 - sigma(z)
    # near saturation: an O(eps) absolute error any float64 implementation may make)
    x_abs = np.abs(np.concatenate([x.ravel() for x, c in zip(inputs, constants) if c is None]
                                  or [np.zeros(0)]))
    g_abs = np.abs(g.ravel())[rows]
    unit = np.maximum(f_abs[rows], x_abs[cols]) / (1.0 + x_abs[cols])
    mag = g_abs * (np.array([float(a) for a in a_val]) + comp.nonlinear * unit)
    tol = ulps * _EPS * np.bincount(cols, weights=mag, minlength=n_var)
    entries, diagnoses, problems = [], {}, []
    offset = 0
    for name, x, c, gr in zip(names, inputs, constants, grads):
        if c is not None:
            continue
        size = x.size
        r, t = ref[offset:offset + size].reshape(x.shape), tol[offset:offset + size].reshape(x.shape)
        offset += size
        gr = np.asarray(gr, dtype=np.float64)
        if gr.shape != x.shape:
            hint = " (transposed?)" if gr.shape == x.shape[::-1] else ""
            problems.append(f"{name}: gradient has shape {gr.shape}, expected {x.shape}{hint}")
            entries += [Mismatch(name, i, float("nan"), float(r[i]), float(t[i])) for i in np.ndindex(*x.shape)]
            diagnoses[name] = (size, size, "wrong shape" + hint)
            continue
        wrong = ~(np.abs(gr - r) <= t)
        if wrong.any():
            entries += [Mismatch(name, tuple(int(k) for k in i), float(gr[i]), float(r[i]), float(t[i]))
                        for i in zip(*np.nonzero(wrong))]
            diagnoses[name] = (int(wrong.sum()), size, _diagnose(gr, r, wrong))
    if not np.array_equal(g_given, g):
        problems.append("note: backward modified grad_output in place (the caller's array "
                        "changes; harmless only if the caller never reuses it)")
    return VJPReport(not entries, n_var, tuple(entries), diagnoses, tuple(problems))


def _check_drawn(sympy_forward, backward, source, *, forward, max_examples, **options):
    if isinstance(source, Layer):
        from numeric.testing import layer_inputs

        forward = forward or source.forward
        backward = backward or source.backward
        source = layer_inputs(source)
    if options.pop("grad_output") is not None:
        raise UsageError("grad_output", "None when points are drawn", "an array")
    count, failed = [0, 0], []

    def fails(inputs):
        report = check_backward(sympy_forward, backward, inputs, forward=forward, **options)
        count[0] += 1
        count[1] += report.n_checked
        if not report.ok:
            failed.append((report, inputs))
        return not report.ok

    try:
        find(source, fails, settings=settings(max_examples=max_examples, derandomize=True,
                                              database=None, phases=[Phase.generate],
                                              suppress_health_check=list(HealthCheck)))
    except NoSuchExample:
        return VJPReport(True, count[1], problems=(f"{count[0]} drawn points",))
    report, inputs = failed[-1]
    names = _names(sympy_forward, len(inputs))
    where = "at drawn shapes " + ", ".join(f"{n}{np.shape(x)}" for n, x in zip(names, inputs))
    return replace(report, problems=report.problems + (where,))


def assert_backward_matches_symbolic(sympy_forward, backward, inputs, **options) -> VJPReport:
    """:func:`check_backward`, raising ``AssertionError`` with the report when it fails.

    >>> import numpy as np
    >>> assert_backward_matches_symbolic(lambda x: x.applyfunc(lambda t: t**3),
    ...                                  lambda g, x: (3 * x**2 * g,), [np.array([[2.0]])])
    VJPReport(ok=True, n_checked=1, wrong=0)
    """
    report = check_backward(sympy_forward, backward, inputs, **options)
    if not report.ok:
        raise AssertionError(str(report))
    return report


def assert_backward(forward, backward, inputs, *, sympy_forward=None, **options):
    """Check a backward by symbolic reference when ``sympy_forward`` is given, else by
    finite differences (:func:`numeric.assert_layer_gradients`).

    >>> import numpy as np
    >>> assert_backward(np.sin, lambda g, x: (g * np.cos(x),), [np.array([0.5, 1.0])],
    ...                 sympy_forward=lambda x: x.applyfunc(sympy.sin)).ok
    True
    """
    if sympy_forward is None:
        import numeric

        return numeric.assert_layer_gradients(forward, backward, inputs, **options)
    return assert_backward_matches_symbolic(sympy_forward, backward, inputs, forward=forward, **options)
