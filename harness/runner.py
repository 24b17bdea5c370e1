"""The bench runner: plan a bench plan's jobs, run each in a fresh process, record everything.

Jobs run one at a time (two cores: concurrent benchmarks would disturb each
other). A job that crashes, hangs past the plan's timeout or writes no
result is recorded as failed with its stderr tail, and the run goes on. Ctrl-C
marks the run ``interrupted``; ``--resume RUN_DIR`` runs only the jobs without a
readable result. A lock file keeps two runners out of one run directory.
"""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from harness import results
from harness.interpreters import Interpreter
from harness.measure import catalogue
from harness.measure.job import Job, JobError
from harness.plans import ALL, DatasetSpec, Plan
from harness.results import RunError
from harness.store import default_name, open_dataset, write_dataset

DATASET_DIR = Path("datasets")


def job_id(
    interpreter: Interpreter,
    measurer: str,
    workload: str,
    dataset: str,
    strategy: str,
    size: int,
    variant: Dict[str, Any],
) -> str:
    parts = [interpreter.tag, measurer, workload, dataset, strategy.replace(":", "_"), str(size)]
    parts += [str(value) for value in variant.values()]
    return "-".join(parts)


def plan(
    chosen: Plan, interpreters: List[Interpreter], datasets: Dict[str, Path], only: Optional[List[str]] = None
) -> Tuple[List[Job], List[str]]:
    """Every job of the plan for every interpreter, and notes on what was skipped and why.
    Each job passes the catalogue's check here, so a mistake in a plan fails before anything runs."""
    jobs: List[Job] = []
    notes: List[str] = []
    for interpreter in interpreters:
        known = interpreter.strategies
        for sweep in chosen.sweeps:
            names = [name for name in known if name] if sweep.strategies == ALL else list(sweep.strategies)
            for name in names:
                if only is not None and name not in only:
                    continue
                base = name.split(":", 1)[-1]
                available, reason = known.get(base, [False, "not registered on this interpreter"])
                if not available:
                    notes.append(f"{interpreter.label}: skipped {name} ({sweep.measurer} {sweep.workload}): {reason}")
                    continue
                for size in sweep.sizes:
                    for variant in sweep.variants:
                        job = Job(
                            job_id(interpreter, sweep.measurer, sweep.workload, sweep.dataset, name, size, variant),
                            sweep.measurer,
                            name,
                            sweep.workload,
                            str(datasets[sweep.dataset]),
                            size,
                            params={**sweep.params, **variant},
                            interpreter=interpreter.tag,
                        )
                        try:
                            catalogue.check(job)
                        except JobError as error:
                            raise RunError(f"plan {chosen.name}: {error}") from None
                        jobs.append(job)
    identifiers = [job.id for job in jobs]
    if len(set(identifiers)) != len(identifiers):
        raise RunError(f"plan {chosen.name} plans the same job twice")
    return jobs, list(dict.fromkeys(notes))


def ensure_datasets(
    specs: Tuple[DatasetSpec, ...], directory: Path = DATASET_DIR, say: Callable[[str], None] = print
) -> Dict[str, Dict[str, Any]]:
    """Generate missing datasets, verify every one once; their paths and manifests by key."""
    from harness.generate import generate

    directory.mkdir(parents=True, exist_ok=True)
    found: Dict[str, Dict[str, Any]] = {}
    for spec in specs:
        path = directory / default_name(
            spec.profile, spec.seed, spec.messages, spec.avg_parts, spec.sessions, spec.overrides
        )
        if not path.exists():
            say(f"generating {path} ({spec.messages} {spec.profile} messages)")
            write_dataset(
                path, generate(spec.profile, spec.seed, spec.messages, spec.avg_parts, spec.sessions, spec.overrides)
            )
        dataset = open_dataset(path)  # verifies every row against the manifest, once per run
        dataset.close()
        found[spec.key] = {"path": str(path.resolve()), "manifest": dataset.manifest, "spec": asdict(spec)}
    return found


class Lock:
    """``<run>/.lock`` holding the runner's pid; a stale lock (dead pid) is taken over."""

    def __init__(self, run_dir: Path) -> None:
        self.path = Path(run_dir) / ".lock"

    def __enter__(self) -> Lock:
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                holder = self._holder()
                if holder is not None and _alive(holder):
                    raise RunError(f"run directory {self.path.parent} is in use by process {holder}") from None
                self.path.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "w") as handle:
                handle.write(str(os.getpid()))
            return self
        raise RunError(f"cannot lock {self.path.parent}")

    def _holder(self) -> Optional[int]:
        try:
            return int(self.path.read_text().strip())
        except (OSError, ValueError):
            return None

    def __exit__(self, *exc: Any) -> None:
        self.path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def job_file(run_dir: Path, job: Job) -> Job:
    """The job as its measurer gets it: the files the catalogue says it writes placed in the run."""
    artifact = catalogue.measurer(job.measurer).artifact
    if artifact is None:
        return job
    return job.with_params(**{artifact.param: str(run_dir / artifact.directory / f"{job.id}{artifact.suffix}")})


def run_job(job: Job, executable: str, run_dir: Path, timeout: float) -> str:
    """Run one job in a fresh interpreter; record a failure when it produces no result. Returns its status."""
    jobs_dir = run_dir / "jobs"
    spec = job_file(run_dir, job)
    path, out = jobs_dir / f"{job.id}.job.json", jobs_dir / f"{job.id}.json"
    results.write_json(path, spec.to_dict())
    out.unlink(missing_ok=True)
    entry = catalogue.measurer(job.measurer)
    command = [executable, "-m", entry.module, "--job", str(path), "--out", str(out), *entry.command_args]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        _, stderr = process.communicate()
        results.write_json(out, results.failure_record(spec, None, stderr, f"timed out after {timeout:g} s"))
        return "failed"
    except KeyboardInterrupt:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    if process.returncode == 0 and results.job_status(run_dir, job.id) == "ok":
        return "ok"
    reason = f"exit status {process.returncode}" if process.returncode else "no result written"
    results.write_json(out, results.failure_record(spec, process.returncode, stderr, reason))
    return "failed"


def git_state() -> Dict[str, Any]:
    def git(*args: str) -> Optional[str]:
        try:
            done = subprocess.run(["git", *args], capture_output=True, text=True, timeout=10)
        except OSError:
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def execute(
    run_dir: Path, manifest: Dict[str, Any], jobs: List[Job], executables: Dict[str, str], timeout: float, progress: Any
) -> Dict[str, int]:
    """Run every job that has no readable result yet; the manifest says how far the run got."""
    counts = {"ok": 0, "failed": 0, "skipped": 0}
    todo = []
    for job in jobs:
        if results.job_status(run_dir, job.id) == "ok":
            counts["skipped"] += 1
        else:
            todo.append(job)
    progress.start(len(jobs), counts["skipped"])
    try:
        for job in todo:
            progress.job(job.id)
            status = run_job(job, executables[job.interpreter], run_dir, timeout)
            counts[status] += 1
            progress.done(status)
    except KeyboardInterrupt:
        manifest.update(status="interrupted", finished=now())
        results.write_json(run_dir / "manifest.json", manifest)
        results.write_tidy(run_dir)
        raise
    finally:
        progress.stop()
    return counts
