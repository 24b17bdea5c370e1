"""``harness profile STRATEGY``: where one strategy's time goes, line by line (scalene), in under a minute.

One scalene job — the strategy on one of the hot paths the full plan profiles (hydrate_all, the
default, or access) over the first messages of one dataset (default the quick plan's realistic one,
generated under datasets/ when missing) — runs like a bench run: a fresh
process, a run directory with its provenance and integrity checks, no report. Then the profile's
hottest lines are printed with the CPU split the report's *Line profiles* section shows (Python,
native code, system), and the commands that open the whole profile. Ctrl-C (or SIGTERM, SIGHUP)
leaves the run interrupted; ``--resume RUN_DIR`` finishes it. Needs scalene on each interpreter
(``pip install 'shape-harness[scalene]'``; ``make bench-full`` installs it). Exit status 0 when the
profile was made, 1 when its job failed, 2 for bad input (an unknown strategy, one that cannot run
here, scalene missing), 128 + the signal's number when interrupted.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from harness.analysis.line_profiles import LINE_COLUMNS, short_path
from harness.commands import options
from harness.runs import lifecycle, results
from harness.runs.lifecycle import DEFAULT_ROOT, Run
from harness.runs.plans import PLANS, DatasetSpec, Plan, Sweep
from harness.runs.runner import ensure_datasets
from harness.runtime.base import Runtime, RuntimeUnavailable
from harness.runtime.resolve import resolve
from harness.terminal import visible

#: The dataset profiled unless ``--dataset`` names one: the quick plan's realistic dataset.
DEFAULT_DATASET: DatasetSpec = next(spec for spec in PLANS["quick"].datasets if spec.key == "realistic")
#: The run's key of a dataset given with ``--dataset``.
GIVEN_KEY = "given"
#: The workloads it profiles: the full plan's hot paths, each over the dataset's first ``size`` messages.
WORKLOADS = ("hydrate_all", "access")
#: Messages profiled unless ``--size`` says (or all the dataset has, when fewer).
DEFAULT_SIZE = 5000
#: Seconds the job may take before it is recorded as failed.
TIMEOUT = 600.0
INSTALL = "pip install 'shape-harness[scalene]' (make bench-full installs it)"
#: The hottest-line columns printed, in order (the file and the code are printed after them).
SHARES = ("cpu_percent", "python_percent", "native_percent", "system_percent", "copy_mb_per_s")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "profile", help="a line profile (scalene) of one strategy on one workload", description=__doc__
    )
    parser.add_argument("strategy", nargs="?", metavar="STRATEGY", help="the strategy to profile (harness list)")
    parser.add_argument(
        "--workload",
        choices=WORKLOADS,
        default=WORKLOADS[0],
        help="the hot path to profile: building every row, or the access loop (default: %(default)s)",
    )
    parser.add_argument(
        "--dataset",
        type=options.input_file,
        default=None,
        metavar="PATH",
        help=f"a dataset (default: the quick plan's {DEFAULT_DATASET.messages:,} {DEFAULT_DATASET.profile} messages)",
    )
    parser.add_argument(
        "--size",
        type=options.positive,
        default=None,
        help=f"messages to profile (default: {DEFAULT_SIZE:,} or all the dataset has)",
    )
    parser.add_argument(
        "--python",
        default=None,
        help="interpreters: versions (3.11), names or paths, comma-separated (default: this one)",
    )
    parser.add_argument("--out", type=Path, default=None, metavar="DIR", help=f"results root (default: {DEFAULT_ROOT})")
    parser.add_argument(
        "--resume", type=Path, default=None, metavar="RUN_DIR", help="finish an interrupted profile run, then show it"
    )
    parser.set_defaults(run=run)


def profile_plan(strategy: str, workload: str, dataset: str, size: int) -> Plan:
    """The plan of one profile: scalene over ``strategy`` on ``workload`` of the dataset keyed ``dataset``."""
    return Plan(
        "profile",
        f"scalene line profile of {strategy} on {workload}",
        datasets=(),
        sweeps=(Sweep("scalene", workload, dataset, (strategy,), (size,)),),
        timeout=TIMEOUT,
        duration="under a minute",
    )


def _runtimes(spec: Optional[str], strategy: str) -> List[Runtime]:
    """The interpreters ``--python`` names, each able to run scalene and the strategy; UsageError otherwise."""
    from harness.strategies import UnknownStrategy, get

    try:
        get(strategy)
    except UnknownStrategy as error:
        raise options.UsageError(str(error)) from None
    try:
        runtimes = resolve(spec)
    except RuntimeUnavailable as error:
        raise options.UsageError(str(error)) from None
    for runtime in runtimes:
        available, reason = runtime.measurers.get("scalene", [False, "scalene does not run there"])
        if not available:
            # the catalogue's reason goes on to say what a planned job does without it: not said here
            raise options.UsageError(f"{runtime.label}: {reason.partition(':')[0]}; install it with {INSTALL}")
        available, reason = runtime.strategies.get(strategy.split(":", 1)[-1], [False, "not registered there"])
        if not available:
            raise options.UsageError(f"strategy {strategy!r} is unavailable on {runtime.label}: {reason}")
    return runtimes


def _dataset(path: Optional[Path]) -> Tuple[str, Dict[str, Any]]:
    """The run's key and manifest record of the dataset to profile: ``path`` verified, or the default one
    (generated when missing)."""
    from harness.store import open_dataset

    if path is None:
        found = ensure_datasets((DEFAULT_DATASET,), say=lambda text: print(text, file=sys.stderr))
        entry = found[DEFAULT_DATASET.key]
        return DEFAULT_DATASET.key, lifecycle.dataset_entry(entry["path"], entry["manifest"], entry["spec"])
    dataset = open_dataset(path)  # every row checked against the manifest
    dataset.close()
    return GIVEN_KEY, lifecycle.dataset_entry(path, dataset.manifest)


def _size(size: Optional[int], messages: int) -> int:
    """The job's size: ``size`` when the dataset has that many messages, else the default."""
    if not messages:
        raise options.UsageError("the dataset holds no message to profile")
    if size is None:
        return min(DEFAULT_SIZE, messages)
    if size > messages:
        raise options.UsageError(f"--size {size:,}: the dataset holds {messages:,} messages")
    return size


def _start(args: argparse.Namespace) -> Run:
    """A new run of one profile: the strategy and the interpreters checked before any dataset is made."""
    runtimes = _runtimes(args.python, args.strategy)
    key, entry = _dataset(args.dataset)
    chosen = profile_plan(args.strategy, args.workload, key, _size(args.size, entry["messages"]))
    return lifecycle.begin("profile", chosen, runtimes, {key: entry}, args.out or DEFAULT_ROOT)


def _resume(args: argparse.Namespace) -> Run:
    """The profile run to finish (--resume takes everything from it)."""
    given = {"--dataset": args.dataset, "--size": args.size, "--python": args.python, "--out": args.out}
    return lifecycle.resume("profile", args.resume, [flag for flag, value in given.items() if value is not None])


def run(args: argparse.Namespace) -> int:
    if (args.resume is None) == (args.strategy is None):
        raise options.UsageError("give a STRATEGY to profile, or --resume RUN_DIR (one of them)")
    return lifecycle.conduct("profile", lambda: _start(args) if args.resume is None else _resume(args), _show)


def _show(run: Run) -> None:
    """Each profile's hottest lines and how to open it whole; why a job made none."""
    for result in results.job_results(run.directory, run.manifest):
        job, extra = result["job"], result.get("extra") or {}
        if result.get("status") != "ok" or extra.get("skipped"):
            print(f"{visible(job['id'])}: no profile: {visible(_why_not(result))}", file=sys.stderr)
            continue
        dataset = Path(job["dataset"]).name
        print(f"\n{visible(job['strategy'])} · {job['workload']} · size {job['size']:,} · {visible(dataset)}")
        profile = run.directory / "jobs" / result["artifacts"]["scalene_json"]["path"]
        executable = run.manifest["interpreters"][job["interpreter"]]["executable"]
        for line in [*profile_lines(result), *view_commands(executable, profile)]:
            print(line)


def _why_not(result: Dict[str, Any]) -> str:
    """Why a job made no profile: scalene's absence, or how its job failed and the job's last word."""
    if result.get("status") == "ok":
        return str(result["extra"]["skipped"])
    said = str(result.get("stderr_tail") or "").strip().splitlines()
    return f"{result.get('reason')}" + (f": {said[-1]}" if said else "")


def profile_lines(result: Dict[str, Any]) -> List[str]:
    """A scalene result as text: its CPU split, then its hottest lines with the same split."""
    figures = {figure["metric"]: figure["value"] for figure in result.get("figures", [])}
    split = ", ".join(
        f"{where} {figures.get(f'cpu_{where.lower()}_percent', 0):.0f} %" for where in ("Python", "native", "system")
    )
    lines = [f"scalene {visible(result['extra'].get('scalene', '?'))}: the profile's CPU time in {split}", ""]
    lines.append("  ".join(f"{LINE_COLUMNS[column]:>9}" for column in SHARES) + "  file:line  code")
    hottest = result["extra"].get("top_lines") or []
    for hot in hottest:
        shares = "  ".join(f"{float(hot.get(column) or 0):9.1f}" for column in SHARES)
        lines.append(f"{shares}  {visible(short_path(str(hot['file'])))}:{hot['line']}  {visible(hot['code'])}")
    if not hottest:
        lines.append("(no line got a CPU sample: profile more messages with --size)")
    return lines


def view_commands(executable: str, profile: Path) -> List[str]:
    """How to open the whole profile: in the terminal (the lines with samples) and in a browser (scalene
    writes ``scalene-profile.html`` in the working directory and opens it)."""
    scalene = f"{shlex.quote(executable)} -m scalene view"
    quoted = shlex.quote(str(profile))
    return [
        "",
        f"the whole profile: {visible(profile)}",
        f"  in the terminal:  {visible(scalene)} --cli -r {visible(quoted)}",
        f"  in a browser:     {visible(scalene)} {visible(quoted)}   (writes scalene-profile.html here)",
    ]
