"""python -m derive (the main job): table, exit status, one-line usage errors."""

import subprocess
import sys

import pytest

from derive.cli import main


def test_small_run_prints_table(capsys):
    status = main(["--sizes", "2", "--pairs", "sigmoid+mse,softmax+log_likelihood",
                   "--network", "2,2,1", "--no-symbolic"])
    out, err = capsys.readouterr()
    assert status == 0
    assert "sigmoid+mse" in out and "proved" in out and "0 failed" in out
    assert "network expanded" in out and "numeric cross-check" in out
    assert "step lemma" in err  # progress on stderr


def test_failure_gives_nonzero_status(capsys, monkeypatch):
    from derive.pairs import _CLOSED, a_, y_
    from derive.symbols import j

    monkeypatch.setitem(_CLOSED, ("sigmoid", "mse"), a_[j] - y_[j])  # the wrong claim
    status = main(["--sizes", "2", "--pairs", "sigmoid+mse", "--network", "2,1",
                   "--network-pair", "linear+mse", "--no-symbolic", "--quiet"])
    out = capsys.readouterr().out
    assert status == 1 and "FAILED" in out


@pytest.mark.parametrize("argv, word", [
    (["--sizes", "0"], "sizes"),
    (["--sizes", "2,x"], "sizes"),
    (["--sizes", "50"], "sizes"),
    (["--pairs", "tanh+mse"], "pairs"),
    (["--network", "3,40"], "network"),
    (["--network", "24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24"], "sizes"),
    (["--hidden", "nope"], "activation"),
    (["--batch", "9"], "batch"),
])
def test_usage_error_one_line_status_2(argv, word, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "error" in err[0] and word in err[0]


def test_help_lists_names():
    out = subprocess.run([sys.executable, "-m", "derive", "--help"], capture_output=True,
                         text=True, timeout=120).stdout
    for name in ("softmax+log_likelihood", "cross_entropy", "softplus", "linear"):
        assert name in out
