"""Benchmark: numeric.check_layer against torch.autograd.gradcheck (slow and fast mode).

Both checkers check the SAME NumPy code: the layer's forward/backward are wrapped in a
``torch.autograd.Function`` for torch, and every forward call is counted. Two parts:

1. Scaling: dense + sigmoid layer ``sigmoid(W x + b)``, all of x, W, b checked, at
   P = 10, 100, 1,000, 10,000 input entries. Seconds (median over repeats), forward
   calls, and time ratios check_layer / torch.
2. The zoo (``tests/zoo.py``): every correct layer and every buggy twin at 3 random
   shapes. Verdicts (missed bugs, false alarms) and total time of each checker.
3. Localisation: a 2000 x 8 input with 6 wrong rows, forward calls to name them.

Run: ``python bench/bench_gradcheck.py [--repeats 5] [--quick]``.
torch is imported here only; it is not a dependency of the package.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), os.path.join(os.path.dirname(HERE), "tests")]

try:
    import torch
    from torch.autograd import gradcheck
except ImportError:
    print("this benchmark needs torch: pip install torch==2.13.0")
    sys.exit(2)

from numeric import check_layer  # noqa: E402
from zoo import BUGS, CASES  # noqa: E402

torch.set_num_threads(1)


class Counted:
    """A forward that counts its calls."""

    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __call__(self, *a):
        self.calls += 1
        return self.fn(*a)


def torch_apply(forward, backward):
    """The NumPy layer as a torch function (copies, so torch's in-place steps cannot leak)."""

    class Layer(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *ts):
            ctx.arrays = [t.detach().numpy().copy() for t in ts]
            return torch.from_numpy(np.array(forward(*ctx.arrays), dtype=np.float64))

        @staticmethod
        def backward(ctx, g):
            grads = backward(g.detach().numpy().copy(), *ctx.arrays)
            return tuple(None if d is None else torch.from_numpy(np.array(d, dtype=np.float64))
                         for d in grads)

    return Layer.apply


def torch_check(forward, backward, inputs, fast):
    """(verdict, forward calls); a structural error raised inside torch counts as caught."""
    fwd = Counted(forward)
    ts = tuple(torch.from_numpy(np.array(x)).requires_grad_(np.asarray(x).dtype.kind == "f")
               for x in inputs)
    try:
        ok = gradcheck(torch_apply(fwd, backward), ts, fast_mode=fast, raise_exception=False)
    except Exception:
        ok = False
    return bool(ok), fwd.calls


def ours(forward, backward, inputs, **kw):
    fwd = Counted(forward)
    report = check_layer(fwd, backward, inputs, **kw)
    return report.ok, fwd.calls


def timed(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


# ---------------------------------------------------------------- part 1: scaling


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def dense_sig(x, W, b):
    return _sig(W @ x + b[:, None])


def dense_sig_back(g, x, W, b):
    a = _sig(W @ x + b[:, None])
    d = g * a * (1 - a)
    return W.T @ d, d @ x.T, d.sum(axis=1)


SIZES = {10: (2, 2), 100: (5, 14), 1000: (25, 14), 10000: (80, 44)}  # P -> (n, N), W square


def scaling(repeats, quick):
    print("Part 1: dense+sigmoid, x (n,N), W (n,n), b (n,) all checked; medians of "
          f"{repeats} runs; calls = forward calls")
    head = (f"{'P':>6} {'ours s':>9} {'calls':>6} {'slow s':>9} {'calls':>6} {'fast s':>9} "
            f"{'calls':>5} {'slow/ours':>9} {'fast/ours':>9} {'ours(dirs) s':>12} "
            f"{'native slow s':>13} {'native/ours':>11}")
    print(head)
    rng = np.random.default_rng(0)
    for P, (n, N) in SIZES.items():
        if quick and P > 1000:
            continue
        inputs = (rng.standard_normal((n, N)), rng.standard_normal((n, n)) / np.sqrt(n),
                  rng.standard_normal(n))
        P_real = sum(a.size for a in inputs)
        rep = max(1, repeats if P < 10000 else repeats // 2)
        t_ours, (ok1, c_ours) = timed(lambda: ours(dense_sig, dense_sig_back, inputs), rep)
        t_slow, (ok2, c_slow) = timed(lambda: torch_check(dense_sig, dense_sig_back, inputs,
                                                          False), rep)
        t_fast, (ok3, c_fast) = timed(lambda: torch_check(dense_sig, dense_sig_back, inputs,
                                                          True), rep)
        t_dirs, (ok4, _) = timed(lambda: ours(dense_sig, dense_sig_back, inputs,
                                              mode="directions"), rep)
        ts = tuple(torch.from_numpy(a.copy()).requires_grad_() for a in inputs)
        native = lambda x, W, b: torch.sigmoid(W @ x + b[:, None])  # noqa: E731
        t_nat, ok5 = timed(lambda: gradcheck(native, ts, raise_exception=False),
                           1 if P >= 10000 else rep)
        assert ok1 and ok2 and ok3 and ok4 and ok5, "a correct layer was rejected"
        print(f"{P_real:>6} {t_ours:>9.4f} {c_ours:>6} {t_slow:>9.4f} {c_slow:>6} "
              f"{t_fast:>9.4f} {c_fast:>5} {t_slow / t_ours:>9.2f} {t_fast / t_ours:>9.2f}"
              f" {t_dirs:>12.4f} {t_nat:>13.4f} {t_nat / t_ours:>11.2f}")
    print("(ours: full per-entry check up to 10,000 entries, else 3 random directions per "
          "input; 'ours(dirs)' forces the directions mode; 'native' = torch slow gradcheck on "
          "the same layer written in torch ops)")


# ---------------------------------------------------------------- part 2: the zoo


def zoo(repeats):
    seeds = (0, 1, 2)
    jobs = [(c, "correct", c.backward, s) for c in CASES for s in seeds]
    jobs += [(c, bug, back, s) for c, bug, back in BUGS for s in seeds]
    inputs = {(c.name, s): c.draw(np.random.default_rng(s)) for c in CASES for s in seeds}
    totals = {"ours": [], "slow": [], "fast": []}
    verdicts = {}
    for _ in range(repeats):
        for who in totals:
            t = time.perf_counter()
            for c, bug, back, s in jobs:
                x = inputs[c.name, s]
                if who == "ours":
                    ok, calls = ours(c.forward, back, x)
                else:
                    ok, calls = torch_check(c.forward, back, x, fast=who == "fast")
                verdicts[who, c.name, bug, s] = (ok, calls)
            totals[who].append(time.perf_counter() - t)
    print(f"\nPart 2: the zoo, {len(CASES)} correct layers and {len(BUGS)} buggy twins, "
          f"3 random shapes each ({len(jobs)} checks); medians of {repeats} runs")
    print(f"{'checker':>12} {'seconds':>9} {'calls':>7} {'missed bugs':>12} {'false alarms':>13}")
    for who, label in (("ours", "check_layer"), ("slow", "torch slow"), ("fast", "torch fast")):
        missed = sorted({f"{c.name}: {b}" for c, b, _, s in jobs
                         if b != "correct" and verdicts[who, c.name, b, s][0]})
        false = sorted({c.name for c, b, _, s in jobs
                        if b == "correct" and not verdicts[who, c.name, b, s][0]})
        calls = sum(verdicts[who, c.name, b, s][1] for c, b, _, s in jobs)
        print(f"{label:>12} {statistics.median(totals[who]):>9.3f} {calls:>7} "
              f"{len(missed):>12} {len(false):>13}")
        for m in missed:
            print(f"{'':>14}missed: {m}")
        for f in false:
            print(f"{'':>14}false alarm: {f}")
    t_ours = statistics.median(totals["ours"])
    sizes = sum(sum(np.asarray(a).size for a, d in zip(inputs[c.name, s], c.draw(
        np.random.default_rng(s))) if np.asarray(d).dtype.kind == "f") for c, _, _, s in jobs)
    model = (2 * sizes + 2 * len(jobs)) * 45e-6
    print(f"torch slow modelled as (2P+2) calls at 45 us each (P = {sizes} float entries in "
          f"all): {model:.3f} s; check_layer / model = {t_ours / model:.3f}")
    print(f"time ratio check_layer / torch slow = {t_ours / statistics.median(totals['slow']):.3f}"
          f"; check_layer / torch fast = {t_ours / statistics.median(totals['fast']):.3f}")


# ---------------------------------------------------------------- part 3: localisation


def localisation(repeats):
    """A 2000 x 8 input with 6 wrong rows: forward calls and seconds to name every wrong
    entry, against checking entry by entry (what torch slow does: 2 calls an entry)."""
    rng = np.random.default_rng(0)
    X, w = rng.standard_normal((2000, 8)), rng.standard_normal(8)
    rows = [5, 100, 999, 1500, 1501, 1999]

    def fwd(X, w):
        return np.tanh(X @ w)

    def back(g, X, w):
        d = g * (1 - np.tanh(X @ w) ** 2)
        dX = np.outer(d, w)
        dX[rows] *= 1.5
        return dX, X.T @ d

    t, (report, calls) = timed(lambda: _located(fwd, back, [X, w]), repeats)
    found = sorted({e.index[0] for e in report.inputs[0].wrong})
    print(f"\nPart 3: 2000 x 8 input, 6 wrong rows (48 wrong entries); median of {repeats}")
    print(f"check_layer: {calls} forward calls, {t:.3f} s, wrong rows found {found} "
          f"({'all' if found == rows else 'NOT all'}); entry by entry: "
          f"{2 * X.size + 2} calls (torch slow), {X.size} (one complex step an entry)")


def _located(fwd, back, inputs):
    f = Counted(fwd)
    report = check_layer(f, back, inputs, batch_axis=0)
    return report, f.calls


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="skip P = 10,000; one zoo run")
    args = ap.parse_args(argv)
    print(f"torch {torch.__version__}, numpy {np.__version__}")
    scaling(args.repeats, args.quick)
    zoo(1 if args.quick else max(1, args.repeats // 2))
    localisation(1 if args.quick else args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
