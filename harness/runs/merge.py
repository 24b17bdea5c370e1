"""Joining the shards of one plan (``harness bench --shard I/N``, ``harness.runs.shards``) into one run.

Nothing is written before every check has passed (``check``; each failure is one RunError line
naming the runs):

- every run is a shard run, complete and verified as ``harness report`` would read it (every job's
  result sealed and belonging to its job, every file it names of its size and sha256, the tidy
  table the one its runner wrote);
- all are shards of one whole plan (the same ``shard.plan_sha256``) and of one commit
  (``git.commit``), split the same number of ways, indices 1..N each exactly once;
- **timing figures are never mixed across machines**: on each interpreter, the shards holding
  figures of a measurer whose catalogue ``comparison`` is neither ``exact`` (the census) nor
  ``counts`` (instruction counts) — that is timing, GC probe, memory and scalene figures, which
  depend on the machine — must share one interpreter fingerprint (build, CPU, packages);
- the shards' jobs together are the whole plan they name (its digest again) and each shard's jobs
  are the share ``shards.partition`` gives it.

The merged run is then written into a hidden temporary directory under the results root (every
job's result and job file, pyperf files, memory captures and machine records copied; the tidy
table and ``timing/suite.json`` rebuilt by ``lifecycle.finish``, as a bench run's are) and renamed
into place: an interrupted merge leaves nothing that looks like a run. Its manifest lists the
whole plan's jobs (each shard's as its runner recorded them), ``command`` ``merge`` and
``merged_from`` (each shard's run directory, index, times and machines); it becomes
``results/latest-<plan>-<tags>``, never ``results/latest``, which is the default plan measured on
the interpreter the harness runs on.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Sequence

from harness.atomic import fsync_path, write_text
from harness.measure import catalogue
from harness.protocol.job import Job
from harness.runs import integrity, lifecycle, machine, results, shards
from harness.runs.files import RunError
from harness.runs.runner import pending

#: How ``harness compare`` judges the figures that may be merged across fingerprints: exact counts.
MERGEABLE_COMPARISONS = ("exact", "counts")


@dataclass(frozen=True)
class ShardRun:
    """A shard run given to the merge: its directory, manifest and planned jobs."""

    directory: Path
    manifest: Dict[str, Any]
    jobs: List[Job]

    @property
    def index(self) -> int:
        return int(self.manifest["shard"]["index"])

    @property
    def count(self) -> int:
        return int(self.manifest["shard"]["count"])

    def tag_fingerprint(self, tag: str) -> str:
        return str(self.manifest["interpreters"][tag].get("fingerprint"))


def _names(runs: Sequence[ShardRun]) -> str:
    return ", ".join(str(run.directory) for run in runs)


def load(directory: Path) -> ShardRun:
    """A shard run that is complete and verified; RunError in one line otherwise."""
    manifest = results.load_manifest(directory)
    entry = manifest.get("shard")
    if entry is None:
        raise RunError(f"{directory} is not a shard run (harness bench --shard I/N makes them)")
    if not (
        all(type(entry.get(key)) is int for key in ("index", "count"))
        and 1 <= entry["index"] <= entry["count"]
        and isinstance(entry.get("plan_sha256"), str)
    ):
        raise RunError(f"{directory}'s manifest records a shard that cannot be: {json.dumps(entry)[:120]}")
    jobs = results.planned_jobs(manifest)
    unverified = pending(directory, jobs)
    problem = (
        f"its status is {manifest['status']}"
        if manifest["status"] != "complete"
        else f"{len(unverified)} of its jobs have no verified result (e.g. {unverified[0].id})"
        if unverified
        else integrity.tidy_problem(directory, manifest)
    )
    if problem:
        raise RunError(
            f"{directory} is not a complete, verified run ({problem}): "
            f"finish it with  harness bench --resume {directory}"
        )
    return ShardRun(Path(directory), manifest, jobs)


def _same(runs: Sequence[ShardRun], value: Any, what: str) -> None:
    """RunError naming the runs by the value they differ in, when they do not all share it."""
    found: Dict[str, List[ShardRun]] = {}
    for run in runs:
        found.setdefault(str(value(run)), []).append(run)
    if len(found) > 1:
        listed = "; ".join(f"{_names(members)}: {shown[:12]}" for shown, members in found.items())
        raise RunError(f"the runs are not of {what} ({listed})")


def check(runs: Sequence[ShardRun]) -> List[ShardRun]:
    """The shard runs in index order when they are the whole of one plan and may be merged (see the
    module's docstring); RunError in one line naming the runs otherwise."""
    _same(runs, lambda run: run.manifest["shard"]["plan_sha256"], "one plan (whole-plan sha256)")
    _same(runs, lambda run: (run.manifest.get("git") or {}).get("commit"), "one commit")
    _same(runs, lambda run: run.count, "one split (shard count)")
    count = runs[0].count
    by_index: Dict[int, List[ShardRun]] = {}
    for run in runs:
        by_index.setdefault(run.index, []).append(run)
    for index, given in sorted(by_index.items()):
        if len(given) > 1:
            raise RunError(f"shard {index}/{count} is given {len(given)} times: {_names(given)}")
    missing = [f"{index}/{count}" for index in range(1, count + 1) if index not in by_index]
    if missing:
        raise RunError(f"shard {', '.join(missing)} missing: given only {_names(runs)}")
    ordered = [by_index[index][0] for index in range(1, count + 1)]
    _check_fingerprints(ordered)
    _check_partition(ordered)
    return ordered


def _timed(run: ShardRun, tag: str) -> bool:
    """Whether the run holds figures on interpreter ``tag`` that depend on the machine."""
    return any(
        job.interpreter == tag and catalogue.measurer(job.measurer).comparison not in MERGEABLE_COMPARISONS
        for job in run.jobs
    )


def _check_fingerprints(runs: Sequence[ShardRun]) -> None:
    """RunError when, on one interpreter, shards of different fingerprints hold machine-dependent figures."""
    for tag in runs[0].manifest["interpreters"]:
        timed = [run for run in runs if _timed(run, tag)]
        if len({run.tag_fingerprint(tag) for run in timed}) > 1:
            listed = "; ".join(f"{run.directory}: {run.tag_fingerprint(tag)}" for run in timed)
            raise RunError(
                f"{tag} ran on different interpreter builds, CPUs or packages in shards holding timing figures "
                f"({listed}), which are never merged across fingerprints: run those shards on one kind of machine"
            )


def _check_partition(runs: Sequence[ShardRun]) -> None:
    """RunError unless the shards' jobs are the whole plan they name, each shard its own share."""
    first = runs[0].manifest
    # each shard's jobs name its own machine's dataset paths: shares and digests are of portable jobs
    portable = [job for run in runs for job in shards.portable_jobs(run.jobs, run.manifest["datasets"])]
    whole = shards.whole_plan_sha256(
        first["command"], first["plan"], portable, first["datasets"], list(first["interpreters"])
    )
    if whole != first["shard"]["plan_sha256"]:
        raise RunError(f"the jobs of {_names(runs)} together are not the plan they name (its sha256 differs)")
    for run, share in zip(runs, shards.partition(portable, len(runs))):
        if {job.id for job in run.jobs} != {job.id for job in share}:
            raise RunError(f"{run.directory}'s jobs are not shard {run.index}/{run.count} of the plan")


def merged_manifest(runs: Sequence[ShardRun]) -> Dict[str, Any]:
    """The merged run's manifest, before ``lifecycle.finish`` gives it its status and tidy table."""
    first = runs[0].manifest
    interpreters: Dict[str, Dict[str, Any]] = {}
    for run in runs:
        for tag, entry in run.manifest["interpreters"].items():
            interpreters.setdefault(tag, entry)  # the lowest shard's record; each shard's in merged_from
    builds = {  # every interpreter build the run's figures come from
        (tag, run.tag_fingerprint(tag)): run.manifest["interpreters"][tag] for run in runs for tag in interpreters
    }
    dirty = [(run.manifest.get("git") or {}).get("dirty") for run in runs]
    manifest: Dict[str, Any] = {
        "schema_version": results.SCHEMA_VERSION,
        "command": "merge",
        "argv": sys.argv,
        "plan": first["plan"],
        "status": "running",
        "started": min(str(run.manifest["started"]) for run in runs),
        "finished": None,
        "git": {**(first.get("git") or {}), "dirty": None if None in dirty else any(dirty)},
        "timeout": max(run.manifest["timeout"] for run in runs),
        "datasets": first["datasets"],
        "interpreters": interpreters,
        "fingerprint": results.run_fingerprint(list(builds.values())),
        "notes": list(dict.fromkeys(note for run in runs for note in run.manifest["notes"])),
        "jobs": [job for run in runs for job in run.manifest["jobs"]],
        "links": results.latest_names(first["plan"], list(interpreters), default=False),
        "merged_plan_sha256": first["shard"]["plan_sha256"],
        "merged_from": [
            {
                "run": str(run.directory),
                "index": run.index,
                "count": run.count,
                "started": run.manifest["started"],
                "finished": run.manifest["finished"],
                "interleave_seed": run.manifest.get("interleave_seed"),
                "machines": {
                    tag: {"machine": entry.get("machine"), "fingerprint": entry.get("fingerprint")}
                    for tag, entry in run.manifest["interpreters"].items()
                },
            }
            for run in runs
        ],
    }
    manifest["plan_sha256"] = results.plan_digest(manifest)
    return manifest


def _artifacts(run: ShardRun, job_id: str) -> List[Path]:
    """The files a job's result names (``artifacts``: pyperf files, memray captures, scalene profiles,
    callgrind files), relative to the run directory."""
    result = json.loads((run.directory / "jobs" / f"{job_id}.json").read_text(encoding="utf-8"))
    named = (result.get("artifacts") or {}).values() if isinstance(result, dict) else ()
    paths = [Path(os.path.normpath(Path("jobs") / str(entry["path"]))) for entry in named if isinstance(entry, dict)]
    outside = [path for path in paths if path.is_absolute() or path.parts[:1] == ("..",)]
    if outside:
        raise RunError(f"{run.directory}: job {job_id} names a file outside its run: {outside[0]}")
    return paths


def _copy_files(run: ShardRun, target: Path) -> None:
    """The shard's job results and job files, every file their results name, and the rest of its
    pyperf and memory folders (flame graphs), into ``target``; RunError when two shards hold a file
    of one name."""
    chosen = {Path("jobs") / name for job in run.jobs for name in (f"{job.id}.json", f"{job.id}.job.json")}
    chosen.update(path for job in run.jobs for path in _artifacts(run, job.id))
    for sub in ("timing", "memory"):
        found = sorted((run.directory / sub).iterdir()) if (run.directory / sub).is_dir() else []
        chosen.update(Path(sub) / file.name for file in found if file.is_file() and not file.name.startswith("suite"))
    for relative in sorted(chosen):
        destination = target / relative
        if destination.exists():
            raise RunError(f"two shards hold {relative} (the second: {run.directory})")
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(run.directory / relative, destination)


def _merge_machine_states(runs: Sequence[ShardRun], target: Path) -> None:
    """One ``machine.json`` holding every shard's job records (the fewest cores of their machines)."""
    found = [machine.states(run.directory) for run in runs]
    cores = [state["cores"] for state in found if isinstance(state.get("cores"), int)]
    jobs = {job: state for found_state in found for job, state in found_state["jobs"].items()}
    merged = {"cores": min(cores) if cores else None, "jobs": jobs}
    write_text(target / machine.STATE_FILE, json.dumps(merged, indent=1) + "\n")


def merge(directories: Sequence[Path], root: Path) -> Path:
    """Check the shard runs and write their merged run under ``root``; its directory. RunError in
    one line, nothing written, when they cannot be merged."""
    runs = check([load(Path(directory)) for directory in directories])
    results.prepare_root(root)
    name = results.run_name()
    temporary = Path(root) / f".merge-{name}"  # hidden, and no run's name until it is whole
    try:
        for sub in results.RUN_SUBDIRECTORIES:
            (temporary / sub).mkdir(parents=True)
        for run in runs:
            _copy_files(run, temporary)
        _merge_machine_states(runs, temporary)
        status = lifecycle.finish(temporary, merged_manifest(runs))
        if status != "complete":  # the copies did not verify: a shard changed while it was copied
            raise RunError(f"the merged run does not verify (status {status}): were {_names(runs)} changed meanwhile?")
        final = Path(root) / name
        os.rename(temporary, final)
        fsync_path(root)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return final
