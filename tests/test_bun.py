"""Bun as an interpreter of the harness: installed on demand or unavailable with the reason, its jobs
planned against its own catalogue, run through the JS job runner into the same run directory."""

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness import bun, results
from harness.interpreters import Interpreter, job_command
from harness.measure.job import Job

CATALOGUE = {
    "measurers": {
        "gcprobe": {
            "workloads": ["hydrate_all", "run_loop"],
            "params": [{"name": "gc_mode", "kind": "str", "default": "enabled", "choices": ["enabled", "disabled"]}],
        }
    },
    "workloads": {
        "hydrate_all": {"params": []},
        "run_loop": {"params": [{"name": "growth", "kind": "int", "default": 0}]},
    },
}


def _job(measurer="gcprobe", workload="hydrate_all", **params):
    return Job("j", measurer, "spread", workload, "d.sqlite", 10, params=params, interpreter="bun14")


def test_refusal_names_what_only_python_runs():
    assert bun.refusal(CATALOGUE, _job()) is None
    assert bun.refusal(CATALOGUE, _job(gc_mode="disabled", growth=1, workload="run_loop")) is None
    assert bun.refusal(CATALOGUE, _job("scalene")) == "the scalene measurer is Python only"
    assert bun.refusal(CATALOGUE, _job(workload="page")) == "the JS gcprobe measurer does not run page"
    assert bun.refusal(CATALOGUE, _job(rounds=3)) == "params.rounds is Python only"
    assert "freeze" in bun.refusal(CATALOGUE, _job(gc_mode="freeze"))
    edited = dataclasses.replace(_job(), schema="edited.schema.json")
    assert bun.refusal(CATALOGUE, edited) == "an edited schema is Python only"


def test_an_interpreter_without_a_catalogue_refuses_nothing():
    python = Interpreter("cp311", sys.executable, {}, {})
    assert python.refusal(_job("scalene")) is None
    assert Interpreter("bun14", "bun", {}, {}, catalogue=CATALOGUE).refusal(_job("scalene"))


def test_job_commands_follow_the_interpreter(tmp_path):
    job_file, out = tmp_path / "j.job.json", tmp_path / "j.json"
    assert job_command(_job(), "/x/bun", job_file, out) == [
        "/x/bun",
        str(bun.JOB_SCRIPT),
        "--job",
        str(job_file),
        "--out",
        str(out),
    ]
    python = Job("j", "timing", "spread", "access", "d.sqlite", 10, interpreter="cp311")
    assert job_command(python, "/x/python", job_file, out)[:3] == ["/x/python", "-m", "harness.measure.timing"]
    assert bun.tag_of("1.4.5") == "bun14" and bun.is_bun_tag("bun14") and not bun.is_bun_tag("cp311")


def test_strategy_table_marks_python_strategies_unavailable():
    table = bun.strategy_table({"strategies": ["spread", "fixed"]}, ["spread", "fixed", "slots"])
    assert table["spread"] == [True, ""] and table["slots"][0] is False and "Python only" in table["slots"][1]


@pytest.fixture()
def no_npm(tmp_path, monkeypatch):
    """An empty tools folder and a PATH without npm."""
    env = {**os.environ, "HARNESS_TOOLS": str(tmp_path / "tools"), "PATH": str(tmp_path / "nobin")}
    for name in ("HARNESS_TOOLS", "PATH"):
        monkeypatch.setenv(name, env[name])
    return env


def test_without_npm_bun_is_unavailable_and_nothing_is_installed(no_npm, tmp_path):
    reason = "npm is not on PATH (Bun is installed from the npm registry)"
    assert bun.installable() == reason
    with pytest.raises(bun.BunUnavailable, match="npm is not on PATH"):
        bun.ensure()
    assert not (tmp_path / "tools").exists()


def _bench(cwd, env, *argv):
    command = [sys.executable, "-m", "harness", "bench", "--plan", "smoke", "--no-report", "--out", "results", *argv]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)


def test_bench_with_only_an_unavailable_bun_exits_2(no_npm, tmp_path):
    done = _bench(tmp_path, no_npm, "--python", "bun")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "harness bench: error: Bun is unavailable: npm is not on PATH (Bun is installed from the npm registry)"
    ]
    assert not (tmp_path / "results").exists()


def test_bench_goes_on_without_an_unavailable_bun(no_npm, tmp_path):
    done = _bench(tmp_path, no_npm, "--python", f"{sys.executable},bun", "--strategies", "spread")
    assert done.returncode == 0, done.stderr
    manifest = results.load_manifest((tmp_path / "results" / "latest").resolve())
    assert manifest["status"] == "complete" and len(manifest["interpreters"]) == 1
    assert any(note.startswith("Bun is unavailable: npm is not on PATH") for note in manifest["notes"])


def test_bench_runs_bun_beside_python(bun_exe, tmp_path):
    done = _bench(tmp_path, os.environ, "--python", f"{sys.executable},bun", "--strategies", "spread,fixed,slots")
    assert done.returncode == 0, done.stderr
    run_dir = (tmp_path / "results" / "latest").resolve()
    manifest = results.load_manifest(run_dir)
    assert manifest["completeness"]["failed"] == 0 and manifest["status"] == "complete"
    jsc = manifest["interpreters"]["bun14"]
    assert jsc["interpreter"]["implementation"] == "JSC" and jsc["executable"] == bun_exe
    assert any(note.startswith(f"JSC Bun {bun.BUN_VERSION}: skipped slots") for note in manifest["notes"])
    bun_jobs = [job for job in manifest["jobs"] if job["interpreter"] == "bun14"]
    assert bun_jobs and all(job["strategy"] in ("spread", "fixed", "cached:fixed") for job in bun_jobs)
    for job in bun_jobs:
        result = json.loads((run_dir / "jobs" / f"{job['id']}.json").read_text())
        assert result["status"] == "ok" and result["environment"]["interpreter"]["implementation"] == "JSC"
    tidy = results.load_tidy(run_dir)
    jsc_rows = tidy[tidy["implementation"] == "JSC"]
    assert set(jsc_rows["interpreter"]) == {f"JSC Bun {bun.BUN_VERSION}"}
    assert set(jsc_rows["measurer"]) == {job["measurer"] for job in bun_jobs}
    assert len(set(tidy["implementation"])) == 2
    assert Path(jsc_rows["dataset"].iloc[0]).suffix == ".sqlite"
