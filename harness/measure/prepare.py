"""The catalogue of workloads, and how a job becomes a ready-to-run workload.

``WORKLOADS`` names each workload with what it measures, the unit one call
processes and the job parameters it takes; a workload is added there and
nowhere else. ``prepare(job, rounds)`` loads the job's data and builds what the
workload needs outside measurement, and returns a zero-argument callable that
performs the workload once, plus how many units (rows, reads, messages) one call
processes, so a measurer can report per-unit figures. Data comes from the job's
dataset; strategies come from the registry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any, Callable, Dict, List, Optional, Tuple, Type

from harness.canonical import PART_MESSAGE, ROW_DATA, ROW_ID
from harness.measure.job import MAX_MESSAGES, MAX_OBJECTS, MAX_PASSES, Job, JobError, Param
from harness.read_paths import READ_PATHS, ReadPathError, history_reader
from harness.schemas import Schema, SchemaError
from harness.schemas.infer import access_for
from harness.schemas.stored import is_opencode, schema_of
from harness.store import Dataset, DatasetError, open_dataset
from harness.strategies import Unavailable, UnknownStrategy, get_available
from harness.strategies.base import Strategy
from harness.workloads import (
    GrowingSession,
    MissingSession,
    hydrate_all,
    loop_iteration,
    page,
    too_few,
)

#: The ``access`` workload's variants (``params.reads``): the seed's loop over infos, or one open-map
#: read per tool part (see ``harness.strategies._kernel``).
ACCESS_READS = ("seed", "open-map")


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


#: ``bind(job, strategy, dataset, rounds)``: the job's workload on its data; ``rounds`` is how
#: many calls the measurer will make (None: an unknown number, as pyperf decides).
Binder = Callable[[Job, Type[Strategy], Dataset, Optional[int]], Prepared]


@dataclass(frozen=True)
class Workload:
    name: str
    description: str
    unit: str
    params: Tuple[Param, ...]
    bind: Binder
    #: Reads opencode's sessions (compaction, pages of messages with parts): refuses other schemas.
    opencode_only: bool = False


def longest_session(dataset: Dataset) -> str:
    row = dataset.conn.execute(
        "SELECT session_id FROM message GROUP BY session_id ORDER BY count(*) DESC, session_id LIMIT 1"
    ).fetchone()
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
        raise too_few(f"dataset {dataset.path}", len(messages), str(size))
    return messages, parts


def regroup(messages: List[Tuple], parts: List[Tuple]) -> List[Tuple[Tuple, List[Tuple]]]:
    """``first_rows``' output as (message, its parts) records."""
    own: Dict[str, List[Tuple]] = {message[ROW_ID]: [] for message in messages}
    for part in parts:
        own[part[PART_MESSAGE]].append(part)
    return [(message, own[message[ROW_ID]]) for message in messages]


def _access(job: Job, strategy: Type[Strategy], dataset: Dataset, rounds: Optional[int]) -> Prepared:
    messages, parts = first_rows(dataset, job.size)
    iterations = job.params["iterations"]
    schema = dataset_schema(job, dataset)
    fields = tuple(field.strip() for field in job.params["read"].split(",") if field.strip())
    if fields:
        if is_opencode(schema):
            raise JobError("params.read names the fields of a non-built-in schema; opencode's keeps the seed's reads")
        schema = replace(schema, access=access_for(schema, fields))
        strategy = _strategy(job.strategy, schema)
    if job.params["reads"] == "open-map":
        if strategy.open_map_access is Strategy.open_map_access:
            raise JobError(f"strategy {strategy.name!r} has no open-map access loop (open_map_access)")
        built = (strategy.part(row) for row in parts)
        tools = [part for part in built if strategy.field(part, "type") == "tool"]
        if not tools:
            raise JobError(f"the first {job.size} messages of {dataset.path} have no tool part to read")
        kernel = strategy.open_map_access
        return Prepared(strategy, lambda: kernel(tools, iterations), len(tools) * iterations, "read", dataset)
    _check_access_values(messages, schema)
    infos = [strategy.info(row) for row in messages]
    return Prepared(
        strategy,
        lambda: strategy.access(infos, iterations),
        len(infos) * iterations * len(schema.access),
        "read",
        dataset,
    )


#: What the access loop can take the length of (``len``) and add (``add``); absent is allowed where
#: the loop skips it, except opencode's role, whose length the seed's loop takes from every info.
_SIZED = (str, list, dict)
_NUMBERS = (int, float)


def _check_access_values(messages: List[Any], schema: Schema) -> None:
    """JobError naming the first message whose access field the loop cannot read (a role of 5, a
    cost that is text): rows that build, but that the seed's arithmetic was never written for."""
    for row in messages:
        data = json.loads(row[ROW_DATA])
        for access in schema.access:
            value = data.get(access.field) if isinstance(data, dict) else None
            if access.operation == "len":
                fits = isinstance(value, _SIZED) or (value is None and not is_opencode(schema))
            elif access.operation == "add":
                fits = value is None or isinstance(value, _NUMBERS)
            else:
                continue
            if not fits:
                raise JobError(
                    f"message {row[ROW_ID]!r}: its {access.field!r} is {json.dumps(value)[:40]}, and the access "
                    f"loop takes the {'length' if access.operation == 'len' else 'sum'} of it"
                )


def _hydrate_all(job: Job, strategy: Type[Strategy], dataset: Dataset, rounds: Optional[int]) -> Prepared:
    messages, parts = first_rows(dataset, job.size)
    return Prepared(
        strategy, lambda: hydrate_all(strategy, messages, parts), len(messages) + len(parts), "row", dataset
    )


def _page(job: Job, strategy: Type[Strategy], dataset: Dataset, rounds: Optional[int]) -> Prepared:
    session_id = job.session or longest_session(dataset)
    limit = job.params["limit"]
    return Prepared(strategy, lambda: page(dataset.conn, strategy, session_id, limit=limit), limit, "message", dataset)


def _history(job: Job, strategy: Type[Strategy], dataset: Dataset) -> Tuple[GrowingSession, Callable[[], Any]]:
    """The scratch session of ``size`` messages and its read through the job's read path."""
    session = GrowingSession(dataset.conn, job.session or longest_session(dataset), job.size)
    try:
        return session, history_reader(job.params["read_path"], session.conn, strategy, session.session_id)
    except ReadPathError as error:
        raise JobError(str(error)) from None


def _filter_compacted(job: Job, strategy: Type[Strategy], dataset: Dataset, rounds: Optional[int]) -> Prepared:
    session, read = _history(job, strategy, dataset)
    return Prepared(strategy, read, job.size, "message", dataset, session)


def _run_loop(job: Job, strategy: Type[Strategy], dataset: Dataset, rounds: Optional[int]) -> Prepared:
    session, read = _history(job, strategy, dataset)
    growth = job.params["growth"]
    if growth and rounds is None:
        raise JobError(
            "this measurer calls the workload an unknown number of times, so run_loop cannot grow "
            f"the history (params.growth must be 0, got {growth})"
        )
    if growth * (rounds or 0) > session.remaining:
        raise too_few(f"session {session.session_id!r}", session.total, f"{job.size} + {rounds} × {growth}")
    return Prepared(
        strategy, lambda: loop_iteration(session, strategy, growth, read), job.size, "message", dataset, session
    )


def _read_path() -> Param:
    return Param(
        "read_path",
        str,
        "full",
        "how the history is read: full (opencode at PR #29029), cache-aware (needs cached:<name>), incremental",
        choices=READ_PATHS,
        variant=True,
    )


def _read_site(job: Job, strategy: Type[Strategy], dataset: Dataset, rounds: Optional[int]) -> Prepared:
    from harness.polymorphism import READERS, population

    objects = population(job.strategy, job.size, job.params["objects"])
    passes, read = job.params["passes"], READERS[job.strategy]
    return Prepared(strategy, lambda: read(objects, passes), len(objects) * passes, "read", dataset)


WORKLOADS: Dict[str, Workload] = {
    w.name: w
    for w in (
        Workload(
            "access",
            "read role, cost, summary, finish, error, variant, structured of every info, 200 times"
            " (reads=open-map: len of every tool part's state.input instead; another schema: its access"
            " fields, or those named by read)",
            "read",
            (
                Param("iterations", int, 200, "passes over every object", minimum=1, maximum=MAX_PASSES),
                Param(
                    "reads",
                    str,
                    "seed",
                    "seed: the seed's 7 properties of every info; open-map: every tool part's state.input",
                    choices=ACCESS_READS,
                    variant=True,
                ),
                Param(
                    "read",
                    str,
                    "",
                    "a non-built-in schema's top-level fields to read, comma-separated (default: the schema's"
                    " access fields, the most frequent ones)",
                    variant=True,
                ),
            ),
            _access,
        ),
        Workload(
            "hydrate_all",
            "build every info and part from stored rows (JSON decode included), no SQLite",
            "row",
            (),
            _hydrate_all,
        ),
        Workload(
            "page",
            "one page of 50 messages, newest first, parts loaded with one IN query",
            "message",
            (Param("limit", int, 50, "messages per page", minimum=1, maximum=MAX_MESSAGES),),
            _page,
            opencode_only=True,
        ),
        Workload(
            "filter_compacted",
            "stream a session newest first down to its last compaction boundary",
            "message",
            (_read_path(),),
            _filter_compacted,
            opencode_only=True,
        ),
        Workload(
            "run_loop",
            "agent loop: append messages, re-read the history with filter_compacted, repeat",
            "message",
            (
                Param(
                    "growth",
                    int,
                    0,
                    "messages the prompt appends before each re-read",
                    minimum=0,
                    maximum=MAX_MESSAGES,
                ),
                _read_path(),
            ),
            _run_loop,
            opencode_only=True,
        ),
        Workload(
            "read_site",
            "read x of objects with `size` shapes (1-256) at one site; the strategy names the object kind "
            "(spread: dicts, instance-dict, slots); the dataset is not read",
            "read",
            (
                Param("objects", int, 4096, "objects read per pass", minimum=1, maximum=MAX_OBJECTS),
                Param("passes", int, 25, "passes over the objects per call", minimum=1, maximum=MAX_PASSES),
            ),
            _read_site,
        ),
    )
}


def _strategy(name: str, schema: Optional[Schema] = None) -> Type[Strategy]:
    try:
        return get_available(name, schema)
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
        dataset = open_dataset(job.dataset, verify=job.verify_dataset)
    except DatasetError as error:
        raise JobError(str(error)) from None
    workload = WORKLOADS[job.workload]
    try:
        schema = dataset_schema(job, dataset)
        if workload.opencode_only and not is_opencode(schema):
            raise JobError(
                f"workload {job.workload} reads opencode's sessions; dataset {dataset.path} has schema {schema.name!r}"
            )
        strategy = strategy or _strategy(job.strategy, schema)
    except JobError:
        dataset.close()
        raise
    try:
        return workload.bind(job, strategy, dataset, rounds)
    except (MissingSession, ValueError) as error:
        dataset.close()
        raise JobError(str(error)) from None
