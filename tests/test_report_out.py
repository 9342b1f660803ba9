"""report --out, --force, --lang and progress; the figures' legends and labels."""

from __future__ import annotations

import argparse
import re

import matplotlib
import pytest

from derive import claims, report
from derive.errors import UsageError
from derive.report_text import CLAIM_TITLES_ZH, TEXT

matplotlib.use("Agg")

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _canned(failing=()):
    return [claims.ClaimResult(k, f"title {k}", claims.FAILED if k in failing else claims.PROVED,
                               (f"evidence {k}",)) for k in claims.CHECKS]


def _args(*argv):
    parser = argparse.ArgumentParser()
    report.add_arguments(parser)
    return parser.parse_args(list(argv))


@pytest.fixture
def fast(monkeypatch):
    """run() with canned checks and stand-in figures (our PNG marker, no training)."""
    monkeypatch.setattr(claims, "check_claims", lambda *a, **k: _canned())

    def draw(out, lang="en"):
        paths = []
        for name in report.FIGURES:
            path = out / report.figure_file(name, lang)
            path.write_bytes(b"\x89PNG\r\n\x1a\n" + report._SOFTWARE.encode())
            paths.append(path)
        return paths
    monkeypatch.setattr(report, "draw_figures", draw)


# ------------------------------------------------------------------ destination

@pytest.mark.parametrize("make, fragment", [
    (lambda tmp: "", "an empty path"),
    (lambda tmp: " ", "an empty path"),
    (lambda tmp: tmp / "f.txt", "the file"),
    (lambda tmp: tmp / "f.txt" / "sub", "under the file"),
    (lambda tmp: tmp / ("n" * 256), "at most 255 bytes"),
    (lambda tmp: tmp / "out.html", "a file name"),
    (lambda tmp: "/proc/backprop_verifier_no_such/x", "can be written"),
])
def test_bad_destinations_are_refused_before_any_work(make, fragment, tmp_path, capsys, fast,
                                                      monkeypatch):
    (tmp_path / "f.txt").write_text("x")
    called = []
    monkeypatch.setattr(claims, "check_claims", lambda *a, **k: called.append(1))
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(UsageError, match=re.escape(fragment)):
        report.run(_args("--out", str(make(tmp_path))))
    assert not called and sorted(tmp_path.rglob("*")) == before


def test_a_foreign_file_is_never_overwritten_without_force(tmp_path, fast, capsys):
    mine = tmp_path / "note.md"
    mine.write_text("my own notes")
    with pytest.raises(UsageError, match="--force"):
        report.run(_args("--out", str(tmp_path), "--quiet"))
    assert mine.read_text() == "my own notes"
    (tmp_path / "delta_vs_z.png").write_bytes(b"\x89PNG someone else's picture")
    with pytest.raises(UsageError, match="delta_vs_z.png"):
        report.run(_args("--out", str(tmp_path), "--format", "html", "--quiet"))
    assert report.run(_args("--out", str(tmp_path), "--force", "--quiet")) == 0
    assert mine.read_text().startswith(report._MARKER)


def test_the_report_rewrites_its_own_files(tmp_path, fast, capsys):
    for _ in range(2):  # the second run finds only files the first one wrote
        assert report.run(_args("--out", str(tmp_path / "r"), "--quiet")) == 0
    assert (tmp_path / "r" / "note.md").read_text().startswith(report._MARKER)


def test_progress_goes_to_stderr_with_estimates(tmp_path, fast, capsys):
    report.run(_args("--out", str(tmp_path / "r")))
    out, err = capsys.readouterr()
    assert out.startswith("wrote ") and out.count("\n") == 1
    assert re.search(r"13 checks and 5 figures, about \d+ s", err)
    assert "drawing 5 figures" in err and "writing " in err
    report.run(_args("--out", str(tmp_path / "q"), "--quiet"))
    assert capsys.readouterr().err == ""


def test_claims_progress_names_each_check_and_what_is_left(capsys):
    seen = []
    results = claims.check_claims(["1a", "2a"], progress=seen.append)
    assert [r.key for r in results] == ["1a", "2a"] and len(seen) == 2
    assert seen[0].startswith("check 1/2 [1a]") and "1 after this" in seen[0]
    assert seen[1].startswith("check 2/2 [2a]") and "0 after this" in seen[1]


# ------------------------------------------------------------------ languages

def test_chinese_note_has_the_notes_own_questions_and_translated_verdicts(tmp_path, fast):
    path = report.write_report(tmp_path, "markdown", _canned(failing=("3c",)), lang="zh")
    text = path.read_text(encoding="utf-8")
    assert path.name == "note.zh.md"
    seed_questions = ["何谓模型？何谓参数？何谓超参数？", "为什么要损失函数？能不能直接用正确率？",
                      "如何选择损失函数使得学习更快？", "学习率越小越好吗？越大越好吗？",
                      "正向传播：神经网络模型是怎样进行推理计算的？",
                      "反向传播：什么是梯度下降法？在训练过程中是怎样学习的？"]
    for q in seed_questions:
        assert q in text
    assert "[3c] 未通过：" + CLAIM_TITLES_ZH["3c"] in text
    assert "[1a] 已符号证明：" in text and "PROVED" not in text
    assert TEXT["zh"]["intro"].format(passed=12, total=13) in text
    for formula in report.FORMULAS.values():  # formulas unchanged
        assert f"$$\n{formula}\n$$" in text
    assert "分母漏了 ∂" in text  # a correction, translated
    assert "](delta_vs_z.zh.png)" in text
    english = report.write_report(tmp_path, "markdown", _canned(), lang="en").read_text("utf-8")
    assert not CJK.search(english)  # English stays the default, and English


# ------------------------------------------------------------------ figures

@pytest.fixture(scope="module")
def figures():
    figs = dict(report.build_figures("en"))
    for fig in figs.values():
        fig.canvas.draw()
    yield figs
    import matplotlib.pyplot as plt

    plt.close("all")


def _covered(fig, legend):
    """Data points of every line in ``fig`` that fall under ``legend``."""
    box = legend.get_window_extent()
    return sum(box.contains(x, y) for ax in fig.axes for line in ax.get_lines()
               for x, y in ax.transData.transform(line.get_xydata()))


def test_the_sweep_legend_covers_no_curve(figures):
    fig = figures["learning_rate_sweep.png"]
    assert len(fig.legends) == 1 and _covered(fig, fig.legends[0]) == 0
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["eta = 0.01", "eta = 0.1", "eta = 1", "eta = 3", "eta = 10"]
    # negative control: the old legend, inside the left panel, hid the eta = 10 curve
    old = fig.axes[0].legend(fontsize=8, loc="lower right")
    fig.canvas.draw()
    assert _covered(fig, old) > 0
    old.remove()


def test_every_line_of_the_threshold_figure_has_a_label(figures):
    ax = figures["quadratic_threshold.png"].axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert len(labels) == 3 and not any(label.startswith("_") for label in labels)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == labels


@pytest.mark.parametrize("font", ["installed", None])
def test_chinese_figures_render_with_a_cjk_font_or_math_only_labels(font, monkeypatch):
    if font == "installed":
        font = report.cjk_font()
        if font is None:
            pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    monkeypatch.setattr(report, "cjk_font", lambda: font)
    import matplotlib.pyplot as plt

    for name, fig in report.build_figures("zh"):
        texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
        if font is None:  # no glyphs to draw Chinese with: no Chinese at all
            assert not any(CJK.search(t) for t in texts), (name, texts)
        else:
            assert any(CJK.search(t) for t in texts) or name == "quadratic_threshold.png", name
        fig.canvas.draw()  # every label renders (mathtext parses)
        plt.close(fig)
