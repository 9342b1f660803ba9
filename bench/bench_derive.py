"""Layered vs expanded-cost proofs of all gradients of a concrete network.

For widths 4 and 8 and depths L = 1, 2, 4, ... : time and expression size of
* layered: chain the step lemma (derive.backprop.prove_network), one step per layer;
* expanded: differentiate the fully expanded cost (derive.backprop.check_expanded's
  method, without its size guard); a series stops when one point exceeds the cap.
Prints t(2L)/t(L) for the layered method (linear in depth: ratio ~2).
Run: python bench/bench_derive.py [--max-depth 50] [--cap 20]
"""

import argparse
import multiprocessing as mp
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sympy as sp
from sympy.core.cache import clear_cache

from derive import backprop  # noqa: E402
from derive.backprop import check_expanded, prove_network  # noqa: E402


def _timed(fn, *args, **kwargs):
    """(result, wall seconds, CPU seconds); CPU time is what the ratios use, since
    the machine is shared and wall time includes other people's load."""
    clear_cache()
    start, cpu = time.perf_counter(), time.process_time()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start, time.process_time() - cpu


def _expanded_point(width, depth, queue):
    backprop.MAX_EXPANDED = (100, 100)  # the bench measures past the CLI's guard
    res, _, t = _timed(check_expanded, [width] * (depth + 1))
    queue.put((res.proved, t, res.details["ops"]))


def _expanded(width, depth, cap):
    """(seconds, ops) of the expanded method, or None if over ``cap`` (child stopped)."""
    queue = mp.Queue()
    child = mp.Process(target=_expanded_point, args=(width, depth, queue))
    child.start()
    child.join(cap)
    if child.is_alive():
        child.terminate()
        child.join()
        return None
    proved, t, ops = queue.get()
    assert proved, (width, depth)
    return t, ops


def _layered_ops(width, depth):
    """Expression size of one step (count_ops of the derived BP2-BP4), times depth."""
    step = backprop.prove_step(width, width, layer=2)
    return depth * sum(sp.count_ops(d) for d, _ in step.equations.values())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-depth", type=int, default=50)
    parser.add_argument("--cap", type=float, default=20.0, help="expanded: seconds per point")
    args = parser.parse_args(argv)
    depths = [d for d in (1, 2, 3, 6, 12, 25, 50, 100) if d <= args.max_depth]
    print("%-6s %-5s %-9s %-9s %-13s %-10s %-20s %-10s" % (
        "width", "L", "layered", "(wall)", "t(L)/t(prev)", "ops", "expanded", "exp. ops"))
    for width in (4, 8):
        prev, capped = None, False
        prove_network([width, width])  # warm-up: BP1's symbolic proof is done once
        for depth in depths:
            proof, wall, t = _timed(prove_network, [width] * (depth + 1))
            assert proof.proved, proof
            ratio = "" if prev is None else "%.2f (x%.1f L)" % (t / prev[1], depth / prev[0])
            exp_t, exp_ops = "skipped (over cap)", ""
            if not capped:
                point = _expanded(width, depth, args.cap)
                capped = point is None
                if point is not None:
                    exp_t = "%.2fs (x%.0f)" % (point[0], point[0] / max(t, 1e-9))
                    exp_ops = str(point[1])
                else:
                    exp_t = "> %gs (cap)" % args.cap
            print("%-6d %-5d %-9s %-9s %-13s %-10d %-20s %-10s" % (
                width, depth, "%.2fs" % t, "%.2fs" % wall, ratio, _layered_ops(width, depth), exp_t, exp_ops),
                flush=True)
            prev = (depth, t)
    print("times are CPU seconds (wall in brackets); t(L)/t(prev): ratio to the previous "
          "depth (x2.0 L: linear means ~2); (xK) after an expanded time: K times the layered "
          "time; ops: count_ops of the derived expressions "
          "(layered: per step x depth; expanded: the cost)")


if __name__ == "__main__":
    main()
