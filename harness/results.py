"""The run store: one directory per run, with provenance, one file per job and a tidy table.

Layout of ``results/<UTC time>-<short id>/``::

    manifest.json        what ran (plan, jobs), where, from which code and data; status
                         running|complete|failed|interrupted
    jobs/<id>.job.json   the job as planned
    jobs/<id>.json       its result (a measurer's output, or the runner's failure record)
    timing/<id>.json     pyperf's own JSON (``python -m pyperf compare_to`` reads it)
    memory/<id>.bin      memray captures, with flamegraphs and summaries beside them
    tidy.csv             one row per figure (TIDY_COLUMNS)
    figures/  report.html

Every file is written atomically. ``results/latest`` points at the newest complete run.
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

from harness.atomic import write_text
from harness.measure.catalogue import GC_MODE_MEASURERS
from harness.measure.job import RESULT_VERSION, Job, JobError

# Result schema versions (manifest.json "schema_version"); older runs are read and upgraded on load:
#   1 — first version: manifest, jobs/<id>.job.json + jobs/<id>.json, tidy.csv with TIDY_COLUMNS;
#       the manifest names its bench plan "profile", tidy.csv holds the MAD in a column "spread".
#   2 — the manifest's "plan" is the plan's name and "jobs" the planned jobs (v1: "profile" and
#       "plan", with "jobs" their ids); tidy.csv column "mad"; results carry "job_sha256".
SCHEMA_VERSION = 2
STATUSES = ("running", "complete", "failed", "interrupted")
TIDY_COLUMNS = (
    "interpreter",
    "implementation",
    "strategy",
    "workload",
    "measurer",
    "gc_mode",
    "size",
    "metric",
    "value",
    "unit",
    "n",
    "mad",
    "job",
    "dataset",
)
TIDY_TYPES = {"size": "Int64", "value": "float64", "n": "Int64", "mad": "float64"}
#: Renamed tidy columns, old spelling -> new.
RENAMED_COLUMNS = {"spread": "mad"}


class RunError(ValueError):
    """A run directory that cannot be used as asked."""


def new_run_dir(root: Path) -> Path:
    """A fresh, empty run directory under ``root`` named by UTC time and a short random id."""
    root = Path(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        path = root / f"{stamp}-{secrets.token_hex(3)}"
        for sub in ("jobs", "timing", "memory", "figures"):
            (path / sub).mkdir(parents=True)
    except OSError as error:
        raise RunError(f"cannot create a run directory under {root}: {error.strerror or error}") from None
    if not os.access(path, os.W_OK):
        raise RunError(f"run directory {path} is not writable")
    return path


def write_json(path: Path, value: Any) -> None:
    write_text(path, json.dumps(value, indent=2, sort_keys=False) + "\n")


def read_json(path: Path) -> Optional[Any]:
    """A JSON file's value, or None when it is missing, truncated or corrupt."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def load_manifest(run_dir: Path) -> Dict[str, Any]:
    manifest = read_json(Path(run_dir) / "manifest.json")
    if not isinstance(manifest, dict) or "schema_version" not in manifest:
        raise RunError(f"{run_dir} is not a harness run directory (no readable manifest.json)")
    if manifest["schema_version"] > SCHEMA_VERSION:
        raise RunError(
            f"{run_dir} has result schema {manifest['schema_version']}; this harness reads up to {SCHEMA_VERSION}"
        )
    if manifest["schema_version"] == 1:
        manifest["jobs"] = manifest.pop("plan", [])
        manifest["plan"] = manifest.pop("profile", None)
    return manifest


def planned_jobs(manifest: Dict[str, Any]) -> List[Job]:
    """The jobs a run's manifest planned; RunError when one is malformed."""
    try:
        return [Job.from_dict(job) for job in manifest.get("jobs", [])]
    except (JobError, TypeError) as error:
        raise RunError(f"the run's manifest holds a malformed job: {error}") from None


def job_results(run_dir: Path) -> Iterator[Dict[str, Any]]:
    """Every readable job result of a run (ok or failed), in job-id order."""
    for path in sorted((Path(run_dir) / "jobs").glob("*.json")):
        if path.name.endswith(".job.json"):
            continue
        result = read_json(path)
        if isinstance(result, dict) and "status" in result:
            yield result


def tidy_rows(results: Iterator[Dict[str, Any]]) -> Iterator[Dict[str, Any]]:
    """One row per figure of every successful job."""
    for result in results:
        if result.get("status") != "ok":
            continue
        job, interpreter = result["job"], result["environment"]["interpreter"]
        for figure in result["figures"]:
            yield {
                "interpreter": f"{interpreter['implementation']} {interpreter['version']}",
                "implementation": interpreter["implementation"],
                "strategy": job["strategy"],
                "workload": job["workload"],
                "measurer": job["measurer"],
                "gc_mode": job["params"].get("gc_mode", "enabled") if job["measurer"] in GC_MODE_MEASURERS else "",
                "size": job["size"],
                "metric": figure["metric"],
                "value": figure["value"],
                "unit": figure["unit"],
                "n": figure["n"],
                "mad": figure.get("mad", figure.get("spread")),
                "job": job["id"],
                "dataset": Path(job["dataset"]).name,
            }


def write_tidy(run_dir: Path) -> int:
    """(Re)write ``tidy.csv`` from the job results; returns the number of rows."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=TIDY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in tidy_rows(job_results(run_dir)):
        writer.writerow(row)
        count += 1
    write_text(Path(run_dir) / "tidy.csv", buffer.getvalue())
    return count


def load_tidy(run_dir: Path) -> Any:
    """``tidy.csv`` as a typed pandas DataFrame (driver side: needs the ``analysis`` extra)."""
    import pandas as pd

    frame = pd.read_csv(
        Path(run_dir) / "tidy.csv",
        dtype={"gc_mode": "string"},
        keep_default_na=False,
        na_values={name: [""] for name in ("value", "mad", "spread", "n", "size")},
    )
    frame = frame.rename(columns=RENAMED_COLUMNS)
    missing = set(TIDY_COLUMNS) - set(frame.columns)
    if missing:
        raise RunError(f"{run_dir}/tidy.csv lacks columns {', '.join(sorted(missing))}")
    return frame.astype(TIDY_TYPES)


def point_latest(root: Path, run_dir: Path) -> None:
    """Make ``root/latest`` a symlink to ``run_dir`` (replaced atomically)."""
    link = Path(root) / "latest"
    temporary = Path(root) / f".latest.{os.getpid()}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(Path(run_dir).name)
    os.replace(temporary, link)


def job_status(run_dir: Path, job_id: str) -> Optional[str]:
    """``ok`` / ``failed`` for a job with a readable result, None when it must (re)run."""
    result = read_json(Path(run_dir) / "jobs" / f"{job_id}.json")
    if isinstance(result, dict) and result.get("status") in ("ok", "failed") and "job" in result:
        return result["status"]
    return None


def failure_record(job: Job, returncode: Optional[int], stderr: str, reason: str) -> Dict[str, Any]:
    """What the runner writes for a job that crashed, timed out or wrote no result."""
    return {
        "result_version": RESULT_VERSION,
        "job": job.to_dict(),
        "status": "failed",
        "reason": reason,
        "returncode": returncode,
        "stderr_tail": stderr[-4000:],
        "figures": [],
    }


def completeness(run_dir: Path, manifest: Dict[str, Any]) -> Dict[str, int]:
    """Planned, ok and failed job counts."""
    identifiers = [job.get("id", "") for job in manifest.get("jobs", [])]
    planned = len(identifiers)
    statuses = [job_status(run_dir, job_id) for job_id in identifiers]
    return {
        "planned": planned,
        "ok": statuses.count("ok"),
        "failed": statuses.count("failed"),
        "missing": statuses.count(None),
    }


def run_fingerprint(environments: List[Dict[str, Any]]) -> str:
    """The run's environment fingerprint: its interpreters' fingerprints, order-independent."""
    import hashlib

    joined = ",".join(sorted(env["fingerprint"] for env in environments))
    return hashlib.sha256(joined.encode()).hexdigest()[:12]
