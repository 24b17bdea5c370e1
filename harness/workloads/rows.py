"""Workloads over a dataset's first rows, in memory: build every row (``hydrate_all``; with
``then=open-map`` it then reads every tool part's ``state.input`` once) and the seed's loop over
the infos' properties (``access``)"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import partial
from typing import Any, Callable, List, Optional, Sequence, Tuple, Type

from harness.canonical import ROW_DATA, ROW_ID
from harness.protocol.job import Job, JobError
from harness.schemas import Schema
from harness.schemas.infer import access_for
from harness.schemas.stored import is_opencode
from harness.store import Dataset
from harness.strategies._kernel import Kernel
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
        kernel, positions = _open_map_reads(job, strategy, dataset, parts)
        tools = [strategy.part(parts[at]) for at in positions]
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


def _open_map_reads(
    job: Job, strategy: Type[Strategy], dataset: Dataset, parts: Sequence[Tuple]
) -> Tuple[Kernel, List[int]]:
    """The strategy's ``open_map_access`` kernel and the positions of the tool parts in ``parts``;
    JobError when it has no such kernel or there is no tool part."""
    if strategy.open_map_access is Strategy.open_map_access:
        raise JobError(f"strategy {strategy.name!r} has no open-map access loop (open_map_access)")
    positions = [at for at, row in enumerate(parts) if strategy.field(strategy.part(row), "type") == "tool"]
    if not positions:
        raise JobError(f"the first {job.size} messages of {dataset.path} have no tool part to read")
    return strategy.open_map_access, positions


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


def hydrate_then_read(
    strategy: Type[Strategy], messages: Sequence[Tuple], parts: Sequence[Tuple], kernel: Kernel, positions: List[int]
) -> Tuple[list, list]:
    """``hydrate_all``, then one open-map read of each tool part (at ``positions``) of what it built."""
    infos, built = hydrate_all(strategy, messages, parts)
    kernel([built[at] for at in positions], 1)
    return infos, built


def bind_hydrate_all(job: Job, strategy: Type[Strategy], dataset: Dataset, rounds: Optional[int]) -> Prepared:
    messages, parts = first_rows(dataset, job.size)
    run: Callable[[], Tuple[list, list]] = partial(hydrate_all, strategy, messages, parts)
    if job.params["then"] == "open-map":
        kernel, positions = _open_map_reads(job, strategy, dataset, parts)
        run = partial(hydrate_then_read, strategy, messages, parts, kernel, positions)
    return Prepared(strategy, run, len(messages) + len(parts), "row", dataset)
