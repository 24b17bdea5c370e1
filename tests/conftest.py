"""Shared fixtures (a small dataset, job files, one smoke run, the pinned Bun) and the ``requires`` marker
for optional packages.

``@pytest.mark.requires("msgspec")`` (or ``pytestmark = pytest.mark.requires(...)`` for a module)
skips a test when one of the named modules cannot be imported here; it is the one way the suite
says a test needs an optional package.

A test using ``smoke_run`` starts a bench run: it is marked ``integration``; one using ``bun_exe``
is marked ``bun`` and ``integration``. The suite installs no Bun unless ``HARNESS_TEST_BUN=1``
(``make test-bun``): without it a test that needs Bun runs on an installed one or is skipped.
"""

import importlib.util
import json
import os

import pytest
from runs import bench, latest

from harness.generate import generate
from harness.runtime import bun_install as bun
from harness.store import write_dataset


def missing(*modules):
    """The named modules that are not importable here."""
    return [module for module in modules if importlib.util.find_spec(module) is None]


def pytest_configure(config):
    config.addinivalue_line("markers", "requires(*modules): skip unless every named module is importable here")


#: Markers a test gets from a fixture it uses (directly or through another fixture).
FIXTURE_MARKERS = {"smoke_run": ("integration",), "bun_exe": ("bun", "integration")}


def pytest_collection_modifyitems(config, items):
    for item in items:
        absent = [module for mark in item.iter_markers("requires") for module in missing(*mark.args)]
        if absent:
            item.add_marker(pytest.mark.skip(reason=f"needs {', '.join(absent)} (not installed here)"))
        for fixture in FIXTURE_MARKERS.keys() & set(item.fixturenames):
            for marker in FIXTURE_MARKERS[fixture]:
                item.add_marker(marker)


@pytest.fixture(scope="session")
def dataset(tmp_path_factory):
    """400 realistic messages in one session that never compacts (run_loop can grow it)."""
    path = tmp_path_factory.mktemp("data") / "small.sqlite"
    write_dataset(path, generate("realistic", 3, 400, sessions=1, overrides={"compaction_every": 0}))
    return path


@pytest.fixture
def write_job(tmp_path):
    """Write a job file (slots, hydrate_all, 100 messages unless overridden; the measurer always given)
    and return its path."""

    def write(**fields):
        job = {"id": "j", "strategy": "slots", "workload": "hydrate_all", "size": 100, **fields}
        path = tmp_path / "job.json"
        path.write_text(json.dumps(job))
        return path

    return write


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """One complete smoke-plan run, shared: (the directory it ran in, the run directory). Copy it
    (``runs.copy_run``) before changing anything in it."""
    cwd = tmp_path_factory.mktemp("bench")
    done = bench(cwd)
    assert done.returncode == 0, done.stderr
    return cwd, latest(cwd / "results")


#: Set to 1, the tests that need Bun install the pinned one first when it is missing.
INSTALL_BUN = "HARNESS_TEST_BUN"
NOT_INSTALLED = "Bun is not installed (make test-bun installs the pinned Bun and runs the Bun tests)"


@pytest.fixture(scope="session")
def bun_exe():
    """The pinned Bun. Where it is not installed the test is skipped, saying how to get it; with
    ``HARNESS_TEST_BUN=1`` it is installed from the npm registry instead: skipped, with the reason,
    only where nothing can install it (no npm), failed where the install fails."""
    if os.environ.get(INSTALL_BUN) != "1":
        found = bun.installed()
        if found is None:
            pytest.skip(NOT_INSTALLED)
        return found
    try:
        return bun.ensure()
    except bun.NotInstallable as error:
        pytest.skip(f"Bun cannot be installed here: {error}")
    except bun.BunUnavailable as error:
        pytest.fail(f"Bun did not install: {error}", pytrace=False)
