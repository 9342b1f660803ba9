"""Every correct layer of the zoo passes and every buggy twin fails, at several random shapes.

The zoo (``tests/zoo.py``) is one table of hand-written layers; this module is the one
parametrised test over it. Default options throughout: no tolerance is tuned per layer.
"""

import numpy as np
import pytest

from numeric import check_layer
from zoo import BUGS, CASES

SEEDS = (0, 1, 2)


def test_zoo_is_big_enough():
    kinds = {c.name for c in CASES}
    assert len(CASES) >= 15 and len(BUGS) >= 27
    for kind in ("dense", "softmax", "layer_norm", "batch_norm", "conv1d", "max_pool",
                 "embedding", "attention", "residual", "sigmoid_saturated", "softmax_nll"):
        assert kind in kinds


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_correct_layer_passes(case, seed):
    inputs = case.draw(np.random.default_rng(seed))
    report = check_layer(case.forward, case.backward, inputs, names=case.names)
    assert report.ok, str(report)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case, bug, backward", BUGS, ids=[f"{c.name}: {b}" for c, b, _ in BUGS])
def test_buggy_layer_fails(case, bug, backward, seed):
    inputs = case.draw(np.random.default_rng(seed))
    report = check_layer(case.forward, backward, inputs, names=case.names)
    assert not report.ok, f"missed {case.name}: {bug}\n{report}"
    text = str(report)
    assert "FAILED" in text and "forward calls" in text


@pytest.mark.parametrize("case", [c for c in CASES if c.name in ("relu", "max_pool_ties")],
                         ids=lambda c: c.name)
def test_kinks_in_the_zoo_are_reported_as_kinks(case):
    inputs = case.draw(np.random.default_rng(0))
    report = check_layer(case.forward, case.backward, inputs, names=case.names)
    assert report.ok and any(e.status == "kink" for e in report.entries)
    assert "kink" in str(report)
