"""Image and sequence layers: hyperparameters, ties, buggy twins, names, N-D symbolic forms.

Every buggy twin is a backward with one mistake seen in hand-written course code; the
exact symbolic VJP (:mod:`derive.vjp`) must reject it at the configuration where it is
wrong, and the correct backward must pass at the same point. Several twins are right at
some hyperparameters and wrong at others (a ``[pad:-pad]`` crop is right for padding
1 and empty at padding 0; an assignment instead of ``+=`` is right while pooling
windows do not overlap), so each twin is tried at both.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings

import numeric
from derive import vjp
from derive.errors import UsageError
from derive.layers import LAYERS, layer_latex
from numeric import _image, _sequence
from numeric.layers import ALIASES, LAYER_NAMES, get_layer
from numeric.testing import draw_inputs, layer_inputs

FEW = settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))


# ---------------------------------------------------------------- every hyperparameter setting

CONFIGS = [
    ("conv2d", dict(stride=1, padding=0)),
    ("conv2d", dict(stride=2, padding=0)),
    ("conv2d", dict(stride=1, padding=1)),
    ("conv2d", dict(stride=2, padding=1)),
    ("conv2d", dict(stride=1, padding=2)),
    ("max_pool2d", dict(kernel_size=2, stride=2)),
    ("max_pool2d", dict(kernel_size=2, stride=1)),  # overlapping windows
    ("max_pool2d", dict(kernel_size=3, stride=2)),  # overlapping windows
    ("group_norm", dict(groups=1)),
    ("group_norm", dict(groups=3)),
]


@pytest.mark.parametrize("name, params", CONFIGS, ids=[f"{n}-{p}" for n, p in CONFIGS])
def test_every_configuration_matches_the_exact_vjp_and_finite_differences(name, params):
    form = LAYERS[name].configure(**params)
    layer = form.numeric
    assert dict(layer.params) == {**dict(get_layer(name).params), **params}
    # one image (a 3x3 window makes 9-way Max forms, ~1 s each to derive)
    fixed = {"conv2d": {"N": 1}, "max_pool2d": {"N": 1, "C": 1}, "group_norm": {"N": 1, "H": 1}}[name]

    @FEW
    @given(layer_inputs(layer, max_size=2, **fixed))
    def check(inputs):
        report = form.check(inputs)
        assert report.ok, str(report)
        numeric.assert_layer_gradients(layer.forward, layer.backward, inputs)

    check()


@pytest.mark.parametrize("params", [dict(padding=0), dict(padding=1), dict(stride=2, padding=1)])
def test_conv2d_at_the_issue_shape(params):
    """x (2, 2, 4, 4), w (3, 2, 3, 3): 121 checked entries (1-4 s to derive; docs/custom-layers.md, Limits)."""
    rng = np.random.default_rng(5)
    inputs = [rng.normal(size=(2, 2, 4, 4)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)]
    report = LAYERS["conv2d"].configure(**params).check(inputs)
    assert report.ok and report.n_checked == 64 + 54 + 3, str(report)


def test_conv2d_drops_rows_that_do_not_fit_the_stride_like_torch():
    x, w, b = np.ones((1, 1, 5, 5)), np.ones((1, 1, 2, 2)), np.zeros(1)
    y = _image.conv2d(x, w, b, stride=2)
    assert y.shape == (1, 1, 2, 2) and (y == 4).all()
    assert LAYERS["conv2d"].configure(stride=2).check([x, w, b]).ok


# ---------------------------------------------------------------- buggy twins


def _conv_back_crop_minus(g, x, w, b, *, stride=1, padding=0):
    """The course crop dxp[:, :, pad:-pad, pad:-pad]: empty at padding 0."""
    N, C, H, W = x.shape
    dxp = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
    kh, kw = w.shape[2:]
    Ho, Wo = g.shape[2:]
    for p in range(kh):
        for q in range(kw):
            dxp[:, :, p:p + stride * Ho:stride, q:q + stride * Wo:stride] += np.einsum(
                "nfhw,fc->nchw", g, w[:, :, p, q])
    _, dw, db = _image.conv2d_back(g, x, w, b, stride=stride, padding=padding)
    return dxp[:, :, padding:-padding, padding:-padding], dw, db


def _conv_back_no_stride_in_dw(g, x, w, b, *, stride=1, padding=0):
    dx, _, db = _image.conv2d_back(g, x, w, b, stride=stride, padding=padding)
    kh, kw = w.shape[2:]
    win = np.lib.stride_tricks.sliding_window_view(_image._pad(x, padding), (kh, kw), axis=(2, 3))
    Ho, Wo = g.shape[2:]
    return dx, np.einsum("nchwpq,nfhw->fcpq", win[:, :, :Ho, :Wo], g), db


def _pool_back_assign(g, x, *, kernel_size=2, stride=2):
    """dx[window] = g * mask: an assignment, so overlapping windows overwrite each other."""
    dx = np.zeros_like(x)
    k = kernel_size
    for n, c, i, j in np.ndindex(g.shape):
        win = x[n, c, stride * i:stride * i + k, stride * j:stride * j + k]
        dx[n, c, stride * i:stride * i + k, stride * j:stride * j + k] = g[n, c, i, j] * (win == win.max())
    return (dx,)


def _sbn_back_batch_only(g, x, gamma, beta):
    """Spatial batch norm differentiated as if each (c, h, w) were its own feature."""
    dx, dgamma, dbeta = _image.spatial_batch_norm_back(g, x, gamma, beta)
    xhat, r = _image._normalize(x, (0, 2, 3))
    return _image._norm_dx(g * gamma[None, :, None, None], xhat, r, (0,)), dgamma, dbeta


def _gn_back_no_projection(g, x, gamma, beta, *, groups=2):
    xhat, r = _image._normalize(_image._grouped(x, groups), (2, 3, 4))
    gh = _image._grouped(g * gamma[None, :, None, None], groups)
    dx = (r * (gh - gh.mean(axis=(2, 3, 4), keepdims=True))).reshape(x.shape)
    return (dx,) + _image.group_norm_back(g, x, gamma, beta, groups=groups)[1:]


def _rnn_back_untransposed(g, x, h, Wx, Wh, b):
    dx, dh, dWx, dWh, db = _sequence.rnn_step_back(g, x, h, Wx, Wh, b)
    dz = g * (1 - _sequence.rnn_step(x, h, Wx, Wh, b) ** 2)
    return dx, Wh @ dz, dWx, dWh, db


def _lstm_cell_only(g, x, h, c, Wx, Wh, b):
    """dC/dc' taken from g[1] alone: the path through h' = o tanh(c') is forgotten."""
    a, (i, f, u, o) = _sequence._lstm_gates(x, h, Wx, Wh, b)
    H = h.shape[0]
    tc = np.tanh(f * c + i * u)
    dc = g[1]
    da = np.concatenate([dc * u * _sequence._dsig(a[:H]), dc * c * _sequence._dsig(a[H:2 * H]),
                         dc * i * (1 - u * u), g[0] * tc * _sequence._dsig(a[3 * H:])])
    return Wx.T @ da, Wh.T @ da, dc * f, da @ x.T, da @ h.T, da.sum(axis=1)


def _tsl_back_no_mask(g, x, y, mask):
    return _sequence.temporal_softmax_loss_back(g, x, y, np.ones_like(mask))


def _tsl_back_mean_over_steps(g, x, y, mask):
    dx, _, _ = _sequence.temporal_softmax_loss_back(g, x, y, mask)
    return dx / x.shape[2], None, None


# name, params where the twin is wrong, params where it is right (None: wrong everywhere), twin
TWINS = [
    ("conv2d", dict(padding=0), dict(padding=1), _conv_back_crop_minus),
    ("conv2d", dict(stride=2), dict(stride=1), _conv_back_no_stride_in_dw),
    ("max_pool2d", dict(kernel_size=3, stride=1), dict(kernel_size=2, stride=2), _pool_back_assign),
    ("spatial_batch_norm", {}, None, _sbn_back_batch_only),
    ("group_norm", {}, None, _gn_back_no_projection),
    ("rnn_step", {}, None, _rnn_back_untransposed),
    ("lstm_step", {}, None, _lstm_cell_only),
    ("temporal_softmax_loss", {}, None, _tsl_back_no_mask),
    ("temporal_softmax_loss", {}, None, _tsl_back_mean_over_steps),
]
SIZES = {"conv2d": dict(N=2, C=2, H=5, W=5, F=2, kh=3, kw=3),
         "max_pool2d": dict(N=1, C=2, Ho=2, Wo=2),
         "spatial_batch_norm": dict(N=2, C=2, H=2, W=1),
         "group_norm": dict(N=1, c=2, H=2, W=1),
         "rnn_step": dict(D=2, H=3, N=2), "lstm_step": dict(D=2, H=2, N=2),
         "temporal_softmax_loss": dict(V=3, N=2, T=3)}


@pytest.mark.parametrize("name, wrong_at, right_at, twin", TWINS,
                         ids=[f"{t[0]}-{t[3].__name__}" for t in TWINS])
def test_symbolic_check_catches_the_twin_where_it_is_wrong(name, wrong_at, right_at, twin):
    rng = np.random.default_rng(11)
    form = LAYERS[name].configure(**wrong_at)
    sizes = dict(SIZES[name], **({"T": 3} if name == "temporal_softmax_loss" else {}))
    inputs = draw_inputs(form.numeric, rng, **sizes)
    if name == "temporal_softmax_loss":
        inputs[2][0, 0] = 0.0  # at least one masked step, one kept
        inputs[2][1, 1] = 1.0
    bound = dict(form.params)
    report = form.check(inputs, backward=lambda g, *xs: twin(g, *xs, **bound))
    assert not report.ok and "FAILED" in str(report), str(report)
    assert form.check(inputs).ok
    if right_at is not None:
        form_ok = LAYERS[name].configure(**right_at)
        inputs = draw_inputs(form_ok.numeric, rng, **SIZES[name])
        kw = dict(form_ok.params)
        assert form_ok.check(inputs, backward=lambda g, *xs: twin(g, *xs, **kw)).ok


def test_the_pad_minus_pad_crop_is_reported_as_a_shape_at_padding_0():
    rng = np.random.default_rng(0)
    inputs = draw_inputs("conv2d", rng, **SIZES["conv2d"])
    report = LAYERS["conv2d"].check(inputs, backward=_conv_back_crop_minus)
    assert "x: gradient has shape (2, 2, 0, 0), expected (2, 2, 5, 5)" in str(report)


# ---------------------------------------------------------------- ties in max pooling


def test_max_pool2d_sends_a_tied_window_gradient_to_one_entry():
    """At a tie the forward has no derivative; the backward must return a subgradient:
    entries of g's sign summing to g per window (the first maximal entry, as torch does).
    Sending g to every tied entry (``mask = window == max``) sums to 2g: not one."""
    x = np.zeros((1, 1, 3, 3))
    g = np.array([[[[1.0, -2.0], [0.5, 3.0]]]])
    layer = get_layer("max_pool2d").configure(kernel_size=2, stride=1)
    (dx,) = layer.backward(g, x)
    expect = np.zeros((3, 3))
    for (i, j), gij in np.ndenumerate(g[0, 0]):
        expect[i, j] += gij  # every window's first entry
    assert np.array_equal(dx[0, 0], expect)
    assert dx.sum() == g.sum()
    tied = _pool_back_assign(np.ones((1, 1, 1, 1)), np.zeros((1, 1, 2, 2)))[0]
    assert tied.sum() == 4.0, "the negative control: every tied entry gets g"


def test_a_tie_is_refused_by_the_symbolic_check_with_the_reason():
    x = np.zeros((1, 1, 2, 2))
    with pytest.raises(UsageError, match="a point where the forward is differentiable"):
        LAYERS["max_pool2d"].check([x])


# ---------------------------------------------------------------- names and hyperparameters


def test_one_canonical_name_per_layer_and_old_names_as_aliases():
    assert ALIASES == {"maxpool": "max_pool1d"}
    assert "maxpool" not in LAYER_NAMES and "max_pool1d" in LAYER_NAMES
    assert get_layer("maxpool") is get_layer("max_pool1d")
    assert layer_latex("maxpool") == layer_latex("max_pool1d")
    assert get_layer("MaxPool2d") is get_layer("max_pool2d")   # spellings people type
    with pytest.raises(ValueError) as err:
        get_layer("maxpool3d")
    assert "maxpool," not in str(err.value) and "max_pool2d" in str(err.value)


@pytest.mark.parametrize("name, params, message", [
    ("conv2d", dict(pad=1), "params: conv2d takes stride, padding, got pad"),
    ("conv2d", dict(stride=0), "stride: expected an integer >= 1, got 0"),
    ("conv2d", dict(padding=-1), "padding: expected an integer >= 0, got -1"),
    ("conv2d", dict(padding=1.5), "padding: expected an integer >= 0, got 1.5"),
    ("group_norm", dict(groups=True), "groups: expected an integer >= 1, got True"),
    ("dense", dict(stride=2), "params: dense takes no parameters, got stride"),
])
def test_bad_hyperparameters_name_the_argument(name, params, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        get_layer(name).configure(**params)


def test_configure_returns_the_same_functions_for_the_same_parameters():
    a = get_layer("conv2d").configure(padding=1)
    b = get_layer("conv2d").configure(padding=1).configure(stride=1)
    assert a.forward is b.forward and LAYERS["conv2d"].configure(padding=1).sympy_forward is \
        LAYERS["conv2d"].configure(padding=1).sympy_forward


# ---------------------------------------------------------------- N-D symbolic forms


def _sym_channel_gate(x, w):  # y = tanh(w_c x), one weight per channel, written as on floats
    return vjp.entrywise(sympy.tanh, x * np.asarray(list(w), dtype=object)[None, :, None, None])


def _channel_gate_back(g, x, w):
    y = np.tanh(x * w[None, :, None, None])
    d = g * (1 - y * y)
    return d * w[None, :, None, None], (d * x).sum(axis=(0, 2, 3))


def test_a_user_form_on_4d_symbol_arrays():
    rng = np.random.default_rng(3)
    x, w = rng.normal(size=(2, 3, 2, 2)), rng.normal(size=3)
    assert vjp.check_backward(_sym_channel_gate, _channel_gate_back, [x, w]).ok
    wrong = vjp.check_backward(_sym_channel_gate, lambda g, x, w: (_channel_gate_back(g, x, w)[0],
                                                                 -_channel_gate_back(g, x, w)[1]), [x, w])
    assert not wrong.ok and "w: 3 of 3 entries wrong -- likely: sign flipped" in str(wrong)


def test_a_tuple_of_outputs_is_stacked_like_numpy():
    x = np.array([[0.5, -1.0]])
    report = vjp.check_backward(lambda x: (x * 2, x.applyfunc(sympy.sin)),
                                lambda g, x: (2 * g[0] + np.cos(x) * g[1],), [x],
                                forward=lambda x: np.stack([2 * x, np.sin(x)]))
    assert report.ok


def test_the_cli_prints_every_new_layer(capsys):
    from derive.cli import main

    assert main(["latex", "--list"]) == 0
    listed = capsys.readouterr().out
    for name in ("conv2d", "max_pool2d", "spatial_batch_norm", "group_norm", "rnn_step",
                 "lstm_step", "temporal_softmax_loss", "max_pool1d"):
        assert name in listed
        assert main(["latex", "--layer", name]) == 0
        assert r"\begin{aligned}" in capsys.readouterr().out
    assert "maxpool," not in listed


def test_a_backward_writing_into_grad_output_is_judged_on_the_original_and_noted():
    """Course LSTMs do ``dnext_c += ...`` on the caller's array: the reference must use
    the grad_output as drawn, and the report says the array was modified."""
    rng = np.random.default_rng(2)
    inputs = draw_inputs("lstm_step", rng, D=2, H=2, N=2)

    def in_place(g, *xs):
        out = _sequence.lstm_step_back(g.copy(), *xs)
        g += 1.0  # the side effect, after a correct computation
        return out

    report = LAYERS["lstm_step"].check(inputs, backward=in_place)
    assert report.ok and "modified grad_output in place" in str(report)
    assert "in place" not in str(LAYERS["lstm_step"].check(inputs))
