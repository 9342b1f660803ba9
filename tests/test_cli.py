"""The command line as a user meets it: help, one-line errors, exit status 2."""

from __future__ import annotations

import importlib.util
import re

import pytest

from derive.cli import main


def test_help_lists_pairs_losses_and_activations(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for name in ("softmax+log_likelihood", "cross_entropy", "softplus", "claims", "latex"):
        assert name in out


@pytest.mark.parametrize("argv, fragment", [
    (["latex", "softmax", "nope"], "LOSS"),
    (["verify", "--sizes", "0"], "sizes"),
    (["--sizes", "-3"], "sizes"),
    (["verify", "--network", "3,500,2"], "network"),
    (["claims", "--claim", "9z"], "--claim"),
])
def test_bad_input_is_one_line_and_exit_2(argv, fragment, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err and fragment in err


def test_unknown_command_is_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["prove-everything"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["claims"], ["report", "--out", "somewhere"]])
def test_missing_optional_packages_are_named(command, monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "sklearn" else real(name, *a))
    assert main(command) == 2
    err = capsys.readouterr().err
    assert "scikit-learn" in err and ".[report]" in err


def test_top_level_help_shows_verify_options_and_ends_with_a_newline(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.endswith("\n")
    for option in ("--sizes", "--pairs", "--network", "--hidden", "--network-pair", "--batch",
                   "--budget"):
        assert option in out, option  # the options its own example line uses
    assert "python -m derive --sizes 2,3 --pairs softmax+mse --network 3,4,2 --hidden tanh" in out


@pytest.mark.parametrize("command", ["verify", "latex", "claims", "report"])
def test_every_command_help_ends_with_a_newline(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert capsys.readouterr().out.endswith("\n")


def test_claims_refuses_an_empty_key_without_running_anything(monkeypatch, capsys):
    from derive import claims

    monkeypatch.setattr(claims, "check_claims", lambda *a, **k: pytest.fail("ran the checks"))
    assert main(["claims", "--claim", ""]) == 2
    assert "--claim: expected one of" in capsys.readouterr().err


def test_verify_prints_its_estimate_first_and_refuses_over_budget(capsys):
    from derive import costs

    assert main(["verify", "--network-pair", "softmax+log_likelihood"]) == 2
    err = capsys.readouterr().err
    match = re.search(r"got about (\d+) s .*largest that fits: --network ([\d,]+); or raise "
                      r"--budget to (\d+)", err)
    assert match, err
    fits = tuple(int(q) for q in match.group(2).split(","))
    request = dict(sizes=(1, 2, 3), pairs=list(__import__("derive.pairs").pairs.PAIRS),
                   network_pair=("softmax", "log_likelihood"), batch=2)
    assert costs.estimate_verify(network=fits, **request).total <= costs.DEFAULT_BUDGET
    assert costs.estimate_verify(network=(2, 3, 2), **request).total > costs.DEFAULT_BUDGET


def test_softmax_cross_entropy_at_width_one_is_refused_on_every_path(capsys):
    for argv in (["verify", "--network", "2,1", "--network-pair", "softmax+cross_entropy"],
                 ["verify", "--sizes", "1", "--pairs", "softmax+cross_entropy"],
                 ["verify", "--sizes", "1,2"]):
        assert main(argv) == 2
        assert "ln(1 - a) is infinite" in capsys.readouterr().err


@pytest.mark.parametrize("sizes, error, fragment", [
    ([3, 10**9, 2], ValueError, "sizes: expected at most"),
    ([True, 2], TypeError, "sizes[0]: expected an integer layer size"),
    ([2, 2.5], TypeError, "sizes[1]"),
    ("3,4", TypeError, "sizes: expected a list"),
    ([2, 0], ValueError, "sizes: expected at least 2 layer sizes"),
    ([2], ValueError, "sizes: expected at least 2 layer sizes"),
])
def test_network_random_guards_name_the_argument(sizes, error, fragment):
    import numeric

    with pytest.raises(error) as exc:
        numeric.Network.random(sizes)
    assert str(exc.value).startswith(fragment) and "\n" not in str(exc.value)
    assert numeric.Network.random([3, 4, 2], rng=0).sizes == [3, 4, 2]  # and the right input works
