"""``harness history`` over fake runs (order by commit date, groups by fingerprint, verdicts from
compare, notes, errors, the plot), the commit date ``git_state`` records, and ``harness
bisect-range`` (its refusals; a real range of two commits, slow)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_runs import noisy_run

from harness import cli
from harness.runs import files, lifecycle

pytestmark = pytest.mark.requires("pandas", "pyperf", "matplotlib")

REPOSITORY = Path(__file__).resolve().parents[1]


def dated_run(root: Path, seed: int, commit: str, committed, fingerprint: str = "", shift: float = 1.0) -> Path:
    """A complete fake timing run (two strategies, ``s0`` and ``s1``, access ns/read) of ``commit``,
    made at ``committed`` (None: a run of an older harness, which did not record it)."""
    run = noisy_run(root, seed=seed, benchmarks=2, shift=shift)
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    manifest["git"] = {"commit": commit, "dirty": False, **({"committed": committed} if committed else {})}
    manifest["started"] = "2026-06-01T00:00:00+00:00"
    if fingerprint:
        manifest["interpreters"]["cp311"]["fingerprint"] = fingerprint
    files.write_json(run / "manifest.json", manifest)
    return run


def history_of(root: Path, repository=None):
    from harness.analysis.history import chooser, history, load_runs, run_directories

    runs, notes = load_runs(run_directories([root]), repository)
    return history(runs, chooser()), notes


def test_runs_are_ordered_by_commit_date_not_by_when_they_ran(tmp_path):
    late = dated_run(tmp_path, 1, "c" * 40, "2026-03-01T10:00:00+02:00")
    early = dated_run(tmp_path, 2, "a" * 40, "2026-01-01T10:00:00+00:00")
    middle = dated_run(tmp_path, 3, "b" * 40, "2026-03-01T09:00:00+00:00")  # after `late`, by its offset
    (group,), notes = history_of(tmp_path)
    assert notes == []
    assert [run.directory for run in group.runs] == [early, late, middle]
    assert {line.strategy for line in group.lines} == {"s0", "s1"}
    for line in group.lines:
        assert [step.run.short_commit for step in line.steps] == ["aaaaaaa", "ccccccc", "bbbbbbb"]
        assert line.steps[0].verdict is None and line.steps[0].ratio is None
        assert all(step.verdict is not None for step in line.steps[1:])


def test_an_older_run_is_dated_by_its_commit_in_the_repository_else_by_its_start(tmp_path):
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPOSITORY, capture_output=True, text=True)
    if head.returncode != 0:
        pytest.skip("the tests do not run in a git checkout")
    commit = head.stdout.strip()
    date = subprocess.run(["git", "show", "-s", "--format=%cI", commit], cwd=REPOSITORY, capture_output=True, text=True)
    known = dated_run(tmp_path, 1, commit, None)
    unknown = dated_run(tmp_path, 2, "f" * 40, None)
    (group,), notes = history_of(tmp_path, REPOSITORY)
    dated = {run.directory: run for run in group.runs}
    assert dated[known].dated_by == "commit" and dated[known].date.isoformat() == date.stdout.strip()
    assert dated[unknown].dated_by == "start" and dated[unknown].date.isoformat() == "2026-06-01T00:00:00+00:00"
    assert notes == [f"{unknown}: commit ffffffffffff is not in this repository; ordered by its start time"]


def test_two_fingerprints_never_share_a_line(tmp_path):
    ours = [dated_run(tmp_path, seed, f"{seed}" * 40, f"2026-01-0{seed}T00:00:00+00:00") for seed in (1, 2, 3)]
    other = dated_run(tmp_path, 4, "4" * 40, "2026-01-02T12:00:00+00:00", fingerprint="0ther0ther00")
    found, _ = history_of(tmp_path)
    by_fingerprint = {group.fingerprint: group for group in found}
    assert len(found) == 2 and [run.directory for run in by_fingerprint.pop("0ther0ther00").runs] == [other]
    assert [run.directory for run in by_fingerprint.popitem()[1].runs] == ours
    for group in found:
        for line in group.lines:
            assert {step.run.manifest["interpreters"]["cp311"]["fingerprint"] for step in line.steps} == {
                group.fingerprint
            }
    (alone,) = {
        line.steps[0].run.directory: line.steps for line in found[0].lines + found[1].lines if len(line.steps) == 1
    }.values()
    assert len(alone) == 1 and alone[0].verdict is None  # nothing of its own environment to compare with


def test_each_step_has_the_verdict_harness_compare_gives(tmp_path):
    from harness.analysis.compare import compare_runs, load_run
    from harness.analysis.verdict import CHANGED, UNCHANGED

    first = dated_run(tmp_path, 1, "a" * 40, "2026-01-01T00:00:00+00:00")
    same = dated_run(tmp_path, 2, "b" * 40, "2026-01-02T00:00:00+00:00")
    slower = dated_run(tmp_path, 3, "c" * 40, "2026-01-03T00:00:00+00:00", shift=1.6)
    (group,), _ = history_of(tmp_path)
    for previous, run in ((first, same), (same, slower)):
        compared = compare_runs(previous, run, load_run(previous)[1], load_run(run)[1])
        expected = {row.strategy: (row.ratio, row.verdict) for row in compared.rows if row.metric == "ns_per_read"}
        found = {
            line.strategy: (step.ratio, step.verdict)
            for line in group.lines
            for step in line.steps
            if step.run.directory == run
        }
        assert found == expected
    labels = {line.strategy: [step.verdict.label for step in line.steps[1:]] for line in group.lines}
    assert labels == {"s0": [UNCHANGED, CHANGED], "s1": [UNCHANGED, CHANGED]}


def test_history_prints_tables_markdown_and_writes_the_plot(tmp_path, monkeypatch, capsys):
    dated_run(tmp_path / "results", 1, "a" * 40, "2026-01-01T00:00:00+00:00")
    dated_run(tmp_path / "elsewhere", 2, "b" * 40, "2026-01-02T00:00:00+00:00", shift=1.6)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "80")
    assert cli.main(["history", "--root", "elsewhere", "--plot", "history.svg"]) == 0
    out = capsys.readouterr().out
    assert all(len(line) <= 80 for line in out.splitlines())
    assert "aaaaaaa" in out and "bbbbbbb" in out and "changed" in out
    assert "2 runs in 1 environment(s); 2 of 2 figure steps changed" in out
    svg = (tmp_path / "history.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "s0" in svg and "s1" in svg
    assert cli.main(["history", "--root", "elsewhere", "--markdown", "--strategy", "s1"]) == 0
    rows = [
        line
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("| s") and not line.startswith("| strategy")
    ]
    assert len(rows) == 2 and all(row.startswith("| s1 |") for row in rows)
    assert "changed (slower, t=" in rows[1]


def test_incomplete_and_unverifiable_runs_are_left_out_with_a_note(tmp_path, monkeypatch, capsys):
    dated_run(tmp_path / "results", 1, "a" * 40, "2026-01-01T00:00:00+00:00")
    stopped = dated_run(tmp_path / "results", 2, "b" * 40, "2026-01-02T00:00:00+00:00")
    manifest = json.loads((stopped / "manifest.json").read_text(encoding="utf-8"))
    files.write_json(stopped / "manifest.json", {**manifest, "status": "interrupted"})
    edited = dated_run(tmp_path / "results", 3, "c" * 40, "2026-01-03T00:00:00+00:00")
    with (edited / "tidy.csv").open("a", encoding="utf-8") as table:
        table.write("\n")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["history"]) == 0
    notes = capsys.readouterr().err.splitlines()
    assert len(notes) == 2
    assert any(note.startswith(f"note: skipping results/{stopped.name}: its status is interrupted") for note in notes)
    assert any(note.startswith(f"note: skipping results/{edited.name}:") and "sha256 differs" in note for note in notes)


def test_no_run_or_no_figure_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    cases = {
        ("history",): "no run to read: results is not a directory",
        ("history", "--root", "empty"): "no complete run to read in empty",
        ("history", "--root", "empty", "--figure", "nonsense"): "is not a metric",
        ("history", "--root", "empty", "--plot", "chart.png"): "name a .svg file",
    }
    for argv, message in cases.items():
        assert cli.main(list(argv)) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], err
    dated_run(tmp_path / "results", 1, "a" * 40, "2026-01-01T00:00:00+00:00")
    assert cli.main(["history", "--measurer", "census"]) == 2
    assert "no headline census figure in the 1 complete runs of results" in capsys.readouterr().err
    assert not (tmp_path / "chart.png").exists()


def test_git_state_records_the_commit_date(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {"GIT_COMMITTER_DATE": "2026-02-03T04:05:06+01:00", "GIT_AUTHOR_DATE": "2025-01-01T00:00:00+00:00"}
    for argv in (
        ["init", "-q"],
        ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "x"],
    ):
        subprocess.run(["git", *argv], cwd=repo, check=True, env={**_clean_env(), **env})
    monkeypatch.chdir(repo)
    state = lifecycle.git_state()
    assert state["committed"] == "2026-02-03T04:05:06+01:00"  # the committer's date, not the author's
    assert len(state["commit"]) == 40 and state["dirty"] is False
    monkeypatch.chdir(tmp_path)  # no repository here
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert lifecycle.git_state() == {"commit": None, "committed": None, "dirty": None}


def _clean_env():
    import os

    return {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}


# --- bisect-range -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    """A clone of this checkout's HEAD with one more (empty) commit."""
    here = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPOSITORY, capture_output=True, text=True)
    if here.returncode != 0:
        pytest.skip("the tests do not run in a git checkout")
    target = tmp_path_factory.mktemp("bisect") / "clone"
    subprocess.run(["git", "clone", "-q", "--no-local", str(REPOSITORY), str(target)], check=True, env=_clean_env())
    identity = ["-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(
        ["git", *identity, "commit", "-q", "--allow-empty", "-m", "empty"], cwd=target, check=True, env=_clean_env()
    )
    return target


def _revision(repo: Path, name: str) -> str:
    return subprocess.run(
        ["git", "rev-parse", name], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_bisect_range_refuses_what_is_not_a_range(clone, monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(clone)
    cases = {
        ("nonesuch", "HEAD"): "A (nonesuch) is not a commit of this repository",
        ("HEAD", "HEAD~1"): "A (HEAD) is not an ancestor of B (HEAD~1)",
        ("HEAD~1", "0" * 40): "is not a commit of this repository",
    }
    for argv, message in cases.items():
        assert cli.main(["bisect-range", *argv, "--out", str(tmp_path / "out")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], err
    assert not (tmp_path / "out").exists()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert cli.main(["bisect-range", "HEAD~1", "HEAD"]) == 2
    assert "not in a git repository" in capsys.readouterr().err


def _bisect_range(clone: Path, tmp_path: Path, out: Path, **options) -> subprocess.Popen:
    """``harness bisect-range HEAD~1 HEAD --plan smoke`` in the clone, run by this checkout's harness
    (whatever the working directory holds), its temporary files under ``tmp_path/tmp``."""
    script = tmp_path / "harness_here.py"
    script.write_text("import sys\nfrom harness import cli\nsys.exit(cli.main(sys.argv[1:]))\n")
    (tmp_path / "tmp").mkdir()
    argv = [sys.executable, str(script), "bisect-range", "HEAD~1", "HEAD", "--plan", "smoke", "--out", str(out)]
    environment = {**_clean_env(), "TMPDIR": str(tmp_path / "tmp")}
    return subprocess.Popen(argv, cwd=clone, env=environment, text=True, **options)


def _worktrees(clone: Path) -> int:
    listed = subprocess.run(["git", "worktree", "list", "--porcelain"], cwd=clone, capture_output=True, text=True)
    return listed.stdout.count("worktree ")


@pytest.mark.integration
@pytest.mark.slow
def test_bisect_range_benches_each_commit_with_its_own_code(clone, tmp_path):
    out = tmp_path / "runs"
    process = _bisect_range(clone, tmp_path, out, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout, stderr = process.communicate(timeout=900)
    done = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    assert done.returncode == 0, done.stderr[-3000:]
    commits = [_revision(clone, "HEAD~1"), _revision(clone, "HEAD")]
    lines = [line for line in done.stdout.splitlines() if " complete: " in line]
    assert [line.split()[1] for line in lines] == [commit[:10] for commit in commits]
    for line, commit in zip(lines, commits):
        run_dir = Path(line.split(" complete: ")[1])
        assert run_dir.parent == out
        assert json.loads((run_dir / "manifest.json").read_text())["git"]["commit"] == commit
    assert f"harness history --root {out}" in done.stdout
    assert _worktrees(clone) == 1 and not any((tmp_path / "tmp").iterdir())  # every throwaway one removed


@pytest.mark.integration
@pytest.mark.slow
def test_bisect_range_removes_the_worktree_when_stopped(clone, tmp_path):
    import signal

    process = _bisect_range(clone, tmp_path, tmp_path / "runs", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stdout.readline().startswith("[1/2] ")  # the first commit's bench has begun
    while not any((tmp_path / "runs").glob("*/manifest.json")):
        assert process.poll() is None
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert stderr.strip().splitlines()[-1] == "harness bisect-range: interrupted"
    assert _worktrees(clone) == 1 and not any((tmp_path / "tmp").iterdir())
