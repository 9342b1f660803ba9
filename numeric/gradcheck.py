"""A gradient checker that says where a hand-written backward is wrong, and how.

``forward(*inputs)`` returns an array; ``backward(grad_output, *inputs)`` returns one
gradient per input (``None`` for an input that is not checked, e.g. integer labels).
:func:`check_layer` draws a random ``grad_output`` ``v`` (seeded), calls ``backward``
once, and compares each entry of ``J^T v`` with the numeric derivative of
``v . forward`` in that entry.

Method (see ``docs/gradcheck.md`` for the measurements):

* Numeric derivatives by **complex step** (one call per entry, exact to a few ulps, so
  a saturated sigmoid's 1e-13 gradient is resolved). It is validated: one random
  direction (all inputs at once) against real central differences + Richardson, and one
  call at ``-ih`` on all entries (bisected when it disagrees) that finds kinks (ReLU at
  0, max with ties). When ``forward`` is not complex-safe the input is checked by real
  differences (2 to 4 calls an entry, longer steps for tiny derivatives) and the report
  says so.
* Each entry is judged against its own error bound: ``ulps * eps * sum_j |v_j J_ji|`` +
  ``ulps/8 * eps * sum_j |v_j f_j|`` (sums over the outputs the entry moves) + the
  measured rounding noise of ``backward`` + ``1e-10 |numeric|`` + the method's error.
* An entry that disagrees is re-examined with real one-sided differences: outside the
  one-sided slopes it is wrong; if the slopes differ and the gap does not shrink with
  the step, it is a kink, where any value between them is accepted (a subgradient) and
  reported as a kink.
* Inputs with more than ``max_full`` checked entries in all are first checked along
  ``n_directions`` random directions (one call each); a failing input gets the full
  check, which explains the failure.

>>> import numpy as np
>>> x, W, b = np.ones((3, 4)), np.arange(6.0).reshape(2, 3), np.zeros(2)
>>> fwd = lambda x, W, b: W @ x + b[:, None]
>>> good = lambda g, x, W, b: (W.T @ g, g @ x.T, g.sum(axis=1))
>>> check_layer(fwd, good, (x, W, b), names=("x", "W", "b")).ok
True
>>> bad = lambda g, x, W, b: (W.T @ g, g @ x.T, g[:, 0])   # bias from one sample
>>> report = check_layer(fwd, bad, (x, W, b), names=("x", "W", "b"))
>>> report.ok
False
>>> print(str(report).splitlines()[0])
gradient check FAILED: 1 of 3 inputs wrong (b); 30 forward calls, 4 backward calls
"""

from __future__ import annotations

import contextlib

import numpy as np

from numeric import _fd
from numeric._diagnose import describe, transposed_shape_hint
from numeric._report import Entry, GradientReport, InputResult

__all__ = ["GradientReport", "assert_layer_gradients", "check_layer"]

_MODES = ("auto", "full", "directions")
_CONTROLLER = None  # threadpoolctl controller, made on first use
# default seed of grad_output: not a small integer, so v never equals data a user drew with
# default_rng(0) (v = x makes g x^T symmetric and a transposed dW invisible)
_SEED = 0x9E3779B97F4A7C15
_SCALES = (1.1,)  # backward is called again with these multiples of grad_output
_NOISE_FACTOR = 4.0   # the observed deviation, times this, is the noise allowance
_RTOL = 1e-10         # relative agreement that always passes
_DELTA = 2.0 ** -27   # relative input perturbation for the conditioning term
_CONFIRM = 3  # re-examine at most this many failing entries per input with real differences


def _as_input(k, name, x):
    a = np.asarray(x)
    if a.dtype == object or a.dtype.kind not in "biufc":
        raise TypeError(f"inputs[{k}] ({name}): expected a numeric array, got dtype {a.dtype}")
    if a.dtype.kind in "fc" and not np.isfinite(a).all():
        bad = np.argwhere(~np.isfinite(a))[:3].tolist()
        raise ValueError(f"inputs[{k}] ({name}): expected finite values, got non-finite "
                         f"entries at {bad}")
    return a


def _structure(grads, inputs, names):
    """Problems with what ``backward`` returned: count, shapes, dtypes, finiteness."""
    if not isinstance(grads, (tuple, list)):
        return [f"backward must return a tuple with one gradient per input ({len(inputs)}), "
                f"got {type(grads).__name__}"]
    if len(grads) != len(inputs):
        return [f"backward returned {len(grads)} gradients for {len(inputs)} inputs "
                f"({', '.join(names)})"]
    problems = []
    for k, (g, x, name) in enumerate(zip(grads, inputs, names)):
        if g is None:
            continue
        g = np.asarray(g)
        where = f"gradient for inputs[{k}] ({name})"
        if g.shape != x.shape:
            problems.append(f"{where} has shape {g.shape}, expected {x.shape}"
                            + transposed_shape_hint(g.shape, x.shape))
        elif g.dtype.kind not in "fiu":
            problems.append(f"{where} has dtype {g.dtype}, expected float64")
        elif not np.isfinite(g).all():
            bad = np.argwhere(~np.isfinite(g))
            problems.append(f"{where} has {len(bad)} non-finite values, first at "
                            f"{[tuple(i) for i in bad[:3].tolist()]}")
    return problems


def _call(stage, fn, *args):
    try:
        return fn(*args), None
    except Exception as exc:  # report, do not crash: the user's code is what is checked
        return None, f"{stage} raised {type(exc).__name__}: {exc}"


def check_layer(forward, backward, inputs, *, names=None, rng=None, mode="auto",
                max_full=10_000, n_directions=3, ulps=32,
                allow_float32=False) -> GradientReport:
    """Check ``backward`` against numeric derivatives of ``forward``; return a report.

    ``inputs``: a sequence of arrays (float64 for the checked ones; integer inputs must get
    a ``None`` gradient). ``names``: one label per input for the report. ``rng``: seed or
    ``numpy.random.Generator`` for ``grad_output`` and the random directions (default: a
    fixed seed, so reports are reproducible).
    ``mode``: ``"auto"`` (full check up to ``max_full`` checked entries, else
    ``n_directions`` random directions per input, the full check explaining a failure),
    ``"full"`` or ``"directions"``. ``ulps``: the rounding allowance of each entry's
    tolerance. ``allow_float32``: upcast float32/float16 inputs to float64 (said in the
    report) instead of refusing them.

    >>> import numpy as np
    >>> z = np.array([[-30.0, 0.5], [30.0, 2.0]])
    >>> sig = lambda z: 1 / (1 + np.exp(-z))
    >>> d_sig = lambda g, z: (g * sig(z) * (1 - sig(z)),)
    >>> check_layer(sig, d_sig, [z]).ok                 # saturated, true gradient 9e-14
    True
    >>> zeroed = lambda g, z: (g * np.where(abs(z) > 20, 0.0, sig(z) * (1 - sig(z))),)
    >>> check_layer(sig, zeroed, [z]).ok
    False
    """
    with _one_blas_thread():
        return _check_layer(forward, backward, inputs, names, rng, mode, max_full,
                            n_directions, ulps, allow_float32)


def _one_blas_thread():
    """Limit BLAS to one thread while checking, when ``threadpoolctl`` is importable.

    Measured: a multithreaded OpenBLAS takes 11 ms for a (30, 80) @ (80, 40) complex
    product on a loaded 2-core machine, 60 us with one thread; the check makes thousands
    of such small calls. Restored on exit.
    """
    global _CONTROLLER
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # optional: comes with scikit-learn
        return contextlib.nullcontext()
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")


def _check_layer(forward, backward, inputs, names, rng, mode, max_full, n_directions, ulps,
                 allow_float32):
    if not callable(forward) or not callable(backward):
        raise TypeError("forward, backward: expected callables, got "
                        f"{type(forward).__name__}, {type(backward).__name__}")
    if isinstance(inputs, np.ndarray) or not hasattr(inputs, "__len__"):
        raise TypeError(f"inputs: expected a sequence of arrays, got {type(inputs).__name__}")
    if mode not in _MODES:
        raise ValueError(f"mode: expected one of {_MODES}, got {mode!r}")
    if not (isinstance(ulps, (int, float)) and ulps >= 1):
        raise ValueError(f"ulps: expected a number >= 1, got {ulps!r}")
    if not (isinstance(n_directions, int) and n_directions >= 1):
        raise ValueError(f"n_directions: expected an int >= 1, got {n_directions!r}")
    names = [f"inputs[{k}]" for k in range(len(inputs))] if names is None else list(names)
    if len(names) != len(inputs):
        raise ValueError(f"names: expected {len(inputs)} names, got {len(names)}")
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(_SEED if rng is None else rng)
    xs = [_as_input(k, n, x) for k, (n, x) in enumerate(zip(names, inputs))]
    notes = []
    if allow_float32:
        for k, x in enumerate(xs):
            if x.dtype.kind == "f" and x.dtype != np.float64:
                notes.append(f"{names[k]} was {x.dtype}; upcast to float64 (allow_float32=True)")
                xs[k] = x.astype(np.float64)

    f0, err = _call("forward(*inputs)", forward, *xs)
    if err:
        return GradientReport(problems=[err], n_evals=1, ulps=ulps, notes=notes)
    f0 = np.asarray(f0)
    if f0.dtype != np.float64:
        return GradientReport(problems=[f"forward returned dtype {f0.dtype}, expected float64"],
                              n_evals=1, ulps=ulps, notes=notes)
    if not np.isfinite(f0).all():
        return GradientReport(problems=["forward returned non-finite values at "
                                        f"{np.argwhere(~np.isfinite(f0))[:3].tolist()}"],
                              n_evals=1, ulps=ulps, notes=notes)
    v = rng.standard_normal(f0.shape)
    grads, err = _call("backward(grad_output, *inputs)", backward, v.copy(), *xs)
    problems = [err] if err else _structure(grads, xs, names)
    if problems:
        return GradientReport(problems=problems, n_evals=1, ulps=ulps, notes=notes)
    checked = [k for k, g in enumerate(grads) if g is not None]
    for k in checked:
        if xs[k].dtype.kind in "biu":
            raise ValueError(f"inputs[{k}] ({names[k]}): integer input ({xs[k].dtype}) got a "
                             "gradient; return None for integer inputs (indices, labels)")
        if xs[k].dtype != np.float64:
            raise ValueError(f"inputs[{k}] ({names[k]}): expected float64, got {xs[k].dtype}; "
                             "finite differences cannot judge a gradient to 1e-3 in low "
                             "precision. Pass float64 or allow_float32=True to upcast")
    noise, err = _backward_noise(backward, xs, v, grads, checked, names, rng)
    if err:
        return GradientReport(problems=[err], n_evals=1, ulps=ulps, notes=notes)
    ev = _fd.Evaluator(forward, xs, v, f0=f0, n_evals=1)
    total = sum(xs[k].size for k in checked)
    directional = mode == "directions" or (mode == "auto" and total > max_full)
    gs = {k: np.asarray(grads[k], dtype=np.float64) for k in checked}
    results, full = {}, []
    for k in checked:
        r = None
        if directional:
            r = _check_directions(ev, k, gs[k], names[k], ulps, rng, n_directions, noise[k])
        if r is None:
            full.append(k)
        else:
            results[k] = r
    sweeps, why = {}, {}
    for k in full:
        try:
            d, A, F = _fd.complex_sweep(ev, k)
            sweeps[k] = (d, A, F, [])
        except _fd.ComplexUnsafe as exc:
            why[k] = str(exc)
    if sweeps:  # one -ih call for all inputs; bisect only where it disagrees
        got = _fd.complex_group_minus(ev, {k: np.arange(s[0].size) for k, s in sweeps.items()})
        want = sum(s[0].sum() for s in sweeps.values())
        if abs(got - want) > ulps * _fd.EPS * sum(s[1].sum() for s in sweeps.values()):
            for k, (d, A, F, _) in sweeps.items():
                sweeps[k] = (d, A, F, _kink_suspects(ev, k, d, A, ulps))
    why.update(_validate(ev, sweeps, ulps, rng))
    for k in full:
        results[k] = _check_full(ev, k, gs[k], names[k], ulps, rng, directional, noise[k],
                                 None if k in why else sweeps[k], why.get(k))
    results = [results[k] for k in checked]
    if not checked:
        notes.append("backward returned None for every input: nothing was checked")
    n_backward = 1 + len(_SCALES) + 2  # the check, v scaled, inputs moved twice (noise)
    return GradientReport(results, [], ev.n_evals, ulps, notes, n_backward)


def _backward_noise(backward, xs, v, grads, checked, names, rng):
    """Measured rounding noise of ``backward``, per entry of each checked input.

    Two effects, each from a few extra ``backward`` calls: (1) ``backward`` is linear in
    ``v``, so ``g(c v) / c - g(v)`` is pure rounding; (2) a computed gradient is at best the
    exact gradient at inputs perturbed by their own rounding (``eps |x|``): perturbing the
    inputs by ``delta`` and ``2 delta`` (random signs, relative) and scaling the smooth part
    of the change down to ``eps`` gives that conditioning term (ill-conditioned layers,
    e.g. a batch norm of a nearly constant feature). Changes that are not linear in
    ``delta`` (a kink crossed) are left to the kink test.
    """
    g0 = {k: np.asarray(grads[k], dtype=np.float64).ravel() for k in checked}
    noise = {k: np.zeros(g0[k].size) for k in checked}

    def again(gv, args):
        gc, err = _call("backward(grad_output, *inputs)", backward, gv, *args)
        problems = [err] if err else _structure(gc, args, names)
        if problems:
            return None, problems[0]
        if any(gc[k] is None for k in checked):
            return None, "backward returned None for a checked input on a second call"
        return {k: np.asarray(gc[k], dtype=np.float64).ravel() for k in checked}, None

    for c in _SCALES:
        gc, err = again(c * v, xs)
        if err:
            return None, err
        for k in checked:
            noise[k] = np.maximum(noise[k], _NOISE_FACTOR * np.abs(gc[k] / c - g0[k]))
    signs = [rng.choice([-1.0, 1.0], x.shape) if x.dtype.kind == "f" else None for x in xs]
    moved = []
    for delta in (_DELTA, 2 * _DELTA):
        args = [x if sg is None else x * (1 + delta * sg) for x, sg in zip(xs, signs)]
        gd, err = again(v, args)
        if err:
            return None, err
        moved.append(gd)
    for k in checked:
        d1, d2 = moved[0][k] - g0[k], moved[1][k] - g0[k]
        smooth = np.abs(d2 - 2 * d1) <= 0.25 * np.abs(d2)
        term = np.where(smooth, np.abs(d1) * (_fd.EPS / _DELTA), 0.0)
        noise[k] = noise[k] + _NOISE_FACTOR * term
    return noise, None


def _rounding(ulps, A, F, noise, value):
    """Rounding allowance of an analytic entry: sums of ``|v_j J_ji|`` accumulate (``ulps``),
    a correct backward may cancel quantities of size ``|f_j|`` (``ulps / 8``), the
    measured noise of ``backward`` itself, and agreement to ``_RTOL`` relative (10 digits)
    is never called wrong (ill-conditioned layers, e.g. batch norm of a nearly constant
    feature, lose that many digits in both the analytic and the numeric value)."""
    return ulps * _fd.EPS * A + ulps / 8 * _fd.EPS * F + noise + _RTOL * np.abs(value)


def _check_directions(ev, k, g, name, ulps, rng, n_dir, noise):
    """Random directions on input ``k``; ``None`` when one disagrees (the caller goes full)."""
    x = ev.inputs[k]
    for _ in range(n_dir):
        u = rng.standard_normal(x.shape)
        ug = float(u.ravel() @ g.ravel())
        scale = float(np.abs(u).ravel() @ np.abs(g).ravel())
        nz = float(np.abs(u).ravel() @ noise)
        try:
            d, A, F = _fd.complex_direction(ev, k, u)
            tol = _rounding(ulps, A + scale, F, nz, d)
        except _fd.ComplexUnsafe:
            p = _fd.real_direction(ev, k, u)
            d, tol = p.central, p.error + _rounding(ulps, p.A + scale, p.F, nz, p.central)
        if not abs(ug - d) <= tol:
            return None
    return InputResult(name, x.shape, f"{n_dir} random directions (complex step)", x.size,
                       notes=[f"large input: checked along {n_dir} random directions only"])


def _kink_suspects(ev, k, d, A, ulps):
    """Entries where the ``-ih`` step disagrees with the ``+ih`` one (bisection)."""
    found, stack = [], [np.arange(d.size)]
    while stack:
        S = stack.pop()
        got = _fd.complex_group_minus(ev, k, S)
        if abs(got - d[S].sum()) <= ulps * _fd.EPS * A[S].sum() + 1e-300:  # -ih vs +ih
            continue
        if S.size == 1:
            found.append(int(S[0]))
        else:
            stack += [S[: S.size // 2], S[S.size // 2:]]
    return sorted(found)


def _validate(ev, sweeps, ulps, rng):
    """Check the complex step against real differences along one random direction.

    All inputs at once (4 calls); when that disagrees, each input alone, to name the one
    whose complex step is not usable. Kink suspects are left out of the direction.
    Returns ``{input: reason}`` for the inputs that failed.
    """
    us = {}
    for k, (d, A, F, skip) in sweeps.items():
        u = rng.standard_normal(d.size)
        u[skip] = 0.0
        if u.any():
            us[k] = u
    if not us:
        return {}
    why = _direction_disagrees(ev, sweeps, us, ulps)
    if not why:
        return {}
    if len(us) == 1:
        return {k: why for k in us}
    bad = {k: _direction_disagrees(ev, sweeps, {k: u}, ulps) for k, u in us.items()}
    return {k: w for k, w in bad.items() if w}


def _direction_disagrees(ev, sweeps, us, ulps):
    p = _fd.real_direction(ev, {k: u.reshape(ev.inputs[k].shape) for k, u in us.items()})
    cs = sum(float(u @ sweeps[k][0]) for k, u in us.items())
    tol = ulps * _fd.EPS * sum(np.abs(u) @ (sweeps[k][1] + sweeps[k][2]) for k, u in us.items())
    if p.kink:
        lo, hi = min(p.left, p.right), max(p.left, p.right)
        good = lo - p.noise - tol <= cs <= hi + p.noise + tol
    else:
        good = abs(cs - p.central) <= p.error + tol
    return "" if good else (f"complex step {cs:.9g} and real differences {p.central:.9g} "
                            f"(+- {p.error:.2g}) disagree along a random direction")


def _check_full(ev, k, g, name, ulps, rng, after_directions, noise, sweep, why):
    """Judge every entry of input ``k``: by the complex step ``sweep`` (d, A, F, kink
    suspects) when usable, else (``why`` says why not) by real differences."""
    x = ev.inputs[k]
    gf = g.ravel()
    res = InputResult(name, x.shape, "complex step", x.size)
    if after_directions:
        res.notes.append("a random-direction check failed; this full check explains it")
    if sweep is not None:
        d, A, F, suspects = sweep
    else:
        res.method = "real differences (central + Richardson)"
        res.notes.append(f"complex step not usable: {why}")
        return _judge_real(ev, k, gf, res, ulps, np.arange(x.size), np.empty(x.size), rng,
                           noise)
    numeric = d.copy()
    tol = _rounding(ulps, A, F, noise, d) + _fd.EPS * A
    err = np.abs(gf - d)
    flagged = set(np.flatnonzero(~(err <= tol)).tolist()) | set(suspects)
    order = sorted(flagged, key=lambda i: -err[i] / max(tol[i], 1e-300))
    confirmed, unreliable = 0, 0
    for i in order:
        if confirmed >= _CONFIRM:
            res.n_wrong += 1
            res.wrong.append(_entry(res, x, i, gf[i], d[i], tol[i], "complex step"))
            continue
        tol_i = _rounding(ulps, A[i], F[i], noise[i], d[i])
        if err[i] > tol[i]:  # quick: outside the one-sided hull, with the complex step inside
            q = _fd.one_sided(ev, k, i)
            left, right = q.left, q.right
            lo, hi, slack = min(left, right), max(left, right), q.noise + tol[i]
            if not lo - slack <= gf[i] <= hi + slack and lo - slack <= d[i] <= hi + slack:
                res.n_wrong += 1
                confirmed += 1
                e = _entry(res, x, i, gf[i], d[i], tol[i],
                           "complex step, confirmed by one-sided differences")
                e.left, e.right = left, right
                if abs(right - left) > 1e-3 * max(abs(left), abs(right)) + slack:
                    e.status = "wrong (kink)"  # the slopes differ: at or next to a kink
                res.wrong.append(e)
                continue
        p = _fd.real_probe(ev, k, i)
        if p.kink:
            confirmed += _kink(res, x, i, gf[i], p, tol_i)
        elif not err[i] > tol[i]:
            continue  # a -ih suspect that real differences find smooth, and agreeing
        elif abs(d[i] - p.central) <= p.error + tol[i]:
            res.n_wrong += 1
            confirmed += 1
            res.wrong.append(_entry(res, x, i, gf[i], d[i], tol[i],
                                    "complex step, confirmed by real differences"))
        else:
            unreliable += 1
            numeric[i] = p.central
            if abs(gf[i] - p.central) > p.error + tol_i:
                res.n_wrong += 1
                confirmed += 1
                res.wrong.append(_entry(res, x, i, gf[i], p.central, p.error + tol_i,
                                        "real differences"))
    if unreliable:
        res.notes.append(f"complex step disagreed with real differences at {unreliable} "
                         "entries; those were judged by real differences")
    return _finish(res, g, numeric, ev, k, ulps, noise)


def _judge_real(ev, k, gf, res, ulps, entries, numeric, rng, noise):
    unresolved, confirmed = 0, 0
    for i in entries:
        q = _fd.one_sided(ev, k, i)  # quick: 2 calls; enough for most correct entries
        tol_q = q.error + _rounding(ulps, q.A, q.F, noise[i], q.central)
        numeric[i] = q.central
        if tol_q < 0.01 * abs(q.central) and abs(gf[i] - q.central) <= tol_q:
            continue
        if confirmed >= _CONFIRM:  # the input is wrong already: no more careful probes
            if abs(gf[i] - q.central) > tol_q:
                res.n_wrong += 1
                res.wrong.append(_entry(res, ev.inputs[k], i, gf[i], q.central, tol_q,
                                        "central differences"))
            continue
        p = _fd.real_probe(ev, k, i)
        tol_i = _rounding(ulps, p.A, p.F, noise[i], p.central)
        numeric[i] = p.central
        if p.kink:
            confirmed += _kink(res, ev.inputs[k], i, gf[i], p, tol_i)
            continue
        if p.error >= 0.01 * abs(p.central):  # not resolved to 2 digits: try longer steps
            p = _fd.resolve(ev, k, i, p)
            tol_i = _rounding(ulps, p.A, p.F, noise[i], p.central)
            numeric[i] = p.central
        if p.error + tol_i >= abs(p.central) and p.error > tol_i:
            unresolved += 1
        if abs(gf[i] - p.central) > p.error + tol_i:
            res.n_wrong += 1
            confirmed += 1
            res.wrong.append(_entry(res, ev.inputs[k], i, gf[i], p.central, p.error + tol_i,
                                    "real differences"))
    if unresolved:
        res.notes.append(f"{unresolved} entries are smaller than the real-difference error "
                         "bound (e.g. a saturated unit): only checked to that bound")
    return _finish(res, gf.reshape(res.shape), numeric, ev, k, ulps, noise)


def _kink(res, x, i, gi, p, tol_i) -> int:
    """Judge entry ``i`` at a kink: accept ``gi`` between the one-sided slopes."""
    lo, hi = min(p.left, p.right), max(p.left, p.right)
    slack = p.noise + tol_i
    inside = lo - slack <= gi <= hi + slack
    near = lo if abs(gi - lo) < abs(gi - hi) else hi
    e = _entry(res, x, i, gi, near, slack, "one-sided differences",
               status="kink" if inside else "wrong (kink)")
    e.error = 0.0 if inside else abs(gi - near)
    e.left, e.right = p.left, p.right
    if inside:
        res.kinks.append(e)
        return 0
    res.n_wrong += 1
    res.wrong.append(e)
    return 1


def _joint_kinks(ev, k, g, res, ulps, noise):
    """Kink entries together: each may be a subgradient alone, but not all at once.

    Moving all kink entries by the same step is often smooth (both elements of a tie
    move together); when real differences find it smooth, ``sum(g)`` over the kink
    entries must equal that derivative. Catches every tied maximum given the gradient.
    """
    idx = [np.ravel_multi_index(e.index, res.shape) if res.shape else 0 for e in res.kinks]
    x = ev.inputs[k]
    u = np.zeros(x.size)
    u[idx] = 1.0
    p = _fd.real_direction(ev, k, u.reshape(x.shape))
    if p.kink:
        return
    ug = float(u @ g.ravel())
    ug_scale = np.abs(u) @ np.abs(g.ravel())
    slack = p.error + _rounding(ulps, p.A + ug_scale, p.F, u @ noise, p.central)
    if abs(ug - p.central) > slack:
        res.n_wrong += 1
        res.wrong.append(Entry(res.name, ("kink entries jointly",), ug, p.central,
                               abs(ug - p.central), slack, "wrong (kinks jointly)",
                               "real differences moving all kink entries together"))
        res.notes.append("each kink entry lies between its own one-sided slopes, but not "
                         "all together (e.g. every tied maximum given the whole gradient)")


def _entry(res, x, i, a, n, tol, method, status="wrong"):
    idx = tuple(int(j) for j in np.unravel_index(i, x.shape))
    return Entry(res.name, idx, float(a), float(n), abs(float(a) - float(n)), float(tol),
                 status, method)


def _finish(res, g, numeric, ev=None, k=None, ulps=None, noise=None):
    if res.kinks and not res.n_wrong and ev is not None:
        _joint_kinks(ev, k, g, res, ulps, noise)
    if res.n_wrong:
        bad = np.zeros(g.size, bool)
        for e in res.wrong:
            if e.index == ("kink entries jointly",):
                continue
            bad[np.ravel_multi_index(e.index, res.shape) if res.shape else 0] = True
        res.diagnosis = describe(g, numeric.reshape(g.shape), bad.reshape(g.shape))
    return res


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
