"""The code stays ruff- and mypy-clean (configured in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import ROOT


@pytest.mark.parametrize("command", [
    [sys.executable, "-m", "ruff", "check", "src", "tests", "benchmarks"],
    [sys.executable, "-m", "mypy"],
])
def test_static_checks(command: list[str]) -> None:
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
