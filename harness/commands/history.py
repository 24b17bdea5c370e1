"""``harness history``: a figure over commits, from every complete run of the results roots.

Runs are read from results/ and from every --root given (runs merged in from elsewhere); a run that
is not complete, or whose manifest or tidy table does not verify, is left out with a note on
stderr. The runs are grouped by environment, per interpreter (its fingerprint: runs of one
fingerprint are comparable, two fingerprints never share a line), and ordered by the committer date
of the commit each measured (recorded since this command exists; for older runs looked up in this
repository, else the run's start time, with a note). Per figure and strategy, a row per run: its
commit, date, whether the checkout had uncommitted changes, the value (the median of the figure's
processes), B/A against the previous run of its group, and that step's verdict, given by the
machinery of ``harness compare`` (timings need enough samples, pyperf's t-test and the threshold,
census counts are exact).

Without --figure: the headline figures of the measurer chosen (--measurer; default timing: access
ns/read and hydrate ns/row). --figure METRIC shows that metric (e.g. ns_per_read, info_key_sets) of
every workload, or of --workload. Tables fit the terminal; --markdown prints them for a file, with
each verdict's reasons; --plot FILE.svg also draws the figure over commits, a line per strategy and
each changed step ringed. No run to read, or no figure chosen in them, is one line and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.commands import options
from harness.terminal import text, visible

#: The results root every history reads.
RESULTS = Path("results")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "history", help="a figure over commits, from every complete run (asv style)", description=__doc__
    )
    parser.add_argument("--figure", metavar="METRIC", help="the metric shown (default: the headline figures)")
    parser.add_argument("--strategy", metavar="S", help="only this strategy")
    parser.add_argument("--workload", metavar="W", help="only this workload")
    parser.add_argument("--measurer", metavar="M", help="only this measurer (without --figure: its headline figures)")
    parser.add_argument(
        "--root",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help=f"another results root to read runs from, beside {RESULTS}/; repeatable",
    )
    parser.add_argument("--markdown", action="store_true", help="print markdown tables, each verdict with its reasons")
    parser.add_argument("--plot", type=Path, metavar="FILE.svg", help="also draw the history as an SVG line chart")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from harness.analysis import history
    from harness.metrics import METRICS

    if args.figure is not None and args.figure not in METRICS:
        raise options.UsageError(f"--figure {args.figure!r} is not a metric (harness.metrics names them)")
    if args.plot is not None and args.plot.suffix.lower() != ".svg":
        raise options.UsageError(f"--plot {visible(args.plot)}: the chart is written as SVG; name a .svg file")
    roots = [RESULTS, *args.root] if RESULTS.is_dir() or not args.root else list(args.root)
    for root in roots:
        if not root.is_dir():
            raise options.UsageError(f"no run to read: {visible(root)} is not a directory")
    runs, notes = history.load_runs(history.run_directories(roots), repository=Path.cwd())
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    where = ", ".join(visible(root) for root in roots)
    if not runs:
        raise options.UsageError(f"no complete run to read in {where}")
    measurer = args.measurer if args.figure else history.default_measurer(args.measurer)
    choose = history.chooser(args.figure, args.strategy, args.workload, measurer)
    found = history.history(runs, choose)
    if not found:
        wanted = args.figure or f"headline {history.default_measurer(args.measurer)} figure"
        raise options.UsageError(f"no {wanted} in the {len(runs)} complete runs of {where} (with the filters given)")
    console = Console()  # the terminal's width: COLUMNS when set, else 80 when piped
    say = print if args.markdown else lambda line: console.print(text(line))
    if args.markdown:
        print(history.markdown(found))
    else:
        history.print_history(found, console)
    compared = sum(step.verdict is not None for group in found for line in group.lines for step in line.steps)
    say(
        f"{len(runs)} runs in {len(found)} environment(s); {history.changed_steps(found)} of {compared} "
        "figure steps changed (harness compare's rule)"
    )
    if args.plot is not None:
        history.write_plot(found, args.plot)
        say(f"plot: {visible(args.plot)}")
    return 0
