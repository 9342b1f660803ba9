"""Odd and bad command lines, as a new user types them: every one is refused in one
line on stderr with exit status 2 within a few seconds, or works; never a traceback,
never a file touched outside ``--out``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from derive.cli import main

ROOT = Path(__file__).resolve().parents[1]
SECONDS = 8.0  # "a few seconds", with room for a loaded 2-core machine

# (argv, a fragment the one error line must contain); {tmp} is a fresh directory,
# {file} an existing file in it, {foreign} a directory holding someone else's note.md
REFUSED = [
    # names
    (["latex", "sigmoid", "cross_entropi"], "did you mean cross_entropy?"),
    (["latex", "", ""], "OUTPUT"),
    (["latex", "sigmoid+"], "OUTPUT"),
    (["latex", "sigmoid", "mse", "extra"], "unrecognized arguments"),
    (["latex", "--layer", ""], "--layer"),
    (["latex", "--layer", "conv2d"], "--layer"),
    (["latex", "sigmoid", "mse", "--format", "pdf"], "invalid choice"),
    (["latex", "--format", "text"], "OUTPUT"),
    (["verify", "--pairs", ""], "pairs"),
    (["verify", "--pairs", ","], "pairs"),
    (["verify", "--pairs", "sigmoid+hinge"], "pairs"),
    (["verify", "--hidden", ""], "hidden"),
    (["verify", "--hidden", "gelu"], "hidden"),
    (["verify", "--network-pair", ""], "network-pair"),
    (["verify", "--network-pair", "linear"], "network-pair"),
    (["verify", "--network-pair", "tanh+mse"], "network-pair"),
    (["frobnicate"], "invalid choice"),
    (["--bogus"], "unrecognized arguments"),
    # sizes
    (["verify", "--sizes", ""], "sizes"),
    (["verify", "--sizes", "0"], "sizes"),
    (["--sizes", "-3"], "sizes"),
    (["verify", "--sizes", "1e9"], "sizes"),
    (["verify", "--sizes", "99999999999999999999999"], "sizes"),
    (["verify", "--sizes", "2,,3"], "sizes"),
    (["verify", "--sizes", "nan"], "sizes"),
    (["verify", "--sizes", "1", "--pairs", "softmax+cross_entropy"], "ln(1 - a) is infinite"),
    (["verify", "--network", ""], "network"),
    (["verify", "--network", "3"], "network"),
    (["verify", "--network", "3,0,2"], "network"),
    (["verify", "--network", "3,500,2"], "network"),
    (["verify", "--network", "2,x"], "network"),
    (["verify", "--network", "2,3,1", "--network-pair", "softmax+cross_entropy"],
     "ln(1 - a) is infinite"),
    (["verify", "--batch", "0"], "batch"),
    (["verify", "--batch", "99"], "batch"),
    (["verify", "--batch", "abc"], "invalid int"),
    # very large requests: estimated, refused, with what fits
    (["verify", "--network-pair", "softmax+log_likelihood"], "largest that fits: --network"),
    (["verify", "--network-pair", "linear+cross_entropy"], "largest that fits: --network"),
    (["verify", "--network-pair", "softmax+cross_entropy"], "largest that fits: --network"),
    (["verify", "--network", "24,24,24,24,24"], "largest that fits: --network"),
    (["verify", "--sizes", "8", "--pairs", "softmax+cross_entropy", "--budget", "15"],
     "largest that fits: --sizes"),
    (["verify", "--budget", "-5"], "--budget"),
    (["verify", "--budget", "inf"], "--budget"),
    (["verify", "--budget", "nan"], "--budget"),
    (["verify", "--budget", ""], "--budget"),
    # claims
    (["claims", "--claim", ""], "an empty key"),
    (["claims", "--claim", "   "], "an empty key"),
    (["claims", "--claim", "5"], "--claim"),
    (["claims", "--claim", "1a;rm -rf"], "--claim"),
    (["claims", "--budget", "1"], "--budget"),
    (["claims", "--budget", "x"], "--budget"),
    # paths and formats
    (["report"], "--out"),
    (["report", "--out", ""], "an empty path"),
    (["report", "--out", "   "], "an empty path"),
    (["report", "--out", "{file}"], "the file"),
    (["report", "--out", "{file}/sub"], "under the file"),
    (["report", "--out", "{tmp}/" + "x" * 300], "at most 255 bytes"),
    (["report", "--out", "{tmp}/note.md"], "a file name"),
    (["report", "--out", "{foreign}"], "--force"),
    (["report", "--out", "{tmp}/r", "--format", "pdf"], "invalid choice"),
    (["report", "--out", "{tmp}/r", "--lang", "fr"], "invalid choice"),
    (["report", "--out", "/proc/backprop_verifier_no_such_dir/r"], "can be written"),
    (["report", "--out", "{tmp}/r", "--budget", "1"], "--budget"),
]

WORKS = [
    (["latex", "softmax-cross-entropy", "--format", "text"], "Loss log_likelihood:"),
    (["latex", "Sigmoid", "Cross-Entropy"], "% python -m derive latex sigmoid cross_entropy"),
    (["latex", "--list"], "pairs: linear+mse"),
    (["verify", "--pairs", "linear+mse", "--sizes", "2", "--network", "2,2", "--no-symbolic",
      "--hidden", "ReLU", "--quiet"], "items, 0 failed"),
]


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """A fresh working directory with a file and a directory holding a foreign note."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file.txt").write_text("not a directory")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "note.md").write_text("my own notes, not the report's")
    return tmp_path


def _snapshot(root: Path) -> dict:
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


def _run(argv, capsys):
    start = time.perf_counter()
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err, time.perf_counter() - start


def _fill(argv, tmp):
    return [a.format(tmp=tmp, file=tmp / "file.txt", foreign=tmp / "foreign") for a in argv]


@pytest.mark.parametrize("argv, fragment", REFUSED, ids=[" ".join(a) for a, _ in REFUSED])
def test_refused_in_one_line_exit_2_quickly_touching_nothing(argv, fragment, sandbox, capsys):
    before = _snapshot(sandbox)
    code, out, err, seconds = _run(_fill(argv, sandbox), capsys)
    assert code == 2, (code, out, err)
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert fragment in err and "Traceback" not in err
    assert out == ""
    assert seconds < SECONDS
    assert _snapshot(sandbox) == before  # nothing written, created or changed


@pytest.mark.parametrize("argv, needle", WORKS, ids=[" ".join(a) for a, _ in WORKS])
def test_odd_but_valid_input_works(argv, needle, sandbox, capsys):
    before = _snapshot(sandbox)
    code, out, err, _ = _run(argv, capsys)
    assert code == 0 and needle in out and "Traceback" not in err
    assert _snapshot(sandbox) == before


def test_a_real_process_piped_into_head_ends_quietly(tmp_path):
    """``python -m derive latex --format markdown | head -c 50``: no BrokenPipeError."""
    proc = subprocess.Popen([sys.executable, "-m", "derive", "latex", "--format", "markdown"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    proc.stdout.read(50)
    proc.stdout.close()  # the reader goes away, like head
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) in (0, 141)
    assert "Traceback" not in err and "BrokenPipeError" not in err


def test_a_real_process_refuses_in_one_line(tmp_path):
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "derive", "report", "--out", ""], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "--out" in proc.stderr
    assert time.perf_counter() - start < 2 * SECONDS
    assert list(tmp_path.iterdir()) == []
