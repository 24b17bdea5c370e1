"""``harness bench``: run a bench plan's jobs, each in a fresh process, into a new run directory.

Jobs run one at a time (--jobs 1): on a two-core machine concurrent benchmarks
disturb each other. Ctrl-C marks the run interrupted; --resume RUN_DIR finishes it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

from harness import results
from harness.commands import options
from harness.interpreters import InterpreterError, resolve
from harness.plans import PLANS
from harness.progress import RunProgress
from harness.results import RunError
from harness.runner import Lock, ensure_datasets, execute, git_state, now, plan
from harness.store import DatasetError
from harness.summary import print_summary

DEFAULT_ROOT = Path("results")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("bench", help="run a bench plan (fresh process per job)", description=__doc__)
    parser.add_argument(
        "--plan", choices=tuple(PLANS), default=None, help="smoke (seconds), quick (default, ~2 min), full (≤30 min)"
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
        help="interpreters: versions (3.11), names (pypy3) or paths, comma-separated (default: the running one)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_ROOT, help="results root (default: %(default)s)")
    parser.add_argument(
        "--resume",
        type=Path,
        default=None,
        metavar="RUN_DIR",
        help="finish an interrupted run: only jobs without a readable result run",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        choices=(1,),
        default=1,
        help="jobs at a time; only 1 (benchmarks on two cores must not overlap)",
    )
    parser.add_argument("--timeout", type=float, default=None, help="seconds per job (default: the plan's)")
    parser.add_argument("--no-report", action="store_true", help="skip the HTML report")
    parser.set_defaults(run=run)


def _strategies(text: str) -> List[str]:
    from harness.strategies import UnknownStrategy, get

    names = [name.strip() for name in text.split(",") if name.strip()]
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


def _start(args: argparse.Namespace) -> Dict[str, Any]:
    """A new run directory with its manifest, datasets and jobs."""
    chosen = PLANS[plan_name(args)]
    only = _strategies(args.strategies) if args.strategies else None
    try:
        interpreters = resolve(args.python)
    except InterpreterError as error:
        raise options.UsageError(str(error)) from None
    run_dir = results.new_run_dir(args.out)
    datasets = ensure_datasets(chosen.datasets, say=lambda text: print(text, file=sys.stderr))
    jobs, notes = plan(chosen, interpreters, {key: Path(d["path"]) for key, d in datasets.items()}, only)
    if not jobs:
        raise options.UsageError("nothing to run: no planned job is available on these interpreters")
    manifest = {
        "schema_version": results.SCHEMA_VERSION,
        "argv": sys.argv,
        "plan": chosen.name,
        "status": "running",
        "started": now(),
        "finished": None,
        "git": git_state(),
        "timeout": args.timeout or chosen.timeout,
        "datasets": {
            key: {
                "path": d["path"],
                "sha256": d["manifest"]["sha256"],
                "spec": d["spec"],
                "messages": d["manifest"]["messages"],
                "parts": d["manifest"]["parts"],
            }
            for key, d in datasets.items()
        },
        "interpreters": {i.tag: {"executable": i.executable, **i.environment} for i in interpreters},
        "fingerprint": results.run_fingerprint([i.environment for i in interpreters]),
        "notes": notes,
        "jobs": [job.to_dict() for job in jobs],
    }
    results.write_json(run_dir / "manifest.json", manifest)
    return {"run_dir": run_dir, "manifest": manifest}


def run(args: argparse.Namespace) -> int:
    try:
        if args.resume is not None:
            run_dir = args.resume
            manifest = results.load_manifest(run_dir)
        else:
            started = _start(args)
            run_dir, manifest = started["run_dir"], started["manifest"]
        with Lock(run_dir):
            manifest.update(status="running", finished=None)
            results.write_json(run_dir / "manifest.json", manifest)
            for note in manifest["notes"]:
                print(f"note: {note}", file=sys.stderr)
            executables = {tag: info["executable"] for tag, info in manifest["interpreters"].items()}
            began = time.monotonic()
            try:
                counts = execute(
                    run_dir, manifest, results.planned_jobs(manifest), executables, manifest["timeout"], RunProgress()
                )
            except KeyboardInterrupt:
                print(f"interrupted: resume with  harness bench --resume {run_dir}", file=sys.stderr)
                return 130
            rows = results.write_tidy(run_dir)
            manifest.update(status="complete", finished=now(), completeness=results.completeness(run_dir, manifest))
            results.write_json(run_dir / "manifest.json", manifest)
            results.point_latest(Path(run_dir).parent, run_dir)
    except (RunError, DatasetError) as error:
        raise options.UsageError(str(error)) from None
    except OSError as error:  # e.g. the disk filled up while the runner wrote its own files
        print(f"harness bench: error: cannot write the run: {error}", file=sys.stderr)
        return 1
    print_summary(run_dir)
    print(
        f"{counts['ok']} jobs ok, {counts['failed']} failed, {counts['skipped']} already done; "
        f"{rows} figures in {time.monotonic() - began:.0f} s"
    )
    if not args.no_report:
        from harness.report import build_report

        print(f"report: {build_report(run_dir)}")
    else:
        print(f"run: {run_dir}")
    return 0
