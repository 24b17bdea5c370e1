"""``harness trial``: the noise trial — two runs of a plan from this checkout, the second beside a CPU hog.

Runs ``harness bench --plan PLAN --out DIR`` twice, one after the other. During the second, ``--hogs``
plain Python busy loops (one core each) run for its whole length: started and stopped here, each
also stopping on its own after ``HOG_LIMIT`` seconds and dying with this process. The two runs are
then held to the checks of ``harness.analysis.trial`` (the same answer, no contradicted finding, nothing
``harness compare`` calls changed, the two headline ratios within 15 %), printed one per line with
what each saw (the runs' own output goes to stderr). Each trial has a folder of its own,
``DIR/<time>/``, holding its two runs and ``trial.json`` (the checks), so that trials never take
each other's runs. Exit status 0 when every check passes, 1 when one fails or a run is not
complete, 130 on Ctrl-C (the hogs are stopped).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, List

from harness.runs import files
from harness.runs.plans import PLANS
from harness.terminal import visible

DEFAULT_ROOT = Path("results") / "trial"
#: Seconds a hog spins at most, should this process vanish without stopping it.
HOG_LIMIT = 4 * 3600
_HOG = (  # Ctrl-C is the trial's to handle: the loop ignores it and is stopped by the trial
    "from harness.measure.lifeline import die_with_parent\n"
    "import signal, time\n"
    "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
    "die_with_parent()\n"
    f"end = time.monotonic() + {HOG_LIMIT}\n"
    "while time.monotonic() < end:\n"
    "    pass\n"
)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "trial", help="two runs, the second beside a CPU hog: does what they publish agree?", description=__doc__
    )
    parser.add_argument("--plan", choices=tuple(PLANS), default="quick", help="the plan of both runs (default: quick)")
    parser.add_argument("--out", type=Path, default=DEFAULT_ROOT, help=f"results root (default: {DEFAULT_ROOT})")
    parser.add_argument("--hogs", type=_hogs, default=1, help="busy loops beside the second run, 1 or more (default 1)")
    parser.add_argument("--no-report", action="store_true", help="skip the two runs' HTML reports")
    parser.set_defaults(run=run)


def _hogs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= (os.cpu_count() or 1):
        raise argparse.ArgumentTypeError(f"expected 1 to {os.cpu_count() or 1} (the cores here), got {text!r}")
    return value


@contextlib.contextmanager
def hogs(count: int) -> Iterator[List[subprocess.Popen]]:
    """``count`` busy loops for the length of the block."""
    from harness.measure.lifeline import PARENT_ENV

    env = {**os.environ, PARENT_ENV: str(os.getpid())}
    started = [subprocess.Popen([sys.executable, "-c", _HOG], env=env) for _ in range(count)]
    try:
        yield started
    finally:
        for process in started:
            process.kill()
            process.wait()


class Incomplete(Exception):
    """A run of the trial that did not complete."""


def _bench(args: argparse.Namespace, root: Path, label: str) -> Path:
    """One bench run into ``root``; its run directory (the link it made there), or Incomplete."""
    from harness.runs.results import LATEST

    print(f"trial: run {label} (plan {args.plan})", file=sys.stderr, flush=True)
    command = [sys.executable, "-m", "harness", "bench", "--plan", args.plan, "--out", str(root)]
    done = subprocess.run(command + (["--no-report"] if args.no_report else []), stdout=sys.stderr)
    if done.returncode == 130:
        raise KeyboardInterrupt
    if done.returncode != 0:
        raise Incomplete(f"run {label} did not complete (exit status {done.returncode}); no trial")
    made = list(root.glob(f"{LATEST}-{args.plan}-*"))  # the trial's own root: one interpreter, one link
    if len(made) != 1:
        raise Incomplete(f"run {label} left {len(made)} links {LATEST}-{args.plan}-* in {root}; no trial")
    return made[0].resolve()


def run(args: argparse.Namespace) -> int:
    from harness.analysis.trial import checks
    from harness.runs import results

    root = args.out / datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    try:  # Ctrl-C: the busy loops are stopped, and the command says "interrupted" (exit status 130)
        results.prepare_root(root)
        quiet = _bench(args, root, "A (as the machine is)")
        with hogs(args.hogs):
            busy = _bench(args, root, f"B (beside {args.hogs} busy loop{'s' if args.hogs > 1 else ''})")
    except Incomplete as error:
        print(f"harness trial: {error}", file=sys.stderr)
        return 1
    found = checks(quiet, busy)
    print(f"A: {visible(quiet)}\nB: {visible(busy)}")
    for check in found:
        print(f"{'pass' if check.passed else 'FAIL'}  {check.name}: {visible(check.detail)}")
    record = {"plan": args.plan, "hogs": args.hogs, "a": str(quiet), "b": str(busy)}
    files.write_json(root / "trial.json", {**record, "checks": [asdict(check) for check in found]})
    return 0 if all(check.passed for check in found) else 1
