"""The careless user: input that is wrong, conflicting, too big or hostile gets one clear line on
stderr and exit status 2 (or is shown as it is), never a traceback, a silent default or a run
that reads as complete."""

import dataclasses
import io
import json
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest
from runs import bench, copy_run, harness, one_line_error, resume

from harness import results
from harness.cli import main

FIXTURE = Path(__file__).parent / "data" / "smoke-run"


# ---------------------------------------------------------------- datasets by name (item 3)


@pytest.mark.parametrize(
    ("generate", "difference"),
    [
        (["--seed", "12", "--avg-parts", "3", "--messages", "300"], "seed 12, not 11"),
        (["--seed", "11", "--avg-parts", "3", "--messages", "300"], "avg_parts 3, not 0"),
        (["--seed", "11", "--messages", "299"], "messages 299, not 300"),
    ],
)
def test_bench_uses_a_dataset_only_when_its_manifest_is_the_plans(tmp_path, generate, difference):
    (tmp_path / "datasets").mkdir()
    made = harness(tmp_path, "generate", *generate, "--out", "datasets/reference-s11-m300.sqlite")
    assert made.returncode == 0, made.stderr
    done = bench(tmp_path)
    line = one_line_error(done)
    assert "reference-s11-m300.sqlite is not the reference dataset" in line and difference in line
    assert not (tmp_path / "results").exists() or not list((tmp_path / "results").iterdir())


# ---------------------------------------------------------------- --timeout (item 5)


@pytest.mark.parametrize("value", ["-1", "0", "nan", "inf", "-inf", "ten", ""])
def test_a_timeout_that_is_not_a_positive_number_is_refused(tmp_path, value):
    assert "expected a number of seconds > 0" in one_line_error(bench(tmp_path, f"--timeout={value}"))
    assert not (tmp_path / "results").exists()


# ---------------------------------------------------------------- resume with nothing to do (item 6)


def test_a_resume_with_nothing_to_do_changes_nothing(smoke_run, tmp_path):
    cwd, original = smoke_run
    run = copy_run(original, tmp_path)
    other = copy_run(original, tmp_path / "elsewhere")
    (run.parent / "latest").symlink_to(other.resolve())
    before = {path: path.read_bytes() for path in run.rglob("*") if path.is_file()}
    done = resume(cwd, run)
    assert done.returncode == 0 and done.stdout.startswith("nothing to do"), done.stderr
    assert {path: path.read_bytes() for path in run.rglob("*") if path.is_file()} == before
    assert (run.parent / "latest").resolve() == other.resolve()


def test_a_resumed_old_run_does_not_become_the_latest(smoke_run, tmp_path):
    cwd, original = smoke_run
    run = copy_run(original, tmp_path)
    newer = run.parent / "newer"
    shutil.copytree(original, newer)
    manifest = results.load_manifest(newer)
    manifest["started"] = "9999-01-01T00:00:00+00:00"
    results.write_json(newer / "manifest.json", manifest)
    (run.parent / "latest").symlink_to("newer")
    (run / "jobs" / f"{results.load_manifest(run)['jobs'][0]['id']}.json").unlink()
    assert resume(cwd, run).returncode == 0
    assert (run.parent / "latest").resolve() == newer.resolve()


# ---------------------------------------------------------------- generation bounds (item 12, 18)


@pytest.mark.parametrize(
    "argv",
    [
        ["generate", "--messages", "1000000000000"],
        ["generate", "--avg-parts", "1e9", "--messages", "1000"],
        ["generate", "--profile", "realistic", "--avg-parts", "1e9", "--messages", "1000"],
        ["generate", "--profile", "realistic", "--set", "avg_parts=1e9", "--messages", "1000"],
        ["census", "--messages", "1000000000000"],
        ["export", "--messages", "1000000000000"],
    ],
)
def test_a_generation_that_cannot_fit_is_refused_before_it_starts(tmp_path, argv):
    done = harness(tmp_path, *argv, timeout=120)
    assert "of memory to generate" in one_line_error(done)
    assert not (tmp_path / "datasets").exists() or not list((tmp_path / "datasets").iterdir())


def test_a_generation_that_fits_in_memory_but_not_on_disk_is_refused(tmp_path, monkeypatch, capsys):
    from harness.generate import footprint

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(footprint.shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**9, 10**9, 1000))
    assert main(["generate", "--messages", "5000"]) == 2
    assert "on disk" in capsys.readouterr().err
    monkeypatch.setattr(footprint, "available_memory", lambda: 10**6)
    assert main(["census", "--messages", "5000"]) == 2
    assert "of memory to generate" in capsys.readouterr().err


def test_the_footprint_estimate_is_within_a_factor_of_the_real_file(tmp_path):
    from harness.generate import Spec, footprint
    from harness.store import write_dataset

    for spec in (Spec("reference", 11, 2000, 3), Spec("realistic", 11, 2000)):
        path = tmp_path / f"{spec.profile}.sqlite"
        manifest = write_dataset(path, spec.generate())
        found = footprint.estimate(spec)
        rows = manifest["messages"] + manifest["parts"]
        assert 0.5 < found.rows / rows < 2
        assert 0.5 < found.disk_bytes / path.stat().st_size < 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--sessions", "50", "--messages", "10"], "10 messages fill only 6 of 50 sessions"),
        (["--sessions", "11", "--messages", "11"], "fill only"),
    ],
)
def test_more_sessions_than_the_messages_fill_is_refused(tmp_path, argv, message):
    for command in ("generate", "census"):
        done = harness(tmp_path, command, "--profile", "realistic", *argv)
        assert message in one_line_error(done)
    assert not (tmp_path / "datasets").exists() or not list((tmp_path / "datasets").iterdir())


def test_the_sessions_asked_for_are_the_sessions_written(tmp_path):
    done = harness(tmp_path, "generate", "--profile", "realistic", "--sessions", "8", "--messages", "200")
    assert done.returncode == 0, done.stderr
    (path,) = (tmp_path / "datasets").glob("*-k8.sqlite")
    assert len(json.loads(Path(f"{path}.manifest.json").read_text())["session_ids"]) == 8


# ---------------------------------------------------------------- manifest names (item 13)


def test_the_manifest_is_named_after_the_whole_file_name(tmp_path):
    unrelated = tmp_path / "data.manifest.json"
    unrelated.write_text('{"mine": true}')
    for name in ("data.sqlite", "data.db"):
        assert harness(tmp_path, "generate", "--messages", "5", "--out", name).returncode == 0
    assert unrelated.read_text() == '{"mine": true}'
    assert json.loads((tmp_path / "data.sqlite.manifest.json").read_text())["messages"] == 5
    seeds = {"data.sqlite": 11, "data.db": 12}
    assert harness(tmp_path, "generate", "--messages", "5", "--seed", "12", "--out", "data.db").returncode == 0
    for name, seed in seeds.items():
        done = harness(tmp_path, "census", "--dataset", name, "--json")
        assert done.returncode == 0 and json.loads(done.stdout)["seed"] == seed, done.stderr


def test_an_unrelated_file_where_the_manifest_goes_is_refused(tmp_path):
    unrelated = tmp_path / "data.sqlite.manifest.json"
    unrelated.write_text('{"mine": true}')
    done = harness(tmp_path, "generate", "--messages", "5", "--out", "data.sqlite")
    assert "refusing to overwrite" in one_line_error(done) and "data.sqlite.manifest.json" in done.stderr
    assert unrelated.read_text() == '{"mine": true}' and not (tmp_path / "data.sqlite").exists()


def test_a_dataset_with_the_old_manifest_name_is_still_read(tmp_path):
    assert harness(tmp_path, "generate", "--messages", "5", "--out", "d.sqlite").returncode == 0
    (tmp_path / "d.sqlite.manifest.json").rename(tmp_path / "d.manifest.json")
    done = harness(tmp_path, "census", "--dataset", "d.sqlite", "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["messages"] == 5


# ---------------------------------------------------------------- job files and data (item 14)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"dataset": 5}, "job key 'dataset' must be str"),
        ({"strategy": 7}, "job key 'strategy' must be str"),
        ({"params": None}, "job key 'params' must be dict"),
        ({"params": [1]}, "job key 'params' must be dict"),
        ({"size": "300"}, "job key 'size' must be int"),
        ({"strategy": "nope"}, "unknown strategy 'nope'"),
        ({"strategy": "cached:cached:fixed"}, "malformed"),
    ],
)
@pytest.mark.parametrize("measurer", ["census", "timing"])  # every plain measurer starts like census
def test_a_bad_job_file_is_one_line_and_exit_2(smoke_run, tmp_path, measurer, change, message):
    import subprocess

    _, run = smoke_run
    job = next(job for job in results.load_manifest(run)["jobs"] if job["measurer"] == measurer)
    path = tmp_path / "job.json"
    path.write_text(json.dumps({**job, **change}))
    done = subprocess.run(
        [sys.executable, "-m", f"harness.measure.{measurer}", "--job", path, "--out", tmp_path / "r.json"],
        capture_output=True,
        text=True,
    )
    assert message in one_line_error(done)
    assert not (tmp_path / "r.json").exists()


def test_a_job_file_nested_100000_deep_is_one_line(tmp_path):
    import subprocess

    path = tmp_path / "job.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    for measurer in ("census", "timing"):
        done = subprocess.run(
            [sys.executable, "-m", f"harness.measure.{measurer}", "--job", path, "--out", tmp_path / "r.json"],
            capture_output=True,
            text=True,
        )
        assert "nests deeper than 32 levels" in one_line_error(done)


def deep_dataset(tmp_path, smoke_run):
    """The smoke reference dataset with one message nested 10,000 deep, its manifest made to match."""
    from harness import canonical
    from harness.store import open_dataset

    path = tmp_path / "deep.sqlite"
    shutil.copyfile(next((smoke_run[0] / "datasets").glob("reference-*.sqlite")), path)
    with sqlite3.connect(path) as conn:
        ((row_id, data),) = conn.execute("SELECT id, data FROM message LIMIT 1")
        conn.execute(
            "UPDATE message SET data = ? WHERE id = ?",
            (data[:-1] + ',"deep":' + "[" * 10_000 + "]" * 10_000 + "}", row_id),
        )
    opened = open_dataset(path, verify=False)
    manifest = {**opened.manifest, "sha256": canonical.digest(opened.stored_records()).sha256}
    opened.close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'manifest'", (json.dumps(manifest),))
    return path


def test_a_row_nested_10000_deep_is_one_line(smoke_run, tmp_path):
    import subprocess

    path = deep_dataset(tmp_path, smoke_run)
    done = harness(tmp_path, "census", "--dataset", path)
    assert "nests too deeply" in one_line_error(done)
    job = {
        "id": "j",
        "measurer": "census",
        "strategy": "spread",
        "workload": "hydrate_all",
        "dataset": str(path),
        "size": 10,
    }
    (tmp_path / "job.json").write_text(json.dumps(job))
    done = subprocess.run(
        [sys.executable, "-m", "harness.measure.census", "--job", tmp_path / "job.json", "--out", tmp_path / "r.json"],
        capture_output=True,
        text=True,
    )
    assert "nests too deeply" in one_line_error(done)


@pytest.mark.requires("nbclient", "pandas")
def test_a_report_into_a_run_it_cannot_write_is_one_line(tmp_path, monkeypatch, capsys):
    import harness.report

    run = tmp_path / "run"
    shutil.copytree(FIXTURE, run)

    def read_only(path, text):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(harness.report, "write_text", read_only)
    monkeypatch.setattr(harness.report, "NOTEBOOKS", ())
    assert main(["report", str(run)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == f"harness report: error: cannot write the report into {run}: Permission denied"


# ---------------------------------------------------------------- markup and control characters (item 15)

HOSTILE = ["[/oops]", "[bold red]loud[/bold red]", "[link=https://example.com]x[/link]", "\x1b[31mred", "a\u202eb"]


def hostile_run(tmp_path, name):
    """The saved smoke run with hostile strategy and interpreter names in its tidy table."""
    import csv

    run = tmp_path / name
    shutil.copytree(FIXTURE, run)
    renamed = dict(zip(["spread", "fixed", "slots", "cached:fixed"], HOSTILE))
    with open(run / "tidy.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["strategy"] = renamed.get(row["strategy"], row["strategy"])
        row["interpreter"] += HOSTILE[4]
    with open(run / "tidy.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return run


@pytest.mark.requires("pandas")
def test_names_from_the_data_are_shown_not_obeyed_by_compare(tmp_path):
    done = harness(tmp_path, "compare", hostile_run(tmp_path, "a"), hostile_run(tmp_path, "b"))
    assert done.returncode == 0, done.stderr
    for name in ("[/oops]", "[bold red]loud[/bold red]", "[link=https://example.com]x[/link]", "\\x1b[31mred"):
        assert name in done.stdout
    assert "\x1b" not in done.stdout and "\u202e" not in done.stdout and "3.11.7a\\u202eb" in done.stdout
    done = harness(tmp_path, "compare", "--markdown", tmp_path / "a", tmp_path / "b")
    assert done.returncode == 0 and "[/oops]" in done.stdout and "\\x1b[31mred" in done.stdout
    assert "\x1b" not in done.stdout and "\u202e" not in done.stdout


def test_names_from_the_data_are_shown_not_obeyed_by_the_summary(tmp_path):
    from rich.console import Console

    from harness.summary import print_summary

    buffer = io.StringIO()
    print_summary(hostile_run(tmp_path, "a"), Console(file=buffer, width=300, force_terminal=True))
    shown = buffer.getvalue()
    assert "[/oops]" in shown and "[bold red]loud[/bold red]" in shown and "\\x1b[31mred" in shown
    assert "\x1b[31mred" not in shown and "\u202e" not in shown


def test_the_progress_line_shows_a_job_name_as_it_is(capsys):
    from harness.progress import RunProgress

    progress = RunProgress()
    progress.live = False
    progress.start(1, 0)
    progress.job("cp311-[/oops]-\x1b[31m")
    progress.done("ok")
    assert "cp311-[/oops]-\\x1b[31m" in capsys.readouterr().err


@pytest.mark.parametrize(
    "name", ["bad\x00name", "\u202eevil", "[bold]x", "a,b", "../x", "cached:x", "", "x" * 65, "-x"]
)
def test_a_strategy_name_that_would_print_or_parse_wrongly_is_refused(name):
    from harness.strategies import register
    from harness.strategies.base import Strategy

    cls = type("Odd", (Strategy,), {"name": name})
    with pytest.raises((ValueError, TypeError)) as raised:
        register(cls)
    assert "\x00" not in str(raised.value) and "\u202e" not in str(raised.value)


def test_a_plugin_with_a_bad_name_is_listed_as_broken(tmp_path, monkeypatch):
    import harness.strategies as registry

    plugin = tmp_path / "bad_plugin.py"
    plugin.write_text(
        "from harness.strategies.base import Strategy\n"
        "class Evil(Strategy):\n    name = 'evil\\u202e[bold]'\n    description = 'x'\n"
    )

    class Entry:
        name = "evil\u202e"

        def load(self):
            sys.path.insert(0, str(tmp_path))
            try:
                return __import__("bad_plugin").Evil
            finally:
                sys.path.remove(str(tmp_path))

    monkeypatch.setattr(registry, "_LOADED", False)
    monkeypatch.setattr(registry, "_REGISTRY", {})
    monkeypatch.setattr(registry, "_PLUGIN_ERRORS", {})
    monkeypatch.setattr(registry, "_entry_points", lambda: [Entry()])
    errors = registry.plugin_errors()
    assert list(errors) == ["evil\\u202e"] and "is not allowed" in errors["evil\\u202e"]
    assert not any("\u202e" in name for name in registry.all_strategies())


# ---------------------------------------------------------------- conflicting flags (item 16)


@pytest.mark.parametrize("command", ["census", "export"])
@pytest.mark.parametrize(
    "flags",
    [["--messages", "5"], ["--seed", "3"], ["--avg-parts", "2"], ["--profile", "realistic"], ["--set", "a=1"]],
)
def test_generation_flags_with_a_stored_dataset_are_refused(smoke_run, command, flags):
    dataset = next((smoke_run[0] / "datasets").glob("reference-*.sqlite"))
    done = harness(smoke_run[0], command, "--dataset", dataset, *flags)
    assert f"--dataset reads a stored dataset; it takes no {flags[0]}" in one_line_error(done)


@pytest.mark.parametrize(
    "flags",
    [
        ["--plan", "smoke"],
        ["--profile", "smoke"],
        ["--strategies", "spread"],
        ["--python", "3.11"],
        ["--timeout", "5"],
        ["--out", "x"],
    ],
)
def test_flags_a_resume_takes_from_the_run_are_refused(smoke_run, tmp_path, flags):
    cwd, original = smoke_run
    run = copy_run(original, tmp_path)
    before = (run / "manifest.json").read_bytes()
    done = harness(cwd, "bench", "--resume", run, *flags)
    line = one_line_error(done)
    assert "--resume finishes a run as it was planned" in line and flags[0] in line
    assert (run / "manifest.json").read_bytes() == before


# ---------------------------------------------------------------- strategies that cannot run (item 17)


def test_a_strategy_the_plan_does_not_run_is_named(tmp_path):
    line = one_line_error(bench(tmp_path, "--strategies", "pydantic"))
    assert "plan smoke does not run strategy 'pydantic'" in line


def test_a_malformed_cached_name_is_named(tmp_path):
    line = one_line_error(bench(tmp_path, "--strategies", "cached:cached:fixed"))
    assert "'cached:cached:fixed' is malformed" in line


def test_a_strategy_unavailable_on_every_interpreter_is_named_with_the_reason():
    from harness import runner
    from harness.interpreters import current
    from harness.plans import PLANS

    here = current()
    broken = {"slots": [False, "slots is not installed"], "fixed": [False, "fixed is broken"]}
    without = dataclasses.replace(here, strategies={**here.strategies, **broken})
    chosen = PLANS["smoke"]
    datasets = {spec.key: Path(f"{spec.key}.sqlite") for spec in chosen.datasets}
    with pytest.raises(
        results.RunError, match=r"strategy 'slots' is unavailable \(CPython [\d.]+: slots is not installed\)"
    ):
        runner.plan(chosen, [without], datasets, ["slots"])
    with pytest.raises(results.RunError, match=r"strategy 'cached:fixed' is unavailable \(.*fixed is broken\)"):
        runner.plan(chosen, [without], datasets, ["cached:fixed"])
