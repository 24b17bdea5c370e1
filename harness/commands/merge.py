"""``harness merge RUN…``: join the shards of one plan (harness bench --shard I/N) into one run.

The runs must be every shard of one whole plan (1/N … N/N once each), made at one commit, each
complete and verified; on each interpreter, the shards holding timing, GC-probe, memory or
scalene figures must have run on one interpreter build, CPU and package set (its fingerprint):
census counts, which are exact, merge across machines, figures that depend on the machine never
do. Anything else is refused in one line naming the runs (exit status 2), with nothing written.

The merged run is a new directory under the results root (--out, default results), written
whole or not at all; harness report, harness compare and the notebooks read it as any run. It
becomes results/latest-<plan>-<tags> (never results/latest: that is the default plan measured here).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.runs import merge, results
from harness.runs.lifecycle import DEFAULT_ROOT
from harness.runs.runner import stop_signals


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "merge", help="join the shard runs of one plan into one run and report", description=__doc__
    )
    parser.add_argument("runs", type=Path, nargs="+", metavar="RUN", help="the shard runs (results/latest-*-shard*)")
    parser.add_argument("--out", type=Path, default=None, help=f"results root (default: {DEFAULT_ROOT})")
    parser.add_argument("--no-report", action="store_true", help="skip the HTML report")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    root = args.out or DEFAULT_ROOT
    with stop_signals():  # SIGTERM and SIGHUP stop the merge as Ctrl-C does: nothing left behind
        merged = merge.merge(args.runs, root)
    manifest = results.load_manifest(merged)
    pointed = results.point_latest(merged.parent, merged)
    if pointed:
        print(f"{', '.join(pointed)} -> {merged.name}", file=sys.stderr)
    print(f"merged {len(args.runs)} shards, {len(manifest['jobs'])} jobs, {manifest['tidy']['rows']} figures: {merged}")
    if args.no_report:
        return 0
    try:
        from harness.analysis.report import build_report
        from harness.analysis.summary import print_summary
    except ImportError as error:  # the run stands without its report
        print(f"note: no report: the notebooks extra is missing ({error.name})", file=sys.stderr)
        return 0
    print_summary(merged)
    print(f"report: {build_report(merged)}")
    return 0
