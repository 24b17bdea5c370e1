"""A run's life, one for bench and advise (``harness.runs.lifecycle``): the manifest a run begins with, and
how a run ends when it is interrupted, cannot write its files, is resumed from inside its directory
or cannot build its report."""

import ast
from pathlib import Path

import pytest
from runs import copy_run, latest

from harness.cli import COMMANDS, main
from harness.generate import generate
from harness.runs import lifecycle, results
from harness.runs.files import RunError
from harness.runs.lock import Lock
from harness.runs.plans import PLANS
from harness.runtime.python import PythonRuntime, current
from harness.store import write_dataset

#: The keys of a new run's manifest: a published contract (``harness.runs.results`` checks them).
MANIFEST_KEYS = {
    "schema_version",
    "command",
    "argv",
    "plan",
    "status",
    "started",
    "finished",
    "git",
    "timeout",
    "datasets",
    "interpreters",
    "fingerprint",
    "notes",
    "interleave_seed",
    "jobs",
    "plan_sha256",
    "links",
}


def _entries(chosen):
    """Dataset records for a plan's datasets, as ``lifecycle.dataset_entry`` makes them (not read)."""
    return {
        spec.key: {"path": f"/data/{spec.key}.sqlite", "sha256": "0" * 64, "origin": spec.profile, "spec": None}
        for spec in chosen.datasets
    }


def test_a_new_run_records_its_plan_runtimes_and_provenance(tmp_path):
    here = current()
    run = lifecycle.begin("bench", PLANS["smoke"], [here], _entries(PLANS["smoke"]), tmp_path, ["spread"], 7.5)
    manifest = run.manifest
    assert set(manifest) == MANIFEST_KEYS and not run.resumed
    assert run.directory.parent == tmp_path and not list((run.directory / "jobs").iterdir())
    assert manifest["command"] == "bench" and manifest["plan"] == "smoke" and manifest["timeout"] == 7.5
    assert manifest["interpreters"] == {here.tag: {"executable": here.executable, **here.environment}}
    assert {job["strategy"] for job in manifest["jobs"]} == {"spread"}
    assert {job["interpreter"] for job in manifest["jobs"]} == {here.tag}
    assert manifest["plan_sha256"] == results.plan_digest(manifest)
    assert set(manifest["git"]) == {"commit", "committed", "dirty"} and manifest["status"] == "running"


def test_an_edited_schema_reaches_every_planned_job(tmp_path):
    chosen = PLANS["smoke"]
    run = lifecycle.begin("advise", chosen, [current()], _entries(chosen), tmp_path, schema="/s/edited.schema.json")
    assert {job["schema"] for job in run.manifest["jobs"]} == {"/s/edited.schema.json"}


def test_a_plan_with_nothing_left_to_run_makes_no_run(tmp_path):
    chosen = PLANS["smoke"]
    bare = PythonRuntime("cp311", "python", current().environment, {"spread": [False, "gone"]})
    with pytest.raises(RunError, match="nothing to run: CPython .*: skipped spread .*: gone"):
        lifecycle.begin("bench", chosen, [bare], _entries(chosen), tmp_path)
    assert not list(tmp_path.iterdir())


def test_options_given_with_resume_are_refused_before_the_run_is_read(tmp_path):
    with pytest.raises(RunError, match=r"^--resume finishes a run as it was planned; it takes no --out, --plan \("):
        lifecycle.resume("bench", tmp_path / "nowhere", ["--out", "--plan"])


def test_no_command_imports_another_command():
    commands = Path(lifecycle.__file__).parents[1] / "commands"
    for name in COMMANDS:
        tree = ast.parse((commands / f"{name}.py").read_text())
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "harness.commands":
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("harness.commands."):
                imported.add(node.module.rsplit(".", 1)[1])
            elif isinstance(node, ast.Import):
                imported.update(a.name.rsplit(".", 1)[1] for a in node.names if a.name.startswith("harness.commands."))
        assert not imported & (set(COMMANDS) - {name}), f"harness/commands/{name}.py imports {imported}"


# ---------------------------------------------------------------- how a run ends


@pytest.fixture
def advise_dataset(tmp_path, monkeypatch):
    """A small dataset for harness advise, its plan cut down to spread and slots."""
    from harness.analysis import advice

    monkeypatch.setattr(advice, "CANDIDATES", ("slots",))
    dataset = tmp_path / "d.sqlite"
    write_dataset(dataset, generate("realistic", 3, 40, sessions=1))
    return dataset


def _refuse_the_lock(monkeypatch, error):
    def refuse(self):
        raise error

    monkeypatch.setattr(Lock, "__enter__", refuse)


def test_an_advise_interrupted_before_its_manifest_leaves_no_run(tmp_path, advise_dataset, monkeypatch, capsys):
    _refuse_the_lock(monkeypatch, KeyboardInterrupt())
    code = main(["advise", str(advise_dataset), "--no-report", "--out", str(tmp_path / "results")])
    err = capsys.readouterr().err
    assert code == 130 and "interrupted before the run began" in err and "resume with" not in err
    assert not list((tmp_path / "results").iterdir())


def test_an_advise_that_cannot_write_its_run_exits_1_and_leaves_no_run(tmp_path, advise_dataset, monkeypatch, capsys):
    _refuse_the_lock(monkeypatch, OSError(28, "No space left on device"))
    code = main(["advise", str(advise_dataset), "--no-report", "--out", str(tmp_path / "results")])
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and line == "harness advise: error: cannot write the run: [Errno 28] No space left on device"
    assert not list((tmp_path / "results").iterdir())


def _one_job_missing(smoke_run, tmp_path):
    run = copy_run(smoke_run[1], tmp_path)
    census = next(job["id"] for job in results.load_manifest(run)["jobs"] if job["measurer"] == "census")
    (run / "jobs" / f"{census}.json").unlink()
    return run


@pytest.mark.integration
def test_a_run_resumed_from_inside_its_directory_becomes_latest(smoke_run, tmp_path, monkeypatch, capsys):
    run = _one_job_missing(smoke_run, tmp_path)
    monkeypatch.chdir(run)
    assert main(["bench", "--no-report", "--resume", "."]) == 0, capsys.readouterr().err
    assert latest(tmp_path / "results") == run.resolve()
    assert not (run / "latest").exists() and capsys.readouterr().out.rstrip().endswith("run: .")


@pytest.mark.integration
def test_a_report_that_fails_leaves_the_complete_run_and_says_why(smoke_run, tmp_path, monkeypatch, capsys):
    import harness.commands.bench as command

    def broken(run_dir):
        raise ValueError("no notebook today")

    run = _one_job_missing(smoke_run, tmp_path)
    monkeypatch.chdir(smoke_run[0])
    monkeypatch.setattr(command, "build_report", broken)
    assert main(["bench", "--resume", str(run)]) == 0
    captured = capsys.readouterr()
    assert "note: no report: ValueError: no notebook today" in captured.err
    assert captured.out.rstrip().splitlines()[-1] == f"run: {run}"
    assert results.load_manifest(run)["status"] == "complete"
    assert latest(tmp_path / "results") == run.resolve()
