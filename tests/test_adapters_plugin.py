"""The adapters as a user meets them: optional frameworks, the pytest plugin and fixture."""

from __future__ import annotations

import importlib.metadata
import os
import pathlib
import subprocess
import sys
import textwrap
import tomllib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _python(code, tmp_path=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, cwd=tmp_path or ROOT, env=env, timeout=300)


def test_import_numeric_imports_neither_torch_nor_jax():
    out = _python("""
        import sys, numeric, numeric.adapters, numeric.testing
        numeric.check_torch, numeric.check_jax, numeric.check_cache_layer
        print(sorted(m for m in ("torch", "jax") if m in sys.modules))
    """)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("framework,call", [
    ("torch", "numeric.check_torch(abs, [np.zeros(2)])"),
    ("jax", "numeric.check_jax(abs, [np.zeros(2)])"),
])
def test_missing_framework_is_one_line_naming_the_extra(framework, call):
    out = _python(f"""
        import sys
        sys.modules[{framework!r}] = None          # as if not installed
        import numpy as np, numeric
        try:
            {call}
        except ImportError as exc:
            print(exc)
    """)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1
    assert f"pip install -e '.[{framework}]'" in lines[0] and framework in lines[0]


def test_pyproject_registers_the_plugin_and_the_extras():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["entry-points"]["pytest11"] == {"backprop_verifier": "numeric.testing"}
    extras = meta["optional-dependencies"]
    assert extras["torch"] == ["torch>=2.1"] and extras["jax"]
    assert "torch==2.13.0" in extras["test"] and any(d.startswith("jax") for d in extras["test"])


_USER_TESTS = '''
import numpy as np, torch, jax.numpy as jnp


def test_torch_layer(gradcheck):
    gradcheck.torch(torch.nn.Linear(3, 2).double(), [torch.randn(4, 3, dtype=torch.float64)])


def test_jax_layer(gradcheck):
    gradcheck.jax(lambda x: jnp.tanh(x) ** 2, [np.linspace(-1.0, 1.0, 5)])


def test_course_layer(gradcheck):
    gradcheck.cache_layer(lambda x: (np.maximum(0, x), x), lambda d, x: d * (x > 0),
                          [np.array([[1.0, -2.0], [0.5, -0.25]])])


def test_plain_call(gradcheck):
    gradcheck(np.sin, lambda g, x: (g * np.cos(x),), [np.array([0.1, 2.0])])


def test_buggy_torch_layer_fails(gradcheck):
    class Bad(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return torch.exp(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * torch.exp(x) * 1.001

    gradcheck.torch(Bad.apply, [torch.randn(3, dtype=torch.float64)])
'''


def _plugin_installed() -> bool:
    return any(ep.value == "numeric.testing"
               for ep in importlib.metadata.entry_points(group="pytest11"))


def test_fixture_reaches_a_user_suite_without_imports_or_conftest(tmp_path):
    """A user's test file with no imports of ours and no conftest.py: the plugin gives it
    the fixture (loaded by its entry point when the package is installed, else by -p)."""
    (tmp_path / "test_user.py").write_text(_USER_TESTS)
    args = [] if _plugin_installed() else ["-p", "numeric.testing"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          *args, "test_user.py"], capture_output=True, text=True,
                         cwd=tmp_path, env=env, timeout=600)
    assert "1 failed, 4 passed" in out.stdout, out.stdout + out.stderr
    assert "test_buggy_torch_layer_fails" in out.stdout
    assert "gradient check FAILED" in out.stdout
