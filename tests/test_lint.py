"""The code style the project promises (ruff), its layers (import-linter) and its types (mypy), all configured
in pyproject.toml, hold for the package and tests."""

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


def test_the_import_layers_hold():
    """Each layer imports only those below it and no package has a circle of imports (``lint-imports``)."""
    pytest.importorskip("importlinter", reason="import-linter is not installed (pip install 'shape-harness[dev]')")
    done = subprocess.run([Path(sys.executable).with_name("lint-imports")], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr


def test_the_types_hold():
    """``mypy`` over ``harness/`` at the level pyproject.toml sets."""
    pytest.importorskip("mypy", reason="mypy is not installed (pip install 'shape-harness[dev]')")
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr
