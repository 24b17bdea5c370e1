"""``harness bench``: run a bench plan's jobs, each in a fresh process, into a new run directory.

Jobs run one at a time: on a two-core machine concurrent benchmarks
disturb each other. Ctrl-C marks the run interrupted (exit status 130; SIGTERM 143, SIGHUP 129);
--resume RUN_DIR finishes it as planned (a run of harness advise is resumed by harness advise).
A run is complete (exit status 0) only when every job's result verifies and its datasets are
still those it began with; a run with failed jobs ends "failed" with exit status 1. A complete run
becomes results/latest-<plan>-<tags> (e.g. results/latest-smoke-cp311) and, when it is the default
run (the quick plan, every strategy, on the interpreter harness runs on), results/latest: what make
report and the notebooks open.

pyperf's own options reach the timing figures (each figure is measured in several fresh processes,
each one pyperf worker): -p N sets the processes per figure in place of the plan's; --fast and
--rigorous mean what they mean to pyperf (rigorous: twice the plan's processes; fast: half of them,
at least 3, and two thirds of each process's values, at least 2; with -p N, --fast trims only the
values and --rigorous is refused); --affinity CPU_LIST pins each timing worker to those CPUs. They
change the plan, so the run records them (its argv and planned jobs) and --resume takes none of
them; harness advise plans its own timings and takes none of them either.

--counter instructions adds, beside every timing figure, the instructions its calls execute, counted
by valgrind's callgrind in one process (a count does not drift with the machine's load; harness
compare calls a count changed beyond 0.5 %). Like pyperf's options it changes the plan.

--shard I/N runs shard I of N of the plan: whole figures (every process of a figure on one
machine), dealt out by estimated cost so that each shard holds about 1/N of the work, the same
share on every machine with the same plan, datasets and interpreters. A shard run becomes
results/latest-<plan>-<tags>-shard<I>of<N>, never results/latest; harness merge joins the N shards.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import List, Set

from harness.analysis.report import build_report
from harness.analysis.summary import print_summary
from harness.commands import options
from harness.protocol.job import MAX_PROCESSES
from harness.runs import lifecycle, results, shards
from harness.runs.lifecycle import DEFAULT_ROOT, Run
from harness.runs.plans import COUNTERS, PLANS, PyperfOptions, with_counter, with_pyperf_options
from harness.runs.runner import check_named, ensure_datasets
from harness.runtime.base import Runtime, RuntimeUnavailable
from harness.runtime.python import PythonRuntime
from harness.runtime.resolve import resolve

#: pyperf's CPU list: CPUs and ranges of them, comma-separated (``0``, ``0-1``, ``0,2``).
CPU_LIST = re.compile(r"\d{1,6}(-\d{1,6})?(,\d{1,6}(-\d{1,6})?)*")


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
        "--timeout", type=options.seconds, default=None, help="seconds per job, > 0 (default: the plan's)"
    )
    parser.add_argument(
        "-p",
        "--processes",
        type=processes,
        default=None,
        metavar="N",
        help=f"fresh processes per timing figure, 1 to {MAX_PROCESSES:,} (default: the plan's); "
        "harness compare never calls a one-process figure changed",
    )
    speed = parser.add_mutually_exclusive_group()
    speed.add_argument(
        "--fast",
        action="store_const",
        const=True,
        default=None,
        help="pyperf's --fast for the timing figures: half the plan's processes (at least 3; -p N gives them "
        "instead) and two thirds of the values (at least 2)",
    )
    speed.add_argument(
        "--rigorous",
        action="store_const",
        const=True,
        default=None,
        help="pyperf's --rigorous for the timing figures: twice the plan's processes",
    )
    parser.add_argument(
        "--affinity",
        type=cpu_list,
        default=None,
        metavar="CPU_LIST",
        help="pin every timing worker to these CPUs (pyperf's --affinity), e.g. 0, 0-1 or 0,2",
    )
    parser.add_argument(
        "--counter",
        choices=COUNTERS,
        default=None,
        help="also count each timing figure's instructions under valgrind's callgrind (one process; deterministic)",
    )
    parser.add_argument(
        "--shard",
        type=shard,
        default=None,
        metavar="I/N",
        help="run shard I of N of the plan (whole figures, balanced by estimated cost); harness merge joins them",
    )
    parser.add_argument("--no-report", action="store_true", help="skip the HTML report")
    parser.set_defaults(run=run)


def shard(text: str) -> shards.Shard:
    """``--shard I/N``: shard I of N, 1 <= I <= N (``shards.parse``)."""
    try:
        return shards.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def processes(text: str) -> int:
    """A number of processes per timing figure: 1 to ``MAX_PROCESSES`` (the job protocol's bound)."""
    try:
        count = options.positive(text)
    except argparse.ArgumentTypeError:
        count = 0
    if not 0 < count <= MAX_PROCESSES:
        raise argparse.ArgumentTypeError(f"expected a positive integer up to {MAX_PROCESSES:,}, got {text!r}")
    return count


def _offered_cpus() -> Set[int]:
    """The CPUs this process may run on (every CPU of the machine where that cannot be asked)."""
    if hasattr(os, "sched_getaffinity"):
        return set(os.sched_getaffinity(0))
    return set(range(os.cpu_count() or 1))


def cpu_list(text: str) -> str:
    """A CPU list for pyperf's --affinity (``CPU_LIST``), every CPU in it one this machine offers."""
    if not CPU_LIST.fullmatch(text):
        raise argparse.ArgumentTypeError(f"expected a CPU list such as 0, 0-1 or 0,2, got {text!r}")
    offered = _offered_cpus()
    for part in text.split(","):
        first, _, last = part.partition("-")
        low, high = int(first), int(last or first)
        if low > high:
            raise argparse.ArgumentTypeError(f"a CPU range goes upwards (0-1, not 1-0), got {text!r}")
        missing = next((cpu for cpu in range(low, high + 1) if cpu not in offered), None)  # max(offered) + 1 at most
        if missing is not None:
            shown = ",".join(map(str, sorted(offered)))
            raise argparse.ArgumentTypeError(f"CPU {missing} is not one this machine offers (it offers {shown})")
    return text


def pyperf_options(args: argparse.Namespace) -> PyperfOptions:
    """The pyperf options given (--processes, --fast or --rigorous, --affinity); UsageError for
    -p N with --rigorous, which would double nothing."""
    if args.processes is not None and args.rigorous:
        raise options.UsageError("--rigorous doubles the plan's processes; with -p N give the processes themselves")
    speed = "fast" if args.fast else "rigorous" if args.rigorous else None
    return PyperfOptions(args.processes, speed, args.affinity)


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
    return args.plan or lifecycle.DEFAULT_PLAN


def _refuse_unpinnable(runtimes: List[Runtime]) -> None:
    """UsageError naming the runtimes whose timings pyperf does not run (Bun), which --affinity cannot pin."""
    unpinned = [runtime.label for runtime in runtimes if not isinstance(runtime, PythonRuntime)]
    if unpinned:
        raise options.UsageError(
            f"--affinity pins pyperf's timing workers; {', '.join(unpinned)} times without pyperf "
            "(leave it out of --python, or drop --affinity)"
        )


def _start(args: argparse.Namespace) -> Run:
    """A new run of the plan: its runtimes resolved, the strategies named checked and the results
    root made before any dataset is generated."""
    chosen = with_pyperf_options(PLANS[plan_name(args)], pyperf_options(args))
    if args.counter is not None:
        chosen = with_counter(chosen, args.counter)
    only = _strategies(args.strategies) if args.strategies else None
    notes: List[str] = []
    try:
        runtimes = resolve(args.python, notes=notes)
    except RuntimeUnavailable as error:
        raise options.UsageError(str(error)) from None
    if args.affinity is not None:
        _refuse_unpinnable(runtimes)
    if args.processes == 1:
        notes.append("-p 1: harness compare never calls a one-process timing figure changed")
    if only is not None:
        check_named(chosen, runtimes, only)
    root = args.out or DEFAULT_ROOT
    results.prepare_root(root)
    found = ensure_datasets(chosen.datasets, say=lambda text: print(text, file=sys.stderr))
    datasets = {key: lifecycle.dataset_entry(d["path"], d["manifest"], d["spec"]) for key, d in found.items()}
    return lifecycle.begin(
        "bench", chosen, runtimes, datasets, root, only=only, timeout=args.timeout, notes=notes, shard=args.shard
    )


#: Options a resumed run takes from its manifest; giving one with --resume is refused.
RESUME_CONFLICTS = {
    "plan": "--plan",
    "old_plan": "--profile",
    "strategies": "--strategies",
    "python": "--python",
    "timeout": "--timeout",
    "out": "--out",
    "processes": "--processes",
    "fast": "--fast",
    "rigorous": "--rigorous",
    "affinity": "--affinity",
    "counter": "--counter",
    "shard": "--shard",
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
