"""A run is complete only when every figure verifies at the end of the run: result versions and
seals, the datasets measured, the plan the manifest records, the manifest itself, the tidy table,
other runs beside it and the command that resumes it."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from runs import HOLD_LOCK, copy_run, harness, links, one_line_error, resume

from harness.progress import RunProgress
from harness.protocol.job import PROTOCOL, RESULT_KEYS, SEAL_KEY, Figure, Job, seal_holds, sealed, write_result
from harness.runs import files, integrity, lifecycle, machine, results, runner, suite
from harness.store import DatasetError

FIXTURE = Path(__file__).parent / "data" / "smoke-run"


def census_job(run, strategy="fixed"):
    return next(
        job["id"]
        for job in results.load_manifest(run)["jobs"]
        if (job["measurer"], job["strategy"]) == ("census", strategy)
    )


def edit_manifest(run, change, digest=False):
    """Change a run's manifest as a person would, in place (``digest``: and record the new plan's
    digest, as if the run had been planned that way)."""
    manifest = json.loads((run / "manifest.json").read_text())
    change(manifest)
    if digest:
        manifest["plan_sha256"] = results.plan_digest(manifest)
    (run / "manifest.json").write_text(json.dumps(manifest))


def interrupted_copy(smoke_run, tmp_path):
    """A copy of the smoke run, interrupted before one census job (its result gone)."""
    _, original = smoke_run
    run = copy_run(original, tmp_path)
    (run / "jobs" / f"{census_job(run)}.json").unlink()
    edit_manifest(run, lambda manifest: manifest.update(status="interrupted"))
    return run


# ---------------------------------------------------------------- result versions


MISSING = object()
VERSIONS = {"missing": MISSING, "1": 1, "2": 2, "3": 3, "true": True, "1.5": 1.5, "'4'": "4", "null": None, "[]": []}


@pytest.mark.parametrize("version", VERSIONS)
def test_a_result_of_a_version_the_run_does_not_write_is_not_ok(smoke_run, tmp_path, version):
    _, original = smoke_run
    run = copy_run(original, tmp_path)
    job = census_job(run)
    path = run / "jobs" / f"{job}.json"
    stored = json.loads(path.read_text())
    stored["figures"][0]["value"] += 1000  # a forged figure, the result's hash left as it was
    stored.pop("result_version")
    if VERSIONS[version] is not MISSING:
        stored["result_version"] = VERSIONS[version]
    path.write_text(json.dumps(stored))
    manifest = results.load_manifest(run)
    counts = results.completeness(run, manifest)
    assert (counts["ok"], counts["failed"]) == (counts["planned"] - 1, 1)
    verdict = results.verdicts(run, manifest)[job]
    assert verdict.status == "failed" and "result_version" in verdict.reason
    planned = next(planned for planned in results.planned_jobs(manifest) if planned.id == job)
    assert integrity.job_status(run, planned) == "failed"
    assert runner.pending(run, results.planned_jobs(manifest)) == [planned]
    results.write_tidy(run, manifest)
    assert job not in (run / "tidy.csv").read_text()  # the forged figure is not in the table


def test_an_old_run_keeps_its_old_results():
    manifest = results.load_manifest(FIXTURE)  # schema 1: results of version 1
    counts = results.completeness(FIXTURE, manifest)
    assert counts["ok"] == counts["planned"] > 0


# ---------------------------------------------------------------- the seal over the bytes written

SEAL_HEAD = PROTOCOL["result"]["seal"].split("{sha256}")[0].encode()
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=12,
)


@given(st.dictionaries(st.text().filter(lambda key: key != SEAL_KEY), JSON, min_size=1, max_size=5), st.data())
def test_a_sealed_result_is_its_json_with_the_hash_of_the_bytes_before_it_last(body, data):
    written = sealed(body)
    value = json.loads(written)
    assert list(value) == [*body, SEAL_KEY] and {key: value[key] for key in body} == body
    assert value[SEAL_KEY] == hashlib.sha256(written[: written.rindex(SEAL_HEAD)]).hexdigest()
    assert seal_holds(written)
    damaged = bytearray(written)
    damaged[data.draw(st.integers(0, len(written) - 1))] ^= 0x01
    assert not seal_holds(bytes(damaged))


def test_the_python_writer_writes_the_protocols_result(tmp_path):
    capture = tmp_path / "capture.bin"
    capture.write_bytes(b"heap")
    job = Job("j", "memory", "fixed", "hydrate_all", "d.sqlite", 10)
    out = tmp_path / "j.json"
    returned = write_result(
        out, job, "0" * 64, [Figure("retained_bytes", 1.5, "bytes")], 0.0, None, {"capture": capture}
    )
    data = out.read_bytes()
    assert seal_holds(data) and json.loads(data) == returned
    assert list(returned) == [*RESULT_KEYS, SEAL_KEY]
    assert list(returned["figures"][0]) == PROTOCOL["result"]["figure_keys"]
    assert list(returned["artifacts"]["capture"]) == PROTOCOL["result"]["artifact_keys"]


def _without(key):
    return lambda data: sealed({name: value for name, value in json.loads(data).items() if name != key})


#: damage -> (how, what the verdict says)
SEAL_DAMAGE = {
    "a figure's n changed in place": (lambda data: data.replace(b'"n": ', b'"n": 1', 1), "changed after"),
    "re-encoded compactly, same content": (lambda data: json.dumps(json.loads(data)).encode(), "changed after"),
    "a space appended": (lambda data: data + b" ", "changed after"),
    "resealed without extra": (_without("extra"), "does not have the protocol's members"),
}


@pytest.mark.parametrize("damage", SEAL_DAMAGE)
def test_a_result_whose_bytes_changed_after_its_measurer_wrote_them_is_not_ok(smoke_run, tmp_path, damage):
    run = copy_run(smoke_run[1], tmp_path)
    job = census_job(run)
    path = run / "jobs" / f"{job}.json"
    how, reason = SEAL_DAMAGE[damage]
    path.write_bytes(how(path.read_bytes()))
    planned = next(planned for planned in results.planned_jobs(results.load_manifest(run)) if planned.id == job)
    verdict = integrity.verify_result(run, planned)
    assert verdict.status == "failed" and reason in verdict.reason, verdict.reason


# ---------------------------------------------------------------- datasets replaced during a run


class ReplaceDataset(RunProgress):
    """Progress that replaces the run's dataset with another valid one after ``after`` jobs (or,
    with ``after=None``, once every job has run)."""

    def __init__(self, path, after):
        super().__init__()
        self.live, self.path, self.after = False, path, after

    def replace(self):
        from harness.generate import generate
        from harness.store import write_dataset

        write_dataset(self.path, generate("reference", 12, 300))  # as `harness generate --out` would

    def done(self, status):
        super().done(status)
        if self.after is not None:
            self.after -= 1
            if self.after == 0:
                self.replace()

    def stop(self):
        super().stop()
        if self.after is None:
            self.replace()


def own_dataset_run(smoke_run, tmp_path):
    """A copy of the smoke run measuring its own copy of the reference dataset, its census jobs
    (which read it) to run again; (run, dataset, manifest)."""
    _, original = smoke_run
    run = copy_run(original, tmp_path)
    dataset = tmp_path / "reference.sqlite"
    recorded = results.load_manifest(run)["datasets"]["reference"]["path"]
    shutil.copyfile(recorded, dataset)
    shutil.copyfile(recorded + ".manifest.json", str(dataset) + ".manifest.json")

    def point(manifest):
        manifest["datasets"]["reference"]["path"] = str(dataset)
        for job in manifest["jobs"]:
            if job["dataset"] == recorded:
                job["dataset"] = str(dataset)
            if job["measurer"] == "census":
                (run / "jobs" / f"{job['id']}.json").unlink()

    edit_manifest(run, point, digest=True)
    return run, dataset, results.load_manifest(run)


@pytest.mark.integration
def test_a_dataset_replaced_during_a_run_fails_the_job_that_read_it_and_stops_the_run(smoke_run, tmp_path):
    run, dataset, manifest = own_dataset_run(smoke_run, tmp_path)
    with pytest.raises(DatasetError, match="changed since the run began: sha256"):
        lifecycle.drive(run, manifest, 60, ReplaceDataset(dataset, after=1))
    after = results.load_manifest(run)
    assert after["status"] == "failed" and str(dataset) in after["error"]
    verdicts = results.verdicts(run, after)
    census = [job["id"] for job in after["jobs"] if job["measurer"] == "census"]
    assert verdicts[census[0]].status == "ok"  # measured before the dataset changed
    assert verdicts[census[1]].status == "failed" and "dataset changed while it ran" in verdicts[census[1]].reason
    assert verdicts[census[2]].status is None  # never ran
    done = resume(smoke_run[0], run)
    assert "changed since the run began" in one_line_error(done)


@pytest.mark.integration
def test_a_dataset_replaced_after_the_last_job_keeps_the_run_from_being_complete(smoke_run, tmp_path):
    run, dataset, manifest = own_dataset_run(smoke_run, tmp_path)
    with pytest.raises(DatasetError, match="changed since the run began"):
        lifecycle.drive(run, manifest, 60, ReplaceDataset(dataset, after=None))
    after = results.load_manifest(run)
    assert after["status"] == "failed" and "sha256" in after["error"]
    assert not links(run.parent)


# ---------------------------------------------------------------- the plan a manifest records


@pytest.mark.integration
@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda m: m["jobs"].pop(), id="a job removed"),
        pytest.param(lambda m: m.update(jobs=[]), id="every job removed"),
        pytest.param(lambda m: m["datasets"].pop("growth"), id="a dataset removed"),
        pytest.param(lambda m: m["jobs"][0]["params"].update(iterations=1), id="a job changed"),
        pytest.param(lambda m: m.update(command="advise"), id="the command changed"),
        pytest.param(lambda m: m.pop("plan_sha256"), id="no digest"),
    ],
)
def test_a_run_whose_plan_was_edited_is_not_resumed(smoke_run, tmp_path, change):
    run = interrupted_copy(smoke_run, tmp_path)
    edit_manifest(run, change)
    before = (run / "manifest.json").read_bytes()
    done = resume(smoke_run[0], run)
    assert "start a new run" in one_line_error(done)
    assert (run / "manifest.json").read_bytes() == before


@pytest.mark.integration
@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda m: m.update(jobs=[]), id="every job removed"),
        pytest.param(lambda m: m.pop("jobs"), id="the jobs key removed"),
        pytest.param(lambda m: m.update(git="x"), id="git not an object"),
        pytest.param(lambda m: m.update(argv=None), id="argv not a list"),
    ],
)
def test_a_complete_run_whose_manifest_was_edited_is_refused_by_every_reader(smoke_run, tmp_path, change):
    """Not only resume: report and compare read a manifest too, and must not present a run whose plan
    or record was edited as the run that was measured."""
    run = copy_run(smoke_run[1], tmp_path)
    edit_manifest(run, change)
    for argv in (("report", run), ("compare", run, smoke_run[1]), ("bench", "--resume", run)):
        done = harness(smoke_run[0], *argv)
        assert "manifest.json" in one_line_error(done), argv


@pytest.mark.integration
@pytest.mark.parametrize("unsafe", ["../../../escaped", "{tmp}/escaped", ".hidden", "a/b", ""])
def test_a_job_id_that_is_not_a_file_name_is_refused(smoke_run, tmp_path, unsafe):
    unsafe = unsafe.format(tmp=tmp_path)
    run = interrupted_copy(smoke_run, tmp_path)
    job = census_job(run)

    def rename(manifest):
        for planned in manifest["jobs"]:
            if planned["id"] == job:
                planned["id"] = unsafe

    edit_manifest(run, rename, digest=True)
    done = resume(smoke_run[0], run)
    assert "not a safe file name" in one_line_error(done)
    assert not list(tmp_path.glob("**/escaped*"))
    with pytest.raises(files.RunError, match="not a safe file name"):
        results.load_manifest(run)


@pytest.mark.integration
def test_a_job_planned_twice_in_a_manifest_is_refused(smoke_run, tmp_path):
    run = interrupted_copy(smoke_run, tmp_path)
    edit_manifest(run, lambda m: m["jobs"].append(m["jobs"][0]), digest=True)
    assert "twice" in one_line_error(resume(smoke_run[0], run))


# ---------------------------------------------------------------- manifests edited by hand


def drop(key):
    return lambda manifest: manifest.pop(key)


def put(key, value):
    return lambda manifest: manifest.update({key: value})


MANIFEST_EDITS = {
    "timeout a string": put("timeout", "60"),
    "timeout 1e308": put("timeout", 1e308),
    "timeout NaN": put("timeout", float("nan")),
    "timeout true": put("timeout", True),
    "jobs an object": put("jobs", {}),
    "jobs missing": drop("jobs"),
    "interpreters missing": drop("interpreters"),
    "interpreters a list": put("interpreters", []),
    "datasets missing": drop("datasets"),
    "datasets a string": put("datasets", "x"),
    "notes missing": drop("notes"),
    "notes numbers": put("notes", [1]),
    "status missing": drop("status"),
    "status unknown": put("status", "paused"),
    "schema_version a string": put("schema_version", "3"),
    "schema_version 1e308": put("schema_version", 1e308),
    "schema_version null": put("schema_version", None),
    "a job's size a string": lambda m: m["jobs"][0].update(size="300"),
    "a job without measurer": lambda m: m["jobs"][0].pop("measurer"),
    "an executable a number": lambda m: next(iter(m["interpreters"].values())).update(executable=5),
    "an interpreter missing": lambda m: m["interpreters"].clear(),
    "a dataset path a number": lambda m: m["datasets"]["reference"].update(path=7),
}


@pytest.mark.integration
@pytest.mark.parametrize("edit", MANIFEST_EDITS)
def test_resume_after_a_manifest_edit_is_one_line_and_leaves_the_status(smoke_run, tmp_path, edit):
    run = interrupted_copy(smoke_run, tmp_path)
    edit_manifest(run, MANIFEST_EDITS[edit])
    before = (run / "manifest.json").read_bytes()
    done = resume(smoke_run[0], run)
    assert "Traceback" not in done.stderr
    one_line_error(done)
    assert (run / "manifest.json").read_bytes() == before
    assert not (run / ".lock").exists()


UNREADABLE = {
    "a directory": lambda path: [path.unlink(), path.mkdir()],
    "a list": lambda path: path.write_text("[]"),
    "truncated": lambda path: path.write_text(path.read_text()[:100]),
}


@pytest.mark.integration
@pytest.mark.parametrize("damage", UNREADABLE)
def test_an_unreadable_manifest_is_one_line(smoke_run, tmp_path, damage):
    run = interrupted_copy(smoke_run, tmp_path)
    UNREADABLE[damage](run / "manifest.json")
    assert "no readable manifest.json" in one_line_error(resume(smoke_run[0], run))
    assert (run / "manifest.json").exists()


@pytest.mark.integration
def test_a_timeout_beyond_a_week_is_refused(tmp_path):
    done = harness(tmp_path, "bench", "--plan", "smoke", "--no-report", "--timeout", "1e308")
    assert "at most 604800 s" in one_line_error(done)
    assert not (tmp_path / "results").exists() or not list((tmp_path / "results").iterdir())


# ---------------------------------------------------------------- the tidy table


def fixture_copy(tmp_path):
    run = tmp_path / "run"
    shutil.copytree(FIXTURE, run)
    return run


TIDY_DAMAGE = {
    "deleted": lambda path: path.unlink(),
    "a directory": lambda path: [path.unlink(), path.mkdir()],
    "binary": lambda path: path.write_bytes(b"\xff\xfe\x00garbage\x00"),
    "empty": lambda path: path.write_text(""),
    "ragged": lambda path: path.write_text(path.read_text() + '1,2,3,"\n'),
    "a column gone": lambda path: path.write_text(path.read_text().replace("interpreter,", "", 1)),
    "a number that is not one": lambda path: path.write_text(path.read_text().replace(",count,", ",count,x", 1)),
}


@pytest.mark.requires("pandas")
@pytest.mark.parametrize("damage", TIDY_DAMAGE)
def test_a_missing_or_corrupt_table_of_a_complete_run_is_refused_in_one_line(tmp_path, damage):
    run = fixture_copy(tmp_path)  # complete, of a schema before the table's hash
    TIDY_DAMAGE[damage](run / "tidy.csv")
    with pytest.raises(files.RunError, match="tidy.csv") as raised:
        results.load_tidy(run)
    assert "\n" not in str(raised.value) and f"--resume {run}" in str(raised.value)
    done = harness(tmp_path, "compare", run, run)
    assert "tidy.csv" in one_line_error(done)


@pytest.mark.requires("pandas")
def test_a_complete_run_whose_manifest_lost_the_tables_hash_is_refused(smoke_run, tmp_path):
    run = copy_run(smoke_run[1], tmp_path)
    edit_manifest(run, lambda manifest: manifest.pop("tidy"))
    (run / "tidy.csv").write_text((run / "tidy.csv").read_text().replace(",40.0,count,", ",4.0,count,", 1))
    with pytest.raises(files.RunError, match="records no hash"):
        results.load_tidy(run)


# ---------------------------------------------------------------- files written whole


def test_a_suite_that_cannot_be_rewritten_leaves_the_one_before(smoke_run, tmp_path, monkeypatch):
    run = copy_run(smoke_run[1], tmp_path)
    path = run / "timing" / suite.SUITE
    before = path.read_bytes()

    def full(target, text):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(suite, "write_text", full)
    with pytest.raises(OSError):
        suite.write_suites(run, results.job_results(run))
    assert path.read_bytes() == before


def test_latest_is_flushed_to_disk(tmp_path, monkeypatch):
    flushed = []
    monkeypatch.setattr(results, "fsync_path", flushed.append)
    (tmp_path / "run").mkdir()
    results.point_latest(tmp_path, tmp_path / "run")
    assert (tmp_path / "latest").resolve() == (tmp_path / "run").resolve() and flushed == [tmp_path]


# ---------------------------------------------------------------- other runs at the same time


@pytest.mark.integration
def test_another_run_active_beside_a_run_is_recorded(smoke_run, tmp_path):
    run = interrupted_copy(smoke_run, tmp_path)
    other, gone = run.parent / "20990101T000000Z-other0", run.parent / "20990101T000000Z-gone00"
    for directory in (other, gone):
        (directory / "jobs").mkdir(parents=True)
    (gone / ".lock").write_text("999999999")  # its runner was killed: no one holds it
    with subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, other / ".lock"], stdout=subprocess.PIPE, text=True
    ) as holder:
        try:
            assert holder.stdout.readline() == "locked\n"
            done = resume(smoke_run[0], run)
        finally:
            holder.kill()
    assert done.returncode == 0, done.stderr
    manifest = results.load_manifest(run)
    assert manifest["status"] == "complete" and manifest["concurrent_runs"] == [other.name]
    assert machine.states(run)["jobs"][census_job(run)]["other_runs"] == [other.name]


def test_a_run_alone_records_no_other_run(smoke_run):
    manifest = results.load_manifest(smoke_run[1])
    assert manifest["concurrent_runs"] == []
    assert all(state["other_runs"] == [] for state in machine.states(smoke_run[1])["jobs"].values())


@pytest.mark.requires("pandas")
def test_a_fifo_in_place_of_a_result_or_the_table_is_read_as_missing_not_waited_on(smoke_run, tmp_path):
    run = copy_run(smoke_run[1], tmp_path)
    job = census_job(run)
    for path in (run / "jobs" / f"{job}.json", run / "tidy.csv"):
        path.unlink()
        os.mkfifo(path)
    manifest = results.load_manifest(run)
    assert results.verdicts(run, manifest)[job].status is None
    with pytest.raises(files.RunError, match="tidy.csv is missing"):
        results.load_tidy(run)
