"""The careless user: input that is wrong, conflicting, too big or hostile gets one clear line on
stderr and exit status 2 (or is shown as it is), never a traceback, a silent default or a run
that reads as complete."""

import dataclasses
import io
import json
import os
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest
from runs import bench, copy_run, harness, one_line_error, resume

from harness.cli import main
from harness.runs import files, results

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
    link = run.parent / results.load_manifest(run)["links"][0]
    link.symlink_to(other.resolve())
    before = {path: path.read_bytes() for path in run.rglob("*") if path.is_file()}
    done = resume(cwd, run)
    assert done.returncode == 0 and done.stdout.startswith("nothing to do"), done.stderr
    assert {path: path.read_bytes() for path in run.rglob("*") if path.is_file()} == before
    assert link.resolve() == other.resolve()


def test_a_resumed_old_run_does_not_become_the_latest(smoke_run, tmp_path):
    cwd, original = smoke_run
    run = copy_run(original, tmp_path)
    newer = run.parent / "newer"
    shutil.copytree(original, newer)
    manifest = results.load_manifest(newer)
    manifest["started"] = "9999-01-01T00:00:00+00:00"
    files.write_json(newer / "manifest.json", manifest)
    link = run.parent / results.load_manifest(run)["links"][0]
    link.symlink_to("newer")
    (run / "jobs" / f"{results.load_manifest(run)['jobs'][0]['id']}.json").unlink()
    assert resume(cwd, run).returncode == 0
    assert link.resolve() == newer.resolve()


# ---------------------------------------------------------------- generation bounds (item 12, 18)


@pytest.mark.parametrize(
    "argv",
    [
        ["generate", "--messages", "1000000000"],
        ["generate", "--avg-parts", "1000", "--messages", "10000000"],
        ["generate", "--profile", "realistic", "--avg-parts", "1000", "--messages", "10000000"],
        ["generate", "--profile", "realistic", "--set", "avg_parts=1e9", "--messages", "1000"],
        ["census", "--messages", "1000000000"],
        ["export", "--messages", "1000000000"],
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
    import harness.analysis.report

    run = tmp_path / "run"
    shutil.copytree(FIXTURE, run)

    def read_only(path, text):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(harness.analysis.report, "write_text", read_only)
    monkeypatch.setattr(harness.analysis.report, "NOTEBOOKS", ())
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
    a, b = hostile_run(tmp_path, "a"), hostile_run(tmp_path, "b")
    done = harness(tmp_path, "compare", "--all", a, b, env={**os.environ, "COLUMNS": "300"})
    assert done.returncode == 0, done.stderr
    for name in ("[/oops]", "[bold red]loud[/bold red]", "[link=https://example.com]x[/link]", "\\x1b[31mred"):
        assert name in done.stdout
    assert "\x1b" not in done.stdout and "\u202e" not in done.stdout and "3.11.7a\\u202eb" in done.stdout
    done = harness(tmp_path, "compare", "--markdown", tmp_path / "a", tmp_path / "b")
    assert done.returncode == 0 and "[/oops]" in done.stdout and "\\x1b[31mred" in done.stdout
    assert "\x1b" not in done.stdout and "\u202e" not in done.stdout


def test_names_from_the_data_are_shown_not_obeyed_by_the_summary(tmp_path):
    from rich.console import Console

    from harness.analysis.summary import print_summary

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

    # the built-ins registered for real first: imported under the empty registry, later tests would lose them
    registry.all_strategies()
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
    from harness.runs import runner
    from harness.runs.plans import PLANS
    from harness.runtime.python import current

    here = current()
    broken = {"slots": [False, "slots is not installed"], "fixed": [False, "fixed is broken"]}
    without = dataclasses.replace(here, strategies={**here.strategies, **broken})
    chosen = PLANS["smoke"]
    datasets = {spec.key: Path(f"{spec.key}.sqlite") for spec in chosen.datasets}
    with pytest.raises(
        files.RunError, match=r"strategy 'slots' is unavailable \(CPython [\d.]+: slots is not installed\)"
    ):
        runner.plan(chosen, [without], datasets, ["slots"])
    with pytest.raises(files.RunError, match=r"strategy 'cached:fixed' is unavailable \(.*fixed is broken\)"):
        runner.plan(chosen, [without], datasets, ["cached:fixed"])


# ---------------------------------------------------------------- numeric options: a range each

NONSENSE = ["-1", "0", "1e23", "100000000000000000000000", "nan", "inf", "-inf", "ten", ""]
#: Every numeric option of every command: the command line before it, and the nonsense it takes.
NUMERIC_OPTIONS = [
    (["generate"], "--messages", {"0"}),
    (["export"], "--messages", {"0"}),
    (["census"], "--messages", {"0"}),
    (["verify"], "--messages", {"0"}),
    (["census", "--messages", "5"], "--seed", {"0"}),
    (["census", "--messages", "5"], "--avg-parts", {"0"}),
    (["generate", "--profile", "realistic", "--messages", "5"], "--sessions", set()),
    (["bench"], "--timeout", set()),
    (["compare", "a", "b"], "--threshold", set()),
    (["trial"], "--hogs", set()),
    (["import", "opencode", "db.sqlite"], "--largest", set()),
]


@pytest.mark.parametrize(
    ("before", "option", "taken"),
    NUMERIC_OPTIONS,
    ids=[f"{before[0]} {option}" for before, option, _ in NUMERIC_OPTIONS],
)
def test_every_numeric_option_refuses_nonsense_in_one_line(tmp_path, monkeypatch, capsys, before, option, taken):
    monkeypatch.chdir(tmp_path)
    for value in NONSENSE:
        if value in taken:
            continue
        assert main([*before, f"{option}={value}"]) == 2, value
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"error: argument {option}: " in err, (value, err)
    assert not list(tmp_path.iterdir())


def test_each_range_takes_its_bounds_and_nothing_beyond():
    import argparse

    from harness.commands import options

    bounds = [
        (options.count, 0, options.MAX_COUNT, 1),
        (options.positive, 1, options.MAX_COUNT, 1),
        (options.sessions, 1, options.MAX_SESSIONS, 1),
        (options.average, 0, options.MAX_AVG_PARTS, 0.5),
        (options.seconds, 0.001, options.MAX_TIMEOUT, 0.5),
        (options.factor, options.MIN_FACTOR, options.MAX_FACTOR, 0.01),
    ]
    for parse, low, high, step in bounds:
        assert (parse(str(low)), parse(str(high))) == (low, high)
        for beyond in (low - step, high + step):
            with pytest.raises(argparse.ArgumentTypeError):
                parse(str(beyond))


def test_the_longest_timeout_taken_fits_a_wait():
    """A timeout becomes ``time.monotonic() + timeout`` in a wait: 1e12 s overflowed it."""
    import argparse
    import subprocess

    from harness.commands import options

    for text in ("1e12", "1e308"):
        with pytest.raises(argparse.ArgumentTypeError):
            options.seconds(text)
    process = subprocess.Popen([sys.executable, "-c", "pass"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.communicate(timeout=options.seconds(f"{options.MAX_TIMEOUT:g}"))
    assert process.returncode == 0


# ---------------------------------------------------------------- output that cannot be written


@pytest.fixture
def read_only(tmp_path):
    """Make a directory read-only for this process, root included (the immutable attribute when
    running as root, whom file modes do not stop); the test is skipped where neither works."""
    import subprocess

    made = []

    def make(path):
        if os.geteuid() != 0:
            path.chmod(0o555)
        elif subprocess.run(["chattr", "+i", path], capture_output=True).returncode != 0:
            pytest.skip("as root, a read-only directory needs chattr +i, which this file system refuses")
        made.append(path)
        return path

    yield make
    for path in made:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", path], check=True)
        path.chmod(0o755)


@pytest.mark.requires("nbclient", "pandas")
@pytest.mark.parametrize("locked", ["run", "figures"])
def test_a_report_into_a_read_only_run_is_refused_before_any_notebook_runs(tmp_path, read_only, locked):
    run = tmp_path / "run"
    shutil.copytree(FIXTURE, run)
    (run / "figures").mkdir()
    read_only(run if locked == "run" else run / "figures")
    done = harness(tmp_path, "report", run)
    folder = run if locked == "run" else run / "figures"
    assert (
        one_line_error(done) == f"harness report: error: cannot write the report into {run}: {folder} is not writable"
    )
    assert not (run / "report.html").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["generate", "--messages", "5", "--out", "locked/d.sqlite"],
        ["bench", "--plan", "smoke", "--no-report", "--out", "locked"],
        ["advise", "d.sqlite", "--no-report", "--out", "locked"],
    ],
)
def test_an_out_directory_that_cannot_be_written_is_one_line(tmp_path, read_only, argv):
    assert harness(tmp_path, "generate", "--messages", "5", "--out", "d.sqlite").returncode == 0
    (tmp_path / "locked").mkdir()
    read_only(tmp_path / "locked")
    assert "locked" in one_line_error(harness(tmp_path, *argv))
    assert not list((tmp_path / "locked").iterdir())


@pytest.mark.parametrize("argv", [["export", "--messages", "50"], ["census", "--messages", "50", "--json"], ["list"]])
def test_output_to_a_full_disk_is_one_line(tmp_path, argv):
    import subprocess

    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "harness", *argv], cwd=tmp_path, stdout=full, stderr=subprocess.PIPE, text=True
        )
    assert one_line_error(done) == f"harness {argv[0]}: error: No space left on device"


# ---------------------------------------------------------------- runs that cannot be read


def vouched(run):
    """Record the run's tidy table in its manifest, as the runner does (hash and rows)."""
    import hashlib

    manifest = json.loads((run / "manifest.json").read_text())
    text = (run / "tidy.csv").read_bytes()
    manifest["tidy"] = {"rows": text.count(b"\n") - 1, "sha256": hashlib.sha256(text).hexdigest()}
    (run / "manifest.json").write_text(json.dumps(manifest))


def _fifo(path):
    path.unlink() if path.is_file() else shutil.rmtree(path, ignore_errors=True)
    os.mkfifo(path)


BROKEN_RUNS = {
    "binary tidy": (lambda run: (run / "tidy.csv").write_bytes(bytes(range(256)) * 8), "tidy.csv"),
    "unterminated tidy": (lambda run: (run / "tidy.csv").write_text('a,b\n"open'), "tidy.csv"),
    "empty tidy": (lambda run: (run / "tidy.csv").write_text(""), "tidy.csv"),
    "tidy a directory": (lambda run: ((run / "tidy.csv").unlink(), (run / "tidy.csv").mkdir()), "tidy.csv"),
    "tidy a FIFO": (lambda run: _fifo(run / "tidy.csv"), "tidy.csv"),
    "recorded tidy missing": (lambda run: (vouched(run), (run / "tidy.csv").unlink()), "tidy.csv"),
    "manifest a directory": (
        lambda run: ((run / "manifest.json").unlink(), (run / "manifest.json").mkdir()),
        "manifest",
    ),
    "manifest a FIFO": (lambda run: _fifo(run / "manifest.json"), "manifest"),
    "empty run directory": (lambda run: shutil.rmtree(run) or run.mkdir(), "manifest"),
    "run a file": (lambda run: shutil.rmtree(run) or run.write_text("x"), "not a directory"),
}


@pytest.mark.requires("nbclient", "pandas")
@pytest.mark.parametrize("command", ["compare", "report"])
@pytest.mark.parametrize("damage", BROKEN_RUNS)
def test_a_run_that_cannot_be_read_is_one_line(tmp_path, command, damage):
    run, other = tmp_path / "run", tmp_path / "other"
    shutil.copytree(FIXTURE, run)
    shutil.copytree(FIXTURE, other)
    spoil, named = BROKEN_RUNS[damage]
    spoil(run)
    argv = ["compare", other, run] if command == "compare" else ["report", run]
    line = one_line_error(harness(tmp_path, *argv, timeout=120))
    assert line.startswith(f"harness {command}: error: {run}") and named in line
    assert not (run / "report.html").exists()


# ---------------------------------------------------------------- names from files, shown not obeyed

ESCAPE, BIDI = "\x1b[31m", "\u202e"


def assert_shown(text, *names):
    """Each name in ``text`` as ``visible`` shows it; no escape or bidirectional override itself."""
    from harness.terminal import visible

    assert ESCAPE not in text and BIDI not in text
    for name in names:
        assert visible(name) in text, (visible(name), text)


@pytest.mark.requires("pandas")
def test_run_names_are_shown_not_obeyed_by_compare(tmp_path):
    a, b = tmp_path / f"{ESCAPE}a", tmp_path / f"b{BIDI}"
    shutil.copytree(FIXTURE, a)
    shutil.copytree(FIXTURE, b)
    wide = {**os.environ, "COLUMNS": "1000"}  # the title names both runs on one line, however long the path
    for flags in ([], ["--markdown"], ["--only-changed"]):
        done = harness(tmp_path, "compare", *flags, a, b, env=wide)
        assert done.returncode == 0, done.stderr
        assert_shown(done.stdout + done.stderr, str(a), str(b))
    assert_shown(one_line_error(harness(tmp_path, "compare", a, tmp_path / f"{ESCAPE}none")), f"{ESCAPE}none")


def test_interpreter_paths_are_shown_not_obeyed_by_list(tmp_path):
    folder = tmp_path / f"{ESCAPE}bin{BIDI}"
    folder.mkdir()
    (folder / "pypy3").write_text("#!/bin/sh\n")
    (folder / "pypy3").chmod(0o755)
    done = harness(
        tmp_path,
        "list",
        "--pythons",
        env={**os.environ, "COLUMNS": "1000", "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"},
    )
    assert done.returncode == 0, done.stderr
    assert_shown(done.stdout, str(folder / "pypy3"))


@pytest.mark.parametrize(
    "argv",
    [
        ["census", "--dataset", f"{ESCAPE}red.sqlite"],
        ["census", "--dataset", "d.sqlite", "--schema", f"{ESCAPE}schema{BIDI}.json"],
        ["export", "--dataset", f"{ESCAPE}red.sqlite"],
        ["verify", "--messages", "5", "--strategies", f"x{BIDI}y"],
        ["census", "--messages", "5", f"{ESCAPE}stray"],
        ["report", f"{ESCAPE}run"],
    ],
)
def test_names_in_error_messages_are_shown_not_obeyed(tmp_path, argv):
    assert harness(tmp_path, "generate", "--messages", "5", "--out", "d.sqlite").returncode == 0
    line = one_line_error(harness(tmp_path, *argv))
    assert_shown(line, next(word for word in argv if ESCAPE in word or BIDI in word))


# ---------------------------------------------------------------- files of the wrong kind


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda path: _fifo(path), "is not a regular file"),
        (lambda path: path.mkdir(), "is not a regular file"),
        (lambda path: path.write_bytes(b"\xff\xfe\x00binary"), "cannot read schema"),
        (lambda path: path.write_text(""), "not JSON"),
    ],
)
def test_a_schema_file_of_the_wrong_kind_is_one_line(tmp_path, make, message):
    assert harness(tmp_path, "generate", "--messages", "5", "--out", "d.sqlite").returncode == 0
    make(tmp_path / "schema.json")
    done = harness(tmp_path, "census", "--dataset", "d.sqlite", "--schema", "schema.json", timeout=60)
    assert message in one_line_error(done)


@pytest.mark.parametrize("command", ["census", "export"])
@pytest.mark.parametrize(
    "make",
    [
        lambda path: path.write_text(""),
        lambda path: path.write_bytes(bytes(range(256))),
        lambda path: path.write_text("SQLite format 3 but not quite"),
        lambda path: path.mkdir(),
        lambda path: _fifo(path),
    ],
    ids=["empty", "binary", "text", "directory", "fifo"],
)
def test_a_dataset_of_the_wrong_kind_is_one_line(tmp_path, command, make):
    make(tmp_path / "d.sqlite")
    done = harness(tmp_path, command, "--dataset", "d.sqlite", timeout=60)
    assert "d.sqlite" in one_line_error(done)
