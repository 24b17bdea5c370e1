"""``harness report RUN_DIR``: execute the notebooks on a run and write its self-contained report.html.

A run directory that cannot be read (no manifest, a tidy table that is missing, unreadable or not
the one the run wrote) or written is one line and exit status 2, found before any notebook runs.
Ctrl-C stops it with ``harness report: interrupted``, exit status 130 and no report written (also
when the notebook client caught the interrupt itself and turned it into a failed notebook); SIGTERM
and SIGHUP the same way, with exit status 143 and 129 (130 for a SIGTERM the notebook client takes
over while a notebook runs, as it takes Ctrl-C).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
from pathlib import Path
from typing import Any, Iterator, List

from harness.commands import options


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report", help="render a run's offline HTML report (RUN_DIR/report.html)", description=__doc__
    )
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run directory, e.g. results/latest")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not args.run_dir.is_dir():
        raise options.UsageError(f"{args.run_dir} is not a directory")
    try:
        from harness.analysis.report import build_report
    except ImportError as error:  # the driver extras are missing
        raise options.UsageError(
            f"the report needs the notebooks extra ({error.name} is missing): pip install 'shape-harness[notebooks]'"
        ) from None
    try:
        with _taken_as_ctrl_c():
            path = build_report(args.run_dir)
    except OSError as error:  # e.g. a run directory that turned read-only while the notebooks ran
        raise options.UsageError(f"cannot write the report into {args.run_dir}: {error.strerror or error}") from None
    print(f"report: {path}")
    return 0


@contextlib.contextmanager
def _taken_as_ctrl_c() -> Iterator[None]:
    """SIGTERM and SIGHUP (unless ignored) are re-sent as SIGINT while the notebooks run, so that
    nbclient shuts the kernel down as it does on Ctrl-C; the interrupt that ends the report then
    carries the signal's number (``Stopped``: exit status 128 + it)."""
    from harness.runs.runner import STOP_SIGNALS, Stopped

    received: List[int] = []

    def resend(signum: int, frame: Any) -> None:
        received.append(signum)
        os.kill(os.getpid(), signal.SIGINT)

    previous = {
        signum: signal.signal(signum, resend) for signum in STOP_SIGNALS if signal.getsignal(signum) != signal.SIG_IGN
    }
    try:
        yield
    except KeyboardInterrupt:
        if received:
            raise Stopped(received[0]) from None
        raise
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
