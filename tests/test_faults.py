"""Fault injection: a finished run's files truncated, swapped or corrupted afterwards.

Whatever is damaged, the run must never read as complete with a wrong or missing figure: the
damaged job no longer counts as ok (or the tidy table is refused), and ``--resume`` measures
that job again, after which every figure in the table is its own job's.
"""

import json
import shutil

import pytest
from runs import copy_run, job_named, latest, resume

from harness.protocol.job import RESULT_VERSION
from harness.runs import files, results, runner


def truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def flip(path):
    """One bit changed in the middle: same size, still parseable more often than not."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def result(run, job):
    return run / "jobs" / f"{job}.json"


def job_file(run, job):
    return run / "jobs" / f"{job}.job.json"


def capture(run, job):
    return run / "memory" / f"{job}.bin"


def flamegraph(run, job):
    return run / "memory" / f"{job}.flamegraph.html"


def pyperf_json(run, job):
    return run / "timing" / f"{job}.json"


def census(run, strategy):
    return job_named(run, "census", strategy)


def memory(run):
    return job_named(run, "memory", "spread")


def timing(run):
    return job_named(run, "timing", "spread")


def swap(source, target):
    shutil.copyfile(source, target)


def edit_figure(path):
    """A result still valid JSON, one figure's value changed in place: every other byte as written."""
    data = path.read_bytes()
    written = json.dumps(json.loads(data)["figures"][0]["value"])
    edited = data.replace(f'"value": {written},'.encode(), f'"value": {written}1,'.encode(), 1)
    assert edited != data
    path.write_bytes(edited)


def reencode(path):
    """The same result as another JSON encoder writes it: same content, other bytes."""
    path.write_text(json.dumps(json.loads(path.read_text()), separators=(",", ":")))


def forge(path, **version):
    """A figure changed, the result's hash left alone and its ``result_version`` removed (or set)."""
    value = json.loads(path.read_text())
    value["figures"][0]["value"] += 1
    del value["result_version"]
    value.update(version)
    path.write_text(json.dumps(value))


#: fault name -> (which job it damages, how)
JOB_FAULTS = {
    "result deleted": (lambda r: census(r, "fixed"), lambda r, j: result(r, j).unlink()),
    "result truncated": (lambda r: census(r, "fixed"), lambda r, j: truncate(result(r, j))),
    "result not JSON": (lambda r: census(r, "fixed"), lambda r, j: result(r, j).write_bytes(b"\x00\xff")),
    "result of another job": (
        lambda r: census(r, "fixed"),
        lambda r, j: swap(result(r, census(r, "spread")), result(r, j)),
    ),
    "job file of another job": (
        lambda r: census(r, "fixed"),
        lambda r, j: swap(job_file(r, census(r, "spread")), job_file(r, j)),
    ),
    "job file and result of another job": (
        lambda r: census(r, "fixed"),
        lambda r, j: [swap(f(r, census(r, "spread")), f(r, j)) for f in (result, job_file)],
    ),
    "job file edited": (
        lambda r: census(r, "fixed"),
        lambda r, j: job_file(r, j).write_text(job_file(r, j).read_text().replace('"size": 300', '"size": 30')),
    ),
    "figure forged, result_version removed": (lambda r: census(r, "fixed"), lambda r, j: forge(result(r, j))),
    "figure forged, result_version true": (
        lambda r: census(r, "fixed"),
        lambda r, j: forge(result(r, j), result_version=True),
    ),
    "result_version a string": (
        lambda r: census(r, "fixed"),
        lambda r, j: forge(result(r, j), result_version=str(RESULT_VERSION)),
    ),
    "result re-encoded, same content": (lambda r: census(r, "fixed"), lambda r, j: reencode(result(r, j))),
    "memray capture truncated": (memory, lambda r, j: truncate(capture(r, j))),
    "memray capture deleted": (memory, lambda r, j: capture(r, j).unlink()),
    "memray capture corrupted": (memory, lambda r, j: flip(capture(r, j))),
    "flamegraph truncated": (memory, lambda r, j: truncate(flamegraph(r, j))),
    "pyperf JSON truncated": (timing, lambda r, j: truncate(pyperf_json(r, j))),
    "pyperf JSON corrupted": (timing, lambda r, j: flip(pyperf_json(r, j))),
    "pyperf JSON of another job": (
        timing,
        lambda r, j: swap(pyperf_json(r, job_named(r, "timing", "slots")), pyperf_json(r, j)),
    ),
}


def ok_jobs(run):
    manifest = results.load_manifest(run)
    return results.completeness(run, manifest)["ok"], len(manifest["jobs"])


def figures_of(run, job):
    return {figure["metric"]: figure["value"] for figure in json.loads(result(run, job).read_text())["figures"]}


def damaged_copy(original, tmp_path, fault):
    """A copy of the run with ``fault`` done to one job: (the copy, the job, its figures before, the
    other jobs' files with their modification times before)."""
    run = copy_run(original, tmp_path)
    which, damage = JOB_FAULTS[fault]
    job = which(run)
    before = figures_of(run, job)
    untouched = {path: path.stat().st_mtime_ns for path in (run / "jobs").glob("*.json") if job not in path.name}
    damage(run, job)
    return run, job, before, untouched


@pytest.mark.parametrize("fault", JOB_FAULTS)
def test_a_damaged_job_no_longer_counts_and_is_the_one_resume_runs(smoke_run, tmp_path, fault):
    run, job, _, _ = damaged_copy(smoke_run[1], tmp_path, fault)
    ok, planned = ok_jobs(run)
    assert ok == planned - 1, f"{fault}: the run still counts {ok} of {planned} jobs ok"
    assert [pending.id for pending in runner.pending(run, results.planned_jobs(results.load_manifest(run)))] == [job]


#: One fault per measurer's files (a census result, a memray capture, a pyperf file) is resumed in the
#: default suite; the others leave the same one job pending, which the resume measures the same way.
RESUMED = ("result deleted", "memray capture corrupted", "pyperf JSON of another job")


@pytest.mark.parametrize(
    "fault", [pytest.param(fault, marks=() if fault in RESUMED else pytest.mark.slow) for fault in JOB_FAULTS]
)
def test_resume_measures_a_damaged_job_again(smoke_run, tmp_path, fault):
    cwd, original = smoke_run
    run, job, before, untouched = damaged_copy(original, tmp_path, fault)
    _, planned = ok_jobs(run)
    done = resume(cwd, run)
    assert done.returncode == 0, done.stderr
    assert results.load_manifest(run)["status"] == "complete"
    assert ok_jobs(run) == (planned, planned)
    after = figures_of(run, job)
    assert set(after) == set(before)
    if job.startswith(census(run, "fixed")):  # a census is deterministic: the same figures again
        assert after == before
    assert {path: path.stat().st_mtime_ns for path in untouched} == untouched
    assert_table_holds_each_jobs_own_figures(run)


def assert_table_holds_each_jobs_own_figures(run):
    frame = results.load_tidy(run)
    for job in results.load_manifest(run)["jobs"]:
        rows = frame[frame["job"] == job["id"]]
        stored = json.loads(result(run, job["id"]).read_text())
        assert stored["job"]["id"] == job["id"] and stored["job"]["strategy"] == job["strategy"]
        assert dict(zip(rows["metric"], rows["value"])) == pytest.approx(
            {figure["metric"]: figure["value"] for figure in stored["figures"]}
        )


TIDY_FAULTS = {
    "tidy.csv truncated": lambda path: truncate(path),
    "tidy.csv row deleted": lambda path: path.write_text("".join(path.read_text().splitlines(True)[:-1])),
    "tidy.csv figure changed": lambda path: path.write_text(path.read_text().replace(",40.0,count,", ",4.0,count,", 1)),
}


@pytest.mark.parametrize("fault", TIDY_FAULTS)
def test_a_damaged_tidy_table_is_refused(smoke_run, tmp_path, fault):
    _, original = smoke_run
    run = copy_run(original, tmp_path)
    table = run / "tidy.csv"
    text = table.read_text()
    TIDY_FAULTS[fault](table)
    assert table.read_text() != text
    with pytest.raises(files.RunError, match="tidy.csv"):
        results.load_tidy(run)


def test_an_edited_figure_in_a_result_is_not_taken_for_the_measured_one(smoke_run, tmp_path):
    _, original = smoke_run
    run = copy_run(original, tmp_path)
    job = census(run, "fixed")
    edit_figure(result(run, job))
    ok, planned = ok_jobs(run)
    assert ok == planned - 1


def test_resume_refuses_a_dataset_changed_since_the_run_began(smoke_run, tmp_path):
    from harness.generate import generate
    from harness.store import write_dataset

    cwd, original = smoke_run
    run = copy_run(original, tmp_path)
    manifest = results.load_manifest(run)
    job = census(run, "fixed")
    result(run, job).unlink()
    dataset = tmp_path / "reference.sqlite"
    shutil.copyfile(manifest["datasets"]["reference"]["path"], dataset)
    manifest["datasets"]["reference"]["path"] = str(dataset)
    for planned in manifest["jobs"]:
        if planned["dataset"].endswith("reference-s11-m300.sqlite"):
            planned["dataset"] = str(dataset)
    manifest["status"] = "interrupted"
    manifest["plan_sha256"] = results.plan_digest(manifest)  # as if the run had been planned on the copy
    files.write_json(run / "manifest.json", manifest)
    write_dataset(dataset, generate("reference", 12, 300))  # another valid dataset under the run's path
    done = resume(cwd, run)
    assert done.returncode == 2
    assert str(dataset) in done.stderr and "sha256" in done.stderr
    assert not result(run, job).exists()
    assert results.load_manifest(run)["status"] == "interrupted"


def file_size_limit(kib):
    """A preexec_fn: the child may not write files larger than ``kib`` KiB (``ulimit -f``)."""
    import resource

    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (kib * 1024, kib * 1024))


@pytest.mark.requires("memray")
@pytest.mark.parametrize(("kib", "culprit"), [(100, "capture"), (2048, "flamegraph")])
def test_a_memory_job_that_cannot_write_its_files_whole_fails(smoke_run, tmp_path, kib, culprit):
    import subprocess
    import sys

    _, original = smoke_run
    run = copy_run(original, tmp_path)
    job = memory(run)
    spec = json.loads(job_file(run, job).read_text())
    spec["params"]["capture"] = str(tmp_path / "capture.bin")
    (tmp_path / "job.json").write_text(json.dumps(spec))
    out = tmp_path / "result.json"
    done = subprocess.run(
        [sys.executable, "-m", "harness.measure.memory", "--job", tmp_path / "job.json", "--out", out],
        capture_output=True,
        text=True,
        preexec_fn=file_size_limit(kib),
    )
    assert done.returncode == 1, done.stderr
    assert not out.exists()
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and culprit in last
    assert not (tmp_path / "capture.flamegraph.html").exists()
    assert (tmp_path / "capture.bin").exists() == (culprit == "flamegraph")  # a short capture is removed


@pytest.mark.requires("memray")
def test_a_bench_on_a_full_disk_is_not_complete(smoke_run, tmp_path):
    from runs import bench

    cwd, original = smoke_run
    before = latest(cwd / "results")
    done = bench(cwd, preexec_fn=file_size_limit(100))
    assert done.returncode == 1, done.stderr
    run = max((cwd / "results").glob("2*"), key=lambda path: path.stat().st_mtime_ns)
    manifest = results.load_manifest(run)
    assert manifest["status"] == "failed"
    assert results.completeness(run, manifest)["failed"] >= 1
    frame = results.load_tidy(run)
    assert "memory" not in set(frame["measurer"])
    assert latest(cwd / "results") == before
