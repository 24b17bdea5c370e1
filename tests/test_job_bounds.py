"""Every count a job file holds has an upper bound (the protocol's limits, ``harness.protocol.job.MAX_*``),
and a count of 0 where 0 would not mean none is refused: one line on stderr, exit status 2, no result.
A job is the protocol's job (``protocol.json``), hashed as its file's bytes. What a timing job records
is what pyperf ran."""

import json
import subprocess
import sys
from dataclasses import MISSING, fields

import pyperf
import pytest
from runs import one_line_error

from harness.hashing import file_sha256
from harness.measure.catalogue import MEASURERS, check
from harness.protocol.job import JOB_FIELDS, PROTOCOL, Figure, Job, JobError, Param, read_job
from harness.workloads.catalogue import WORKLOADS


def declared():
    """Every parameter the catalogues declare, with the pyperf settings inside ``params.pyperf``."""
    params = [param for entry in (*MEASURERS.values(), *WORKLOADS.values()) for param in entry.params]
    return params + [key for param in params for key in param.keys if isinstance(key, Param)]


@pytest.mark.parametrize("param", [p for p in declared() if p.kind in (int, float)], ids=lambda p: p.name)
def test_every_number_has_bounds_its_default_keeps(param):
    assert param.minimum is not None and param.maximum is not None
    if param.default is not None:
        assert param.check(param.default) == param.default


@pytest.mark.parametrize(
    ("measurer", "workload", "params", "message"),
    [
        ("timing", "access", {"pyperf": {"processes": 0}}, "params.pyperf.processes must be >= 1, got 0"),
        ("timing", "access", {"pyperf": {"processes": 10**9}}, "params.pyperf.processes must be <= 1,000"),
        ("timing", "access", {"pyperf": {"processes": 1e9}}, "params.pyperf.processes must be int"),
        ("timing", "access", {"pyperf": {"processes": 1.5}}, "params.pyperf.processes must be int"),
        ("timing", "access", {"pyperf": {"values": 0}}, "params.pyperf.values must be >= 1, got 0"),
        ("timing", "access", {"pyperf": {"values": 10**12}}, "params.pyperf.values must be <= 10,000"),
        ("timing", "access", {"pyperf": {"warmups": 10**12}}, "params.pyperf.warmups must be <= 10,000"),
        ("timing", "access", {"pyperf": {"warmups": -1}}, "params.pyperf.warmups must be >= 0"),
        ("timing", "access", {"pyperf": {"loops": 10**12}}, "params.pyperf.loops must be <= 10,000,000"),
        ("timing", "access", {"pyperf": {"min_time": 1e12}}, "params.pyperf.min_time must be <= 3,600"),
        ("timing", "access", {"iterations": 10**12}, "params.iterations must be <= 100,000"),
        ("timing", "page", {"limit": 10**12}, "params.limit must be <= 10,000,000"),
        ("timing", "read_site", {"objects": 10**12}, "params.objects must be <= 1,000,000"),
        ("timing", "read_site", {"passes": 10**12}, "params.passes must be <= 100,000"),
        ("gcprobe", "hydrate_all", {"rounds": 10**12}, "params.rounds must be <= 10,000"),
        ("gcprobe", "run_loop", {"growth": 10**12}, "params.growth must be <= 10,000,000"),
        ("memory", "hydrate_all", {"rounds": 10**12}, "params.rounds must be <= 10,000"),
        ("scalene", "hydrate_all", {"rounds": 10**12}, "params.rounds must be <= 10,000"),
        ("scalene", "hydrate_all", {"min_seconds": 1e12}, "params.min_seconds must be <= 3,600"),
    ],
)
def test_a_count_out_of_bounds_is_refused(measurer, workload, params, message):
    with pytest.raises(JobError, match=message.replace(".", r"\.")):
        check(Job("j", measurer, "fixed", workload, "d.sqlite", 100, params=params))


def test_the_job_and_figure_classes_are_the_protocols():
    assert [field.name for field in fields(Job)] == list(JOB_FIELDS)
    for field in fields(Job):
        spec = JOB_FIELDS[field.name]
        required = field.default is MISSING and field.default_factory is MISSING
        assert spec.get("required", False) == required, field.name
        if not required:
            assert (field.default_factory() if field.default is MISSING else field.default) == spec["default"]
    assert [field.name for field in fields(Figure)] == PROTOCOL["result"]["figure_keys"]


def test_a_job_files_hash_is_that_of_its_bytes(tmp_path):
    path = tmp_path / "job.json"
    job = {"id": "j", "measurer": "census", "strategy": "fixed", "workload": "hydrate_all", "dataset": "d", "size": 1}
    path.write_bytes(json.dumps(job, indent=2).replace("\n", "\r\n").encode())  # as the JS runner hashes it
    assert read_job(path)[1] == file_sha256(path)


def test_a_job_size_out_of_bounds_is_refused():
    fields = {"id": "j", "measurer": "census", "strategy": "fixed", "workload": "hydrate_all", "dataset": "d"}
    with pytest.raises(JobError, match="job size must be an integer from 0 to 10,000,000, got 1000000000000"):
        Job.from_dict({**fields, "size": 10**12})


@pytest.mark.integration
@pytest.mark.parametrize(
    ("measurer", "params", "message"),
    [
        ("timing", {"pyperf": {"processes": 0, "values": 1}}, "params.pyperf.processes must be >= 1, got 0"),
        ("gcprobe", {"rounds": 10**12}, "params.rounds must be <= 10,000, got 1000000000000"),
    ],
)
def test_the_measurer_refuses_it_in_one_line(tmp_path, dataset, write_job, measurer, params, message):
    job = write_job(dataset=str(dataset), measurer=measurer, params=params)
    out = tmp_path / "out.json"
    done = subprocess.run(
        [sys.executable, "-m", f"harness.measure.{measurer}", "--job", str(job), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert one_line_error(done) == f"error: {message}"
    assert not out.exists()


@pytest.mark.integration
def test_a_timing_result_records_the_settings_pyperf_ran(tmp_path, dataset, write_job):
    settings = {"processes": 2, "values": 2, "warmups": 0, "loops": 1}
    job = write_job(dataset=str(dataset), measurer="timing", workload="access", params={"pyperf": settings})
    out = tmp_path / "out.json"
    done = subprocess.run(
        [sys.executable, "-m", "harness.measure.timing", "--job", str(job), "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    assert result["extra"]["pyperf_settings"] == {**settings, "min_time": 0.1}
    runs = [run for run in pyperf.Benchmark.load(result["extra"]["pyperf_json"]).get_runs() if run.values]
    assert len(runs) == 2 and all(len(run.values) == 2 for run in runs)
