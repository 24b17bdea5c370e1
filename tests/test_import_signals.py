"""Signals during an import: SIGTERM, SIGHUP and SIGINT remove its scratch directory (a full,
un-anonymised copy of the user's database) and end it with status 143, 129 and 130; after SIGKILL,
which nothing can handle, the next import into that directory removes it. The output is absent
or complete."""

import json
import os
import signal
import subprocess
import sys
import time

import opencode_layout
import pytest

from harness.cli import main
from harness.store import open_dataset

HARNESS = [sys.executable, "-m", "harness"]
CAUGHT = [signal.SIGTERM, signal.SIGHUP, signal.SIGINT]


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """An opencode database an anonymised import takes a second or so over (about 5 MB)."""
    path = tmp_path_factory.mktemp("signals") / "opencode.db"
    opencode_layout.build(path, messages=1000, sessions=4, extra=False)
    return path


@pytest.fixture(scope="module")
def jsonl(tmp_path_factory):
    path = tmp_path_factory.mktemp("signals") / "rows.jsonl"
    rows = ({"kind": ("a", "b")[n % 2], "n": n, "text": "x" * 50, "tags": {f"t{n % 7}": n}} for n in range(20_000))
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def scratches(directory):
    return sorted(entry.name for entry in directory.iterdir() if ".import-" in entry.name)


def under_way(directory):
    """Whether an import into ``directory`` has begun writing: a hidden entry is there (its scratch)."""
    return any(entry.name.startswith(".") for entry in directory.iterdir())


def caught_midway(argv, directory, preexec=None):
    """Start ``argv`` in ``directory``; return the process once it writes there."""
    process = subprocess.Popen(
        argv, cwd=directory, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=preexec
    )
    while not under_way(directory):
        assert process.poll() is None, f"the import ended before it could be caught: {process.stderr.read()}"
        time.sleep(0.001)
    return process


def import_opencode(source, out):
    return [*HARNESS, "import", "opencode", str(source), "--out", str(out), "--anonymise"]


def import_rows(jsonl, out):
    return [*HARNESS, "import", "rows", "--jsonl", str(jsonl), "--out", str(out)]


def absent_or_complete(out):
    if out.exists():
        open_dataset(out).close()  # verifies every row against the manifest


@pytest.mark.parametrize("signum", CAUGHT, ids=lambda signum: signal.Signals(signum).name)
@pytest.mark.parametrize("command", ["opencode", "rows"])
def test_a_signal_removes_the_scratch_and_ends_the_import(source, jsonl, tmp_path, command, signum):
    out = tmp_path / "d.sqlite"
    argv = import_opencode(source, out) if command == "opencode" else import_rows(jsonl, out)
    process = caught_midway(argv, tmp_path)
    process.send_signal(signum)
    _, err = process.communicate()
    assert process.returncode == 128 + signum, err
    assert err.count("\n") == 1 and ("ended by" in err or "interrupted" in err), err
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []  # no scratch, no .tmp
    absent_or_complete(out)


def test_after_sigkill_the_next_import_removes_the_scratch_of_the_dead_process(source, tmp_path, capsys):
    out = tmp_path / "d.sqlite"
    process = caught_midway(import_opencode(source, out), tmp_path)
    process.kill()
    process.communicate()
    stranded = scratches(tmp_path)
    assert process.returncode == -signal.SIGKILL and len(stranded) == 1 and f"-{process.pid}-" in stranded[0]
    absent_or_complete(out)
    alive = tmp_path / f".other.sqlite.import-{os.getpid()}-abc123"  # a live process's scratch stays
    alive.mkdir()
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"a": 1}\n{"a": 2}\n')
    assert main(["import", "rows", "--jsonl", str(rows), "--out", str(tmp_path / "rows.sqlite")]) == 0
    assert scratches(tmp_path) == [alive.name]
    capsys.readouterr()


def test_a_signal_set_to_be_ignored_stays_ignored(source, tmp_path):
    """``nohup`` ignores SIGHUP: the import does not take it back, and completes."""
    out = tmp_path / "d.sqlite"
    process = caught_midway(
        import_opencode(source, out), tmp_path, lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN)
    )
    process.send_signal(signal.SIGHUP)
    _, err = process.communicate()
    assert process.returncode == 0, err
    open_dataset(out).close()
    assert scratches(tmp_path) == []
