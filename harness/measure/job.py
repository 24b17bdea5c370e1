"""The job protocol: ``python -m harness.measure.<measurer> --job job.json --out result.json``.

A job names one (strategy, workload, measurer, size) on one dataset; it runs in a
fresh interpreter, and the result — figures plus the environment they were
measured in — is written atomically. A measurer writes nothing when it fails;
the runner records the exit status and stderr instead.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from harness.atomic import write_text
from harness.measure.environment import environment

RESULT_VERSION = 1


class JobError(ValueError):
    """A job file that cannot be run as written."""


@dataclass(frozen=True)
class Job:
    """One measurement to run in a fresh process."""

    id: str
    measurer: str
    strategy: str
    workload: str
    dataset: str
    size: int
    session: Optional[str] = None
    params: Dict[str, Any] = field(default_factory=dict)
    verify_dataset: bool = False

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> Job:
        names = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - names
        if unknown:
            raise JobError(f"unknown job keys: {', '.join(sorted(unknown))}")
        try:
            job = cls(**data)
        except TypeError as error:
            raise JobError(f"incomplete job: {error}") from None
        if not isinstance(job.size, int) or job.size < 0:
            raise JobError(f"job size must be a non-negative integer, got {job.size!r}")
        return job


@dataclass
class Figure:
    """One number a measurer produced: a row of the tidy results table."""

    metric: str
    value: float
    unit: str
    n: int = 1
    spread: Optional[float] = None


GC_MODES = ("enabled", "disabled", "freeze")


def check_workload(job: Job) -> None:
    """JobError, suggesting the closest name, when the job's workload does not exist."""
    from harness.workloads import WORKLOADS

    if job.workload not in WORKLOADS:
        close = difflib.get_close_matches(job.workload, list(WORKLOADS), n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"choose from {', '.join(WORKLOADS)}"
        raise JobError(f"unknown workload {job.workload!r}; {hint}")


def checked_gc_mode(job: Job, modes: Tuple[str, ...] = GC_MODES) -> str:
    """The job's ``params.gc_mode`` (default ``enabled``) once its workload and mode are known names."""
    check_workload(job)
    mode = job.params.get("gc_mode", "enabled")
    if mode not in modes:
        raise JobError(f"unknown gc_mode {mode!r}; choose from {', '.join(modes)}")
    return mode


def load_job(path: Path) -> Job:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise JobError(f"cannot read job {path}: {error}") from None
    if not isinstance(data, dict):
        raise JobError(f"job {path} is not a JSON object")
    return Job.from_dict(data)


def write_result(path: Path, job: Job, figures: List[Figure], started: float,
                 extra: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Write a job's result atomically and return it."""
    result = {
        "result_version": RESULT_VERSION,
        "job": asdict(job),
        "status": "ok",
        "started": started,
        "finished": time.time(),
        "environment": environment(),
        "figures": [asdict(figure) for figure in figures],
        "extra": extra or {},
    }
    write_text(path, json.dumps(result, indent=2) + "\n")
    return result


def arguments(argv: Optional[List[str]] = None, description: str = "") -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--job", type=Path, required=True, help="job JSON file")
    parser.add_argument("--out", type=Path, required=True, help="result JSON file (written atomically)")
    return parser.parse_args(argv)


def run_measurer(measure: Callable[[Job, Path], Dict[str, Any]], argv: Optional[List[str]] = None,
                 description: str = "") -> int:
    """Entry point of a plain (non-pyperf) measurer module: load, measure, write; exit 2 on a bad job."""
    args = arguments(argv, description)
    started = time.time()
    try:
        job = load_job(args.job)
        outcome = measure(job, args.out)
    except JobError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    write_result(args.out, job, outcome["figures"], started, outcome.get("extra"))
    return 0
