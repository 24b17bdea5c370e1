"""``harness bench``: run a bench plan's jobs, each in a fresh process, into a new run directory.

Jobs run one at a time (--jobs 1): on a two-core machine concurrent benchmarks
disturb each other. Ctrl-C marks the run interrupted (exit status 130; SIGTERM 143, SIGHUP 129);
--resume RUN_DIR finishes it as planned (a run of harness advise is resumed by harness advise).
A run is complete (exit status 0, results/latest points at it) only when every job's result
verifies and its datasets are still those it began with; a run with failed jobs ends "failed"
with exit status 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List

from harness.analysis.report import build_report
from harness.analysis.summary import print_summary
from harness.commands import options
from harness.runs import lifecycle, results
from harness.runs.lifecycle import DEFAULT_ROOT, Run
from harness.runs.plans import PLANS
from harness.runs.runner import check_named, ensure_datasets
from harness.runtime.base import RuntimeUnavailable
from harness.runtime.resolve import resolve


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("bench", help="run a bench plan (fresh process per job)", description=__doc__)
    parser.add_argument(
        "--plan",
        choices=tuple(PLANS),
        default=None,
        help="; ".join(f"{name}: {plan.duration}" for name, plan in PLANS.items()) + " (default: quick)",
    )
    parser.add_argument(
        "--profile", choices=tuple(PLANS), default=None, dest="old_plan", help=argparse.SUPPRESS
    )  # the spelling before 0.2; goes in the next release
    parser.add_argument(
        "--strategies", default=None, help="only these comma-separated strategies (default: the plan's)"
    )
    parser.add_argument(
        "--python",
        default=None,
        help="interpreters: versions (3.11), names (pypy3, bun) or paths, comma-separated, or all "
        "(default: the running one)",
    )
    parser.add_argument("--out", type=Path, default=None, help=f"results root (default: {DEFAULT_ROOT})")
    parser.add_argument(
        "--resume",
        type=Path,
        default=None,
        metavar="RUN_DIR",
        help="finish a run as it was planned: only jobs without a verified result run",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        choices=(1,),
        default=1,
        help="jobs at a time; only 1 (benchmarks on two cores must not overlap)",
    )
    parser.add_argument(
        "--timeout", type=options.seconds, default=None, help="seconds per job, > 0 (default: the plan's)"
    )
    parser.add_argument("--no-report", action="store_true", help="skip the HTML report")
    parser.set_defaults(run=run)


def _strategies(text: str) -> List[str]:
    from harness.strategies import UnknownStrategy, get

    names = list(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    if not names:
        raise options.UsageError(f"--strategies names no strategy: {text!r}")
    for name in names:
        try:
            get(name)
        except UnknownStrategy as error:
            raise options.UsageError(str(error)) from None
    return names


def plan_name(args: argparse.Namespace) -> str:
    """``--plan``, or the old ``--profile`` spelling with a notice."""
    if args.old_plan is not None:
        if args.plan is not None:
            raise options.UsageError("--profile is the old spelling of --plan; give one of them")
        print("note: bench --profile is now --plan (--profile goes in the next release)", file=sys.stderr)
        return args.old_plan
    return args.plan or "quick"


def _start(args: argparse.Namespace) -> Run:
    """A new run of the plan: its runtimes resolved, the strategies named checked and the results
    root made before any dataset is generated."""
    chosen = PLANS[plan_name(args)]
    only = _strategies(args.strategies) if args.strategies else None
    unavailable: List[str] = []
    try:
        runtimes = resolve(args.python, notes=unavailable)
    except RuntimeUnavailable as error:
        raise options.UsageError(str(error)) from None
    if only is not None:
        check_named(chosen, runtimes, only)
    root = args.out or DEFAULT_ROOT
    results.prepare_root(root)
    found = ensure_datasets(chosen.datasets, say=lambda text: print(text, file=sys.stderr))
    datasets = {key: lifecycle.dataset_entry(d["path"], d["manifest"], d["spec"]) for key, d in found.items()}
    return lifecycle.begin(
        "bench", chosen, runtimes, datasets, root, only=only, timeout=args.timeout, notes=unavailable
    )


#: Options a resumed run takes from its manifest; giving one with --resume is refused.
RESUME_CONFLICTS = {
    "plan": "--plan",
    "old_plan": "--profile",
    "strategies": "--strategies",
    "python": "--python",
    "timeout": "--timeout",
    "out": "--out",
}


def _resume(args: argparse.Namespace) -> Run:
    given = [flag for name, flag in RESUME_CONFLICTS.items() if getattr(args, name) is not None]
    return lifecycle.resume("bench", args.resume, given)


def run(args: argparse.Namespace) -> int:
    return lifecycle.conduct(
        "bench",
        lambda: _start(args) if args.resume is None else _resume(args),
        _summary,
        None if args.no_report else build_report,
    )


def _summary(run: Run) -> None:
    """What the run measured: the summary table and the job counts."""
    print_summary(run.directory)
    print(
        f"{run.counts['ok']} jobs ok, {run.counts['failed']} failed, {run.counts['skipped']} already done; "
        f"{run.manifest['tidy']['rows']} figures in {run.seconds:.0f} s"
    )
