"""``harness compare RUN_A RUN_B``: B/A for every figure both runs have, and whether it changed.

A timing is called changed only when each side has enough pyperf processes for a verdict at the
threshold, pyperf's t-test says the two differ, and B/A is beyond the threshold (or below its
inverse); census counts change on any difference; other figures are shown untested, and a timing
whose pyperf file is not the one its job's result recorded (size and sha256) unverified. The last
line counts changed / unchanged / not comparable figures and gives the geometric mean of the
timing ratios. Runs measured in different environments (another interpreter build, other package
versions or another CPU) are refused, naming what differs, unless --force. A run directory that
cannot be read (no manifest, a tidy table that is missing, unreadable or not the one the run
wrote) is one line and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.analysis.verdict import CHANGED, THRESHOLD
from harness.commands import options
from harness.terminal import visible


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compare", help="compare two runs (B/A per figure, changed or not)", description=__doc__
    )
    parser.add_argument("run_a", type=Path, metavar="RUN_A", help="the baseline run directory")
    parser.add_argument("run_b", type=Path, metavar="RUN_B", help="the run compared with it")
    parser.add_argument("--force", action="store_true", help="compare even when the environments differ")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    parser.add_argument("--only-changed", action="store_true", help="show only the figures called changed")
    parser.add_argument(
        "--threshold",
        type=options.factor,
        default=THRESHOLD,
        help=f"smallest factor B/A (or A/B) called a change, {options.MIN_FACTOR} to {options.MAX_FACTOR:g} "
        "(default: %(default)s, asv's default)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from harness.analysis.compare import compare_runs, fingerprint_mismatch, load_run, markdown, rich_table

    manifest_a, tidy_a = load_run(args.run_a)  # RunError: one line, exit status 2
    manifest_b, tidy_b = load_run(args.run_b)
    mismatch = fingerprint_mismatch(manifest_a, manifest_b)
    if mismatch and not args.force:
        raise options.UsageError(f"{mismatch}: the runs are not comparable (--force compares them anyway)")
    if mismatch:
        print(f"warning: {visible(mismatch)}; comparing anyway (--force)", file=sys.stderr)
    comparison = compare_runs(args.run_a, args.run_b, tidy_a, tidy_b, args.threshold)
    run_a, run_b = visible(args.run_a), visible(args.run_b)
    if not comparison.rows:
        print(f"nothing in common: {run_a} and {run_b} share no figure (interpreter, strategy, workload, size, metric)")
        return 0
    title = f"B/A — A: {run_a}  B: {run_b}"
    if args.only_changed and not comparison.count(CHANGED):
        print(f"no figure changed between {run_a} and {run_b}")
    elif args.markdown:
        print(markdown(comparison, title, args.only_changed))
    else:
        from rich.console import Console

        wide = None if sys.stdout.isatty() else 200  # piped: do not squeeze into 80 columns
        Console(width=wide).print(rich_table(comparison, title, args.only_changed))
    print()
    print(comparison.summary())
    advice = comparison.advice()
    if advice:
        print(advice)
    if comparison.only_a or comparison.only_b:
        print(f"{len(comparison.rows)} figures compared; {comparison.only_a} only in A, {comparison.only_b} only in B")
    return 0
