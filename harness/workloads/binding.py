"""How a job becomes a ready-to-run workload.

``prepare(job, rounds)`` opens the job's dataset, takes the strategy from the registry and calls the
workload's binder (named in ``harness.workloads.catalogue``), which builds outside measurement what
the workload needs and returns a zero-argument callable performing it once, plus how many units
(rows, reads, messages) one call processes, so a measurer can report per-unit figures. The binders
share what is here: the errors a workload raises, the dataset's first rows, its longest session.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple, Type

from harness.canonical import PART_MESSAGE, ROW_ID
from harness.protocol.job import Job, JobError
from harness.schemas import Schema, SchemaError
from harness.schemas.stored import is_opencode, schema_of
from harness.store import Dataset, DatasetError, open_dataset
from harness.strategies import Unavailable, UnknownStrategy, get_available
from harness.strategies.base import Strategy
from harness.workloads.catalogue import WORKLOADS

if TYPE_CHECKING:
    from harness.workloads.history import GrowingSession


class MissingSession(LookupError):
    """A session id that the dataset does not have."""


class TooFewMessages(ValueError):
    """A dataset or session with fewer messages than a workload was asked for."""


def too_few(what: str, has: int, asked: str) -> TooFewMessages:
    """The one way the harness says that ``what`` holds fewer messages than were asked for."""
    return TooFewMessages(f"{what} has {has} messages; {asked} were asked for")


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
    #: What the workload counts as it runs (the incremental read path: its reads and rewalks).
    counts: Optional[Dict[str, int]] = None

    def close(self) -> None:
        self.dataset.close()


#: ``bind(job, strategy, dataset, rounds)``: the job's workload on its data; ``rounds`` is how
#: many calls the measurer will make (None: an unknown number, as pyperf decides).
Binder = Callable[[Job, Type[Strategy], Dataset, Optional[int]], Prepared]


def longest_session(dataset: Dataset) -> str:
    found = sessions_by_size(dataset.conn, 1)
    if not found:
        raise JobError(f"dataset {dataset.path} has no messages")
    return found[0][0]


def sessions_by_size(conn: sqlite3.Connection, count: int) -> List[Tuple[str, int]]:
    """Up to ``count`` sessions, longest first (ties: by id), with their messages."""
    return conn.execute(
        "SELECT session_id, count(*) FROM message GROUP BY session_id ORDER BY count(*) DESC, session_id LIMIT ?",
        (count,),
    ).fetchall()


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
        raise too_few(f"dataset {dataset.path}", len(messages), str(size))
    return messages, parts


def regroup(messages: List[Tuple], parts: List[Tuple]) -> List[Tuple[Tuple, List[Tuple]]]:
    """``first_rows``' output as (message, its parts) records."""
    own: Dict[str, List[Tuple]] = {message[ROW_ID]: [] for message in messages}
    for part in parts:
        own[part[PART_MESSAGE]].append(part)
    return [(message, own[message[ROW_ID]]) for message in messages]


def built(strategy: Type[Strategy]) -> Type[Strategy]:
    """The strategy with each hook read once: a strategy built from its schema on first use is built
    here, before measurement, not inside the first measured call (where its compile would be counted)."""
    for hook in ("info", "part", "to_dict", "access", "field", "open_map_access"):
        getattr(strategy, hook)
    return strategy


def strategy_for(name: str, schema: Optional[Schema] = None) -> Type[Strategy]:
    try:
        return built(get_available(name, schema))
    except (UnknownStrategy, Unavailable) as error:
        raise JobError(str(error)) from None


def dataset_schema(job: Job, dataset: Dataset) -> Schema:
    """The schema the job's strategy is built for: the job's edited file, else the dataset's."""
    try:
        return schema_of(dataset.manifest, job.schema, str(dataset.path))
    except SchemaError as error:
        raise JobError(str(error)) from None


def prepare(job: Job, rounds: Optional[int] = None, strategy: Optional[Type[Strategy]] = None) -> Prepared:
    """Load the job's data and bind its workload to its strategy, for ``rounds`` calls (None: unknown).

    ``job`` has been through ``harness.measure.catalogue.check``: its parameters are complete.
    """
    try:
        dataset = open_dataset(Path(job.dataset), verify=job.verify_dataset)
    except DatasetError as error:
        raise JobError(str(error)) from None
    workload = WORKLOADS[job.workload]
    try:
        schema = dataset_schema(job, dataset)
        if workload.opencode_only and not is_opencode(schema):
            raise JobError(
                f"workload {job.workload} reads opencode's sessions; dataset {dataset.path} has schema {schema.name!r}"
            )
        strategy = built(strategy) if strategy is not None else strategy_for(job.strategy, schema)
    except JobError:
        dataset.close()
        raise
    try:
        return workload.bind()(job, strategy, dataset, rounds)
    except (MissingSession, ValueError) as error:
        dataset.close()
        raise JobError(str(error)) from None
