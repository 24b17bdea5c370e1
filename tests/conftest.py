"""Fixtures shared by the measurer tests: a small dataset and job files."""

import json

import pytest

from harness.generate import generate
from harness.store import write_dataset


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
