"""``check_layer``: the orchestration of one gradient check (see the package docstring)."""

from __future__ import annotations

import contextlib
from numbers import Integral, Real

import numpy as np

from numeric.gradcheck import _judge as J
from numeric.gradcheck import _method as M
from numeric.gradcheck._calls import ComplexUnsafe, Layer, Progress, UserCodeError
from numeric.gradcheck._diagnose import describe, transposed_shape_hint
from numeric.gradcheck._locate import directions_fail, localise
from numeric.gradcheck._report import Entry, GradientReport, InputResult

__all__ = ["check_layer", "assert_layer_gradients"]

_MODES = ("auto", "full", "directions")
_CONTROLLER = None  # threadpoolctl controller, made on first use
# default seed of grad_output: not a small integer, so v never equals data a user drew with
# default_rng(0) (v = x makes g x^T symmetric and a transposed dW invisible)
_SEED = 0x9E3779B97F4A7C15
_MARK = {"wrong": 1, "kink": 2, "inaccurate": 3, "unresolved": 4}


def check_layer(forward, backward, inputs, *, names=None, rng=None, mode="auto",
                max_full=10_000, n_directions=3, ulps=32, allow_float32=False, strict=False,
                allow_unresolved=False, batch_axis=-1, budget=2_000,
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
    ``budget`` forward calls; ``"full"``; ``"directions"``); ``ulps`` (rounding allowance);
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
    opts = _options(inputs, names, rng, mode, max_full, n_directions, ulps, allow_float32,
                    strict, allow_unresolved, batch_axis, budget, progress)
    with _one_blas_thread():
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


def _options(inputs, names, rng, mode, max_full, n_directions, ulps, allow_float32, strict,
             allow_unresolved, batch_axis, budget, progress):
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
    if mode not in _MODES:
        raise ValueError(bad("mode", f"one of {_MODES}", mode))
    for arg, val, lo in (("max_full", max_full, 0), ("n_directions", n_directions, 1),
                         ("budget", budget, 1)):
        if isinstance(val, bool) or not isinstance(val, Integral) or val < lo:
            raise ValueError(bad(arg, f"an int >= {lo}", val))
    if isinstance(ulps, bool) or not isinstance(ulps, Real) or not ulps >= 1:
        raise ValueError(bad("ulps", "a number >= 1", ulps))
    for arg, val in (("allow_float32", allow_float32), ("strict", strict),
                     ("allow_unresolved", allow_unresolved)):
        if not isinstance(val, (bool, np.bool_)):
            raise TypeError(bad(arg, "True or False", val))
    if isinstance(rng, np.random.Generator):
        pass
    elif rng is None:
        rng = np.random.default_rng(_SEED)
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
                budget=int(budget), progress=progress)


def _one_blas_thread():
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


def _maxabs(a):
    return float(np.max(np.abs(a), initial=0.0))


class _Check:
    """One run of :func:`check_layer` (state shared by its steps)."""

    def __init__(self, forward, backward, inputs, *, names, rng, mode, max_full, n_directions,
                 ulps, allow_float32, strict, allow_unresolved, axes, budget, progress):
        self.notes, self.problems = [], []
        self.rng, self.mode, self.max_full, self.n_dir = rng, mode, max_full, n_directions
        self.ulps, self.strict, self.allow_unresolved = ulps, strict, allow_unresolved
        self.axes, self.budget = axes, budget
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
            f1 = L.forward(L.inputs)
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
            spread = _maxabs(f1 - f0)
            return self.fail(f"forward is not deterministic: two calls on the same inputs "
                             f"differ by up to {spread:.3g} (relative "
                             f"{spread / max(_maxabs(f0), 1e-300):.2g}); seed its randomness "
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
        directional = self.mode == "directions" or (self.mode == "auto" and total > self.max_full)
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
                f"backward(v) is up to {_maxabs(twice - 2 * g):.3g} and backward(-v) + "
                f"backward(v) up to {_maxabs(neg + g):.3g}")

    # ------------------------------------------------------------ full check
    def _full(self, ev, checked, g0):
        L, ulps = self.layer, self.ulps
        sweeps, why = {}, {}
        for k in checked:
            self.progress(f"{self.names[k]}: complex step over {L.inputs[k].size} entries")
            try:
                sweeps[k] = M.complex_sweep(ev, k)
            except ComplexUnsafe as exc:
                why[k] = str(exc)
            except UserCodeError as exc:
                why[k] = str(exc)
        minus = {k: {} for k in sweeps}
        if sweeps:
            groups = {k: np.arange(s[0].size) for k, s in sweeps.items()}
            try:
                found = J.kink_suspects(ev, groups, {k: s[0] for k, s in sweeps.items()},
                                        {k: s[1] for k, s in sweeps.items()}, ulps)
            except (ComplexUnsafe, UserCodeError):
                found = {}
            for (k, i), dm in found.items():
                minus[k][i] = dm
            why.update(self._validate(ev, sweeps, minus))
            for k in list(sweeps):
                if k in why:
                    del sweeps[k]
        quick = {}
        if any(k not in sweeps for k in checked):
            self._forward_noise(ev)
        for k in checked:
            if k not in sweeps:
                quick[k] = J.quick_real(ev, k, self.progress, self.names[k])
        # each input's rounding floor: ulps of its own largest derivative (a gradient entry
        # that is exactly 0 computed as 1e-16 next to entries of size 1). Never converted
        # from another input: an input of size 1e16 (beta + 1e16) would drown the others
        grad_scale = {k: _maxabs(s[0]) for k, s in sweeps.items()}
        grad_scale.update({k: max((abs(q.central) for q in qs if not isinstance(q, str)),
                                  default=0.0) for k, qs in quick.items()})
        floor = {k: ulps * M.EPS * grad_scale[k] for k in checked}
        results, cands, numeric, tols = {}, [], {}, {}
        for k in checked:
            x = L.inputs[k]
            if k in sweeps:
                res = InputResult(self.names[k], x.shape, "complex step", x.size)
                d, tol, c = J.judge_complex(res, ev, k, g0[k], sweeps[k], minus[k], floor[k],
                                            ulps)
                numeric[k], tols[k] = d.copy(), np.maximum(tol, floor[k])
                cands += [(k, i) for i in c]
                self._kinks_jointly(ev, k, res, g0[k], tol, floor[k])
            else:
                res = InputResult(self.names[k], x.shape,
                                  "real differences (central + Richardson)", x.size)
                res.notes.append(f"complex step not usable: {why[k]}")
                numeric[k], tols[k] = J.judge_real(res, ev, k, g0[k], ulps, floor[k],
                                                   1e-8 * grad_scale[k], quick[k])
            results[k] = res
        self._examine(ev, cands, g0, numeric, tols, floor, results)
        for k in checked:
            self._finish(results[k], g0[k], numeric[k], tols[k], k)
        return results

    def _forward_noise(self, ev):
        """Measure the forward's own rounding noise (for real differences): the fourth
        difference of f along a random direction with steps of 2^-20 relative is rounding
        only (smooth terms are ~1e-24): ~eps |f| for float64 code, ~1e-7 |f| for code that
        computes in float32 inside."""
        u = {k: self.rng.uniform(-1, 1, x.shape) * np.abs(x)
             for k, x in enumerate(ev.inputs) if x.dtype.kind == "f"}
        try:
            f = [ev.f0] + [ev.call({k: ev.inputs[k] + (n * 2.0 ** -20) * uu
                                    for k, uu in u.items()}) for n in (1, 2, 3, 4)]
        except UserCodeError:
            return
        fourth = np.abs(f[4] - 4 * f[3] + 6 * f[2] - 4 * f[1] + f[0]) / 8  # ~ one value's noise
        rel = float(fourth.max() / max(_maxabs(ev.f0), 1e-300))
        if rel > 64 * M.EPS:
            ev.noise = max(ev.noise, 4 * rel)
            self.notes.append(f"forward computes in low precision (noise ~{rel:.1g} relative, "
                              "as from float32 arithmetic inside): real-difference bounds use "
                              "that noise")

    def _validate(self, ev, sweeps, minus):
        """Complex step against real differences along one random direction per input.
        Returns {input: reason} for the inputs that failed."""
        # entries at a true kink (another branch at -ih) are left out of the direction: a
        # direction through a tie is not the sum of its one-sided parts. Suspects of the
        # -ih group test whose -ih value equals the +ih one stay in (a forward that drops
        # the imaginary part of a variance makes every entry a suspect of that kind)
        us = {}
        for k, (d, A, F) in sweeps.items():
            u = self.rng.standard_normal(d.size)
            for i, dm in minus[k].items():
                if abs(dm - d[i]) > self.ulps * M.EPS * A[i]:
                    u[i] = 0.0
            if u.any():
                us[k] = u
        if not us:
            return {}
        # each input alone: together, an input whose gradient is 1e-8 (x ~ 1e8) next to one
        # of size 1 (beta) is lost in the other's rounding
        bad = {}
        for k, u in us.items():
            try:
                w = self._disagrees(ev, sweeps, {k: u})
            except UserCodeError as exc:
                w = str(exc)
            if w:
                bad[k] = w
        return bad

    def _disagrees(self, ev, sweeps, us):
        """'' when the complex step agrees with real differences along ``us``; shorter
        steps are tried when the default one disagrees (it may cross a kink near x)."""
        cs = sum(float(u @ sweeps[k][0]) for k, u in us.items())
        tol = self.ulps * M.EPS * sum(float(np.abs(u) @ (sweeps[k][1] + sweeps[k][2]))
                                      for k, u in us.items())
        for grow in (1.0, 1 / 64, 1 / 4096):
            p = M.real_direction(ev, us, grow)
            if not p.moved:  # no output changed at all: real differences say nothing here
                return ""
            if p.kink:
                lo, hi = min(p.left, p.right), max(p.left, p.right)
                good = lo - p.noise - tol <= cs <= hi + p.noise + tol
            else:
                good = abs(cs - p.central) <= p.error + tol
            if good:
                return ""
        return "" if good else (f"complex step {cs:.9g} and real differences {p.central:.9g} "
                                f"(+- {p.error:.2g}) disagree along a random direction")

    def _kinks_jointly(self, ev, k, res, g, tol, floor):
        """Kink entries together: each may be a subgradient alone, but not all at once
        (every tied maximum given the whole gradient). Moving them together by +-ih gives
        the one-sided derivatives along that direction; sum(g) must lie between them."""
        if len(res.kinks) < 2:
            return
        idx = [int(np.ravel_multi_index(e.index, res.shape)) if res.shape else 0
               for e in res.kinks]
        u = np.zeros(g.size)
        u[idx] = 1.0
        try:
            dp, A = M.complex_direction(ev, {k: u}, 1.0)
            dm, _ = M.complex_direction(ev, {k: u}, -1.0)
        except (ComplexUnsafe, UserCodeError):
            return
        s = float(g[idx].sum())
        slack = self.ulps * M.EPS * A + float(tol[idx].sum()) + floor * len(idx)
        if not min(dp, dm) - slack <= s <= max(dp, dm) + slack:
            near = dp if abs(s - dp) < abs(s - dm) else dm
            res.wrong.append(Entry(res.name, ("kink entries jointly",), s, near, abs(s - near),
                                   slack, "wrong", "complex step moving all kink entries",
                                   left=dm, right=dp))
            res.notes.append("each kink entry lies between its own one-sided derivatives, but "
                             "not all together (e.g. every tied maximum given the whole "
                             "gradient)")

    def _examine(self, ev, cands, g0, numeric, tols, floor, results):
        if not cands:
            return
        rel = [abs(g0[k][i] - numeric[k][i]) / max(abs(numeric[k][i]), 1e-300)
               for k, i in cands]
        order = [cands[n] for n in np.argsort(rel, kind="stable")]
        half = J._EXAMINE // 2
        chosen = order if len(order) <= J._EXAMINE else order[:half] + order[-half:]
        items = [(k, i, float(g0[k][i]), float(numeric[k][i])) for k, i in chosen]
        verdicts = J.examine(ev, self.layer, items, self.rng, self.ulps, self.progress,
                             checked=list(g0))
        any_wrong = any(s == "wrong" for s, _ in verdicts.values())
        for k, i in order:
            if (k, i) in verdicts:
                status, note = verdicts[(k, i)]
            else:
                status = "wrong" if any_wrong else "inaccurate"
                note = "not examined individually; classed with the examined entries"
            res = results[k]
            e = Entry(res.name, J._idx(res.shape, i), float(g0[k][i]), float(numeric[k][i]),
                      float(abs(g0[k][i] - numeric[k][i])),
                      float(tols[k][i]), status, "complex step, examined under perturbations",
                      note=note)
            (res.wrong if status == "wrong" else res.inaccurate).append(e)

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

    # ------------------------------------------------------------ large inputs
    def _directions(self, ev, checked, g0):
        results = {}
        for k in checked:
            x = self.layer.inputs[k]
            res = InputResult(self.names[k], x.shape, f"{self.n_dir} random directions", x.size)
            numeric = np.full(x.size, np.nan)
            tols = np.full(x.size, np.nan)
            try:
                failed = directions_fail(ev, k, g0[k], self.ulps, self.rng, self.n_dir)
            except UserCodeError as exc:
                res.problems.append(str(exc))
                results[k] = res
                continue
            if not failed:
                res.notes.append(f"large input: checked along {self.n_dir} random directions "
                                 "(a wrong entry below the rounding of the whole sum can hide)")
                results[k] = res
                continue
            res.method = "random directions, then group testing"
            found, complete = localise(ev, k, g0[k], self.ulps, self.rng, self.budget,
                                       self.progress)
            res.notes.append(f"a random direction disagreed; {len(found)} entries localised by "
                             f"group testing" + ("" if complete else
                                                 f" (stopped at 100 found or the budget of "
                                                 f"{self.budget} forward calls: the list is a "
                                                 "sample)"))
            res.sample = not complete
            try:
                d, A, F = M.complex_sweep(ev, k, found)
                sub = {"d": d, "A": A}
            except ComplexUnsafe:
                sub = None
            for n, i in enumerate(found):
                if sub is not None:
                    numeric[i] = sub["d"][n]
                    tols[i] = self.ulps * M.EPS * sub["A"][n]
                else:
                    p = M.resolve(ev, k, i, M.real_probe(ev, k, i))
                    numeric[i], tols[i] = p.central, p.error + self.ulps * M.EPS * p.A
                if abs(g0[k][i] - numeric[i]) > tols[i]:
                    res.wrong.append(Entry(res.name, J._idx(x.shape, i), float(g0[k][i]),
                                           float(numeric[i]), float(abs(g0[k][i] - numeric[i])),
                                           float(tols[i]), "wrong",
                                           "complex step" if sub is not None else
                                           "real differences"))
            if not res.wrong:
                res.notes.append("no single entry was found wrong (errors spread below each "
                                 "entry's tolerance)")
            self._finish(res, g0[k], numeric, tols, k)
            if res.sample:
                res.n_wrong = max(res.n_wrong, len(res.wrong))
            results[k] = res
        return results
