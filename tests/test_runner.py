"""The bench runner end to end (smoke plan, real CLI, fresh processes) and every fault it handles."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from runs import HOLD_LOCK, InterruptAfter, bench, copy_run, harness, resume

from harness.protocol.job import Job
from harness.runs import files, integrity, lifecycle, machine, results, runner
from harness.runs.lock import Lock
from harness.runs.plans import PLANS
from harness.runtime.python import PythonRuntime, current

TIDY_HEADER = ",".join(results.TIDY_COLUMNS)


def test_smoke_run_is_complete_with_provenance(smoke_run):
    _, run_dir = smoke_run
    manifest = results.load_manifest(run_dir)
    assert manifest["status"] == "complete" and manifest["schema_version"] == results.SCHEMA_VERSION
    assert manifest["plan"] == "smoke"
    assert manifest["completeness"] == {
        "planned": len(manifest["jobs"]),
        "ok": len(manifest["jobs"]),
        "failed": 0,
        "missing": 0,
    }
    (interpreter,) = manifest["interpreters"].values()
    assert interpreter["interpreter"]["version"].count(".") == 2 and interpreter["machine"]["cores"] >= 1
    assert len(manifest["fingerprint"]) == 12 and "commit" in manifest["git"]
    assert {d["sha256"] for d in manifest["datasets"].values()} and manifest["started"] <= manifest["finished"]
    assert [job.id for job in results.planned_jobs(manifest)] == [job["id"] for job in manifest["jobs"]]


@pytest.mark.integration
def test_every_job_has_a_result_and_tidy_rows(smoke_run):
    _, run_dir = smoke_run
    manifest = results.load_manifest(run_dir)
    for job in results.planned_jobs(manifest):
        assert integrity.job_status(run_dir, job) == "ok"
    tidy = (run_dir / "tidy.csv").read_text().splitlines()
    assert tidy[0] == TIDY_HEADER and len(tidy) > 50
    frame = results.load_tidy(run_dir)
    assert set(frame["measurer"]) == {"census", "timing", "gcprobe", "memory"}
    states = machine.states(run_dir)["jobs"]
    assert set(states) == {job.id for job in results.planned_jobs(manifest)}
    assert frame["load"].notna().all() and (frame["cpu_share"] > 0).all() and (frame["other_cores"] >= 0).all()
    assert set(frame["origin"]) == {"reference", "realistic"} and set(frame["dataset_key"]) == {"reference", "growth"}
    loops = frame[frame["workload"] == "run_loop"]
    assert set(loops["read_path"]) == {"full", "cache-aware", "incremental"} and set(frame["repeat"]) == {1, 2}
    slopes = frame["metric"] == "seconds_per_iteration_per_1k_history"  # a slope may be negative
    assert (frame.loc[~slopes, "value"] >= 0).all() and frame["value"].notna().all()
    pyperf_files = list((run_dir / "timing").glob("*.json"))
    assert pyperf_files
    for path in pyperf_files:  # pyperf's own format, readable by its tools
        shown = subprocess.run([sys.executable, "-m", "pyperf", "show", str(path)], capture_output=True, text=True)
        assert shown.returncode == 0 and re.search(r"\d (ns|us|ms|sec)$", shown.stdout.strip()), shown.stderr


@pytest.mark.integration
def test_resume_runs_only_what_is_missing_or_corrupt(smoke_run, tmp_path):
    cwd, run_dir = smoke_run
    copy = copy_run(run_dir, tmp_path)
    manifest = results.load_manifest(copy)
    first, second, *rest = [job["id"] for job in manifest["jobs"]]
    (copy / "jobs" / f"{first}.json").unlink()
    corrupt = copy / "jobs" / f"{second}.json"
    corrupt.write_text(corrupt.read_text()[:40])  # truncated
    untouched = {job: (copy / "jobs" / f"{job}.json").stat().st_mtime_ns for job in rest}
    manifest["status"] = "interrupted"
    files.write_json(copy / "manifest.json", manifest)
    done = subprocess.run(
        [sys.executable, "-m", "harness", "bench", "--no-report", "--resume", str(copy)],
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "2 jobs ok, 0 failed" in done.stdout
    after = results.load_manifest(copy)
    assert after["status"] == "complete" and after["jobs"] == manifest["jobs"]
    assert all(integrity.job_status(copy, job) == "ok" for job in results.planned_jobs(after))
    assert all((copy / "jobs" / f"{job}.json").stat().st_mtime_ns == mtime for job, mtime in untouched.items())


@pytest.mark.integration
def test_interrupt_keeps_finished_jobs_and_resume_completes(smoke_run, tmp_path):
    cwd, run_dir = smoke_run
    copy = copy_run(run_dir, tmp_path)
    manifest = results.load_manifest(copy)
    jobs = results.planned_jobs(manifest)
    for job in jobs:
        (copy / "jobs" / f"{job.id}.json").unlink()
    with pytest.raises(KeyboardInterrupt):
        lifecycle.drive(copy, manifest, 60, InterruptAfter(2))
    interrupted = results.load_manifest(copy)
    assert interrupted["status"] == "interrupted"
    assert sum(integrity.job_status(copy, job) == "ok" for job in jobs) == 2
    done = subprocess.run(
        [sys.executable, "-m", "harness", "bench", "--no-report", "--resume", str(copy)],
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert {path.name for path in (copy / "jobs").glob("*.json")} == {
        path.name for path in (run_dir / "jobs").glob("*.json")
    }


def fake_python(tmp_path, body):
    """A Python runtime whose executable is a shell script running ``body``, whatever job it is given."""
    script = tmp_path / "fake-python"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o755)
    return PythonRuntime("cp311", str(script), {})


def one_job(tmp_path):
    run_dir = tmp_path / "run"
    (run_dir / "jobs").mkdir(parents=True)
    return run_dir, Job(
        "cp311-census-hydrate_all-spread-10", "census", "spread", "hydrate_all", "d.sqlite", 10, interpreter="cp311"
    )


@pytest.mark.integration
def test_a_hanging_job_is_killed_and_recorded(tmp_path):
    run_dir, job = one_job(tmp_path)
    status = runner.run_job(job, fake_python(tmp_path, "sleep 30"), run_dir, timeout=0.5)
    record = json.loads((run_dir / "jobs" / f"{job.id}.json").read_text())
    assert status == "failed" and record["reason"] == "timed out after 0.5 s"


@pytest.mark.integration
def test_a_crashing_job_is_recorded_with_its_stderr(tmp_path):
    run_dir, job = one_job(tmp_path)
    runtime = fake_python(tmp_path, "echo 'OSError: [Errno 28] No space left on device' >&2; exit 1")
    assert runner.run_job(job, runtime, run_dir, timeout=10) == "failed"
    record = json.loads((run_dir / "jobs" / f"{job.id}.json").read_text())
    assert record["returncode"] == 1 and "No space left on device" in record["stderr_tail"]
    assert integrity.job_status(run_dir, job) == "failed"


@pytest.mark.integration
def test_a_job_that_writes_nothing_is_a_failure(tmp_path):
    run_dir, job = one_job(tmp_path)
    assert runner.run_job(job, fake_python(tmp_path, "exit 0"), run_dir, timeout=10) == "failed"
    assert json.loads((run_dir / "jobs" / f"{job.id}.json").read_text())["reason"] == "no result written"


def test_disk_full_while_the_runner_writes(smoke_run, tmp_path, monkeypatch, capsys):
    from harness.cli import main

    cwd, run_dir = smoke_run
    copy = copy_run(run_dir, tmp_path)
    (copy / "jobs" / f"{results.load_manifest(copy)['jobs'][0]['id']}.json").unlink()

    def full(path, value):
        raise OSError(28, "No space left on device")

    monkeypatch.chdir(cwd)
    monkeypatch.setattr(files, "write_json", full)
    assert main(["bench", "--no-report", "--resume", str(copy)]) == 1
    assert "No space left on device" in capsys.readouterr().err


@pytest.mark.integration
def test_a_second_runner_on_the_same_run_dir_is_refused(smoke_run, tmp_path):
    cwd, run_dir = smoke_run
    copy = copy_run(run_dir, tmp_path)
    (copy / "jobs" / f"{results.load_manifest(copy)['jobs'][0]['id']}.json").unlink()
    with subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, copy / ".lock"], stdout=subprocess.PIPE, text=True
    ) as holder:
        try:
            assert holder.stdout.readline() == "locked\n"
            done = resume(cwd, copy)
        finally:
            holder.kill()
    assert done.returncode == 2
    assert done.stderr.strip() == f"harness bench: error: run directory {copy} is in use by process {holder.pid}"
    assert results.load_manifest(copy)["status"] == "complete"


def test_a_stale_lock_is_taken_over(tmp_path):
    (tmp_path / ".lock").write_text("999999999")
    with Lock(tmp_path):
        assert (tmp_path / ".lock").read_text() == str(os.getpid())
    assert not (tmp_path / ".lock").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--plan", "huge"], "invalid choice: 'huge'"),
        (["--profile", "quick"], "--profile is the old spelling of --plan; give one of them"),
        (["--strategies", "sprad"], "did you mean 'spread'"),
        (["--python", "/nonexistent/python9"], "/nonexistent/python9"),
        (["--out", "/proc/harness-results"], "cannot create a run directory under /proc/harness-results"),
    ],
)
@pytest.mark.integration
def test_bad_usage(tmp_path, argv, message):
    done = bench(tmp_path, *argv)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]


@pytest.mark.integration
def test_resume_of_a_directory_that_is_not_a_run(tmp_path):
    done = harness(tmp_path, "bench", "--resume", ".")
    assert done.returncode == 2 and "is not a harness run directory" in done.stderr


def _planned(name: str) -> list:
    chosen = PLANS[name]
    return runner.plan(chosen, [current()], {spec.key: Path(f"{spec.key}.sqlite") for spec in chosen.datasets})[0]


@pytest.mark.parametrize("name", sorted(PLANS))
def test_every_plan_plans_distinct_checked_jobs(name):
    jobs = _planned(name)
    assert len({job.id for job in jobs}) == len(jobs) > 0


@pytest.mark.parametrize("name", ["smoke", "quick", "full"])
def test_the_general_plans_run_every_measurer(name):
    assert {job.measurer for job in _planned(name)} >= {"census", "timing", "gcprobe", "memory"}


def test_the_processes_of_a_sweep_interleave_in_shuffled_rounds_fixed_by_the_seed():
    chosen = PLANS["quick"]
    datasets = {spec.key: Path(f"{spec.key}.sqlite") for spec in chosen.datasets}
    jobs, _ = runner.plan(chosen, [current()], datasets, seed=7)
    assert [job.id for job in runner.plan(chosen, [current()], datasets, seed=7)[0]] == [job.id for job in jobs]
    assert [job.id for job in runner.plan(chosen, [current()], datasets, seed=8)[0]] != [job.id for job in jobs]
    repeats = results.repeat_numbers(jobs)
    access = [
        job for job in jobs if (job.measurer, job.workload, job.dataset) == ("timing", "access", "reference.sqlite")
    ]
    rounds = [repeats[job.id] for job in access]
    strategies = {job.strategy for job in access}
    assert rounds == sorted(rounds) and set(rounds) == {1, 2, 3, 4, 5}  # every r-th process before any (r+1)-th
    orders = [[job.strategy for job in access if repeats[job.id] == r] for r in (1, 2, 3, 4, 5)]
    assert all(set(order) == strategies and len(order) == len(strategies) for order in orders)
    assert len({tuple(order) for order in orders}) > 1  # each round shuffled anew
    assert all(job.params["pyperf"]["processes"] == 1 for job in jobs if job.measurer == "timing")
    gcprobe = [job for job in jobs if (job.measurer, job.workload) == ("gcprobe", "hydrate_all")]
    kinds = {(job.strategy, job.params.get("gc_mode", "enabled")) for job in gcprobe[: len(gcprobe) // 3]}
    assert ("msgspec-lazy", "enabled") in kinds and ("spread", "disabled") in kinds  # both sweeps of the group, mixed


def test_a_plan_with_a_bad_parameter_fails_before_anything_runs():
    from harness.runs.plans import Plan, Sweep

    broken = Plan("broken", "", (), (Sweep("gcprobe", "hydrate_all", "d", ("spread",), (10,), {"rounds": 0}),), 1)
    with pytest.raises(files.RunError, match="plan broken: params.rounds must be >= 1"):
        runner.plan(broken, [current()], {"d": Path("d.sqlite")})


@pytest.mark.integration
def test_the_old_profile_spelling_still_runs_with_a_notice(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "harness", "bench", "--profile", "smoke", "--no-report", "--strategies", "none-such"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert "note: bench --profile is now --plan" in done.stderr
