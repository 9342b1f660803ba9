"""Benchmark: numeric.check_torch / check_jax against the frameworks' own gradient checkers.

Same layers, one run: the correct/buggy twins of tests/test_adapters_torch.py and
tests/test_adapters_jax.py (custom ``torch.autograd.Function`` / ``jax.custom_vjp``,
float64 and float32, single backward; plus the double-backward twins), each checked by

* ``numeric.check_torch`` against ``torch.autograd.gradcheck`` in slow mode and in fast
  mode (``fast_mode=True``) -- ``gradgradcheck`` for ``order=2``;
* ``numeric.check_jax`` against ``jax.test_util.check_grads(modes=["rev"])``
  (float64 under ``jax.enable_x64``).

All with their default tolerances. For each checker: bugs caught, false alarms on correct
layers, and the median (over ``--repeats``) of the total seconds; ratios are numeric's
time over the other checker's.

Run: ``python bench/bench_adapters.py [--repeats 3]``. Needs torch and jax
(``pip install -e '.[test]'``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), os.path.join(os.path.dirname(HERE), "tests")]

try:
    import jax
    import torch
    from jax.test_util import check_grads
except ImportError:
    print("this benchmark needs torch and jax: pip install -e '.[test]'")
    sys.exit(2)

import test_adapters_jax as TJ  # noqa: E402
import test_adapters_torch as TT  # noqa: E402
from numeric import check_jax, check_torch  # noqa: E402

torch.set_num_threads(1)


def _torch_cases():
    """(label, is_bug, fn, inputs, order)."""
    cases = []
    for dtype in (torch.float64, torch.float32):
        for name, forward, good, bad, shapes in TT.TWINS:
            xs = TT._inputs(shapes, dtype, seed=1)
            tag = f"{name} {str(dtype)[6:]}"
            cases.append((tag, False, TT._fn(forward, good, "Good"), xs, 1))
            cases.append((tag, True, TT._fn(forward, bad, "Bad"), xs, 1))
        x = torch.randn(4, 5, generator=torch.Generator().manual_seed(0)).to(dtype)
        low_bug = TT._fn(torch.sigmoid, lambda g, x: TT._d_sigmoid(g, x, TT._low_only(1.01)),
                         "LowBug")
        cases.append((f"sigmoid, low-precision-only bug {str(dtype)[6:]}",
                      dtype == torch.float32, low_bug, [x], 1))
        x = torch.randn(3, 2, generator=torch.Generator().manual_seed(0)).to(dtype)
        cases.append((f"square, double backward {str(dtype)[6:]}", None, TT._Square.apply,
                      [x], 2))
    return cases


def _run_torch_case(checker, fn, xs, order, bug_flag=None):
    if bug_flag is not None:
        TT._MulBack.bug = bug_flag
    if checker == "numeric":
        return check_torch(fn, xs, order=order).ok
    args = tuple(x.detach().clone().requires_grad_(x.dtype.is_floating_point) for x in xs)
    fast = checker == "gradcheck fast"
    check = torch.autograd.gradcheck if order == 1 else torch.autograd.gradgradcheck
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return check(fn, args, fast_mode=fast, raise_exception=False)
        except Exception:  # e.g. a shape error inside the user's backward
            return False


def _jax_cases():
    cases = []
    for dtype in (np.float64, np.float32):
        for name, f, good, bad, make in TJ.TWINS:
            xs = TJ._cast(make(np.random.default_rng(7)), dtype)
            tag = f"{name} {np.dtype(dtype).name}"
            cases.append((tag, False, TJ._custom(f, good), xs, 1))
            cases.append((tag, True, TJ._custom(f, bad), xs, 1))
        x = np.random.default_rng(3).standard_normal((2, 3)).astype(dtype)
        cases.append((f"cube, VJP of VJP {np.dtype(dtype).name}", False, TJ._second(1.0), [x], 2))
        cases.append((f"cube, VJP of VJP {np.dtype(dtype).name}", True, TJ._second(0.5), [x], 2))
        low = TJ._custom(jax.numpy.sin, lambda g, x: (g * jax.numpy.cos(x) * TJ._low_only(1.01)(x),))
        cases.append((f"sin, low-precision-only bug {np.dtype(dtype).name}",
                      dtype == np.float32, low, [x], 1))
    return cases


def _run_jax_case(checker, fn, xs, order):
    if checker == "numeric":
        return check_jax(fn, xs, order=order).ok
    with jax.enable_x64(True):
        args = [jax.tree_util.tree_map(jax.numpy.asarray, x) for x in xs]
        try:
            check_grads(fn, args, order=order, modes=["rev"])
            return True
        except AssertionError:
            return False


def _table(title, checkers, cases, run, repeats):
    results = {c: {"caught": 0, "missed": [], "false": [], "times": []} for c in checkers}
    n_bugs = sum(1 for c in cases if c[1]) + sum(1 for c in cases if c[1] is None)
    n_good = sum(1 for c in cases if c[1] is False) + sum(1 for c in cases if c[1] is None)
    for rep in range(repeats):
        for checker in checkers:
            t0 = time.perf_counter()
            for label, is_bug, fn, xs, order in cases:
                flags = [(False, 1.0), (True, 0.5)] if is_bug is None else [(is_bug, None)]
                for bug, flag in flags:
                    ok = run(checker, fn, xs, order, flag) if flag is not None else \
                        run(checker, fn, xs, order)
                    if rep:
                        continue
                    if bug and not ok:
                        results[checker]["caught"] += 1
                    elif bug:
                        results[checker]["missed"].append(label)
                    elif not ok:
                        results[checker]["false"].append(label)
            results[checker]["times"].append(time.perf_counter() - t0)
    TT._MulBack.bug = 1.0
    print(f"\n### {title}: {n_good} correct and {n_bugs} buggy layers, median of {repeats} runs\n")
    print("| checker | bugs caught | false alarms | seconds (all layers) | numeric / this |")
    print("| --- | --- | --- | --- | --- |")
    base = statistics.median(results[checkers[0]]["times"])
    for c in checkers:
        r = results[c]
        t = statistics.median(r["times"])
        print(f"| {c} | {r['caught']} / {n_bugs} | {len(r['false'])} / {n_good} | {t:.2f} | "
              f"{base / t:.2f} |")
    for c in checkers:
        r = results[c]
        if r["missed"]:
            print(f"\n{c} missed: {', '.join(r['missed'])}")
        if r["false"]:
            print(f"\n{c} false alarms: {', '.join(r['false'])}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per checker (median)")
    args = ap.parse_args(argv)
    if args.repeats < 1:
        ap.error(f"--repeats: expected an integer >= 1, got {args.repeats}")
    _table("PyTorch: custom autograd Functions", ["numeric", "gradcheck slow", "gradcheck fast"],
           _torch_cases(), _run_torch_case, args.repeats)
    _table("JAX: custom_vjp functions", ["numeric", "check_grads"], _jax_cases(),
           lambda c, f, x, o, flag=None: _run_jax_case(c, f, x, o), args.repeats)


if __name__ == "__main__":
    main()
