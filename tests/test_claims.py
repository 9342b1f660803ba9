"""Every claim check passes on the note's (corrected) claim and fails when it is made false.

One spec list: (key, check, mutation kwargs, what the mutation breaks). The same check
runs twice -- as shipped it must pass, fed the mutated thing it must say "failed".
Training runs are cached by numeric.training, so the suite pays for them once.
"""

from __future__ import annotations

import argparse
import importlib.util
from types import SimpleNamespace

import numpy as np
import pytest
import sympy as sp

from derive import claims
from derive.errors import UsageError
from numeric import training


def _flipped(param, grad, eta):
    return param + eta * grad


def _double(param, grad, eta):
    return param - 2 * eta * grad


def _smooth_metric(z, y):  # a sigmoid score: differentiable, so not piecewise constant
    return 1 / (1 + sp.exp(-z)) if y == 1 else 1 / (1 + sp.exp(z))


def _cost_as_metric(net, X, Y):
    return -net.cost(X, Y)


def _quartic(a, y):  # saturates like MSE, but its ratio to CE is not 1/(4 cosh^2)
    return (a - y) ** 4 / 4


def _sign_flipped_backprop(net, X, Y):
    grads_W, grads_b = net.backprop(X, Y)
    return [-g for g in grads_W], grads_b


def _zeroed_row_backprop(net, X, Y):  # one neuron's weight gradients lost
    grads_W, grads_b = net.backprop(X, Y)
    bad = [g.copy() for g in grads_W]
    bad[0][0, :] = 0.0
    return bad, grads_b


MUTATIONS = [
    ("1a", claims.check_descent_symbolic, {"update": _flipped}, "ascent instead of descent"),
    ("1b", claims.check_descent_numeric, {"update": _flipped}, "ascent instead of descent"),
    ("1b", claims.check_descent_numeric, {"update": _double}, "step twice the gradient: ratio 2"),
    ("1c", claims.check_quadratic_threshold, {"update": _flipped}, "ascent never decreases C"),
    ("1c", claims.check_quadratic_threshold, {"update": _double}, "threshold becomes 1/lambda"),
    ("2a", claims.check_accuracy_symbolic, {"metric": _smooth_metric}, "a smooth metric has a gradient"),
    ("2b", claims.check_accuracy_numeric, {"metric": _cost_as_metric}, "the cost has a gradient"),
    ("3a", claims.check_saturation_symbolic, {"slow": claims.ce_loss, "fast": claims.mse_loss},
     "loss pairing swapped"),
    ("3a", claims.check_saturation_symbolic, {"slow": _quartic}, "not the 1/(4 cosh^2) ratio"),
    ("3b", claims.check_single_neuron, {"slow": "cross_entropy", "fast": "mse"}, "pairing swapped"),
    ("3c", claims.check_digits_losses, {"slow": "cross_entropy", "fast": "mse"}, "pairing swapped"),
    ("3d", claims.check_learning_rates, {"etas": (0.001, 0.01, 0.1)}, "no rate large enough to diverge"),
    ("4a", claims.check_derive_pairs, {"pairs": [("sigmoid", "mse")]}, "sigmoid+mse delta is not a - y"),
    ("4b", claims.check_derive_step, {"prove": lambda: SimpleNamespace(proved=False)}, "prover says no"),
    ("4c", claims.check_typos, {"bp2": claims._bp2_typo}, "the literal typo (no sigma')"),
    ("4d", claims.check_backprop_numeric, {"backprop": _sign_flipped_backprop}, "sign of dC/dW"),
    ("4d", claims.check_backprop_numeric, {"backprop": _zeroed_row_backprop}, "a zeroed row"),
]

_HAVE_STEP = importlib.util.find_spec("derive.backprop") is not None


@pytest.mark.parametrize("key", list(claims.CHECKS))
def test_check_passes_as_shipped(key):
    if key == "4b" and not _HAVE_STEP:
        result = claims.CHECKS[key]()
        assert result.verdict == claims.UNAVAILABLE and not result.ok  # never a fake pass
        return
    result = claims.CHECKS[key]()
    assert result.key == key
    assert result.ok, str(result)
    assert result.evidence


@pytest.mark.parametrize("key, check, mutation, why", MUTATIONS,
                         ids=[f"{m[0]}-{m[3]}" for m in MUTATIONS])
def test_mutated_claim_fails(key, check, mutation, why):
    result = check(**mutation)
    assert result.key == key
    assert result.verdict == claims.FAILED, f"{why}: {result}"


def test_every_claim_has_a_mutation():
    assert {m[0] for m in MUTATIONS} == set(claims.CHECKS)


def test_a_crashing_check_is_failed_not_skipped(monkeypatch):
    def boom():
        """a check that raises"""
        raise RuntimeError("broken")

    monkeypatch.setitem(claims.CHECKS, "9z", boom)
    (result,) = claims.check_claims(["9z"])
    assert result.verdict == claims.FAILED and "RuntimeError: broken" in result.evidence[0]


def _args(*argv):
    parser = argparse.ArgumentParser()
    claims.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_cli_exit_status_follows_the_verdicts(monkeypatch, capsys):
    monkeypatch.setattr(claims, "CHECKS", {"1a": claims.CHECKS["1a"]})
    assert claims.run(_args()) == 0
    assert "[1a] PROVED SYMBOLICALLY" in capsys.readouterr().out
    monkeypatch.setitem(claims.CHECKS, "1z", lambda: claims.check_descent_symbolic(update=_flipped))
    assert claims.run(_args()) == 1
    assert "1/2 checks passed" in capsys.readouterr().out


def test_cli_rejects_an_unknown_claim():
    with pytest.raises(UsageError, match="--claim: expected"):
        claims.run(_args("--claim", "7"))


def test_training_runs_are_fast_and_reproducible():
    runs = [training.digits_run(loss, 1.0) for loss in ("mse", "cross_entropy")]
    assert all(r.seconds < 10 for r in runs)
    again = training._digits_run.__wrapped__("cross_entropy", 1.0, 30, 32, 16, 0)
    np.testing.assert_array_equal(again.costs, runs[1].costs)


def test_sgd_validates_arguments():
    W, b = [np.array([[1.0]])], [np.array([0.0])]
    with pytest.raises(ValueError, match="eta: expected a number > 0, got -1"):
        training.sgd(W, b, np.ones((1, 1)), np.ones((1, 1)), eta=-1, epochs=1, batch_size=1)
    with pytest.raises(ValueError, match="X, Y: expected 2-D arrays"):
        training.sgd(W, b, np.ones(3), np.ones((1, 3)), eta=1, epochs=1, batch_size=1)


def test_sgd_stops_cleanly_when_the_weights_blow_up():
    rng = np.random.default_rng(0)
    W, b = [rng.standard_normal((2, 3))], [np.zeros(2)]
    X, Y = rng.standard_normal((3, 20)) * 10, rng.standard_normal((2, 20))
    run = training.sgd(W, b, X, Y, eta=1e3, epochs=50, batch_size=5, output="linear", loss="mse")
    assert run.diverged and not np.isfinite(run.costs[-1]) and len(run.costs) < 51
    calm = training.sgd(W, b, X, Y, eta=1e-4, epochs=5, batch_size=5, output="linear", loss="mse")
    assert not calm.diverged
