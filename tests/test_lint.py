"""The code style the project promises (ruff, configured in pyproject.toml) holds for the package and tests."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_is_clean():
    pytest.importorskip("ruff", reason="ruff is not installed (pip install 'shape-harness[dev]')")
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "harness", "tests"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
