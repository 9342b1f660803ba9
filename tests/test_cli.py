"""The command line as a user meets it: help, one-line errors, exit status 2."""

from __future__ import annotations

import importlib.util

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
