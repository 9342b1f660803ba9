"""``check_layer``: the orchestration of one gradient check (see the package docstring)."""

from __future__ import annotations

import time

import numpy as np

from numeric.gradcheck import _method as M
from numeric.gradcheck._calls import Layer, Progress, UserCodeError
from numeric.gradcheck._diagnose import describe, transposed_shape_hint
from numeric.gradcheck._options import maxabs, one_blas_thread, options
from numeric.gradcheck._full import FullCheck
from numeric.gradcheck._locate import DirectionsCheck
from numeric.gradcheck._report import GradientReport, InputResult

__all__ = ["check_layer", "assert_layer_gradients"]

_MARK = {"wrong": 1, "kink": 2, "inaccurate": 3, "unresolved": 4}


def check_layer(forward, backward, inputs, *, names=None, rng=None, mode="auto",
                max_full=10_000, n_directions=3, ulps=32, allow_float32=False, strict=False,
                allow_unresolved=False, batch_axis=-1, budget=2_000, time_budget=10.0,
                progress=None) -> GradientReport:
    """Check ``backward`` against numeric derivatives of ``forward``; return a report.

    ``forward(*inputs)`` returns an array or a tuple of arrays; ``backward(grad_output,
    *inputs)`` returns one gradient per input (``None`` for an input that is not checked,
    e.g. integer labels); ``grad_output`` is an array, or a tuple for tuple outputs. Each
    call gets fresh C-ordered copies: the caller's arrays never change.

    Options: ``names`` (one label per input); ``rng`` (seed or Generator for
    ``grad_output`` and directions; default a fixed seed; a scalar output gets
    ``grad_output = 1`` so the printed values are the gradient itself); ``mode``
    (``"auto"``: every entry up to ``max_full`` checked entries, else ``n_directions``
    random directions per input with wrong entries localised by group testing within
    ``budget`` forward calls; also when the entry-by-entry check is estimated, from the
    time of one forward call, to take over ``time_budget`` seconds; ``"full"``;
    ``"directions"``); ``ulps`` (rounding allowance);
    ``allow_float32`` (upcast low-precision inputs, said in the report); ``strict``
    (inaccurate entries fail too); ``allow_unresolved`` (unresolved entries do not fail);
    ``batch_axis`` (axis of examples, for the diagnosis: -1 one example per column, 0
    batch-first, ``None`` none; or one per input); ``progress`` (``None``: lines on stderr
    once a check runs over 2 s; ``True``, ``False`` or a callable taking each line).

    Raises ``TypeError``/``ValueError`` naming the argument for bad arguments and inputs;
    everything the user's code does wrong is in the report.

    >>> import numpy as np
    >>> z = np.array([[-30.0, 0.5], [30.0, 2.0]])
    >>> sig = lambda z: 1 / (1 + np.exp(-z))
    >>> d_sig = lambda g, z: (g * sig(z) * sig(-z),)
    >>> check_layer(sig, d_sig, [z]).ok                 # saturated, true gradient 9e-14
    True
    >>> zeroed = lambda g, z: (g * np.where(abs(z) > 20, 0.0, sig(z) * sig(-z)),)
    >>> check_layer(sig, zeroed, [z]).ok
    False
    """
    opts = options(inputs, names, rng, mode, max_full, n_directions, ulps, allow_float32,
                    strict, allow_unresolved, batch_axis, budget, time_budget, progress)
    with one_blas_thread():
        return _Check(forward, backward, inputs, **opts).run()


def assert_layer_gradients(forward, backward, inputs, **options) -> GradientReport:
    """Like :func:`check_layer`, but raise ``AssertionError`` with the report's text on failure.

    >>> import numpy as np
    >>> assert_layer_gradients(np.tanh, lambda g, z: (g * (1 + np.tanh(z) ** 2),),
    ...                        [np.array([0.5, -1.0])])
    Traceback (most recent call last):
    ...
    AssertionError: gradient check FAILED: 1 of 1 inputs wrong (inputs[0]); ...
    """
    report = check_layer(forward, backward, inputs, **options)
    if not report.ok:
        raise AssertionError(str(report))
    return report


class _Check(FullCheck, DirectionsCheck):
    """One run of :func:`check_layer` (state shared by its steps)."""

    def __init__(self, forward, backward, inputs, *, names, rng, mode, max_full, n_directions,
                 ulps, allow_float32, strict, allow_unresolved, axes, budget, time_budget,
                 progress):
        self.notes, self.problems = [], []
        self.rng, self.mode, self.max_full, self.n_dir = rng, mode, max_full, n_directions
        self.ulps, self.strict, self.allow_unresolved = ulps, strict, allow_unresolved
        self.axes, self.budget, self.time_budget = axes, budget, time_budget
        self.t_call = 0.0
        self.progress = Progress(progress)
        prepared = []
        for k, (name, x) in enumerate(zip(names, inputs)):
            a = np.asarray(x)
            if a.dtype.kind == "c":
                raise ValueError(f"inputs[{k}] ({name}): complex inputs are not supported "
                                 "(the complex step uses the imaginary part); got "
                                 f"{a.dtype}")
            if a.dtype.kind == "f" and a.dtype != np.float64:
                if not allow_float32:
                    raise ValueError(
                        f"inputs[{k}] ({name}): expected float64, got {a.dtype}; finite "
                        "differences cannot judge a gradient to 1e-3 in low precision. Pass "
                        "float64, or allow_float32=True to upcast (said in the report)")
                self.notes.append(f"{name} was {a.dtype}; upcast to float64 "
                                  "(allow_float32=True)")
                a = a.astype(np.float64)
            prepared.append(a)
        self.layer = Layer(forward, backward, prepared, names)
        self.names = names

    def report(self, results=()):
        return GradientReport(results, self.problems, self.layer.n_forward, self.ulps,
                              self.notes, self.layer.n_backward, self.strict,
                              self.allow_unresolved)

    def fail(self, problem, results=()):
        self.problems.append(problem)
        return self.report(results)

    # ------------------------------------------------------------ the steps
    def run(self):
        L = self.layer
        try:
            f0 = L.forward(L.inputs, check=True)
            t = time.perf_counter()
            f1 = L.forward(L.inputs)
            self.t_call = time.perf_counter() - t
        except UserCodeError as exc:
            return self.fail(str(exc))
        if L.mutated:
            self.notes.append(f"forward modifies its input(s) {', '.join(sorted(L.mutated))} in "
                              "place; every call got a copy, so the verdict is about forward "
                              "as a function of its inputs (callers' arrays would change)")
        if f0.dtype != np.float64:
            low = f0.dtype.kind == "f" and f0.dtype.itemsize < 8
            return self.fail(f"forward returned dtype {f0.dtype} for float64 inputs"
                             + ("; it computes in low precision (cast to float64 inside "
                                "forward, or check it against a float64 reference)" if low
                                else ", expected float64"))
        if f0.size == 0:
            return self.fail("forward returned an empty output: nothing to differentiate")
        if not np.isfinite(f0).all():
            return self.fail("forward returned non-finite values at "
                             f"{np.argwhere(~np.isfinite(f0))[:3].ravel().tolist()} (flat)")
        if not np.array_equal(f0, f1):
            spread = maxabs(f1 - f0)
            return self.fail(f"forward is not deterministic: two calls on the same inputs "
                             f"differ by up to {spread:.3g} (relative "
                             f"{spread / max(maxabs(f0), 1e-300):.2g}); seed its randomness "
                             "(e.g. pass a fixed dropout mask) to check its gradient")
        self.axes = self._batch_axes(self.axes)
        v = np.ones(1) if f0.size == 1 else self.rng.standard_normal(f0.size)
        if f0.size == 1:
            self.notes.append("scalar output: grad_output = 1, so analytic values are the "
                              "gradient backward computed")
        try:
            grads = self._grads(L.backward(v))
        except UserCodeError as exc:
            return self.fail(str(exc))
        if isinstance(grads, str):
            return self.fail(grads)
        results, checked = {}, []
        for k, (g, x) in enumerate(zip(grads, L.inputs)):
            if g is None:
                continue
            if x.dtype.kind in "biu":
                raise ValueError(f"inputs[{k}] ({self.names[k]}): integer input ({x.dtype}) got "
                                 "a gradient; return None for integer inputs (indices, labels)")
            problem = self._structure(k, g, x)
            if problem:
                results[k] = InputResult(self.names[k], x.shape, "not compared", 0,
                                         problems=[problem])
            else:
                checked.append(k)
        if not checked and not results:
            self.notes.append("backward returned None for every input: nothing was checked")
            return self.report()
        g0 = {k: np.asarray(grads[k], dtype=np.float64).reshape(-1) for k in checked}
        try:
            again = {c: self._grads(L.backward(c * v)) for c in (1.0, 2.0, -1.0)}
        except UserCodeError as exc:
            return self.fail(str(exc))
        for c, gc in again.items():
            if isinstance(gc, str) or any(gc[k] is None or np.shape(gc[k]) != L.inputs[k].shape
                                          for k in checked):
                return self.fail(f"backward returned a different structure when called again "
                                 f"(grad_output scaled by {c:g})")
        if L.mutated_grad:
            self.notes.append("backward modifies grad_output in place; every call got its own "
                              "copy")
        behaviour = {k: self._linear(k, g0[k], {c: np.asarray(gc[k], np.float64).reshape(-1)
                                                for c, gc in again.items()})
                     for k in checked}
        ev = M.Evaluator(L, v, f0=f0)
        total = sum(L.inputs[k].size for k in checked)
        estimate = total * self.t_call  # one complex-step call an entry, at best
        directional = self.mode == "directions" or (self.mode == "auto" and (
            total > self.max_full or estimate > self.time_budget))
        if self.mode == "auto" and total <= self.max_full and estimate > self.time_budget:
            self.notes.append(f"an entry-by-entry check would take ~{estimate:.0f} s ({total} "
                              f"entries, {self.t_call * 1e3:.1f} ms a forward call): checked "
                              "along random directions instead (mode='full' insists; "
                              "time_budget= raises the limit)")
        if directional:
            results.update(self._directions(ev, checked, g0))
        else:
            results.update(self._full(ev, checked, g0))
        for k in checked:
            problem = behaviour[k]
            if problem:
                results[k].problems.insert(0, problem)
                results[k].diagnosis = [problem.split(":")[0]]
        if L.mutated and "forward modifies" not in " ".join(self.notes):
            self.notes.append(f"forward or backward modifies input(s) "
                              f"{', '.join(sorted(L.mutated))} in place; every call got a copy")
        return self.report([results[k] for k in sorted(results)])

    def _batch_axes(self, axes):
        """One batch axis (or None) per input. A single ``batch_axis`` applies to the inputs
        whose length along it equals the first output's (weights have no examples)."""
        if isinstance(axes, list):
            return axes
        out = self.layer.shapes[0]
        result = []
        for x in self.layer.inputs:
            a = axes
            ok = (a is not None and x.ndim >= 2 and -x.ndim <= a < x.ndim
                  and -len(out) <= a < len(out) and x.shape[a] == out[a])
            result.append(a if ok else None)
        return result

    def _grads(self, grads):
        n = len(self.layer.inputs)
        if isinstance(grads, np.ndarray) and n == 1:
            return (grads,)
        if not isinstance(grads, (tuple, list)):
            return (f"backward must return a tuple with one gradient per input ({n}), got "
                    f"{type(grads).__name__}")
        if len(grads) != n:
            return (f"backward returned {len(grads)} gradients for {n} inputs "
                    f"({', '.join(self.names)})")
        return grads

    def _structure(self, k, g, x):
        where = f"gradient for inputs[{k}] ({self.names[k]})"
        try:
            g = np.asarray(g)
        except Exception as exc:
            return f"{where} is not an array ({type(exc).__name__}: {exc})"
        if g.shape != x.shape:
            return (f"{where} has shape {g.shape}, expected {x.shape}"
                    + transposed_shape_hint(g.shape, x.shape))
        if g.dtype.kind not in "fiu":
            return f"{where} has dtype {g.dtype}, expected float64"
        if not np.isfinite(g).all():
            bad = np.argwhere(~np.isfinite(g))
            return (f"{where} has {len(bad)} non-finite values, first at "
                    f"{[tuple(i) for i in bad[:3].tolist()]}")
        return ""

    def _linear(self, k, g, gc):
        """A problem text when backward is nondeterministic or not linear in grad_output."""
        name = self.names[k]
        spread = np.abs(gc[1.0] - g)
        if spread.max(initial=0) > 0:
            rel = spread / np.maximum(np.abs(g), 1e-300)
            if not np.all(spread <= self.ulps * M.EPS * np.abs(g) + 1e-300):
                return (f"backward is nondeterministic: two calls with the same grad_output "
                        f"differ by up to {spread.max():.3g} (relative {rel.max():.2g}) in "
                        f"{name}")
            self.notes.append(f"backward is nondeterministic at the rounding level in {name} "
                              f"(spread {spread.max():.2g})")
        tol = 8 * M.EPS * (np.abs(gc[2.0]) + 2 * np.abs(g)) + 2 * spread + 1e-300
        twice, neg = gc[2.0], gc[-1.0]
        if np.all(np.abs(twice - 2 * g) <= tol) and np.all(np.abs(neg + g) <= tol):
            return ""
        if np.all(np.abs(twice - g) <= tol) and np.any(g != 0):
            return (f"backward ignores grad_output: backward(2 v) returned the same {name} "
                    "gradient as backward(v); it must return J^T v, linear in grad_output "
                    "(multiply by the upstream gradient)")
        return (f"backward is not linear in grad_output: for {name}, backward(2 v) - 2 "
                f"backward(v) is up to {maxabs(twice - 2 * g):.3g} and backward(-v) + "
                f"backward(v) up to {maxabs(neg + g):.3g}")

    def _finish(self, res, g, numeric, tols, k):
        x = self.layer.inputs[k]
        err = np.abs(g - numeric)
        res.ratio = (err / np.maximum(tols, 1e-300)).reshape(x.shape)
        marks = np.zeros(x.size, int)
        for e in res.wrong + res.kinks + res.inaccurate + res.unresolved:
            if isinstance(e.index, tuple) and all(isinstance(j, int) for j in e.index):
                marks[np.ravel_multi_index(e.index, x.shape) if x.shape else 0] = _MARK[e.status]
        res.marks = marks.reshape(x.shape)
        res.n_wrong = max(res.n_wrong, len(res.wrong))
        if res.wrong and not res.diagnosis:
            bad = (marks == 1).reshape(x.shape)
            if bad.any():
                res.diagnosis = describe(g.reshape(x.shape), numeric.reshape(x.shape), bad,
                                         self.axes[k])
        if res.inaccurate:
            res.notes.append(f"{len(res.inaccurate)} entries lose digits to rounding in "
                             "backward (inaccurate): passes" + (" only without strict=True"
                                                               if not self.strict else
                                                               "; strict=True fails them"))

