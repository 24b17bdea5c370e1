"""``harness profile``: one strategy's line profile through the run machinery, and its refusals."""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from runs import harness, one_line_error

from harness.cli import main
from harness.runs import results


def _stdout_and_error_lines(capsys):
    captured = capsys.readouterr()
    return captured.out, captured.err.strip().splitlines()


@pytest.mark.requires("scalene")
def test_a_profile_writes_its_run_and_shows_the_hottest_lines_and_how_to_view_it(tmp_path, capsys, dataset):
    root = tmp_path / "results"
    assert main(["profile", "spread", "--dataset", str(dataset), "--size", "50", "--out", str(root)]) == 0
    out, _ = _stdout_and_error_lines(capsys)
    (run_dir,) = [path for path in root.iterdir() if not path.is_symlink()]
    manifest = results.load_manifest(run_dir)
    assert (manifest["command"], manifest["plan"], manifest["status"]) == ("profile", "profile", "complete")
    (result,) = results.job_results(run_dir, manifest)
    assert (result["job"]["measurer"], result["job"]["strategy"], result["job"]["size"]) == ("scalene", "spread", 50)
    profile = run_dir / "jobs" / result["artifacts"]["scalene_json"]["path"]
    assert "files" in json.loads(profile.read_text(encoding="utf-8"))  # scalene's own JSON
    assert "CPU %" in out and "Python %" in out and "native %" in out and "system %" in out
    hottest = [line for line in out.splitlines() if re.match(r"\s+\d+\.\d\s.*\S+:\d+\s", line)]
    assert len(hottest) == len(result["extra"]["top_lines"]) >= 1
    assert f"-m scalene view --cli -r {profile}" in out
    assert f"-m scalene view {profile}" in out


@pytest.mark.requires("scalene")
def test_a_job_that_fails_says_why_and_the_run_is_not_complete(tmp_path, capsys, dataset, monkeypatch):
    from harness.commands import profile

    monkeypatch.setattr(profile, "TIMEOUT", 0.001)
    assert main(["profile", "spread", "--dataset", str(dataset), "--size", "50", "--out", str(tmp_path)]) == 1
    out, errors = _stdout_and_error_lines(capsys)
    tag = f"cp{sys.version_info[0]}{sys.version_info[1]}"
    assert f"{tag}-scalene-hydrate_all-given-spread-50: no profile: timed out after 0.001 s" in errors
    assert "harness profile: the run is not complete: 1 of 1 jobs failed" in errors[-1] and "CPU %" not in out


def test_an_unknown_strategy_is_one_line(tmp_path, capsys, dataset):
    assert main(["profile", "sprede", "--dataset", str(dataset), "--out", str(tmp_path)]) == 2
    out, errors = _stdout_and_error_lines(capsys)
    assert errors == ["harness profile: error: unknown strategy 'sprede'; did you mean 'spread'?"] and not out
    assert not list(tmp_path.iterdir())


def test_a_strategy_this_interpreter_cannot_run_is_one_line(tmp_path, capsys, dataset, monkeypatch):
    from harness.commands import profile
    from harness.runtime.python import current

    here = current()
    without = replace(here, strategies={**here.strategies, "msgspec": [False, "msgspec is not installed"]})
    monkeypatch.setattr(profile, "resolve", lambda spec: [without])
    assert main(["profile", "msgspec", "--dataset", str(dataset), "--out", str(tmp_path)]) == 2
    _, errors = _stdout_and_error_lines(capsys)
    assert errors == [
        f"harness profile: error: strategy 'msgspec' is unavailable on {here.label}: msgspec is not installed"
    ]
    assert not list(tmp_path.iterdir())


def test_without_scalene_the_install_is_named_in_one_line(tmp_path, dataset):
    """In an environment where scalene cannot be imported (a sitecustomize hides it from every process)."""
    hidden = tmp_path / "hide"
    hidden.mkdir()
    (hidden / "sitecustomize.py").write_text("import sys\nsys.modules['scalene'] = None\n", encoding="utf-8")
    environment = {"PYTHONPATH": str(hidden)}
    done = harness(tmp_path, "profile", "spread", "--dataset", dataset, env={**os.environ, **environment})
    line = one_line_error(done)
    assert "scalene is not installed; install it with pip install 'shape-harness[scalene]'" in line
    assert "make bench-full" in line and not (tmp_path / "results").exists()


def test_a_size_beyond_the_dataset_is_one_line(tmp_path, capsys, dataset):
    assert main(["profile", "spread", "--dataset", str(dataset), "--size", "401", "--out", str(tmp_path)]) == 2
    _, errors = _stdout_and_error_lines(capsys)
    assert errors == ["harness profile: error: --size 401: the dataset holds 400 messages"]


def test_a_strategy_or_resume_one_of_them(tmp_path, capsys):
    assert main(["profile", "--out", str(tmp_path)]) == 2
    _, errors = _stdout_and_error_lines(capsys)
    assert errors == ["harness profile: error: give a STRATEGY to profile, or --resume RUN_DIR (one of them)"]


def test_the_view_commands_quote_what_a_shell_would_split():
    from harness.commands.profile import view_commands

    lines = view_commands("/opt/py thon/bin/python", Path("results/a b/jobs/x.scalene.json"))
    assert (
        "  in the terminal:  '/opt/py thon/bin/python' -m scalene view --cli -r 'results/a b/jobs/x.scalene.json'"
        in lines
    )
