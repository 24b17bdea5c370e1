"""A plan with a serve job too large for the machine's memory is refused before anything runs: one
line naming the job, exit 2, no run directory."""

import pytest

from harness.generate import generate
from harness.protocol.job import Job
from harness.runs import admission
from harness.runs.files import RunError
from harness.store import write_dataset
from harness.workloads import serve_budget


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    path = tmp_path_factory.mktemp("admission") / "two.sqlite"
    write_dataset(path, generate("realistic", 3, 300, sessions=2, overrides={"compaction_every": 0}))
    return path


def serve(dataset, name, **params):
    return Job(name, "gcprobe", "spread", "serve", str(dataset), 40, params={"rounds": 4, "sessions": 2, **params})


def asked(monkeypatch, available):
    """How often the machine's memory is read, the machine having ``available`` bytes."""
    calls = []
    monkeypatch.setattr(serve_budget, "available_memory", lambda: calls.append(1) or available)
    return calls


def test_a_job_that_fits_is_admitted_and_others_are_not_looked_at(served, monkeypatch):
    calls = asked(monkeypatch, 64 * 2**30)
    other = Job("t", "timing", "spread", "access", "missing.sqlite", 10)
    assert admission.refuse_oversized([other, serve(served, "small"), serve(served, "again")]) is None
    assert len(calls) == 1  # one serve configuration, judged once; the timing job never opened


def test_the_first_job_that_does_not_fit_is_named_in_one_line(served, monkeypatch):
    monkeypatch.setattr(serve_budget, "available_memory", lambda: 2 * 2**30)
    with pytest.raises(RunError) as raised:
        admission.refuse_oversized([serve(served, "small"), serve(served, "big", retain_mb=4096), serve(served, "x")])
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("job big: serve needs about 5.") and "2.0 GiB available" in message


def test_a_dataset_without_the_sessions_is_left_to_the_job(served, monkeypatch):
    calls = asked(monkeypatch, 2**20)
    admission.refuse_oversized([serve(served, "many", sessions=5)])  # the job itself says why
    assert calls == []


def test_bench_refuses_the_plan_before_making_a_run(served, tmp_path, monkeypatch):
    from harness.runs import lifecycle
    from harness.runs.plans import DatasetSpec, Plan, Sweep
    from harness.runtime.python import current

    monkeypatch.setattr(serve_budget, "available_memory", lambda: 2 * 2**30)
    chosen = Plan(
        "tiny",
        "",
        (DatasetSpec("d", "realistic", 3, 300, sessions=2),),
        (Sweep("gcprobe", "serve", "d", ("spread",), (40,), {"rounds": 4, "sessions": 2, "retain_mb": 8192}),),
        60,
    )
    entry = {"d": {"path": str(served)}}
    with pytest.raises(RunError, match="^job .*serve needs about"):
        lifecycle.begin("bench", chosen, [current()], entry, tmp_path)
    assert not any(tmp_path.iterdir())
