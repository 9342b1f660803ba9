"""The built-in layer library passes both checks at drawn shapes and points.

Both ways: the exact symbolic VJP (:mod:`derive.vjp`, a few ulps) and finite
differences (:func:`numeric.assert_layer_gradients`). Shapes are drawn (1..3 per size,
so weights are non-square and the batch is 1 as often as more; 1..2 for the image and
sequence layers in the symbolic check, whose SymPy form is derived once per shape).
The buggy twins that these checks must reject are in ``tests/test_vjp.py`` and
``tests/test_layers_nd.py`` (image and sequence layers, their hyperparameters).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings

import numeric
from derive.errors import UsageError
from derive.layers import LAYERS, layer_latex
from numeric.layers import LAYER_NAMES
from numeric.layers import LAYERS as NUMERIC_LAYERS
from numeric.testing import arrays_in, layer_inputs

ISSUE_LIST = ["dense", "sigmoid", "tanh", "relu", "softplus", "swish", "gelu", "softmax",
              "log_softmax", "layer_norm", "batch_norm", "dropout", "conv1d", "max_pool1d",
              "embedding", "attention", "residual",
              # issue 9: the image and sequence layers people write by hand
              "conv2d", "max_pool2d", "spatial_batch_norm", "group_norm", "rnn_step",
              "lstm_step", "temporal_softmax_loss"]
# largest size drawn per layer: attention has four sizes and compiles one SymPy form
# per shape, so it is kept to 2 to stay fast
MAX_SIZE = {name: 2 if name in ("attention", "layer_norm", "batch_norm") else 3
            for name in ISSUE_LIST}
# the image and sequence layers have 3 to 7 sizes and one SymPy derivation per drawn
# shape (0.1 to 3 s): sizes 1..2, fewer draws in the symbolic check (finite differences
# still get the profile's draws at sizes 1..3); hyperparameters: tests/test_layers_nd.py
ND = {"conv2d": 10, "max_pool2d": 10, "spatial_batch_norm": 5, "group_norm": 5,
      "rnn_step": 10, "lstm_step": 5, "temporal_softmax_loss": 10}
MAX_SIZE.update({name: 2 for name in ND})


def test_library_has_the_issue_list_in_both_halves():
    assert list(LAYERS) == ISSUE_LIST
    assert list(LAYER_NAMES) == ISSUE_LIST


@pytest.mark.parametrize("name", ISSUE_LIST)
def test_library_layer_matches_the_exact_vjp(name):
    layer = LAYERS[name]

    @given(layer_inputs(name, max_size=MAX_SIZE[name]))
    def check(inputs):
        report = layer.check(inputs)
        assert report.ok, str(report)

    if name in ND:
        check = settings(max_examples=min(ND[name], settings().max_examples))(check)
    check()


@pytest.mark.parametrize("name", ISSUE_LIST)
def test_library_layer_matches_finite_differences(name):
    layer = NUMERIC_LAYERS[name]

    @given(layer_inputs(name, max_size=3 if name in ND else MAX_SIZE[name]))
    def check(inputs):
        numeric.assert_layer_gradients(layer.forward, layer.backward, inputs,
                                       names=list(layer.inputs))

    check()


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "softplus", "swish", "gelu"])
def test_saturated_elementwise_layers_pass_at_a_few_ulps(name):
    """|z| in 20..40, where the true gradient can be 1e-13 or smaller."""

    @given(arrays_in((20.0, 40.0), shape=(2, 3)), arrays_in((-40.0, -20.0), shape=(2, 3)))
    def check(pos, neg):
        z = np.concatenate([pos, neg])
        report = LAYERS[name].check([z])
        assert report.ok, str(report)

    check()


@pytest.mark.parametrize("name", ISSUE_LIST)
def test_layer_latex_is_one_aligned_block(name):
    tex = layer_latex(name)
    assert tex.startswith(r"\begin{aligned}") and tex.endswith(r"\end{aligned}")
    assert r"\begin{align}" not in tex and tex.count("&=") >= 2
    assert tex.count("{") == tex.count("}")
    assert re.search(r"\\bar\{[a-zA-Z\\]+\}", tex), "names the gradient of an input"


def test_elementwise_latex_shows_the_sympy_derivative():
    assert r"\sigma'(z) = \theta\left(z\right)" in layer_latex("relu")
    assert r"1 - \tanh^{2}{\left(z \right)}" in layer_latex("tanh")


def test_unknown_layer_is_a_usage_error():
    with pytest.raises(UsageError, match="layer: expected one of dense, .*got 'conv3d'"):
        layer_latex("conv3d")
