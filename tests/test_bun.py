"""Bun as a runtime of the harness: installed on demand or unavailable with the reason, its jobs
planned against its own catalogue, run through the JS job runner into the same run directory; the
tests that need it install it only when asked (``HARNESS_TEST_BUN=1``)."""

import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from runs import latest

from harness.protocol.job import Job
from harness.runs import results
from harness.runtime import bun as bun_runtime
from harness.runtime import bun_install as bun
from harness.runtime.bun import BunRuntime
from harness.runtime.python import PythonRuntime

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
    assert bun_runtime.refusal(CATALOGUE, _job()) is None
    assert bun_runtime.refusal(CATALOGUE, _job(gc_mode="disabled", growth=1, workload="run_loop")) is None
    assert bun_runtime.refusal(CATALOGUE, _job("scalene")) == "the scalene measurer is Python only"
    assert bun_runtime.refusal(CATALOGUE, _job(workload="page")) == "the JS gcprobe measurer does not run page"
    assert bun_runtime.refusal(CATALOGUE, _job(rounds=3)) == "params.rounds is Python only"
    assert "freeze" in bun_runtime.refusal(CATALOGUE, _job(gc_mode="freeze"))
    edited = dataclasses.replace(_job(), schema="edited.schema.json")
    assert bun_runtime.refusal(CATALOGUE, edited) == "an edited schema is Python only"


def test_python_refuses_nothing_and_bun_what_its_catalogue_lacks():
    assert PythonRuntime("cp311", sys.executable, {}).refusal(_job("scalene")) is None
    assert BunRuntime("bun14", "bun", {}, catalogue=CATALOGUE).refusal(_job("scalene"))


def test_job_commands_follow_the_runtime(tmp_path):
    job_file, out = tmp_path / "j.job.json", tmp_path / "j.json"
    assert BunRuntime("bun14", "/x/bun", {}).job_command(_job(), job_file, out) == [
        "/x/bun",
        str(bun.JOB_SCRIPT),
        "--job",
        str(job_file),
        "--out",
        str(out),
    ]
    python = Job("j", "timing", "spread", "access", "d.sqlite", 10, interpreter="cp311")
    command = PythonRuntime("cp311", "/x/python", {}).job_command(python, job_file, out)
    assert command[:3] == ["/x/python", "-m", "harness.measure.timing"]
    assert bun_runtime.tag_of("1.4.5") == "bun14"


def test_strategy_table_marks_python_strategies_unavailable():
    table = bun_runtime.strategy_table({"strategies": ["spread", "fixed"]}, ["spread", "fixed", "slots"])
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
    with pytest.raises(bun.NotInstallable, match="npm is not on PATH"):
        bun.ensure()
    assert not (tmp_path / "tools").exists()


FAILING_NPM = """#!/bin/sh
echo "npm ERR! 404 Not Found - GET https://registry.npmjs.org/@oven%2fbun-linux-x64" >&2
exit 1
"""


@pytest.fixture()
def failing_npm(no_npm, tmp_path):
    """An empty tools folder and a PATH whose npm fails every install, as without the registry."""
    npm = tmp_path / "nobin" / "npm"
    npm.parent.mkdir()
    npm.write_text(FAILING_NPM)
    npm.chmod(0o755)
    return no_npm


def test_a_failed_install_is_not_taken_for_no_npm_and_leaves_nothing(failing_npm, tmp_path):
    assert bun.installable() is None  # npm is there: Bun could be installed
    with pytest.raises(bun.BunUnavailable, match="npm ERR! 404") as raised:
        bun.ensure()
    assert not isinstance(raised.value, bun.NotInstallable)
    assert not any((tmp_path / "tools").iterdir())


HELD_NPM = """#!/bin/sh
# npm install --prefix STAGING ...: says it began, waits for the file $NPM_GO, makes a Bun that says its version
echo began >> "$NPM_LOG"
while [ ! -e "$NPM_GO" ]; do sleep 0.05; done
mkdir -p "$3/{bin}"
printf '#!/bin/sh\\necho {version}\\n' > "$3/{bin}/bun"
chmod +x "$3/{bin}/bun"
"""


def test_a_first_use_while_bun_is_installed_waits_and_takes_that_install(no_npm, tmp_path):
    npm = tmp_path / "nobin" / "npm"
    npm.parent.mkdir()
    npm.write_text(HELD_NPM.format(bin=f"node_modules/{bun.package()}/bin", version=bun.BUN_VERSION))
    npm.chmod(0o755)
    log, go = tmp_path / "npm.log", tmp_path / "go"
    env = {**no_npm, "NPM_LOG": str(log), "NPM_GO": str(go), "PATH": f"{npm.parent}:/usr/bin:/bin"}
    code = "from harness.runtime import bun_install as b; print(b.ensure(say=lambda t: print(t, flush=True)))"

    def use():
        return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)

    first = use()
    try:
        assert first.stdout.readline().startswith(f"installing Bun {bun.BUN_VERSION}")
        while not log.exists():  # the first is inside npm install, holding the tools folder
            time.sleep(0.05)
        second = use()
        assert second.stdout.readline().startswith(f"waiting for another process installing Bun {bun.BUN_VERSION}")
    finally:
        go.touch()  # whatever happened, npm finishes
    outputs = [first.communicate(timeout=60)[0], second.communicate(timeout=60)[0]]
    assert [first.returncode, second.returncode] == [0, 0]
    assert outputs == [f"{bun.executable()}\n"] * 2
    assert log.read_text() == "began\n"  # npm ran once
    assert sorted(path.name for path in (tmp_path / "tools").iterdir()) == [bun.install_dir().name]


def _bun_test_outcome(env, install):
    """The pytest summary of one test that needs Bun, run with ``env`` (and ``HARNESS_TEST_BUN=1`` to
    ``install``)."""
    env = {name: value for name, value in env.items() if name != "HARNESS_TEST_BUN"}
    if install:
        env["HARNESS_TEST_BUN"] = "1"
    test = f"{Path(__file__).name}::test_bench_runs_bun_beside_python"
    command = [sys.executable, "-m", "pytest", test, "-q", "-rs", "-p", "no:cacheprovider"]
    done = subprocess.run(command, cwd=Path(__file__).parent, env=env, capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout


def test_the_bun_tests_are_skipped_without_an_installed_bun_unless_asked(failing_npm, tmp_path):
    status, summary = _bun_test_outcome(failing_npm, install=False)
    assert status == 0 and "1 skipped" in summary, summary
    assert "Bun is not installed (make test-bun installs the pinned Bun and runs the Bun tests)" in summary, summary
    assert not (tmp_path / "tools").exists()  # npm was there, and never asked


def test_the_bun_tests_fail_when_npm_cannot_install_bun(failing_npm):
    status, summary = _bun_test_outcome(failing_npm, install=True)
    assert status == 1 and "Bun did not install: npm install" in summary and "skipped" not in summary, summary


def test_the_bun_tests_are_skipped_with_the_reason_only_without_npm(no_npm):
    status, summary = _bun_test_outcome(no_npm, install=True)
    assert status == 0 and "1 skipped" in summary, summary
    assert "Bun cannot be installed here: npm is not on PATH" in summary, summary


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


@pytest.mark.integration
def test_bench_goes_on_without_an_unavailable_bun(no_npm, tmp_path):
    done = _bench(tmp_path, no_npm, "--python", f"{sys.executable},bun", "--strategies", "spread")
    assert done.returncode == 0, done.stderr
    manifest = results.load_manifest(latest(tmp_path / "results"))
    assert manifest["status"] == "complete" and len(manifest["interpreters"]) == 1
    assert any(note.startswith("Bun is unavailable: npm is not on PATH") for note in manifest["notes"])


def test_bench_runs_bun_beside_python(bun_exe, tmp_path):
    done = _bench(tmp_path, os.environ, "--python", f"{sys.executable},bun", "--strategies", "spread,fixed,slots")
    assert done.returncode == 0, done.stderr
    run_dir = latest(tmp_path / "results")
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
