"""Whether a run's files are what its runner and measurers wrote; nothing is taken on trust.

A job's result counts as ok only when it belongs to the job (``verify_result``): it names the
planned job (with the catalogue's defaults, whatever run directory the job file pointed into)
and the hash of the job file the runner wrote, ends in the seal of its own bytes (the protocol's
``result_sha256``, checked on the file as written, never by re-encoding it), has the protocol's
members, and names every file it wrote beside it, each still there with the size and sha256
recorded. ``tidy.csv`` counts only when its hash is the one the runner recorded in the manifest
(``tidy_problem``). A result's ``result_version`` must be an integer the run's results can have:
the current one in a run of this schema; a run made by an older harness keeps its older results,
checked as far as they can be (version 1 by job id, version 2 by job and job-file hash; version 3
hashed a re-encoding of itself, which is no longer checked: such a result is measured again).
Anything else (missing, a string, a bool) is not a result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

from harness.hashing import file_sha256
from harness.measure import catalogue
from harness.protocol.job import RESULT_KEYS, RESULT_VERSION, SEAL_KEY, Job, JobError, seal_holds


def _read(path: Path) -> Tuple[bytes, Optional[Any]]:
    """A JSON file's bytes and value; no bytes and None when it is no regular file (a FIFO would
    block) or unreadable, None when it is not JSON."""
    if not Path(path).is_file():
        return b"", None
    try:
        data = Path(path).read_bytes()
    except OSError:
        return b"", None
    try:
        return data, json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return data, None


@dataclass(frozen=True)
class Verdict:
    """What a job's result is worth: ``ok``, ``failed`` (a failure record, or a result that does not
    belong to the job: ``reason`` says why) or None (no readable result: the job must run)."""

    status: Optional[str]
    reason: str = ""
    result: Optional[Dict[str, Any]] = None


def verify_result(run_dir: Path, job: Job, oldest: int = RESULT_VERSION) -> Verdict:
    """Whether the result in ``jobs/<id>.json`` is the measured result of this planned job, of a
    ``result_version`` from ``oldest`` to the current one."""
    path = Path(run_dir) / "jobs" / f"{job.id}.json"
    data, result = _read(path)
    if not isinstance(result, dict) or result.get("status") not in ("ok", "failed") or "job" not in result:
        return Verdict(None, "no readable result")
    if result["status"] == "failed":
        return Verdict("failed", str(result.get("reason", "failed")), result)
    version = result.get("result_version")
    problem = _version_problem(version, oldest) or _mismatch(Path(run_dir), job, result, data, path)
    if problem:
        return Verdict("failed", problem, result)
    return Verdict("ok", "", result)


def job_status(run_dir: Path, job: Job, oldest: int = RESULT_VERSION) -> Optional[str]:
    """``ok`` / ``failed`` for a job with a readable result, None when it must (re)run."""
    return verify_result(run_dir, job, oldest).status


def _version_problem(version: Any, oldest: int) -> Optional[str]:
    """Why a result's ``result_version`` is not one the run's results can have, or None."""
    if type(version) is int and oldest <= version <= RESULT_VERSION:
        return None
    expected = str(RESULT_VERSION) if oldest == RESULT_VERSION else f"{oldest} to {RESULT_VERSION}"
    return f"its result_version is {version!r:.20}, not {expected}"


def _identity(job: Job) -> Job:
    """The job as its measurer ran it (defaults filled in), without the run-specific file path."""
    checked = catalogue.check(job)
    artifact = catalogue.measurer(job.measurer).artifact
    if artifact is None:
        return checked
    return replace(checked, params={k: v for k, v in checked.params.items() if k != artifact.param})


def _mismatch(run_dir: Path, job: Job, result: Dict[str, Any], data: bytes, path: Path) -> Optional[str]:
    """Why an ok result (``data``: its file's bytes) is not this job's measured result, or None."""
    recorded, version = result["job"], result["result_version"]
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
    job_file = run_dir / "jobs" / f"{job.id}.job.json"
    try:
        job_hash = file_sha256(job_file) if job_file.is_file() else None
    except OSError:
        job_hash = None
    if job_hash is None:
        return "its job file is missing"
    if result.get("job_sha256") != job_hash:
        return "its job file changed after the job ran"
    if version < 3:
        return None
    if not seal_holds(data):
        return "the result changed after its measurer wrote it"
    members = set(result) - {SEAL_KEY}
    if members != set(RESULT_KEYS):
        missing, unknown = sorted(set(RESULT_KEYS) - members), sorted(members - set(RESULT_KEYS))
        return f"the result does not have the protocol's members (missing: {missing}, unknown: {unknown})"
    artifacts = result["artifacts"]
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
        size = file.stat().st_size if file.is_file() else None
    except (OSError, TypeError, KeyError):
        size = None
    if size is None:
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
    """Why ``tidy.csv`` is not the table the runner wrote, or None (runs of a schema before 3, which
    predate the hash: None)."""
    recorded = manifest.get("tidy")
    path = Path(run_dir) / "tidy.csv"
    if not isinstance(recorded, dict):
        old = manifest.get("schema_version", 1) < 3
        return None if old else f"{path} is not vouched for: the run's manifest records no hash of it"
    try:
        found = file_sha256(path) if path.is_file() else None
    except OSError:
        found = None
    if found is None:
        return f"{path} is missing"
    if found != recorded.get("sha256"):
        return f"{path} is not the table the run wrote (changed since: its sha256 differs)"
    return None
