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
import secrets
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from harness import results
from harness.analysis.summary import print_summary
from harness.commands import options
from harness.interpreters import InterpreterError, resolve
from harness.plans import PLANS
from harness.progress import RunProgress
from harness.results import RunError
from harness.runner import (
    check_named,
    drive,
    ensure_datasets,
    exit_status,
    git_state,
    now,
    plan,
    resumable,
    stop_signals,
)
from harness.store import DatasetError, dataset_origin

DEFAULT_ROOT = Path("results")


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


def run_manifest(
    plan: str,
    timeout: float,
    datasets: Dict[str, Dict[str, Any]],
    interpreters: List[Any],
    notes: List[str],
    jobs: List[Any],
    seed: int,
    command: str = "bench",
) -> Dict[str, Any]:
    """The manifest a new run of ``harness COMMAND`` starts with: what runs, where, on which
    datasets and interpreters, the seed of the order its jobs run in (``harness.runner.plan``) and
    the digest of that plan (``results.plan_digest``: a resume must find it unchanged)."""
    manifest = {
        "schema_version": results.SCHEMA_VERSION,
        "command": command,
        "argv": sys.argv,
        "plan": plan,
        "status": "running",
        "started": now(),
        "finished": None,
        "git": git_state(),
        "timeout": timeout,
        "datasets": datasets,
        "interpreters": {i.tag: {"executable": i.executable, **i.environment} for i in interpreters},
        "fingerprint": results.run_fingerprint([i.environment for i in interpreters]),
        "notes": notes,
        "interleave_seed": seed,
        "jobs": [job.to_dict() for job in jobs],
    }
    manifest["plan_sha256"] = results.plan_digest(manifest)
    return manifest


def _start(args: argparse.Namespace) -> Tuple[Path, Dict[str, Any]]:
    """Datasets, jobs and manifest of a new run, then its (fresh) directory; nothing is left
    behind when any of it fails."""
    chosen = PLANS[plan_name(args)]
    only = _strategies(args.strategies) if args.strategies else None
    unavailable: List[str] = []
    try:
        interpreters = resolve(args.python, notes=unavailable)
    except InterpreterError as error:
        raise options.UsageError(str(error)) from None
    if only is not None:
        check_named(chosen, interpreters, only)
    root = args.out or DEFAULT_ROOT
    results.prepare_root(root)
    datasets = ensure_datasets(chosen.datasets, say=lambda text: print(text, file=sys.stderr))
    seed = secrets.randbelow(2**32)
    jobs, notes = plan(chosen, interpreters, {key: Path(d["path"]) for key, d in datasets.items()}, only, seed)
    notes = unavailable + notes
    if not jobs:
        raise options.UsageError("nothing to run: " + ("; ".join(notes) or "the plan has no job"))
    entries = {
        key: {
            "path": d["path"],
            "sha256": d["manifest"]["sha256"],
            "origin": dataset_origin(d["manifest"]),
            "spec": d["spec"],
            "messages": d["manifest"]["messages"],
            "parts": d["manifest"]["parts"],
        }
        for key, d in datasets.items()
    }
    manifest = run_manifest(chosen.name, args.timeout or chosen.timeout, entries, interpreters, notes, jobs, seed)
    return results.new_run_dir(root), manifest


#: Options a resumed run takes from its manifest; giving one with --resume is refused.
RESUME_CONFLICTS = {
    "plan": "--plan",
    "old_plan": "--profile",
    "strategies": "--strategies",
    "python": "--python",
    "timeout": "--timeout",
    "out": "--out",
}


def _resume(args: argparse.Namespace) -> Tuple[Path, Dict[str, Any]]:
    """The run to resume and its manifest (a bench run, resumable as planned), its datasets
    verified again."""
    given = [flag for name, flag in RESUME_CONFLICTS.items() if getattr(args, name) is not None]
    if given:
        raise options.UsageError(
            f"--resume finishes a run as it was planned; it takes no {', '.join(given)} (start a new run instead)"
        )
    return args.resume, resumable(args.resume, "bench")


def run(args: argparse.Namespace) -> int:
    with stop_signals():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    run_dir: Optional[Path] = None
    began = time.monotonic()
    try:
        if args.resume is not None:
            run_dir, manifest = _resume(args)
        else:
            run_dir, manifest = _start(args)
        for note in manifest["notes"]:
            print(f"note: {note}", file=sys.stderr)
        counts, manifest = drive(run_dir, None if args.resume else manifest, None, RunProgress())
    except KeyboardInterrupt as interrupt:
        if run_dir is not None and _discard_if_empty(run_dir):
            print(f"interrupted: resume with  harness bench --resume {run_dir}", file=sys.stderr)
        else:
            print("interrupted before the run began", file=sys.stderr)
        return exit_status(interrupt)
    except (RunError, DatasetError) as error:
        _discard_if_empty(run_dir)
        raise options.UsageError(str(error)) from None
    except OSError as error:  # e.g. the disk filled up while the runner wrote its own files
        _discard_if_empty(run_dir)
        print(f"harness bench: error: cannot write the run: {error}", file=sys.stderr)
        return 1
    if counts["status"] == "nothing to do":
        print(f"nothing to do: {run_dir} is complete ({counts['skipped']} jobs ok)")
        return 0
    return _report(args, run_dir, manifest, counts, time.monotonic() - began)


def _discard_if_empty(run_dir: Optional[Path]) -> bool:
    """Remove a run directory that never got its manifest; True when the run exists."""
    if run_dir is None or (Path(run_dir) / "manifest.json").exists():
        return run_dir is not None
    shutil.rmtree(run_dir, ignore_errors=True)
    return False


def _report(
    args: argparse.Namespace, run_dir: Path, manifest: Dict[str, Any], counts: Dict[str, Any], took: float
) -> int:
    """What the finished run says: summary, counts, report; exit status 0 only when it is complete."""
    complete = counts["status"] == "complete"
    if complete:
        results.point_latest(Path(run_dir).parent, run_dir)
    print_summary(run_dir)
    print(
        f"{counts['ok']} jobs ok, {counts['failed']} failed, {counts['skipped']} already done; "
        f"{manifest['tidy']['rows']} figures in {took:.0f} s"
    )
    if not args.no_report:
        from harness.analysis.report import build_report

        try:
            path = build_report(run_dir)
        except KeyboardInterrupt as interrupt:
            print("interrupted: the run is recorded; no report written", file=sys.stderr)
            return exit_status(interrupt)
        print(f"report: {path}")
    else:
        print(f"run: {run_dir}")
    if not complete:
        failed = manifest["completeness"]["failed"] + manifest["completeness"]["missing"]
        print(
            f"harness bench: the run is not complete: {failed} of {manifest['completeness']['planned']} jobs "
            f"failed (their records in {run_dir}/jobs say why); rerun them with  harness bench --resume {run_dir}",
            file=sys.stderr,
        )
        return 1
    return 0
