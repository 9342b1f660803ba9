"""The HTML report opened in a real headless Chromium (the distribution's package, which
``.ci/run`` installs), with the network cut: no formula is left as raw TeX, every
``<math>`` is laid out as math, and a screenshot is not a blank page."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

from derive import claims, report
from derive.report_html import RAW_TEX

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--host-resolver-rules=MAP * ~NOTFOUND",  # no network at view time
         "--window-size=1000,1400", "--hide-scrollbars"]

# collects what the browser made of the page into <pre id="probe-result">
PROBE = """<pre id="probe-result"></pre><script>
window.addEventListener('load', () => {
const maths = Array.from(document.querySelectorAll('math'));
const result = {
  text: document.body.innerText,
  maths: maths.length,
  laidOut: maths.filter(m => m.getBoundingClientRect().height > 0).length,
  blockMath: maths.filter(m => getComputedStyle(m).display === 'block math').length,
  imagesLoaded: Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length,
  images: document.images.length,
};
document.getElementById('probe-result').textContent = JSON.stringify(result);
});
</script>"""


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("Chromium is not installed (.ci/run installs it with apt-get)")
    pytest.skip("Chromium is not installed: apt-get install -y chromium")


def _browse(url, tmp_path, *extra):
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    proc = subprocess.run([_chromium(), *FLAGS, f"--user-data-dir={profile}", *extra, url],
                          capture_output=True, text=True, timeout=180)
    shutil.rmtree(profile, ignore_errors=True)
    return proc


def _probe(html_path: Path, tmp_path) -> dict:
    probed = html_path.with_name("probe-" + html_path.name)
    probed.write_text(html_path.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"),
                      encoding="utf-8")
    proc = _browse(probed.as_uri(), tmp_path, "--virtual-time-budget=10000", "--dump-dom")
    found = re.search(r'<pre id="probe-result">(.*?)</pre>', proc.stdout, flags=re.S)
    assert found, proc.stderr[-2000:]
    import html as _html

    return json.loads(_html.unescape(found.group(1)))


def _canned():
    return [claims.ClaimResult(k, f"title {k}", claims.PROVED, (f"evidence {k}",))
            for k in claims.CHECKS]


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    out = tmp_path_factory.mktemp("html")
    return {lang: report.write_report(out, "html", _canned(), lang=lang) for lang in ("en", "zh")}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_formula_renders_as_math_with_no_raw_tex(pages, lang, tmp_path):
    seen = _probe(pages[lang], tmp_path)
    html = pages[lang].read_text(encoding="utf-8")
    assert seen["maths"] == html.count("<math ") > len(report.FORMULAS)
    assert seen["laidOut"] == seen["maths"]  # each has a box on the page
    assert seen["blockMath"] == len(report.FORMULAS)  # native MathML layout, not text
    assert not RAW_TEX.search(seen["text"]), RAW_TEX.search(seen["text"])
    assert seen["images"] == len(report.FIGURES) == seen["imagesLoaded"]


def test_the_probe_sees_raw_tex_when_it_is_left(tmp_path):
    """Negative control: a page that leaves its TeX to a script that never loads."""
    page = tmp_path / "raw.html"
    page.write_text('<!DOCTYPE html><html><head><script src="https://cdn.example/katex.js">'
                    "</script></head><body><p>$$\\frac{\\partial C}{\\partial W}$$</p></body></html>")
    seen = _probe(page, tmp_path)
    assert seen["maths"] == 0 and RAW_TEX.search(seen["text"])


def _ink(png: Path) -> float:
    """Fraction of pixels that are not (near) white."""
    pixels = matplotlib.image.imread(png)[..., :3]
    return float(np.mean(pixels.min(axis=2) < 0.9))


def test_screenshot_differs_from_a_blank_page(pages, tmp_path):
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>")
    shots = {}
    for name, url in (("blank", blank.as_uri()), ("en", pages["en"].as_uri()),
                      ("zh", pages["zh"].as_uri())):
        shots[name] = tmp_path / f"{name}.png"
        proc = _browse(url, tmp_path, f"--screenshot={shots[name]}")
        assert shots[name].exists(), proc.stderr[-2000:]
    assert _ink(shots["blank"]) < 0.001
    for lang in ("en", "zh"):
        assert _ink(shots[lang]) > 0.02, lang  # text, formulas and a figure on screen
