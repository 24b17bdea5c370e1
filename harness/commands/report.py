"""``harness report RUN_DIR``: execute the notebooks on a run and write its self-contained report.html.

Ctrl-C stops it with exit status 130 and no report written (also when the notebook client
caught the interrupt itself and turned it into a failed notebook).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.commands import options
from harness.results import RunError


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
        from harness.report import build_report
    except ImportError as error:  # the driver extras are missing
        raise options.UsageError(
            f"the report needs the notebooks extra ({error.name} is missing): pip install 'shape-harness[notebooks]'"
        ) from None
    try:
        path = build_report(args.run_dir)
    except RunError as error:
        raise options.UsageError(str(error)) from None
    except KeyboardInterrupt:
        print("interrupted: no report written", file=sys.stderr)
        return 130
    except OSError as error:  # e.g. a read-only run directory
        raise options.UsageError(f"cannot write the report into {args.run_dir}: {error.strerror or error}") from None
    print(f"report: {path}")
    return 0
