"""``harness list``: strategies, workloads and measurers, with availability here.

Each is a table as wide as the terminal at most (``COLUMNS`` when set, 80 columns when the output
is not a terminal): the descriptions wrap within it. Names, paths and reasons found on this machine
(plugins, PATH, pyenv) are shown through ``harness.terminal.visible``: an escape sequence in a file
name is printed, not obeyed.
"""

from __future__ import annotations

import argparse
import platform
from typing import TYPE_CHECKING, List

from harness.measure.catalogue import MEASURERS
from harness.strategies import all_strategies, plugin_errors
from harness.terminal import table, text
from harness.workloads.catalogue import WORKLOADS

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

#: The width below which a name column is never squeezed (a name is folded, never cut to nothing).
NAME_WIDTH = 8


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("list", help="list strategies, workloads and measurers", description=__doc__)
    parser.add_argument(
        "--pythons", action="store_true", help="list the interpreters found for --python instead (pyenv, then PATH)"
    )
    parser.set_defaults(run=run)


def _named(*headers: str) -> Table:
    """A table whose first column is a name (kept whole where it fits), the last a wrapping text."""
    found = table()
    found.add_column(headers[0], min_width=NAME_WIDTH, overflow="fold")
    for header in headers[1:-1]:
        found.add_column(header, no_wrap=True)
    found.add_column(headers[-1], overflow="fold")
    return found


def _lines(*lines: object) -> Text:
    """One cell of several lines, each shown as it is (``text``)."""
    from rich.text import Text

    return Text("\n").join(text(line) for line in lines if line)


def _pythons() -> List[object]:
    from harness.runtime import bun_install as bun
    from harness.runtime.discovery import discover

    found = _named("--python", "version", "found in", "executable")
    for candidate in discover():  # names and paths as found in PATH and pyenv: shown, never obeyed
        found.add_row(
            text(candidate.spec), text(candidate.version or "?"), text(candidate.source), text(candidate.executable)
        )
    reason = bun.installable()
    where = bun.executable() if reason is None else f"unavailable: {reason}"
    found.add_row(text(bun.TAG), text(bun.BUN_VERSION), text("npm"), text(where))
    return [text("interpreters (harness bench --python all runs each of them):"), found]


def _strategies() -> List[object]:
    found = _named("strategy", "here", "what it builds")
    for name, strategy in all_strategies().items():
        ok, reason = strategy.available()
        described = strategy.description if ok else f"{strategy.description}; unavailable: {reason}"
        found.add_row(text(name), text("yes" if ok else "no"), text(described))
    for name, error in plugin_errors().items():
        found.add_row(text(name), text("no"), text(f"plugin failed to load: {error}"))
    heading = (
        f"strategies (on {platform.python_implementation()} {platform.python_version()}; "
        "any of them also as cached:<name>; on imported rows, those built from a schema):"
    )
    return [text(heading), found]


def _workloads() -> List[object]:
    found = _named("workload", "what it runs")
    for name, workload in WORKLOADS.items():
        only = "opencode datasets only (refuses imported rows): " if workload.opencode_only else ""
        params = ", ".join(f"{param.name}={param.default!r}" for param in workload.params)
        found.add_row(text(name), _lines(only + workload.description, params and f"[{params}]"))
    return [text("workloads (job parameters in brackets):"), found]


def _measurers() -> List[object]:
    found = _named("measurer", "what it measures")
    for name, measurer in MEASURERS.items():
        _, detail = measurer.availability()
        found.add_row(text(name), _lines(measurer.description, detail and f"[{detail}]"))
    return [text("measurers (in brackets: the package each one uses here, or what it does without it):"), found]


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    console = Console()
    sections = _pythons() if args.pythons else [*_strategies(), *_workloads(), *_measurers()]
    for section in sections:
        console.print(section)
    return 0
