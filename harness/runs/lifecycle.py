"""A run's life, one for every command that makes runs (``harness bench``, ``harness advise``).

A run begins (``begin``): its jobs are planned on the runtimes in an order a fresh seed fixes, its
manifest records what runs, where and on what (the datasets with their sha256, each runtime's
executable and environment, the git state, the seed) and the digest of that plan
(``plan_sha256``: a resume must find it unchanged), and it gets a fresh directory under the results
root. Or a run is resumed (``resume``): a run of the same command, resumable as planned, its
datasets verified again. ``conduct`` drives either under the run's lock (``drive``) with SIGTERM and
SIGHUP taken as Ctrl-C; however the run ends, its manifest says so (``interrupted``, ``failed``
with the error, ``complete``), a directory that never got its manifest is removed, and a run that
completes becomes ``results/latest-<plan>-<tags>`` and, when it ran the default plan as it stands
on the interpreter the harness runs on, ``results/latest`` — each unless a later run is there (a
resumed run that was complete already is left as it was). Then the command says what the run
found, the report is built, and the exit status is 0 only for a complete run.

Driver side: this module may use Python 3.10+.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from harness.progress import RunProgress
from harness.runs import admission, files, integrity, machine, results, shards
from harness.runs.checkout import git
from harness.runs.files import RunError
from harness.runs.lock import Lock
from harness.runs.plans import PLANS, Plan
from harness.runs.runner import (
    DatasetWatch,
    Stopped,
    check_datasets,
    execute,
    exit_status,
    pending,
    plan,
    signals_held_off,
    stop_signals,
)
from harness.runtime.base import Runtime
from harness.runtime.resolve import recorded
from harness.store import DatasetError, Manifest, dataset_origin

DEFAULT_ROOT = Path("results")
#: The plan ``harness bench`` runs when given none.
DEFAULT_PLAN = "quick"
#: How ``drive`` says a resumed run was complete already and was left untouched.
NOTHING_TO_DO = "nothing to do"


@dataclass
class Run:
    """A run a command drives: its directory and manifest, whether it was begun before (``resumed``),
    and once driven its job counts (ok, failed, skipped, status) and the seconds it took."""

    directory: Path
    manifest: Dict[str, Any]
    resumed: bool = False
    counts: Dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        return self.counts.get("status") in ("complete", NOTHING_TO_DO)


def git_state() -> Dict[str, Any]:
    """The checkout's commit, its committer date (ISO 8601: ``committed``, what ``harness history``
    orders runs by) and whether it has changes (None for each that git cannot tell)."""
    commit = git("rev-parse", "HEAD")
    committed = git("show", "-s", "--format=%cI", "HEAD") if commit else None
    status = git("status", "--porcelain")
    return {"commit": commit, "committed": committed, "dirty": bool(status) if status is not None else None}


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def dataset_entry(path: Path, manifest: Manifest, spec: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """What a run's manifest records of one dataset (verified at ``path``): its sha256, origin and
    size, and the plan's spec of it (None for a dataset the user gave)."""
    return {
        "path": str(Path(path).resolve()),
        "sha256": manifest["sha256"],
        "origin": dataset_origin(manifest),
        "spec": spec,
        "messages": manifest["messages"],
        "parts": manifest["parts"],
    }


def new_manifest(
    command: str,
    chosen: Plan,
    timeout: float,
    datasets: Dict[str, Dict[str, Any]],
    runtimes: Sequence[Runtime],
    notes: List[str],
    jobs: List[Any],
    seed: int,
    default: bool = False,
    shard: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """The manifest a new run of ``harness COMMAND`` starts with: what runs, where, on which
    datasets and runtimes, the seed of the order its jobs run in (``harness.runs.runner.plan``) and the
    digest of that plan (``results.plan_digest``) and the ``latest`` links it becomes when complete
    (``default``: a run of the default plan, whole, on the interpreter the harness runs on; a
    ``shard`` of a plan, ``shards.record``'s, has a link of its own)."""
    tags = [runtime.tag for runtime in runtimes]
    manifest = {
        "schema_version": results.SCHEMA_VERSION,
        "command": command,
        "argv": sys.argv,
        "plan": chosen.name,
        "status": "running",
        "started": now(),
        "finished": None,
        "git": git_state(),
        "timeout": timeout,
        "datasets": datasets,
        "interpreters": {runtime.tag: runtime.record() for runtime in runtimes},
        "fingerprint": results.run_fingerprint([runtime.environment for runtime in runtimes]),
        "notes": notes,
        "interleave_seed": seed,
        "jobs": [job.to_dict() for job in jobs],
        "links": results.latest_names(chosen.name, tags, default, (shard["index"], shard["count"]) if shard else None),
    }
    if shard is not None:
        manifest["shard"] = shard
    manifest["plan_sha256"] = results.plan_digest(manifest)
    return manifest


def begin(
    command: str,
    chosen: Plan,
    runtimes: Sequence[Runtime],
    datasets: Dict[str, Dict[str, Any]],
    root: Path,
    only: Optional[List[str]] = None,
    timeout: Optional[float] = None,
    notes: Sequence[str] = (),
    schema: Optional[str] = None,
    shard: Optional[shards.Shard] = None,
) -> Run:
    """A new run of ``harness COMMAND``: the plan's jobs (only the strategies ``only`` names, built
    from the edited ``schema`` when given; only ``shard``'s share of them when given) on ``runtimes``
    over ``datasets`` (``runner.dataset_entry`` records), its manifest (``notes`` first among its
    notes; ``timeout`` else the plan's) and a fresh directory under ``root``. RunError when nothing
    is left to run."""
    seed = secrets.randbelow(2**32)
    paths = {key: Path(entry["path"]) for key, entry in datasets.items()}
    jobs, skipped = plan(chosen, list(runtimes), paths, only, seed, schema)
    said = [*notes, *skipped]
    if not jobs:
        raise RunError("nothing to run: " + ("; ".join(said) or "the plan has no job"))
    recorded_shard = None
    if shard is not None:
        tags = [runtime.tag for runtime in runtimes]
        mine, recorded_shard = shards.record(shard, command, chosen.name, jobs, datasets, tags)
        if not mine:
            figures = len({shards.figure_group(job) for job in jobs})
            raise RunError(
                f"shard {shard} holds no job: plan {chosen.name} has {figures} figures here (at most {figures} shards)"
            )
        jobs = mine
    admission.refuse_oversized(jobs)
    default = command == "bench" and is_default(chosen, runtimes) and only is None and schema is None and shard is None
    manifest = new_manifest(
        command, chosen, timeout or chosen.timeout, datasets, runtimes, said, jobs, seed, default, recorded_shard
    )
    return Run(results.new_run_dir(root), manifest)


def is_default(chosen: Plan, runtimes: Sequence[Runtime]) -> bool:
    """Whether a plan on ``runtimes`` is the default run: the default plan as it stands, on the
    interpreter the harness runs on alone."""
    return chosen == PLANS[DEFAULT_PLAN] and [runtime.executable for runtime in runtimes] == [sys.executable]


def resume(command: str, directory: Path, given: Sequence[str] = ()) -> Run:
    """The run ``harness COMMAND --resume DIRECTORY`` finishes: readable, resumable as planned
    (``results.check_resumable``), made by that command, its datasets verified again; RunError or
    DatasetError in one line otherwise, and for options ``given`` with ``--resume`` (a resumed run
    takes everything from its manifest)."""
    if given:
        raise RunError(
            f"--resume finishes a run as it was planned; it takes no {', '.join(given)} (start a new run instead)"
        )
    manifest = results.load_manifest(directory)
    results.check_resumable(directory, manifest)
    if manifest["command"] != command:
        raise RunError(
            f"{directory} is a run of harness {manifest['command']}: "
            f"resume it with  {results.resume_command(directory, manifest)}"
        )
    check_datasets(manifest["datasets"])
    admission.refuse_oversized(results.planned_jobs(manifest))
    return Run(directory, manifest, resumed=True)


def conduct(
    command: str,
    start: Callable[[], Run],
    end: Callable[[Run], None],
    report: Optional[Callable[[Path], Path]] = None,
) -> int:
    """Run ``harness COMMAND`` from start to exit status, with SIGTERM and SIGHUP taken as Ctrl-C:
    ``start`` begins or resumes the run, its notes are said, it is driven (``drive``); a complete
    run becomes ``latest``, ``end`` says what it found, ``report`` (when given) builds its report.

    An interrupt says how to resume (exit status 128 + the signal's number); RunError and
    DatasetError propagate (bad input: the caller says it in one line); a file the run cannot
    write is exit status 1. A run directory left without a manifest is removed."""
    began = time.monotonic()
    run: Optional[Run] = None
    with stop_signals():
        try:
            run = start()
            for note in run.manifest["notes"]:
                print(f"note: {note}", file=sys.stderr)
            run.counts, run.manifest = drive(run.directory, None if run.resumed else run.manifest, None, RunProgress())
        except KeyboardInterrupt as interrupt:
            if run is not None and _discard_if_empty(run):
                print(f"interrupted: resume with  harness {command} --resume {run.directory}", file=sys.stderr)
            else:
                print("interrupted before the run began", file=sys.stderr)
            return exit_status(interrupt)
        except (RunError, DatasetError):
            _discard_if_empty(run)
            raise
        except OSError as error:  # e.g. the disk filled up while the runner wrote its own files
            _discard_if_empty(run)
            print(f"harness {command}: error: cannot write the run: {error}", file=sys.stderr)
            return 1
        run.seconds = time.monotonic() - began
        return _ended(command, run, end, report)


def _ended(command: str, run: Run, end: Callable[[Run], None], report: Optional[Callable[[Path], Path]]) -> int:
    """What a driven run says: ``latest`` when complete, the command's words, its report; the exit status."""
    untouched = run.counts["status"] == NOTHING_TO_DO  # left as it was, ``latest`` too
    if run.counts["status"] == "complete":
        directory = run.directory.resolve()  # ``--resume .`` names the run from inside it
        pointed = results.point_latest(directory.parent, directory)
        if pointed:
            print(f"{', '.join(pointed)} -> {directory.name}", file=sys.stderr)
    if untouched:
        print(f"nothing to do: {run.directory} is complete ({run.counts['skipped']} jobs ok)")
    end(run)
    built = None if report is None or untouched else _report(run.directory, report)
    print(f"report: {built}" if built else f"run: {run.directory}")
    if run.complete:
        return 0
    counts = run.manifest["completeness"]
    print(
        f"harness {command}: the run is not complete: {counts['failed'] + counts['missing']} of "
        f"{counts['planned']} jobs failed (their records in {run.directory}/jobs say why); "
        f"rerun them with  harness {command} --resume {run.directory}",
        file=sys.stderr,
    )
    return 1


def _report(run_dir: Path, build: Callable[[Path], Path]) -> Optional[Path]:
    """The report ``build`` makes of the run, or None with the reason on stderr: the run stands without it."""
    try:
        return build(run_dir)
    except ImportError as error:
        print(f"note: no report: the notebooks extra is missing ({error.name})", file=sys.stderr)
    except Exception as error:
        print(f"note: no report: {type(error).__name__}: {error}", file=sys.stderr)
    return None


def _discard_if_empty(run: Optional[Run]) -> bool:
    """Remove a run directory that never got its manifest; True when the run exists."""
    if run is None or (run.directory / "manifest.json").exists():
        return run is not None
    shutil.rmtree(run.directory, ignore_errors=True)
    return False


def finish(run_dir: Path, manifest: Dict[str, Any], status: Optional[str] = None, error: str = "") -> str:
    """Write the tidy table and the manifest's last word on the run; returns the status. Without a
    ``status`` the run is ``complete`` when every planned job verifies as ok, else ``failed``."""
    results.write_tidy(run_dir, manifest)
    counts = results.completeness(run_dir, manifest)
    if status is None:
        status = "complete" if counts["ok"] == counts["planned"] else "failed"
    manifest.update(
        status=status, finished=now(), completeness=counts, concurrent_runs=machine.concurrent_runs(run_dir)
    )
    manifest.pop("error", None)
    if error:
        manifest["error"] = error
    files.write_json(run_dir / "manifest.json", manifest)
    return status


def is_done(run_dir: Path, manifest: Dict[str, Any]) -> bool:
    """Whether a run is complete as it stands: status, every job verified, the tidy table intact."""
    return (
        manifest.get("status") == "complete"
        and not pending(run_dir, results.planned_jobs(manifest))
        and integrity.tidy_problem(run_dir, manifest) is None
    )


def drive(
    run_dir: Path, manifest: Optional[Dict[str, Any]], timeout: Optional[float], progress: Any
) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """Run a run's pending jobs under its lock and record how it ended, whatever happens: Ctrl-C
    (or SIGTERM, SIGHUP: ``Stopped``) leaves it ``interrupted`` (the KeyboardInterrupt propagates),
    any error ``failed`` with the error in the manifest (the error propagates), otherwise
    ``complete`` or ``failed`` (``finish``): complete only when every job verifies and every
    dataset is still the one the run began with. Each job runs on the runtime its manifest records.

    Without a ``manifest`` the run is resumed: its manifest is read under the lock and must be
    resumable as planned (``results.check_resumable``, RunError otherwise, the run untouched), and a
    run that is already done is left untouched (status ``nothing to do``). Returns the job counts
    with ``status``, and the manifest."""
    with Lock(run_dir):
        if manifest is None:
            manifest = results.load_manifest(run_dir)
            results.check_resumable(run_dir, manifest)
            if is_done(run_dir, manifest):
                return {"ok": 0, "failed": 0, "skipped": len(manifest["jobs"]), "status": NOTHING_TO_DO}, manifest
        try:
            manifest.update(status="running", finished=None)
            files.write_json(run_dir / "manifest.json", manifest)
            runtimes = recorded(manifest["interpreters"])
            jobs = results.planned_jobs(manifest)
            datasets = DatasetWatch(manifest["datasets"])
            counts: Dict[str, Any] = execute(
                run_dir, jobs, runtimes, timeout or manifest["timeout"], progress, datasets
            )
            check_datasets(manifest["datasets"])
            counts["status"] = finish(run_dir, manifest)
        except KeyboardInterrupt as interrupt:
            with signals_held_off():
                finish(run_dir, manifest, "interrupted", str(interrupt) if isinstance(interrupt, Stopped) else "")
            raise
        except BaseException as error:
            with signals_held_off():
                _record_failure(run_dir, manifest, error)
            raise
    return counts, manifest


def _record_failure(run_dir: Path, manifest: Dict[str, Any], error: BaseException) -> None:
    text = f"{type(error).__name__}: {error}"
    try:
        finish(run_dir, manifest, "failed", text)
    except Exception:  # the disk that failed the run may refuse the tidy table: the manifest at least
        manifest.update(status="failed", finished=now(), error=text)
        with contextlib.suppress(OSError):
            files.write_json(run_dir / "manifest.json", manifest)
