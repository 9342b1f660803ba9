"""check_cache_layer / check_value_and_grad on course-style layers: one line per layer, every
correct layer passes, every buggy twin fails."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from numeric import check_cache_layer, check_value_and_grad
import course_layers as C


def _check(kind, fwd, bwd, inputs, params):
    if kind == "cache":
        return check_cache_layer(fwd, bwd, inputs, params=params)
    return check_value_and_grad(fwd, inputs, params=params)


@pytest.mark.parametrize("name,kind,fwd,bwd,make,params", C.LAYERS, ids=[t[0] for t in C.LAYERS])
def test_course_layer_passes_and_its_buggy_twin_fails(name, kind, fwd, bwd, make, params):
    inputs = make(np.random.default_rng(5))
    good = _check(kind, fwd, bwd, inputs, params)
    assert good.ok, str(good)
    if kind == "cache":
        bad = check_cache_layer(fwd, C._buggy(bwd), inputs, params=params)
    else:
        bad = check_value_and_grad(lambda *a: fwd(*a, bug=True), inputs, params=params)
    assert not bad.ok, str(bad)


def test_conv_with_padding_one_passes_and_the_crop_bug_only_shows_at_pad_zero():
    r = np.random.default_rng(0)
    xs = [r.standard_normal((2, 2, 4, 4)), r.standard_normal((2, 2, 3, 3)), r.standard_normal(2)]
    pad1 = ({"stride": 1, "pad": 1},)
    assert check_cache_layer(C.conv_forward_naive, C.conv_backward_naive, xs, params=pad1).ok
    assert check_cache_layer(C.conv_forward_naive, C._buggy(C.conv_backward_naive), xs,
                             params=pad1).ok          # [pad:-pad] is right for pad >= 1
    report = check_cache_layer(C.conv_forward_naive, C._buggy(C.conv_backward_naive), xs,
                               params=({"stride": 1, "pad": 0},))
    assert not report.ok and "inputs[0]" in str(report)


def test_param_dict_is_passed_fresh_and_never_changed():
    bn_param = {"mode": "train", "running_mean": np.zeros(3), "running_var": np.ones(3)}
    before = copy.deepcopy(bn_param)
    r = np.random.default_rng(1)
    report = check_cache_layer(C.batchnorm_forward, C.batchnorm_backward,
                               [r.standard_normal((4, 3)), np.ones(3), np.zeros(3)],
                               params={"bn_param": bn_param}, names=["x", "gamma", "beta"])
    assert report.ok, str(report)
    assert bn_param.keys() == before.keys()
    assert all(np.array_equal(bn_param[k], before[k]) for k in ("running_mean", "running_var"))


def test_unseeded_dropout_is_a_nondeterministic_forward():
    x = np.random.default_rng(2).standard_normal((4, 5))
    report = check_cache_layer(C.dropout_forward, C.dropout_backward, [x],
                               params=({"mode": "train", "p": 0.5},))
    assert not report.ok and "forward is nondeterministic" in str(report)


def test_backward_writing_into_dout_is_noted():
    make = C.LAYERS[[t[0] for t in C.LAYERS].index("lstm_step")][4]
    report = check_cache_layer(C.lstm_step_forward, C.lstm_step_backward,
                               make(np.random.default_rng(3)))
    assert report.ok and "wrote into its dout" in str(report)


def test_wrt_selects_inputs_by_name_or_index():
    """A loss whose fn returns only dW, for W among (W, X, y, reg as a param)."""
    def softmax_loss_vectorized(W, X, y, reg):
        loss, dscores = C.softmax_loss(X @ W, y)
        return loss + reg * (W ** 2).sum(), X.T @ dscores + 2 * reg * W
    r = np.random.default_rng(4)
    inputs = [r.standard_normal((3, 4)), r.standard_normal((5, 3)), r.integers(0, 4, 5)]
    for wrt in ("W", 0, [0]):
        report = check_value_and_grad(softmax_loss_vectorized, inputs, params=(0.1,),
                                      names=["W", "X", "y"], wrt=wrt)
        assert report.ok and [i.name for i in report.inputs] == ["W"], str(report)
    report = check_value_and_grad(softmax_loss_vectorized, inputs, params={"reg": 0.1})
    assert not report.ok and "pass wrt=" in str(report)  # 1 gradient for 2 float inputs


@pytest.mark.parametrize("call,error,message", [
    (lambda: check_cache_layer(C.relu_forward, C.relu_backward, np.zeros(3)), TypeError,
     "inputs: expected a list"),
    (lambda: check_cache_layer(C.relu_forward, None, [np.zeros(3)]), TypeError, "callables"),
    (lambda: check_cache_layer(C.relu_forward, C.relu_backward, [np.zeros(3)], params=3),
     TypeError, "params: expected"),
    (lambda: check_cache_layer(C.relu_forward, C.relu_backward, [np.zeros(3)], wrt="z"),
     ValueError, "wrt: 'z' is not one of"),
    (lambda: check_value_and_grad(C.svm_loss, [np.zeros((2, 3)), np.array([0, 1])], wrt=1),
     ValueError, "integer array"),
    (lambda: check_value_and_grad(C.svm_loss, [np.array(["a"])]), TypeError, "numeric array"),
])
def test_bad_arguments_give_one_line(call, error, message):
    with pytest.raises(error, match=message) as info:
        call()
    assert "\n" not in str(info.value)


def test_forward_not_returning_a_cache_is_a_report_problem():
    report = check_cache_layer(lambda x: x ** 2, lambda d, c: d, [np.ones(2)])
    assert not report.ok and "forward must return (out, cache)" in str(report)


def test_batch_first_is_passed_only_to_a_checker_that_takes_it(monkeypatch):
    """Course, torch and JAX arrays are batch-first: batch_axis=0 unless the caller says."""
    from numeric.adapters import _common

    def new_checker(forward, backward, inputs, *, names=None, batch_axis=-1):
        pass

    def old_checker(forward, backward, inputs, *, names=None):
        pass

    monkeypatch.setattr(_common, "_checker", lambda: new_checker)
    assert _common.options_for_checker({"wrt": 0}, ("wrt",)) == {"batch_axis": 0}
    assert _common.options_for_checker({"batch_axis": 1}, ()) == {"batch_axis": 1}
    monkeypatch.setattr(_common, "_checker", lambda: old_checker)
    assert _common.options_for_checker({"ulps": 4}, ()) == {"ulps": 4}
