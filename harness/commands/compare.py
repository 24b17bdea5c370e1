"""``harness compare RUN_A RUN_B``: B/A for every figure both runs have, and whether it changed.

A timing is called changed only when each side has enough pyperf processes for a verdict at the
threshold, pyperf's t-test says the two differ, and B/A is beyond the threshold (or below its
inverse); census counts change on any difference; other figures are shown untested, and a timing
whose pyperf file is not the one its job's result recorded (size and sha256) unverified. The summary
after the table counts changed / unchanged / not comparable figures and gives the geometric mean of
the timing ratios. The table shows the changed figures first, then those whose verdict leaves open
whether they moved (not enough samples, machine state differed, unverified, no pyperf data); the
unchanged and untested ones are counted in the summary, and shown with --all or --markdown (every
row, as a markdown table for a file). The table fits the terminal (COLUMNS when set, 80 when
piped). Runs measured in different environments (another interpreter build or CPU, other versions
of a package some measured job imported) are refused, naming what differs, unless --force; a
package no measured job imported is a note on stderr. A run directory that cannot be read (no
manifest, a tidy table that is missing, unreadable or not the one the run wrote) is one line and
exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, List

from harness.analysis.verdict import THRESHOLD
from harness.commands import options
from harness.terminal import text, visible


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compare", help="compare two runs (B/A per figure, changed or not)", description=__doc__
    )
    parser.add_argument("run_a", type=Path, metavar="RUN_A", help="the baseline run directory")
    parser.add_argument("run_b", type=Path, metavar="RUN_B", help="the run compared with it")
    parser.add_argument("--force", action="store_true", help="compare even when the environments differ")
    parser.add_argument("--markdown", action="store_true", help="print every row as a markdown table")
    rows = parser.add_mutually_exclusive_group()
    rows.add_argument("--only-changed", action="store_true", help="show only the figures called changed")
    rows.add_argument("--all", action="store_true", help="show every figure, the unchanged and untested too")
    parser.add_argument(
        "--threshold",
        type=options.factor,
        default=THRESHOLD,
        help=f"smallest factor B/A (or A/B) called a change, {options.MIN_FACTOR} to {options.MAX_FACTOR:g} "
        "(default: %(default)s, asv's default)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from harness.analysis.compare import (
        ALL,
        ONLY_CHANGED,
        OPEN,
        compare_runs,
        fingerprint_mismatch,
        load_run,
        markdown,
        rich_table,
        shown,
    )

    manifest_a, tidy_a = load_run(args.run_a)  # RunError: one line, exit status 2
    manifest_b, tidy_b = load_run(args.run_b)
    mismatch = fingerprint_mismatch(args.run_a, manifest_a, args.run_b, manifest_b)
    if mismatch.refusal and not args.force:
        raise options.UsageError(f"{mismatch.refusal}: the runs are not comparable (--force compares them anyway)")
    if mismatch.refusal:
        print(f"warning: {visible(mismatch.refusal)}; comparing anyway (--force)", file=sys.stderr)
    for note in mismatch.notes:
        print(f"note: {visible(note)}", file=sys.stderr)
    comparison = compare_runs(args.run_a, args.run_b, tidy_a, tidy_b, args.threshold)
    show = ONLY_CHANGED if args.only_changed else ALL if args.all or args.markdown else OPEN
    console = Console()  # the terminal's width: COLUMNS when set, else 80 when piped

    def say(line: str) -> None:
        """A line of text: as it is in markdown (for a file), wrapped to the console's width otherwise."""
        if args.markdown:
            print(line)
        else:
            console.print(text(line))

    run_a, run_b = visible(args.run_a), visible(args.run_b)
    if not comparison.rows:
        say(f"nothing in common: {run_a} and {run_b} share no figure (interpreter, strategy, workload, size, metric)")
        return 0
    title = f"B/A — A: {run_a}  B: {run_b}"
    if not shown(comparison, show):
        say(f"no figure {'changed' if args.only_changed else 'changed or left open'} between {run_a} and {run_b}")
    elif args.markdown:
        print(markdown(comparison, title, show))
    else:
        console.print(rich_table(comparison, title, show, console))
    for line in ("", *_summary(comparison, show)):
        say(line)
    return 0


def _summary(comparison: Any, show: str) -> List[str]:
    """The lines after the table: verdict counts, what samples were lacking, the rows not shown,
    the figures only one run has."""
    from harness.analysis.compare import hidden

    lines = [comparison.summary(), comparison.advice(), hidden(comparison, show)]
    if comparison.only_a or comparison.only_b:
        lines.append(
            f"{len(comparison.rows)} figures compared; {comparison.only_a} only in A, {comparison.only_b} only in B"
        )
    return [line for line in lines if line]
