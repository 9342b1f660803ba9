"""The report: every formula it shows is listed by formulas(), its images open, its
verdicts come from the checks (a failed check is printed as failed and exits 1)."""

from __future__ import annotations

import argparse
import re

import matplotlib.image
import pytest

from derive import claims, report
from derive.errors import UsageError
from derive.report_html import RAW_TEX

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _canned(failing=()):
    return [claims.ClaimResult(k, f"title {k}", claims.FAILED if k in failing else claims.PROVED,
                               (f"evidence {k}",)) for k in claims.CHECKS]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    md = report.write_report(out, "markdown", _canned(failing=("3c",)))
    html = report.write_report(out, "html", _canned())
    return out, md.read_text(encoding="utf-8"), html.read_text(encoding="utf-8")


def test_formulas_are_plain_ascii_latex():
    tex = report.formulas()
    assert len(tex) == len(set(tex)) >= 20
    for t in tex:
        assert t.isascii() and t.strip() == t and "$" not in t
        assert t.count("{") == t.count("}"), t
        assert r"\argmax" not in t  # not a KaTeX command: the note's own mistake


def test_every_display_formula_is_in_the_markdown(written):
    _, md, _ = written
    shown = re.findall(r"\$\$\n(.*?)\n\$\$", md, flags=re.S)
    assert sorted(shown) == sorted(set(report.FORMULAS.values()))
    inline = set(re.findall(r"\$([^$\n]+)\$", md)) - set(shown)
    assert inline <= set(report.formulas())


@pytest.mark.parametrize("name", list(report.FIGURES))
def test_every_figure_is_a_png_that_opens(written, name):
    out, md, html = written
    path = out / name
    assert path.read_bytes()[:8] == PNG_MAGIC
    height, width, _ = matplotlib.image.imread(path).shape
    assert width >= 400 and height >= 200
    assert path.stat().st_size < 150_000
    assert f"]({name})" in md and f'<img src="{name}"' in html


def test_corrections_are_stated(written):
    _, md, _ = written
    for wrong, right, _ in report.CORRECTIONS:
        assert right in md and wrong in md


def test_verdicts_come_from_the_results(written):
    _, md, html = written
    assert "[3c] FAILED: title 3c" in md and "12 of 13 checks passed" in md
    assert "13 of 13 checks passed" in html and "FAILED" not in html


def test_html_is_self_contained_with_math_rendered_to_mathml(written):
    """Offline: no script, no stylesheet or font from a network, every formula MathML."""
    _, _, html = written
    assert html.startswith("<!DOCTYPE html>")
    lowered = html.lower()
    for needle in ("<script", "http://", "https://", "katex.min", "cdn", "<link", "@import", "url("):
        assert needle not in lowered.replace("http://www.w3.org/1998/math/mathml", ""), needle
    blocks = re.findall(r'<math [^>]*display="block"', html)
    assert len(blocks) == len(report.FORMULAS)  # each display formula, as MathML
    inline = re.findall(r'<math [^>]*display="inline"', html)
    assert len(inline) >= 2 * (len(report.CORRECTIONS) - 1)  # wrong -> right, inline
    text = re.sub(r"<math .*?</math>", "", html, flags=re.S)  # what is not MathML
    assert not RAW_TEX.search(re.sub(r"<[^>]+>", "", text)), RAW_TEX.search(text)
    assert "&lt;mfrac" not in html  # MathML is markup, not escaped text


def test_raw_tex_detector_catches_unrendered_formulas():
    """Negative control for the check above and for the browser test."""
    for leftover in ("$$C = 1$$", r"\(W^l_{jk}\)", r"\frac{a}{b}", r"\delta^L"):
        assert RAW_TEX.search(leftover), leftover
    assert not RAW_TEX.search("d/d eta C(w - eta grad C)|_{eta=0} = -g_1**2")


@pytest.mark.parametrize("kwargs, message", [
    ({"fmt": "pdf"}, "--format: expected markdown or html, got pdf"),
])
def test_bad_format_is_a_usage_error(tmp_path, kwargs, message):
    with pytest.raises(UsageError, match=message):
        report.write_report(tmp_path, results=_canned(), **kwargs)


def test_out_must_not_be_a_file(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    with pytest.raises(UsageError, match="--out: expected a directory"):
        report.write_report(target, results=_canned())


def test_run_exits_1_when_a_check_fails(tmp_path, monkeypatch, capsys):
    parser = argparse.ArgumentParser()
    report.add_arguments(parser)
    for failing, status in (((), 0), (("1a",), 1)):
        monkeypatch.setattr(claims, "check_claims",
                            lambda *a, failing=failing, **k: _canned(failing))
        assert report.run(parser.parse_args(["--out", str(tmp_path / "r")])) == status
        assert "not passed: 1a" in capsys.readouterr().out or not failing
