"""The runner: plan a bench plan's jobs on their runtimes, run each in a fresh process.

Jobs run one at a time (two cores: concurrent benchmarks would disturb each
other). A job that crashes, hangs past the plan's timeout, writes no result or
a result that does not verify (``integrity.verify_result``) is recorded as failed
with its stderr tail, and the run goes on. Each job runs in a process group of
its own that dies with the runner (``harness.measure.lifeline``). SIGTERM and
SIGHUP stop a run as Ctrl-C does (``stop_signals``). A run's life around its
jobs (manifest, lock, resume, how it ended) is ``harness.runs.lifecycle``.

A run's datasets are checked after every job (a file that changed is verified again) and
verified once more before the run is called complete: a dataset replaced while the run was in
progress fails the job that may have read it and stops the run (``DatasetWatch``).
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from harness.measure import catalogue
from harness.measure.lifeline import PARENT_ENV
from harness.protocol.job import Job, JobError
from harness.runs import files, integrity, machine, results
from harness.runs.files import RunError
from harness.runs.plans import ALL, DatasetSpec, Plan, Sweep
from harness.runtime.base import Runtime
from harness.store import DatasetError, ensure_directory, open_dataset, read_manifest, write_dataset

DATASET_DIR = Path("datasets")


def job_id(
    runtime: Runtime,
    measurer: str,
    workload: str,
    dataset: str,
    strategy: str,
    size: int,
    variant: Dict[str, Any],
) -> str:
    parts = [runtime.tag, measurer, workload, dataset, strategy.replace(":", "_"), str(size)]
    parts += [str(value) for value in variant.values()]
    return "-".join(parts)


def _groups(sweeps: Tuple[Sweep, ...]) -> List[List[Sweep]]:
    """The plan's sweeps grouped by (measurer, workload, dataset), in the order each group first
    appears: the jobs of one group are interleaved."""
    groups: Dict[Tuple[str, str, str], List[Sweep]] = {}
    for sweep in sweeps:
        groups.setdefault((sweep.measurer, sweep.workload, sweep.dataset), []).append(sweep)
    return list(groups.values())


def interleave(cells: List[Tuple[Job, int]], rng: random.Random) -> List[Job]:
    """Every cell's repeats in rounds: round r holds the r-th repeat of every cell that has one, in
    an order shuffled per round (A2 C2 B2 after A1 B1 C1), so that the processes of one figure are
    spread over the whole group. A cell of several repeats gets ids ending ``-r1``, ``-r2``, ….
    """
    jobs: List[Job] = []
    for index in range(max((repeats for _, repeats in cells), default=0)):
        round_ = [(job, repeats) for job, repeats in cells if repeats > index]
        rng.shuffle(round_)
        jobs += [replace(job, id=f"{job.id}-r{index + 1}") if repeats > 1 else job for job, repeats in round_]
    return jobs


def plan(
    chosen: Plan,
    runtimes: List[Runtime],
    datasets: Dict[str, Path],
    only: Optional[List[str]] = None,
    seed: int = 0,
    schema: Optional[str] = None,
) -> Tuple[List[Job], List[str]]:
    """Every job of the plan on every runtime, and notes on what was skipped and why.

    The jobs of the sweeps that share a measurer, workload and dataset are interleaved
    (``interleave``), every runtime's together, each round shuffled by a generator seeded with
    ``seed`` and the group's position (record the seed: it fixes the order). Each job passes the
    catalogue's check here, so a mistake in a plan fails before anything runs. With ``schema`` (an
    edited schema file) every job builds its strategy from it."""
    if only is not None:
        check_named(chosen, runtimes, only)
    jobs: List[Job] = []
    notes: List[str] = []
    for position, group in enumerate(_groups(chosen.sweeps)):
        cells: List[Tuple[Job, int]] = []
        for runtime in runtimes:
            for sweep in group:
                planned = _sweep_jobs(chosen, sweep, runtime, datasets, only, schema, notes)
                cells += [(job, sweep.repeats) for job in planned]
        jobs += interleave(cells, random.Random(f"{seed}:{position}"))
    identifiers = [job.id for job in jobs]
    if len(set(identifiers)) != len(identifiers):
        raise RunError(f"plan {chosen.name} plans the same job twice")
    return jobs, list(dict.fromkeys(notes))


def _sweep_jobs(
    chosen: Plan,
    sweep: Sweep,
    runtime: Runtime,
    datasets: Dict[str, Path],
    only: Optional[List[str]],
    schema: Optional[str],
    notes: List[str],
) -> List[Job]:
    """One sweep's jobs on one runtime (one per strategy × size × variant, before repeats); what the
    runtime cannot run goes to ``notes``."""
    known = runtime.strategies
    names = [name for name in known if name] if sweep.strategies == ALL else list(sweep.strategies)
    jobs = []
    for name in names:
        if only is not None and name not in only:
            continue
        skipped = f"{runtime.label}: skipped {name} ({sweep.measurer} {sweep.workload})"
        available, reason = known.get(name.split(":", 1)[-1], [False, "not registered on this runtime"])
        if not available:
            notes.append(f"{skipped}: {reason}")
            continue
        for size in sweep.sizes:
            for variant in sweep.variants:
                job = Job(
                    job_id(runtime, sweep.measurer, sweep.workload, sweep.dataset, name, size, variant),
                    sweep.measurer,
                    name,
                    sweep.workload,
                    str(datasets[sweep.dataset]),
                    size,
                    params={**sweep.params, **variant},
                    interpreter=runtime.tag,
                    schema=schema,
                )
                try:
                    catalogue.check(job)
                except JobError as error:
                    raise RunError(f"plan {chosen.name}: {error}") from None
                refused = runtime.refusal(job)
                if refused:
                    notes.append(f"{skipped}: {refused}")
                    continue
                jobs.append(job)
    return jobs


def check_named(chosen: Plan, runtimes: List[Runtime], only: List[str]) -> None:
    """RunError for a strategy named with --strategies that the plan never runs, or that no
    runtime can run (with each one's reason)."""
    planned = {name for sweep in chosen.sweeps if sweep.strategies != ALL for name in sweep.strategies}
    everything = any(sweep.strategies == ALL for sweep in chosen.sweeps)
    for name in only:
        if not everything and name not in planned:
            raise RunError(f"plan {chosen.name} does not run strategy {name!r} (it runs {', '.join(sorted(planned))})")
        base = name.split(":", 1)[-1]
        reasons = []
        for runtime in runtimes:
            available, reason = runtime.strategies.get(base, [False, "not registered on this runtime"])
            if available:
                break
            reasons.append(f"{runtime.label}: {reason}")
        else:
            raise RunError(f"strategy {name!r} is unavailable ({'; '.join(reasons)})")


def ensure_datasets(
    specs: Tuple[DatasetSpec, ...], directory: Path = DATASET_DIR, say: Callable[[str], None] = print
) -> Dict[str, Dict[str, Any]]:
    """Generate missing datasets (and those an older generator made), verify every one once; their
    paths and manifests by key. A file that is already there is used only when its manifest is the
    spec's dataset."""
    from harness.generate import GENERATOR_VERSION, default_name, spec_mismatch

    ensure_directory(directory)
    found: Dict[str, Dict[str, Any]] = {}
    for spec in specs:
        generation = spec.generation
        path = directory / default_name(generation)
        recorded = read_manifest(path)
        made_by = recorded["origin"].get("generator_version") if recorded else None
        if not path.exists() or made_by != GENERATOR_VERSION:
            say(f"generating {path} ({spec.messages} {spec.profile} messages, generator {GENERATOR_VERSION})")
            write_dataset(path, generation.generate())
        dataset = open_dataset(path)  # verifies every row against the manifest, once per run
        dataset.close()
        problem = spec_mismatch(dataset.manifest, generation)
        if problem:
            raise DatasetError(
                f"{path} is not the {spec.key} dataset this plan needs (its manifest says {problem}); "
                "move it away and it is generated again"
            )
        found[spec.key] = {"path": str(path.resolve()), "manifest": dataset.manifest, "spec": asdict(spec)}
    return found


def dataset_problem(key: str, entry: Dict[str, Any]) -> Optional[str]:
    """Why a run's dataset is no longer the one the run began with (gone, damaged, or intact with
    another sha256), or None. Every row is hashed again."""
    path = Path(entry["path"])
    try:
        dataset = open_dataset(path)
    except DatasetError as error:
        return str(error)
    dataset.close()
    if dataset.manifest.get("sha256") != entry.get("sha256"):
        return (
            f"dataset {key} ({path}) changed since the run began: sha256 "
            f"{str(dataset.manifest.get('sha256'))[:12]}…, the run measured {str(entry.get('sha256'))[:12]}…"
        )
    return None


def check_datasets(recorded: Dict[str, Dict[str, Any]]) -> None:
    """Verify a run's datasets again (before a resume, and before a run is called complete): each
    must still be there, intact and the one the run began with (its sha256); DatasetError naming
    the first that is not."""
    for key, entry in recorded.items():
        problem = dataset_problem(key, entry)
        if problem:
            raise DatasetError(f"{problem}; start a new run")


def _stamp(path: str) -> Optional[Tuple[int, int, int, int]]:
    """What changes when a file is replaced or written: device, inode, size, modification time."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns


class DatasetWatch:
    """A run's datasets, looked at after every job: one whose file changed since the last look
    (replaced, written, removed) is verified again (``dataset_problem``)."""

    def __init__(self, recorded: Dict[str, Dict[str, Any]]) -> None:
        self.recorded = recorded
        self.stamps = {key: _stamp(entry["path"]) for key, entry in recorded.items()}

    def changed(self) -> Optional[Tuple[str, str]]:
        """(path, why) of the first dataset that is no longer the run's, or None."""
        for key, entry in self.recorded.items():
            stamp = _stamp(entry["path"])
            if stamp is not None and stamp == self.stamps[key]:
                continue
            problem = dataset_problem(key, entry)
            if problem:
                return entry["path"], problem
            self.stamps[key] = stamp
        return None


def job_file(run_dir: Path, job: Job) -> Job:
    """The job as its measurer gets it: the files the catalogue says it writes placed in the run."""
    artifact = catalogue.measurer(job.measurer).artifact
    if artifact is None:
        return job
    return job.with_params(**{artifact.param: str(run_dir / artifact.directory / f"{job.id}{artifact.suffix}")})


def _kill_group(process: subprocess.Popen) -> None:
    """Kill a job's whole process group (pyperf's workers, memray's renderer too). The group may
    be gone already: its leader exited and was reaped, and nothing else was left in it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def run_job(job: Job, runtime: Runtime, run_dir: Path, timeout: float) -> str:
    """Run one job in a fresh process of its runtime; record a failure when it produces no verified
    result. Returns its status."""
    jobs_dir = run_dir / "jobs"
    spec = job_file(run_dir, job)
    path, out = jobs_dir / f"{job.id}.job.json", jobs_dir / f"{job.id}.json"
    out.unlink(missing_ok=True)
    files.write_json(path, spec.to_dict())
    command = runtime.job_command(job, path, out)
    with (
        machine.Watch(run_dir) as watch,
        subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,
            env={**os.environ, PARENT_ENV: str(os.getpid())},
        ) as process,
    ):
        timed_out = False
        try:
            _, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(process)
            _, stderr = process.communicate()
        except BaseException:  # Ctrl-C (or anything else): the job must not outlive the runner
            _kill_group(process)
            raise
        _kill_group(process)  # anything the job left behind in its group
    machine.record(run_dir, job.id, watch.state)
    if timed_out:
        files.write_json(out, results.failure_record(spec, None, stderr, f"timed out after {timeout:g} s"))
        return "failed"
    verdict = integrity.verify_result(run_dir, job)
    if process.returncode == 0 and verdict.status == "ok":
        return "ok"
    if process.returncode:
        reason = f"exit status {process.returncode}"
    elif verdict.status is None:
        reason = "no result written"
    else:
        reason = f"its result does not verify: {verdict.reason}"
    files.write_json(out, results.failure_record(spec, process.returncode, stderr, reason))
    return "failed"


def execute(
    run_dir: Path,
    jobs: List[Job],
    runtimes: Dict[str, Runtime],
    timeout: float,
    progress: Any,
    datasets: Optional[DatasetWatch] = None,
) -> Dict[str, int]:
    """Run every job that has no verified result yet; counts of ok, failed and skipped jobs. With
    ``datasets``, a dataset that changed while a job ran fails that job (when it read it) and stops
    the run with DatasetError."""
    todo = pending(run_dir, jobs)
    counts = {"ok": 0, "failed": 0, "skipped": len(jobs) - len(todo)}
    progress.start(len(jobs), counts["skipped"])
    try:
        for job in todo:
            progress.job(job.id)
            status = run_job(job, runtimes[job.interpreter or ""], run_dir, timeout)
            changed = datasets.changed() if datasets is not None else None
            if changed:
                _dataset_changed(run_dir, job, *changed)
            counts[status] += 1
            progress.done(status)
    finally:
        progress.stop()
    return counts


def _dataset_changed(run_dir: Path, job: Job, path: str, why: str) -> None:
    """Fail ``job`` when it read the dataset that changed, and stop the run: DatasetError."""
    if job.dataset == path:
        reason = f"its dataset changed while it ran: {why}"
        files.write_json(run_dir / "jobs" / f"{job.id}.json", results.failure_record(job, None, "", reason))
    raise DatasetError(f"{why}; the run stopped (the jobs before stand): start a new run")


def pending(run_dir: Path, jobs: List[Job]) -> List[Job]:
    """The jobs without a verified ok result."""
    return [job for job in jobs if integrity.job_status(run_dir, job) != "ok"]


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, taken as Ctrl-C is: the run ends ``interrupted``, the command with
    exit status 128 + the signal's number (``exit_status``)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


#: The signals that stop a run as Ctrl-C does: a service manager's, a closed terminal's.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def stop_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP raise ``Stopped`` while the block runs (one that is ignored, as under
    ``nohup``, stays ignored)."""

    def stop(signum: int, frame: Any) -> None:
        raise Stopped(signum)

    previous = {}
    for signum in STOP_SIGNALS:
        if signal.getsignal(signum) != signal.SIG_IGN:
            previous[signum] = signal.signal(signum, stop)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def exit_status(interrupt: KeyboardInterrupt) -> int:
    """A command's exit status after an interrupt: 128 + the signal's number (130 for Ctrl-C)."""
    return 128 + getattr(interrupt, "signum", signal.SIGINT)


@contextlib.contextmanager
def signals_held_off() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP ignored while the run's last record is written: a second one must
    not cut that record short and leave the run "running"."""
    previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in (signal.SIGINT, *STOP_SIGNALS)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
