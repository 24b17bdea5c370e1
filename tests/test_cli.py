"""The CLI end to end: outputs, schemas and every bad input (one line on stderr, exit 2)."""

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness import __version__
from harness.cli import main

REFERENCE_SHA = "e648611c810d60a4f4f0dd54e524676bc6ccef0368dd0e41e2b465a451fff0ab"


def run(*argv):
    return subprocess.run([sys.executable, "-m", "harness", *argv], capture_output=True, text=False)


def test_export_prints_exactly_the_hashed_text():
    done = run("export", "--profile", "reference", "--seed", "11", "--messages", "5000")
    assert done.returncode == 0
    assert hashlib.sha256(done.stdout).hexdigest() == REFERENCE_SHA
    assert done.stdout.count(b"\n") == 10000 and done.stdout.endswith(b"\n")


def test_export_data_only(capsysbinary):
    assert main(["export", "--seed", "11", "--messages", "2500", "--avg-parts", "5", "--data-only"]) == 0
    out = capsysbinary.readouterr().out
    assert hashlib.sha256(out).hexdigest() == "255830ad59da42be32a854bec2581c1edf860d453e96c3e895f45c234fe365a3"


def test_census_json_reports_the_seed_figures(capsys):
    assert main(["census", "--seed", "11", "--messages", "5000", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {
        key: report[key]
        for key in (
            "messages",
            "parts",
            "info_shapes_spread",
            "info_shapes_fixed",
            "part_shapes_spread",
            "part_shapes_fixed",
        )
    } == {
        "messages": 5000,
        "parts": 5000,
        "info_shapes_spread": 47,
        "info_shapes_fixed": 2,
        "part_shapes_spread": 16,
        "part_shapes_fixed": 5,
    }
    assert (report["rng_calls"], report["hashed_bytes"], report["sha256"]) == (53425, 4274158, REFERENCE_SHA)
    assert report["avg_parts"] == 0 and report["total_parts"] == 5000
    assert set(report["strategies"]) == {"spread", "fixed"}
    assert report["strategies"]["fixed"]["info_key_orders"] == 2


CENSUS_COLUMNS = (
    "info_key_sets",
    "info_key_orders",
    "part_key_sets",
    "part_key_orders",
    "nested_key_orders",
    "record_key_orders",
)


def census_rows(out, names):
    """The text census's row of each strategy named: its figures as printed."""
    return {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.split()[:1] in [[n] for n in names]}


def test_census_text_shows_every_strategy_asked_for_as_its_json_does(capsys):
    names = ["spread", "fixed", "slots", "msgspec-nogc"]
    argv = ["census", "--strategies", ",".join(names), "--profile", "reference", "--seed", "11", "--messages", "1000"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert main([*argv, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert out.splitlines()[0] == "reference profile, seed 11: 1,000 messages, 1,000 parts"
    assert census_rows(out, names) == {
        name: [str(report["strategies"][name][key]) for key in CENSUS_COLUMNS] for name in names
    }
    assert census_rows(out, ["spread"])["spread"][:4] == ["44", "44", "16", "16"]


def test_census_of_imported_rows_says_what_the_rows_are(tmp_path, capsys):
    source = tmp_path / "orders.jsonl"
    source.write_text(
        "".join(json.dumps({"kind": "ab"[i % 2], "n": i, **({"x": 1} if i % 3 else {})}) + "\n" for i in range(30))
    )
    dataset = tmp_path / "orders.sqlite"
    assert main(["import", "rows", "--jsonl", str(source), "--out", str(dataset)]) == 0
    capsys.readouterr()
    assert main(["census", "--dataset", str(dataset), "--strategies", "spread,slots"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "rows of orders.jsonl, schema orders: 30 rows"
    assert "None" not in out and "seed" not in out
    rows = census_rows(out, ["spread", "slots"])
    assert [len(figures) for figures in rows.values()] == [4, 4]  # rows without parts: no part columns


def test_census_names_each_origin():
    from harness.commands.census import source

    opencode = {"kind": "opencode-import", "sessions": "largest 3", "anonymised": True}
    assert source(opencode) == "an opencode import (largest 3 sessions, anonymised)"
    assert source({**opencode, "sessions": "all", "anonymised": False}) == "an opencode import (all sessions)"
    table = {"kind": "rows", "file": "app.db", "table": "events"}
    assert source(table) == "rows of app.db, table events"
    assert source({"kind": "generated", "profile": "realistic", "seed": 7}) == "realistic profile, seed 7"


def test_generate_then_census_and_export_of_the_dataset(tmp_path, capsysbinary):
    path = tmp_path / "ref.sqlite"
    assert main(["generate", "--seed", "11", "--messages", "5000", "--out", str(path)]) == 0
    assert str(path).encode() in capsysbinary.readouterr().out
    assert main(["census", "--dataset", str(path), "--json"]) == 0
    report = json.loads(capsysbinary.readouterr().out)
    assert (report["info_shapes_spread"], report["sha256"]) == (47, REFERENCE_SHA)
    assert main(["export", "--dataset", str(path)]) == 0
    assert hashlib.sha256(capsysbinary.readouterr().out).hexdigest() == REFERENCE_SHA


def test_generate_default_location(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["generate", "--seed", "3", "--messages", "10", "--avg-parts", "2"]) == 0
    assert (tmp_path / "datasets" / "reference-s3-m10-a2.sqlite").is_file()
    assert (tmp_path / "datasets" / "reference-s3-m10-a2.sqlite.manifest.json").is_file()


def test_an_out_that_is_a_directory_gets_the_default_name_inside(tmp_path, monkeypatch, capsys):
    """``--out`` of the commands that make a dataset is a file, or a directory to make it in."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine").mkdir()
    assert main(["generate", "--seed", "3", "--messages", "10", "--out", "mine"]) == 0
    assert (tmp_path / "mine" / "reference-s3-m10.sqlite.manifest.json").is_file()
    rows = tmp_path / "orders.jsonl"
    rows.write_text('{"kind": "a", "n": 1}\n{"kind": "b", "n": 2}\n')
    assert main(["import", "rows", "--jsonl", str(rows), "--out", "mine"]) == 0
    assert (tmp_path / "mine" / "orders.sqlite.manifest.json").is_file()
    assert not (tmp_path / "datasets").exists()


def test_generate_makes_the_datasets_of_a_plan(tmp_path, monkeypatch, capsys):
    from harness.runs.plans import PLANS

    monkeypatch.chdir(tmp_path)
    assert main(["generate", "--plan", "smoke"]) == 0
    paths = capsys.readouterr().out.split()
    assert len(paths) == len(PLANS["smoke"].datasets) and all(Path(path).is_file() for path in paths)
    assert {Path(path).parent for path in paths} == {tmp_path / "datasets"}
    assert main(["generate", "--plan", "smoke"]) == 0  # a second call reuses and verifies them
    assert capsys.readouterr().out.split() == paths


def assert_usage_error(done, pattern):
    assert done.returncode == 2
    lines = done.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert pattern in lines[0]


@pytest.mark.parametrize(
    ("argv", "pattern"),
    [
        (["census", "--messages", "-5"], "non-negative integer"),
        (["census", "--messages", "2.5"], "non-negative integer"),
        (["export", "--messages", "ten"], "non-negative integer"),
        (["census", "--messages", "5", "--avg-parts", "-1"], "non-negative number"),
        (["census", "--messages", "5", "--seed", "4294967296"], "seed must be in 0..4294967295"),
        (["census", "--messages", "5", "--seed", "-1"], "seed must be in"),
        (["census", "--messages", "5", "--seed", "eleven"], "seed must be in 0..4294967295, got 'eleven'"),
        (["census", "--profile", "realistic", "--messages", "5", "--sessions", "0"], "expected a positive integer"),
        (["census", "--messages", "5", "--avg-parts", "nan"], "expected a finite non-negative number"),
        (["census", "--messages", "5", "--profile", "production"], "invalid choice: 'production'"),
        (["census", "--messages", "5", "--strategies", "sprad"], "unknown strategy 'sprad'"),
        (["census", "--messages", "5", "--sessions", "3"], "exactly one session"),
        (["export"], "give --messages"),
        (["generate"], "give --messages N (or --plan NAME)"),
        (["generate", "--plan", "smoke", "--messages", "3"], "it takes no --messages"),
        (
            ["census", "--profile", "realistic", "--messages", "5", "--set", "nope=1"],
            "unknown realistic parameter 'nope'",
        ),
        (
            ["census", "--profile", "realistic", "--messages", "5", "--set", "legacy_key_prob=2"],
            "probability in [0, 1]",
        ),
        (["census", "--messages", "5", "--set", "compaction_every=0"], "no parameters besides --avg-parts"),
        (["census", "--messages", "5", "--set", "oops"], "expected NAME=VALUE"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_usage(argv, pattern):
    assert_usage_error(run(*argv), pattern)


def test_unwritable_output(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert_usage_error(run("generate", "--messages", "3", "--out", str(blocker / "x.sqlite")), "does not exist")
    assert_usage_error(run("generate", "--messages", "3", "--out", "/proc/harness-test.sqlite"), "cannot write dataset")
    (tmp_path / "reference-s11-m3.sqlite").mkdir()  # the name --out DIR would give the dataset there
    assert_usage_error(run("generate", "--messages", "3", "--out", str(tmp_path)), "is a directory")


def test_existing_file_that_is_not_a_dataset(tmp_path):
    target = tmp_path / "keep.sqlite"
    target.write_text("precious")
    assert_usage_error(run("generate", "--messages", "3", "--out", str(target)), "refusing to overwrite")
    assert target.read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.sqlite"]
    assert_usage_error(run("census", "--dataset", str(target)), "not a shape-harness dataset")


def test_tampered_dataset(tmp_path):
    import sqlite3

    path = tmp_path / "d.sqlite"
    assert run("generate", "--messages", "20", "--out", str(path)).returncode == 0
    with sqlite3.connect(path) as conn:
        conn.execute('UPDATE part SET data = \'{"type":"text","text":""}\' WHERE rowid = 3')
    assert_usage_error(run("census", "--dataset", str(path)), "does not match its manifest")
    assert_usage_error(run("export", "--dataset", str(path)), "does not match its manifest")


def test_installed_console_script_runs_commands_and_passes_on_their_exit_status():
    script = Path(sys.executable).with_name("harness")  # installed beside this interpreter
    assert script.is_file(), f"no harness script at {script}: install the project (make venv)"
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (0, f"harness {__version__}\n")
    done = subprocess.run([str(script), "census", "--messages", "20", "--json"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["messages"] == 20
    done = subprocess.run([str(script), "census", "--messages", "5", "--strategies", "sprad"], capture_output=True)
    assert_usage_error(done, "unknown strategy 'sprad'")  # main() returns 2; the script must exit with it


def test_realistic_parameters_reach_the_manifest_and_the_file_name(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert (
        main(
            [
                "generate",
                "--profile",
                "realistic",
                "--messages",
                "60",
                "--set",
                "compaction_every=0",
                "--set",
                "writer_weights=[1, 0, 0, 0]",
            ]
        )
        == 0
    )
    (path,) = (tmp_path / "datasets").glob("realistic-s11-m60-p*.sqlite")
    manifest = json.loads(path.with_name(path.name + ".manifest.json").read_text())
    params = manifest["origin"]["params"]
    assert params["compaction_every"] == 0 and params["writer_weights"] == [1, 0, 0, 0]


def test_the_quick_plans_duration_is_stated_in_one_place():
    """plans.py states it; the README and --help quote it, and nothing else gives another figure."""
    from harness.runs.plans import PLANS

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    duration = PLANS["quick"].duration
    assert duration.startswith("about ") and f"quick plan takes {duration}" in " ".join(readme.split())
    other = re.compile(r"(about|~|takes)\s+(a few|a|one|two|three|\d+)\s*(s|seconds|min|minutes)\b")
    quick = [" ".join(part.split()) for part in readme.replace(duration, "").split("\n\n") if "quick" in part]
    assert quick and not [part for part in quick if other.search(part)]  # no paragraph on it says another


class InterruptedWhileFinalised:
    """An object whose finalizer is where a Ctrl-C lands: the interpreter can only report it."""

    def __del__(self):
        raise KeyboardInterrupt


@pytest.mark.parametrize(("status", "expected"), [(0, 130), (2, 130), (143, 143)])
def test_a_ctrl_c_swallowed_by_a_finalizer_still_ends_the_command_interrupted(monkeypatch, capsys, status, expected):
    import harness.cli

    def dispatch(argv):
        InterruptedWhileFinalised()  # dropped at once: its KeyboardInterrupt cannot propagate
        return status

    monkeypatch.setattr(harness.cli, "_dispatch", dispatch)
    reported = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)
    assert main(["census"]) == expected
    assert capsys.readouterr().err == ("harness census: interrupted\n" if expected == 130 else "")
    assert reported == []  # not reported as "Exception ignored"
    assert sys.unraisablehook == reported.append  # the command's hook is gone with it


def test_other_unraisable_exceptions_are_still_reported(monkeypatch):
    import harness.cli

    class Failing:
        def __del__(self):
            raise ValueError("in a finalizer")

    def dispatch(argv):
        Failing()
        return 0

    monkeypatch.setattr(harness.cli, "_dispatch", dispatch)
    reported = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)
    assert main(["census"]) == 0
    assert [str(unraisable.exc_value) for unraisable in reported] == ["in a finalizer"]


def test_a_failed_copy_names_both_files(tmp_path, monkeypatch, capsys):
    import errno
    import os

    import harness.commands.export

    def too_large(args):
        raise OSError(errno.EFBIG, os.strerror(errno.EFBIG), "shard/jobs/a.json", None, "merged/jobs/a.json")

    monkeypatch.setattr(harness.commands.export, "run", too_large)
    assert main(["export", "--messages", "3"]) == 2
    assert capsys.readouterr().err == "harness export: error: shard/jobs/a.json -> merged/jobs/a.json: File too large\n"
