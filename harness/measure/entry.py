"""How a measurer process starts: read the job file, check it, measure, write the result.

Every measurer's ``__main__`` goes through ``run_measurer`` (timing, whose process is
pyperf's, through ``load``), so every job is validated the same way: the file (types,
nesting), the catalogue (measurer, workload, parameters) and the measurer it was sent to.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from harness.measure import catalogue
from harness.measure.job import Job, JobError, read_job, write_result

Measure = Callable[[Job, Path], Dict[str, Any]]


def load(path: Path, measurer: str) -> Tuple[Job, str]:
    """The checked job of a job file (defaults filled in) and the file's hash."""
    job, job_hash = read_job(path)
    if job.measurer != measurer:
        raise JobError(f"job {job.id!r} is for the {job.measurer} measurer, not {measurer}")
    return catalogue.check(job), job_hash


def arguments(argv: Optional[List[str]] = None, description: str = "") -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--job", type=Path, required=True, help="job JSON file")
    parser.add_argument("--out", type=Path, required=True, help="result JSON file (written atomically)")
    return parser.parse_args(argv)


def run_measurer(measurer: str, measure: Measure, argv: Optional[List[str]] = None, description: str = "") -> int:
    """Entry point of a plain (non-pyperf) measurer: load, check, measure, write; exit 2 on a bad job."""
    args = arguments(argv, description)
    started = time.time()
    try:
        job, job_hash = load(args.job, measurer)
        outcome = measure(job, args.out)
    except JobError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    write_result(args.out, job, job_hash, outcome["figures"], started, outcome.get("extra"))
    return 0
