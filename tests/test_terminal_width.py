"""Every table and help text a command prints fits the terminal it is printed to (``COLUMNS``): no
line wider, and every column header whole (a header squeezed by the width is cut, or gone)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from harness.analysis.summary import HEADERS, print_summary

WIDTHS = (80, 120)
LIST_HEADERS = ("strategy", "here", "what it builds", "workload", "what it runs", "measurer", "what it measures")
PYTHONS_HEADERS = ("--python", "version", "found in", "executable")
CENSUS_HEADERS = ("strategy", "info\nsets", "info\norders", "part\nsets", "part\norders", "nested\norders")


def at_width(width: int, *argv: str) -> str:
    """``harness ARGV``'s stdout, run with ``COLUMNS=width`` and its output piped."""
    env = {**os.environ, "COLUMNS": str(width)}
    done = subprocess.run([sys.executable, "-m", "harness", *argv], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def assert_fits(out: str, width: int, headers=()) -> None:
    """No line of ``out`` wider than ``width``; each line of each table header there whole, as a word,
    and no cell cut short (rich's ellipsis)."""
    lines = out.splitlines()
    assert lines and max(len(line) for line in lines) <= width, [line for line in lines if len(line) > width]
    assert not headers or "…" not in out
    for header in headers:
        for part in header.split("\n"):
            assert re.search(rf"(?<!\S){re.escape(part)}(?!\S)", out), (part, out)


@pytest.mark.parametrize("width", WIDTHS)
def test_list_fits(width):
    assert_fits(at_width(width, "list"), width, LIST_HEADERS)


@pytest.mark.parametrize("width", WIDTHS)
def test_list_pythons_fits(width):
    assert_fits(at_width(width, "list", "--pythons"), width, PYTHONS_HEADERS)


@pytest.mark.parametrize("width", WIDTHS)
def test_census_fits_with_every_strategy(width):
    out = at_width(width, "census", "--messages", "40", "--strategies", "all")
    assert_fits(out, width, CENSUS_HEADERS)
    assert " msgspec-nogc-shallow  " in out  # the longest name whole


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("command", [["bench"], ["census"], ["import"], ["import", "rows"], ["trial"], []])
def test_help_fits_and_shows_no_markup(width, command):
    out = at_width(width, *command, "--help")
    assert_fits(out, width)
    assert "``" not in out and "usage: harness" in out


def test_help_keeps_the_descriptions_paragraphs():
    out = at_width(100, "bench", "--help")
    assert "\n\nharness bench: run a bench plan's jobs, each in a fresh process, into a new run directory.\n\n" in out
    assert "Jobs run one at a time" in out.split("\n\n")[2]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_end_of_a_run_fits(width, tmp_path, monkeypatch, capsys):
    pytest.importorskip("pandas")
    from test_summary import widest_run

    monkeypatch.setenv("COLUMNS", str(width))
    print_summary(widest_run(tmp_path))  # the console bench prints on: the terminal's width, 100 at most
    out = capsys.readouterr().out
    assert_fits(out, min(width, 100), [*HEADERS.values(), "read path", "fastest strategy", "ms per\niteration"])
    assert "Answer: On CPython" in out and "Findings" in out
