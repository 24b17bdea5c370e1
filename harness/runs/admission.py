"""Before a run starts: refuse a plan with a job that would not fit in the machine's memory.

A ``serve`` job holds its sessions' histories, framework frames and ballast for its whole window, and
its largest configurations need gigabytes; its binder refuses one that would not fit in the memory
the machine has available (``harness.workloads.serve_budget``). The runner asks the same of every
serve job of a plan before the first job runs, so that a plan too large for the machine is refused
in one line instead of failing hours in (the jobs run one at a time: each is judged alone).
"""

from __future__ import annotations

import sqlite3
from typing import Iterable, Set, Tuple

from harness.measure import catalogue
from harness.protocol.job import Job
from harness.runs.files import RunError
from harness.workloads.binding import sessions_by_size
from harness.workloads.serve_budget import OutOfMemory, check, estimate

#: What a serve job's estimate depends on, besides its dataset and history.
_ESTIMATED = ("sessions", "rounds", "growth", "framework", "retain_mb")


def refuse_oversized(jobs: Iterable[Job]) -> None:
    """RunError naming the first serve job whose memory estimate does not fit the machine now; a job
    whose dataset cannot give its sessions is left to fail with its own error when it runs."""
    judged: Set[Tuple[object, ...]] = set()
    for job in jobs:
        if job.workload != "serve":
            continue
        params = catalogue.check(job).params  # the defaults filled in
        config = (job.dataset, job.size, *(params[name] for name in _ESTIMATED))
        if config in judged:
            continue
        judged.add(config)
        conn = sqlite3.connect(f"file:{job.dataset}?mode=ro", uri=True)
        try:
            found = sessions_by_size(conn, params["sessions"])
            if len(found) < params["sessions"]:
                continue
            ids = [session_id for session_id, _ in found]
            needs = estimate(
                conn, ids, job.size, params["rounds"], params["growth"], params["framework"], params["retain_mb"]
            )
        except sqlite3.Error:
            continue
        finally:
            conn.close()
        try:
            check(needs)
        except OutOfMemory as error:
            raise RunError(f"job {job.id}: {error}") from None
