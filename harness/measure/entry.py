"""How a measurer process starts: read the job file, check it, measure, write the result.

Every measurer's ``__main__`` goes through ``run_measurer`` (timing, whose process is
pyperf's, through ``load``), so every job is validated the same way: the file (types,
nesting), the catalogue (measurer, workload, parameters), the measurer it was sent to and a
strategy that can run here. A bad job is one line on stderr and exit status 2; a result or a
file beside it that cannot be written whole (``OutputError``, ``OSError``: disk full, file size
limit) is one line and exit status 1, and no result is written.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from harness.measure import catalogue
from harness.measure.lifeline import die_with_parent
from harness.protocol.job import Job, JobError, OutputError, read_job, write_result
from harness.schemas import SchemaError

Measure = Callable[[Job, Path], Dict[str, Any]]


def load(path: Path, measurer: str) -> Tuple[Job, str]:
    """The checked job of a job file (defaults filled in) and the file's hash."""
    from harness.strategies import Unavailable, UnknownStrategy, get_available

    job, job_hash = read_job(path)
    if job.measurer != measurer:
        raise JobError(f"job {job.id!r} is for the {job.measurer} measurer, not {measurer}")
    checked = catalogue.check(job)
    try:
        get_available(job.strategy)
    except (UnknownStrategy, Unavailable) as error:
        raise JobError(str(error)) from None
    return checked, job_hash


def arguments(argv: Optional[List[str]] = None, description: str = "") -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--job", type=Path, required=True, help="job JSON file")
    parser.add_argument("--out", type=Path, required=True, help="result JSON file (written atomically)")
    return parser.parse_args(argv)


def run_measurer(measurer: str, measure: Measure, argv: Optional[List[str]] = None, description: str = "") -> int:
    """Entry point of a plain (non-pyperf) measurer: load, check, measure, write; exit 2 on a bad job."""
    die_with_parent()
    args = arguments(argv, description)
    started = time.time()
    try:
        job, job_hash = load(args.job, measurer)
        outcome = measure(job, args.out)
        write_result(
            args.out, job, job_hash, outcome["figures"], started, outcome.get("extra"), outcome.get("artifacts")
        )
    except (JobError, SchemaError) as error:  # SchemaError: a row the job's schema does not describe
        print(f"error: {error}", file=sys.stderr)
        return 2
    except RecursionError:
        print("error: the job's data nests too deeply to decode", file=sys.stderr)
        return 2
    except (OutputError, OSError) as error:
        return output_failed(error)
    return 0


def output_failed(error: Exception) -> int:
    """One line for a result or file that could not be written whole (or read back); exit status 1."""
    print(f"error: {error}", file=sys.stderr)
    return 1
