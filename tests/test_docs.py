"""Every ```python block of README.md and docs/*.md runs as written.

Blocks of one file run in order in one namespace, so a worked example may build on
the block before it. A block whose first line is ``# not run`` is skipped (used only
for shell-like fragments that cannot run in a test).
"""

from __future__ import annotations

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _blocks(path: pathlib.Path) -> list[str]:
    return [b for b in _BLOCK.findall(path.read_text(encoding="utf-8"))
            if not b.lstrip().startswith("# not run")]


@pytest.mark.parametrize("path", [p for p in DOCS if p.exists()], ids=lambda p: p.name)
def test_python_blocks_run(path, tmp_path, monkeypatch):
    blocks = _blocks(path)
    if not blocks:
        pytest.skip(f"{path.name} has no python blocks")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": f"doc_{path.stem}"}
    for i, block in enumerate(blocks):
        code = compile(block, f"{path.name}[block {i}]", "exec")
        exec(code, namespace)


def test_readme_has_the_two_setup_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_cmd = "python -m pip install -e '.[test]' && npm ci --prefix tests/render && python -m pytest"
    assert test_cmd in text, "README must show the test command"
    assert test_cmd in ci, ".ci/run must call exactly the README's test command"
    assert "python -m pip install -e . && python -m derive" in text
