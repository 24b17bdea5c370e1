"""Workloads over a dataset's first rows, in memory: build every row (``hydrate_all``) and the
seed's loop over the infos' properties (``access``)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, List, Optional, Sequence, Tuple, Type

from harness.canonical import ROW_DATA, ROW_ID
from harness.protocol.job import Job, JobError
from harness.schemas import Schema
from harness.schemas.infer import access_for
from harness.schemas.stored import is_opencode
from harness.store import Dataset
from harness.strategies.base import Strategy
from harness.workloads.binding import Prepared, dataset_schema, first_rows, strategy_for


def hydrate_all(strategy: Type[Strategy], messages: Sequence[Tuple], parts: Sequence[Tuple]) -> Tuple[list, list]:
    """Pure build throughput: every info and every part, no SQLite."""
    info, part = strategy.info, strategy.part
    return [info(row) for row in messages], [part(row) for row in parts]


def access(strategy: Type[Strategy], infos: Sequence[Any], iterations: int = 200) -> float:
    """The seed's loop: 7 properties of every info, ``iterations`` times, in native syntax."""
    return strategy.access(infos, iterations)


def bind_access(job: Job, strategy: Type[Strategy], dataset: Dataset, rounds: Optional[int]) -> Prepared:
    messages, parts = first_rows(dataset, job.size)
    iterations = job.params["iterations"]
    schema = dataset_schema(job, dataset)
    fields = tuple(field.strip() for field in job.params["read"].split(",") if field.strip())
    if fields:
        if is_opencode(schema):
            raise JobError("params.read names the fields of a non-built-in schema; opencode's keeps the seed's reads")
        schema = replace(schema, access=access_for(schema, fields))
        strategy = strategy_for(job.strategy, schema)
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


def bind_hydrate_all(job: Job, strategy: Type[Strategy], dataset: Dataset, rounds: Optional[int]) -> Prepared:
    messages, parts = first_rows(dataset, job.size)
    return Prepared(
        strategy, lambda: hydrate_all(strategy, messages, parts), len(messages) + len(parts), "row", dataset
    )
