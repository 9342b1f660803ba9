"""numeric.check_torch: custom autograd Functions as correct/buggy twins, float64 and low
precision, single and double backward, nondeterministic backward, nn.Module parameters."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from numeric import check_torch


def _fn(forward, backward, name):
    """A torch.autograd.Function from a forward(*xs) and backward(g, *xs) -> grads."""

    def fwd(ctx, *xs):
        ctx.save_for_backward(*xs)
        return forward(*xs)

    def bwd(ctx, *gs):
        return backward(*gs, *ctx.saved_tensors)

    return type(name, (torch.autograd.Function,), {"forward": staticmethod(fwd),
                                                     "backward": staticmethod(bwd)}).apply


def _low_only(factor):
    """A factor applied only when the computation runs in low precision."""
    return lambda t: factor if t.dtype in (torch.float32, torch.bfloat16, torch.float16) else 1.0


def _softmax(x):
    return torch.softmax(x, -1)


def _layernorm(x):
    mu = x.mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(((x - mu) ** 2).mean(-1, keepdim=True) + 1e-5)


def _d_layernorm(g, x, drop_mean=False):
    mu = x.mean(-1, keepdim=True)
    s = torch.sqrt(((x - mu) ** 2).mean(-1, keepdim=True) + 1e-5)
    xh = (x - mu) / s
    gm = 0 if drop_mean else g.mean(-1, keepdim=True)
    return ((g - gm - xh * (g * xh).mean(-1, keepdim=True)) / s,)


def _d_sigmoid(g, x, bug=lambda t: 1.0):
    s = torch.sigmoid(x)
    return (g * s * (1 - s) * bug(x),)


# name, forward, correct backward, buggy backward, input shapes (None: integer labels)
TWINS = [
    ("sigmoid", torch.sigmoid, _d_sigmoid,
     lambda g, x: (g * torch.sigmoid(x) * (1 - torch.sigmoid(x)) * 1.01,), [(3, 4)]),
    ("tanh", torch.tanh, lambda g, x: (g * (1 - torch.tanh(x) ** 2),),
     lambda g, x: (g * (1 + torch.tanh(x) ** 2),), [(3, 4)]),
    ("linear", lambda x, W, b: x @ W.T + b,
     lambda g, x, W, b: (g @ W, g.T @ x, g.sum(0)),
     lambda g, x, W, b: (g @ W, g.T @ x, g[0]), [(4, 3), (2, 3), (2,)]),
    ("softmax", _softmax,
     lambda g, x: ((g - (g * _softmax(x)).sum(-1, keepdim=True)) * _softmax(x),),
     lambda g, x: (g * _softmax(x) * (1 - _softmax(x)),), [(3, 5)]),
    ("layernorm", _layernorm, _d_layernorm,
     lambda g, x: _d_layernorm(g, x, drop_mean=True), [(3, 6)]),
    ("sin_cos (two outputs)", lambda x: (torch.sin(x), torch.cos(x)),
     lambda gs, gc, x: (gs * torch.cos(x) - gc * torch.sin(x),),
     lambda gs, gc, x: (gs * torch.cos(x) + gc * torch.sin(x),), [(2, 3)]),
    ("gather (integer index)", lambda W, idx: W[idx],
     lambda g, W, idx: (torch.zeros_like(W).index_add_(0, idx, g), None),
     lambda g, W, idx: (torch.zeros_like(W).index_copy_(0, idx, g), None), [(4, 3), None]),
]


def _inputs(shapes, dtype, seed):
    g = torch.Generator().manual_seed(seed)
    out = []
    for s in shapes:
        if s is None:
            out.append(torch.tensor([1, 3, 1, 0, 1]))  # repeated index: index_copy_ is wrong
        else:
            out.append(torch.randn(*s, generator=g, dtype=torch.float64).to(dtype))
    return out


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
@pytest.mark.parametrize("name,forward,good,bad,shapes", TWINS, ids=[t[0] for t in TWINS])
def test_correct_passes_and_buggy_twin_fails(name, forward, good, bad, shapes, dtype):
    xs = _inputs(shapes, dtype, seed=1)
    good_report = check_torch(_fn(forward, good, "Good"), xs)
    assert good_report.ok, str(good_report)
    bad_report = check_torch(_fn(forward, bad, "Bad"), xs)
    assert not bad_report.ok, str(bad_report)
    if dtype == torch.float32:
        assert any("[float32]" in r.name for r in good_report.inputs)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("fn,shapes", [
    (torch.sigmoid, [(4, 5)]),
    (_softmax, [(3, 6)]),
    (lambda x, w, b: F.layer_norm(x, (6,), w, b), [(3, 6), (6,), (6,)]),
    (lambda x, w: F.conv2d(x, w, padding=1), [(2, 2, 4, 4), (3, 2, 3, 3)]),
    (lambda x, y: F.cross_entropy(x * 3, y), [(5, 4), None]),
], ids=["sigmoid", "softmax", "layer_norm", "conv2d", "cross_entropy"])
def test_correct_float32_passes_for_every_seed(fn, shapes, seed):
    g = torch.Generator().manual_seed(seed)
    xs = [torch.randint(0, 4, (5,), generator=g) if s is None
          else torch.randn(*s, generator=g) * 3 for s in shapes]
    report = check_torch(fn, xs)
    assert report.ok, str(report)


@pytest.mark.parametrize("seed", range(6))
def test_float32_bug_of_one_percent_only_in_low_precision_fails(seed):
    """The float64 reference is right; only the float32 run is off by 1e-2 relative."""
    x = torch.randn(4, 5, generator=torch.Generator().manual_seed(seed))
    fn = _fn(torch.sigmoid, lambda g, x: _d_sigmoid(g, x, _low_only(1.01)), "LowBug")
    report = check_torch(fn, [x])
    assert not report.ok
    low = [r for r in report.inputs if "[float32]" in r.name]
    assert low and not low[0].ok, str(report)
    assert "1.01 x the float64 reference" in str(report)
    assert all(r.ok for r in report.inputs if "[float32]" not in r.name)  # reference passed


@pytest.mark.parametrize("dtype,factor", [(torch.float16, 1.1), (torch.bfloat16, 1.5)],
                         ids=["float16", "bfloat16"])
def test_half_precisions_pass_when_correct_and_catch_a_bug(dtype, factor):
    """bfloat16 keeps 3 significant digits (eps 7.8e-3): a 10% bug is within its rounding
    bound; float16 (eps 9.8e-4) catches it."""
    x = torch.randn(3, 4, generator=torch.Generator().manual_seed(3)).to(dtype)
    assert check_torch(torch.tanh, [x]).ok
    fn = _fn(torch.sigmoid, lambda g, x: _d_sigmoid(g, x, _low_only(factor)), "HalfBug")
    assert not check_torch(fn, [x]).ok


# ---------------------------------------------------------------- double backward
class _MulBack(torch.autograd.Function):
    """backward of x**2 as its own Function: (g, x) -> 2 g x, with a settable bug."""

    bug = 1.0

    @staticmethod
    def forward(ctx, g, x):
        ctx.save_for_backward(g, x)
        return 2 * g * x

    @staticmethod
    def backward(ctx, gg):
        g, x = ctx.saved_tensors
        return 2 * x * gg, 2 * g * gg * _MulBack.bug


class _Square(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 2

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return _MulBack.apply(g, x)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
def test_double_backward_twins(dtype, monkeypatch):
    x = torch.randn(3, 2, generator=torch.Generator().manual_seed(0)).to(dtype)
    assert check_torch(_Square.apply, [x]).ok
    assert check_torch(_Square.apply, [x], order=2).ok
    monkeypatch.setattr(_MulBack, "bug", 0.5)      # first derivative still right ...
    assert check_torch(_Square.apply, [x]).ok
    report = check_torch(_Square.apply, [x], order=2)   # ... its derivative is not
    assert not report.ok and "grad_output" in str(report)


def test_double_backward_of_builtins_passes():
    x = torch.randn(2, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    w = torch.randn(4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    assert check_torch(lambda x, w: torch.tanh(x @ w.T), [x, w], order=2).ok


# ---------------------------------------------------------------- nondeterminism
def test_noisy_backward_is_reported_nondeterministic():
    fn = _fn(torch.sin, lambda g, x: (g * torch.cos(x) + 1e-3 * torch.randn(x.shape,
                                                                            dtype=x.dtype),),
             "Noisy")
    report = check_torch(fn, [torch.randn(3, 3, dtype=torch.float64)])
    assert not report.ok
    text = str(report)
    assert "nondeterministic" in text and "differ by up to" in text


def test_rounding_level_nondeterminism_is_noted_and_passes():
    """Sums in a random order (as atomics do): differences of a few ulps."""
    def d_sum_rows(g, x):
        perm = torch.randperm(x.shape[1])
        return (g[:, None] * torch.ones_like(x) * (x[:, perm] ** 2).sum(1, keepdim=True)
                / (x ** 2).sum(1, keepdim=True),)
    x = torch.rand(3, 40, dtype=torch.float64, generator=torch.Generator().manual_seed(4)) + 0.1
    x = x * torch.logspace(0, 3, 40, dtype=torch.float64)
    report = check_torch(_fn(lambda x: x.sum(1), d_sum_rows, "Perm"), [x])
    assert report.ok, str(report)


def test_dropout_in_training_mode_is_a_nondeterministic_forward():
    m = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Dropout(0.5)).double()
    report = check_torch(m, [torch.randn(2, 3, dtype=torch.float64)])
    assert not report.ok and "forward is nondeterministic" in str(report)
    assert check_torch(m.eval(), [torch.randn(2, 3, dtype=torch.float64)]).ok


# ---------------------------------------------------------------- modules
def test_module_parameters_checked_by_name_and_module_left_unchanged():
    torch.manual_seed(0)
    # (no bias before the batch norm: its gradient is exactly 0, and batch_norm refuses
    # complex tensors, so real differences cannot resolve it: "unresolved")
    m = torch.nn.Sequential(torch.nn.Linear(3, 4, bias=False), torch.nn.BatchNorm1d(4),
                            torch.nn.Tanh(), torch.nn.Linear(4, 2))
    before = {k: v.clone() for k, v in m.state_dict().items()}
    report = check_torch(m, [torch.randn(5, 3)])
    assert report.ok, str(report)
    names = [r.name for r in report.inputs]
    assert {"0.weight", "1.weight", "1.bias", "3.weight", "3.bias"} <= set(names)
    assert all(torch.equal(before[k], v) for k, v in m.state_dict().items())


def test_frozen_parameters_and_requires_grad_choose_what_is_checked():
    m = torch.nn.Linear(3, 2).double()
    m.bias.requires_grad_(False)
    report = check_torch(m, [torch.randn(4, 3, dtype=torch.float64)])
    assert [r.name for r in report.inputs] == ["inputs[0]", "weight"]
    a = torch.randn(2, 2, dtype=torch.float64, requires_grad=True)
    b = torch.randn(2, 2, dtype=torch.float64)
    report = check_torch(lambda a, b: a @ b, [a, b], names=["a", "b"])
    assert [r.name for r in report.inputs] == ["a"]


# ---------------------------------------------------------------- bad arguments
@pytest.mark.parametrize("call,error,message", [
    (lambda: check_torch(torch.sin, torch.zeros(2)), TypeError, "inputs: expected a list"),
    (lambda: check_torch(torch.sin, ["x"]), TypeError, "inputs[0]: expected a tensor"),
    (lambda: check_torch(torch.sin, [torch.zeros(2)], order=3), ValueError, "order"),
    (lambda: check_torch(3, [torch.zeros(2)]), TypeError, "fn: expected a callable"),
    (lambda: check_torch(torch.sin, [torch.zeros(2)], names=["a", "b"]), ValueError, "names"),
])
def test_bad_arguments_give_one_line(call, error, message):
    with pytest.raises(error, match=message.replace("[", r"\[")) as info:
        call()
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
@pytest.mark.parametrize("order", [1, 2])
def test_fn_that_raises_is_a_report_problem_not_a_crash(dtype, order):
    def broken(x):
        raise RuntimeError("shape mismatch in my layer")
    report = check_torch(broken, [torch.zeros(2, dtype=dtype)], order=order)
    assert not report.ok and "shape mismatch in my layer" in str(report)


def test_numpy_inputs_are_accepted():
    assert check_torch(torch.exp, [np.array([0.5, -1.0])]).ok
