"""Progress of a run on stderr: a live rich bar on a terminal, one line per job otherwise."""

from __future__ import annotations

import sys
import time
from typing import Any, Optional

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from harness.terminal import visible


class RunProgress:
    """Overall bar, current job, elapsed / remaining time and failures so far."""

    def __init__(self, console: Optional[Console] = None) -> None:
        self.console = console or Console(stderr=True)
        self.live = self.console.is_terminal
        self.failures = 0
        self.total = 0
        self.finished = 0
        self.started = 0.0
        self.current = ""
        self._progress: Any = None
        self._task: Any = None

    def start(self, total: int, already: int) -> None:
        self.total, self.finished, self.started = total, already, time.monotonic()
        if self.live:
            self._progress = Progress(
                TextColumn("[bold]bench"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
                TextColumn("{task.fields[failures]} failed "),
                TextColumn("{task.description}", markup=False),
                console=self.console,
            )
            self._progress.start()
            self._task = self._progress.add_task("", total=total, completed=already, failures=0)
        elif already:
            self.console.print(f"resuming: {already} of {total} jobs already done")

    def job(self, name: str) -> None:
        self.current = visible(name)
        if self.live:
            self._progress.update(self._task, description=self.current)

    def done(self, status: str) -> None:
        self.finished += 1
        if status == "failed":
            self.failures += 1
        if self.live:
            self._progress.update(self._task, advance=1, failures=self.failures)
        else:
            elapsed = time.monotonic() - self.started
            print(f"[{self.finished}/{self.total} {elapsed:.0f}s] {status:<6} {self.current}", file=sys.stderr)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
