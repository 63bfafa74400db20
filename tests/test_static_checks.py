"""Static checks as tests: mypy and ruff must pass on the package sources.

Each test is skipped (with the reason) when its tool is not installed, so the suite still
runs in an environment without them; the ``test`` extra installs both, so CI runs them.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run_tool(module: str, *args: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (pip install -e '.[test]' or '.[dev]' to run it)")
    proc = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, (
        f"{module} {' '.join(args)} exited with {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    )


def test_mypy() -> None:
    _run_tool("mypy", "corridor", "web", "geodata",
              "benchmarks/bench_http.py", "benchmarks/bare_flask.py")


def test_ruff() -> None:
    _run_tool("ruff", "check", "corridor", "web", "geodata", "tests", "benchmarks")
