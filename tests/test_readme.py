"""The README's commands work when pasted, in order, into a fresh clone after its set-up commands.

Every ``sh`` block of README.md runs, in order, in one bash session in a copy of the checkout, as a
newcomer pastes them into one terminal. The line before a block may mark it:
``<!-- readme: setup -->`` (``make bench``, ``make test``: the test stands in for them with the
project's environment and the shared smoke run as the run ``make bench`` leaves),
``<!-- readme: skip, WHY -->`` (minutes of benchmarks, system packages: not run here), or
``<!-- readme: needs PATH -->`` (a file the reader has: the test makes a small one there, under a
home of its own). Synopses (``harness bench [--plan …]``) are ``text`` blocks and not run.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import opencode_layout
import pytest
from runs import copy_run

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"(?:^<!-- readme: (?P<mark>[^>]*?) -->\n)?^```(?P<lang>[a-z]*)\n(?P<body>.*?)^```$", re.M | re.S)
#: What the test makes for a block that ``needs`` a file the reader has: path -> maker.
NEEDS = {"~/.local/share/opencode/opencode.db": lambda path: opencode_layout.build(path, messages=600, sessions=6)}
#: Where the script says which block it is in (stderr), so a failure names the block.
STARTED = "readme block at line "


def blocks():
    """Each fenced block of the README: (line number, language, mark or None, body)."""
    text = README.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, found.start("lang")) + 1, found["lang"], found["mark"], found["body"])
        for found in BLOCK.finditer(text)
    ]


def test_every_shell_block_is_marked_only_in_ways_this_test_knows():
    marks = [mark for _, lang, mark, _ in blocks() if mark is not None]
    assert marks, "the README marks its set-up block"
    for mark in marks:
        kind, _, rest = mark.partition(" ")
        assert kind in ("setup", "skip,", "needs"), mark
        assert kind != "skip," or rest.strip(), f"a skipped block says why: {mark}"
        assert kind != "needs" or rest in NEEDS, f"the test cannot make {rest}"
    assert [lang for _, lang, mark, _ in blocks() if mark == "setup"] == ["sh"]


def checkout_copy(target: Path) -> Path:
    """The files a fresh clone has (tracked, or new and not ignored), copied to ``target``."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def script(home: Path) -> str:
    """The README's shell blocks as one bash script, in order, each announced on stderr; the files
    the ``needs`` blocks read are made under ``home``."""
    lines = ["set -eo pipefail"]
    for line, lang, mark, body in blocks():
        if lang != "sh" or (mark or "").startswith(("setup", "skip")):
            continue
        if mark and mark.startswith("needs"):
            needed = mark.split(" ", 1)[1]
            path = home / needed.removeprefix("~/")
            path.parent.mkdir(parents=True, exist_ok=True)
            NEEDS[needed](path)
        lines += [f"echo {shlex.quote(STARTED + str(line))} >&2", body]
    return "\n".join(lines) + "\n"


@pytest.mark.integration
@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs a git checkout")
def test_the_readme_commands_work_pasted_in_order(smoke_run, tmp_path):
    clone = checkout_copy(tmp_path / "clone")
    (clone / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)  # what make bench made
    run = copy_run(smoke_run[1], clone)  # the run make bench leaves
    (clone / "results" / "latest").symlink_to(run.name)
    home = tmp_path / "home"
    home.mkdir()
    venv_bin = str(Path(sys.prefix) / "bin")
    path = os.pathsep.join(part for part in os.environ.get("PATH", "").split(os.pathsep) if part != venv_bin)
    env = {**os.environ, "HOME": str(home), "PATH": path}
    env.pop("VIRTUAL_ENV", None)  # the README's activation line is what puts harness on PATH
    done = subprocess.run(["bash", "-c", script(home)], cwd=clone, env=env, capture_output=True, text=True, timeout=900)
    where = [line for line in done.stderr.splitlines() if line.startswith(STARTED)]
    assert done.returncode == 0, (
        f"{where[-1] if where else 'before the first block'} failed with exit status {done.returncode}:\n"
        f"{done.stderr[-3000:]}\n{done.stdout[-2000:]}"
    )
    ran = len(where)
    assert ran == sum(
        1 for _, lang, mark, _ in blocks() if lang == "sh" and not (mark or "").startswith(("setup", "skip"))
    )
