"""Time to check each library layer three ways, and which subtle bugs each way catches.

For every layer of ``numeric.layers`` at one drawn point (sizes 3, attention 2), the
same hand-written NumPy backward is checked by

* the exact symbolic VJP (``derive.vjp``): cold (SymPy derivation + lambdify for this
  shape, cache cleared) and warm (the compiled form reused for a new point),
* finite differences (``numeric.check_layer``),
* ``torch.autograd.gradcheck`` on a ``torch.autograd.Function`` wrapping the NumPy
  forward/backward (so torch checks the same backward, not its own autograd).

Medians of ``--repeat`` runs; ratios against finite differences measured in the same
run. Then three subtle bugs are fed to all three checkers. torch is imported here only.
The image and sequence layers are benched at sizes 2 (their SymPy forms grow fastest).

``--course-sizes`` instead times ``numeric.check_layer`` on conv2d (padding 1) and
max_pool2d (2x2, stride 2) at the course sizes x (4, 3, 16, 16), w (8, 3, 3, 3), each
with the library's vectorised, complex-safe forward and with a loop forward written as
course code is (``out = np.zeros(...)``: not complex-safe), counting forward calls.
The loop runs take minutes with the current checker (that is the point of the figure).

    python bench/bench_layers.py [--repeat 5] [--course-sizes]
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

import numeric  # noqa: E402
from derive import vjp  # noqa: E402
from derive.layers import LAYERS  # noqa: E402
from numeric import _stable  # noqa: E402
from numeric.testing import draw_inputs  # noqa: E402


def _median_time(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _torch_check(torch, layer, backward, inputs):
    """torch.autograd.gradcheck of the NumPy backward, wrapped as an autograd Function."""
    diff = layer.differentiable

    class Wrapped(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *tensors):
            arrays = [t.detach().numpy() for t in tensors]
            ctx.arrays = arrays
            return torch.from_numpy(np.asarray(layer.forward(*arrays), dtype=np.float64))

        @staticmethod
        def backward(ctx, g):
            grads = backward(g.detach().numpy(), *ctx.arrays)
            return tuple(None if gr is None else torch.from_numpy(np.asarray(gr, dtype=np.float64))
                         for gr in grads)

    tensors = [torch.tensor(x, dtype=torch.float64 if d else None, requires_grad=d)
               for x, d in zip(inputs, diff)]
    try:
        return bool(torch.autograd.gradcheck(Wrapped.apply, tensors, raise_exception=False))
    except Exception:  # noqa: BLE001 - a crash counts as "not passed"
        return False


_SMALL = ("attention", "conv2d", "max_pool2d", "spatial_batch_norm", "group_norm", "rnn_step",
          "lstm_step", "temporal_softmax_loss")


def _sizes(layer):
    return {s: (2 if layer.name in _SMALL else 3) for s in layer.sizes}


def bench(repeat):
    import torch

    rng = np.random.default_rng(0)
    rows = []
    for name, form in LAYERS.items():
        layer = form.numeric
        inputs = draw_inputs(layer, rng, **_sizes(layer))
        second = draw_inputs(layer, rng, **_sizes(layer))
        n_entries = sum(x.size for x, d in zip(inputs, layer.differentiable) if d)
        vjp._CACHE.clear()
        start = time.perf_counter()
        ok_sym = form.check(inputs).ok
        cold = time.perf_counter() - start
        warm = _median_time(lambda: form.check(second), repeat)
        ok_fd = numeric.check_layer(layer.forward, layer.backward, inputs).ok
        fd = _median_time(lambda: numeric.check_layer(layer.forward, layer.backward, inputs), repeat)
        ok_t = _torch_check(torch, layer, layer.backward, inputs)
        tt = _median_time(lambda: _torch_check(torch, layer, layer.backward, inputs), repeat)
        rows.append((name, n_entries, cold, warm, fd, tt, ok_sym and ok_fd and ok_t))
    print(f"{'layer':12} {'P':>4} {'sym cold s':>10} {'sym warm ms':>11} {'FD ms':>8} "
          f"{'torch ms':>9} {'warm/FD':>8} {'torch/FD':>9} all pass")
    for name, p, cold, warm, fd, tt, ok in rows:
        print(f"{name:12} {p:4d} {cold:10.3f} {warm * 1e3:11.2f} {fd * 1e3:8.2f} {tt * 1e3:9.2f} "
              f"{warm / fd:8.2f} {tt / fd:9.2f} {'yes' if ok else 'NO'}")
    print(f"median over layers: sym cold {statistics.median(r[2] for r in rows):.3f} s, "
          f"sym warm {statistics.median(r[3] for r in rows) * 1e3:.2f} ms, "
          f"FD {statistics.median(r[4] for r in rows) * 1e3:.2f} ms, "
          f"torch {statistics.median(r[5] for r in rows) * 1e3:.2f} ms; "
          f"warm/FD {statistics.median(r[3] / r[4] for r in rows):.2f}, "
          f"torch/FD {statistics.median(r[5] / r[4] for r in rows):.2f}")
    return torch


def _sig(z):
    return _stable.sigmoid(z)


BUGS = [
    ("sigmoid, relative error 1e-6", "sigmoid",
     lambda g, z: (g * _sig(z) * _sig(-z) * (1 + 1e-6),), lambda rng: [rng.normal(size=(3, 3))]),
    ("sigmoid, zero when |z| > 25", "sigmoid",
     lambda g, z: (g * np.where(np.abs(z) > 25, 0.0, _sig(z) * _sig(-z)),),
     lambda rng: [np.array([[27.0, -29.0, 0.5], [31.0, 1.0, -2.0]])]),
    ("dense, one dW entry rel. error 1e-9", "dense",
     lambda g, x, W, b: (W.T @ g, (g @ x.T) * (1 + np.eye(*W.shape, k=1) * 1e-9), g.sum(1)),
     lambda rng: draw_inputs("dense", rng, n=3, m=2, N=2)),
    ("dense, db of the first example only", "dense",
     lambda g, x, W, b: (W.T @ g, g @ x.T, g[:, 0].copy()),
     lambda rng: draw_inputs("dense", rng, n=3, m=2, N=2)),
]


def catches(torch):
    rng = np.random.default_rng(1)
    print("\nbug caught?                          symbolic  finite-diff  torch.gradcheck")
    for label, name, backward, make in BUGS:
        inputs = make(rng)
        layer = LAYERS[name].numeric
        sym = not LAYERS[name].check(inputs, backward=backward).ok
        fd = not numeric.check_layer(layer.forward, backward, inputs).ok
        tc = not _torch_check(torch, layer, backward, inputs)
        print(f"{label:36} {'yes' if sym else 'no':>8} {'yes' if fd else 'no':>12} "
              f"{'yes' if tc else 'no':>16}")


def _conv_loop(x, w, b, stride=1, pad=1):
    """conv2d as course code writes it: loops, and a float output (not complex-safe)."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    Ho, Wo = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    win = xp[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(win * w[f]) + b[f]
    return out


def _pool_loop(x, k=2, s=2):
    N, C, H, W = x.shape
    out = np.zeros((N, C, 1 + (H - k) // s, 1 + (W - k) // s))
    for n, c, i, j in np.ndindex(*out.shape):
        out[n, c, i, j] = np.max(x[n, c, i * s:i * s + k, j * s:j * s + k])
    return out


def course_sizes():
    import warnings

    from numeric.layers import get_layer

    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(4, 3, 16, 16)), rng.normal(size=(8, 3, 3, 3)), rng.normal(size=8)
    conv, pool = get_layer("conv2d").configure(padding=1), get_layer("max_pool2d")
    cases = [("max_pool2d vectorised", pool.forward, pool.backward, [x]),
             ("conv2d vectorised", conv.forward, conv.backward, [x, w, b]),
             ("max_pool2d loops", _pool_loop, pool.backward, [x]),
             ("conv2d loops", _conv_loop, conv.backward, [x, w, b])]
    print("numeric.check_layer at x (4, 3, 16, 16), w (8, 3, 3, 3)")
    for label, forward, backward, inputs in cases:
        calls = [0]

        def counted(*args, forward=forward):
            calls[0] += 1
            return forward(*args)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the loop forwards drop imaginary parts
            start = time.perf_counter()
            report = numeric.check_layer(counted, backward, inputs)
        print(f"{label:24} {'ok' if report.ok else 'FAILED':6} {time.perf_counter() - start:8.1f} s "
              f"{calls[0]:7d} forward calls", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--course-sizes", action="store_true",
                        help="time check_layer on loop and vectorised conv/pool at course sizes")
    args = parser.parse_args(argv)
    if args.course_sizes:
        course_sizes()
        return 0
    torch = bench(args.repeat)
    catches(torch)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
