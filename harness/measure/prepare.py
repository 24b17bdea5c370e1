"""Turn a job into a ready-to-run workload: data loaded and objects built outside measurement.

``prepare(job)`` returns a zero-argument callable that performs the workload
once, plus how many units (rows, reads, messages) one call processes, so a
measurer can report per-unit figures. Data comes from the job's dataset;
strategies come from the registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Tuple, Type

from harness.measure.job import Job, JobError, check_workload
from harness.schema import ACCESS_PROPERTIES
from harness.store import Dataset, DatasetError, open_dataset
from harness.strategies import Unavailable, UnknownStrategy, get_available
from harness.strategies.base import Strategy
from harness.workloads import (
    GrowingSession,
    MissingSession,
    filter_compacted,
    hydrate_all,
    loop_iteration,
    page,
)


@dataclass
class Prepared:
    """A workload bound to its data: ``run()`` once processes ``units`` ``unit``s."""

    strategy: Type[Strategy]
    run: Callable[[], Any]
    units: int
    unit: str
    dataset: Dataset
    #: The scratch session of the ``filter_compacted`` and ``run_loop`` workloads.
    session: Optional[GrowingSession] = None

    def close(self) -> None:
        self.dataset.close()


def longest_session(dataset: Dataset) -> str:
    row = dataset.conn.execute(
        "SELECT session_id FROM message GROUP BY session_id ORDER BY count(*) DESC, session_id LIMIT 1").fetchone()
    if row is None:
        raise JobError(f"dataset {dataset.path} has no messages")
    return row[0]


def first_rows(dataset: Dataset, size: int) -> Tuple[List[Tuple], List[Tuple]]:
    """The first ``size`` messages in generation order and all their parts."""
    messages: List[Tuple] = []
    parts: List[Tuple] = []
    for message, own in dataset.stored_records():
        if len(messages) == size:
            break
        messages.append(message)
        parts.extend(own)
    if len(messages) < size:
        raise JobError(f"dataset {dataset.path} has {len(messages)} messages, the job needs {size}")
    return messages, parts


def _strategy(name: str) -> Type[Strategy]:
    try:
        return get_available(name)
    except (UnknownStrategy, Unavailable) as error:
        raise JobError(str(error)) from None


def prepare(job: Job, strategy: Optional[Type[Strategy]] = None) -> Prepared:
    """Load the job's data and bind its workload to its strategy."""
    check_workload(job)
    strategy = strategy or _strategy(job.strategy)
    try:
        dataset = open_dataset(job.dataset, verify=job.verify_dataset)
    except DatasetError as error:
        raise JobError(str(error)) from None
    try:
        return _bind(job, strategy, dataset)
    except (MissingSession, ValueError) as error:
        dataset.close()
        raise JobError(str(error)) from None


def _bind(job: Job, strategy: Type[Strategy], dataset: Dataset) -> Prepared:
    params = job.params
    if job.workload == "access":
        messages, _ = first_rows(dataset, job.size)
        infos = [strategy.info(row) for row in messages]
        iterations = int(params.get("iterations", 200))
        return Prepared(strategy, lambda: strategy.access(infos, iterations),
                        len(infos) * iterations * len(ACCESS_PROPERTIES), "read", dataset)
    if job.workload == "hydrate_all":
        messages, parts = first_rows(dataset, job.size)
        return Prepared(strategy, lambda: hydrate_all(strategy, messages, parts),
                        len(messages) + len(parts), "row", dataset)
    session_id = job.session or longest_session(dataset)
    if job.workload == "page":
        return Prepared(strategy, lambda: page(dataset.conn, strategy, session_id),
                        int(params.get("limit", 50)), "message", dataset)
    session = GrowingSession(dataset.conn, session_id, job.size)
    if job.workload == "filter_compacted":
        return Prepared(strategy, lambda: filter_compacted(session.conn, strategy, session_id),
                        job.size, "message", dataset, session)
    growth = int(params.get("growth", 0))
    return Prepared(strategy, lambda: loop_iteration(session, strategy, growth), job.size, "message", dataset,
                    session)
