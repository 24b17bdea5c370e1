"""Whether a run's files are what its runner and measurers wrote; nothing is taken on trust.

A job's result counts as ok only when it belongs to the job (``verify_result``): it names the
planned job (with the catalogue's defaults, whatever run directory the job file pointed into),
the hash of the job file the runner wrote, its own hash, and every file it wrote beside it, each
still there with the size and sha256 recorded. ``tidy.csv`` counts only when its hash is the
one the runner recorded in the manifest (``tidy_problem``). Results of older versions are checked
as far as they can be: version 1 by job id, version 2 by job and job-file hash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

from harness.measure import catalogue
from harness.measure.job import Job, JobError, file_sha256, job_sha256, result_sha256


def _read(path: Path) -> Optional[Any]:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class Verdict:
    """What a job's result is worth: ``ok``, ``failed`` (a failure record, or a result that does not
    belong to the job: ``reason`` says why) or None (no readable result: the job must run)."""

    status: Optional[str]
    reason: str = ""
    result: Optional[Dict[str, Any]] = None


def verify_result(run_dir: Path, job: Job) -> Verdict:
    """Whether the result in ``jobs/<id>.json`` is the measured result of this planned job."""
    path = Path(run_dir) / "jobs" / f"{job.id}.json"
    result = _read(path)
    if not isinstance(result, dict) or result.get("status") not in ("ok", "failed") or "job" not in result:
        return Verdict(None, "no readable result")
    if result["status"] == "failed":
        return Verdict("failed", str(result.get("reason", "failed")), result)
    problem = _mismatch(Path(run_dir), job, result, path)
    if problem:
        return Verdict("failed", problem, result)
    return Verdict("ok", "", result)


def job_status(run_dir: Path, job: Job) -> Optional[str]:
    """``ok`` / ``failed`` for a job with a readable result, None when it must (re)run."""
    return verify_result(run_dir, job).status


def _identity(job: Job) -> Job:
    """The job as its measurer ran it (defaults filled in), without the run-specific file path."""
    checked = catalogue.check(job)
    artifact = catalogue.measurer(job.measurer).artifact
    if artifact is None:
        return checked
    return replace(checked, params={k: v for k, v in checked.params.items() if k != artifact.param})


def _mismatch(run_dir: Path, job: Job, result: Dict[str, Any], path: Path) -> Optional[str]:
    """Why an ok result is not this job's measured result, or None."""
    recorded, version = result["job"], result.get("result_version", 1)
    if not isinstance(recorded, dict) or recorded.get("id") != job.id:
        other = recorded.get("id") if isinstance(recorded, dict) else recorded
        return f"the result belongs to job {other!r}"
    if version < 2:  # results before job hashes: the id is all there is to check
        return None
    try:
        if _identity(Job.from_dict(recorded)) != _identity(job):
            return "the result was measured from another job specification"
    except JobError as error:
        return f"the result's job is malformed: {error}"
    try:
        job_text = (run_dir / "jobs" / f"{job.id}.job.json").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return "its job file is missing"
    if result.get("job_sha256") != job_sha256(job_text):
        return "its job file changed after the job ran"
    if version < 3:
        return None
    if result.get("result_sha256") != result_sha256(result):
        return "the result changed after its measurer wrote it"
    artifacts = result.get("artifacts")
    if not isinstance(artifacts, dict):
        return "the result does not list its files"
    for name, entry in artifacts.items():
        problem = _artifact_problem(path.parent, name, entry)
        if problem:
            return problem
    return None


def _artifact_problem(base: Path, name: str, entry: Any) -> Optional[str]:
    try:
        file = base / entry["path"]
        size = file.stat().st_size
    except (OSError, TypeError, KeyError):
        return f"its {name} file is missing"
    if size != entry.get("bytes"):
        return f"its {name} file {file.name} has {size} bytes, not the {entry.get('bytes')} written"
    if _cached_sha256(file) != entry.get("sha256"):
        return f"its {name} file {file.name} changed after the job wrote it"
    return None


_HASHES: Dict[Tuple[str, int, int, int], str] = {}


def _cached_sha256(path: Path) -> str:
    """A file's sha256, hashed once per version of the file in this process (captures are large)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if key not in _HASHES:
        _HASHES[key] = file_sha256(path)
    return _HASHES[key]


def tidy_problem(run_dir: Path, manifest: Dict[str, Any]) -> Optional[str]:
    """Why ``tidy.csv`` is not the table the runner wrote, or None (runs before the hash: None)."""
    recorded = manifest.get("tidy")
    if not isinstance(recorded, dict):
        return None
    path = Path(run_dir) / "tidy.csv"
    try:
        found = file_sha256(path)
    except OSError:
        return f"{path} is missing"
    if found != recorded.get("sha256"):
        return f"{path} is not the table the run wrote (changed since: its sha256 differs)"
    return None
