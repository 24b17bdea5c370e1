"""How much memory and disk a generation needs, estimated from a small sample of the same spec.

A generation is held in memory whole (rows as dicts; a census holds their stored text too),
so both memory and the file grow with the number of rows. ``estimate(spec)`` generates
``SAMPLE_MESSAGES`` messages of the same profile and parameters (average part count capped at
``SAMPLE_MAX_AVG_PARTS``), measures the Python memory it took (``tracemalloc`` peak, bytes) and
the dataset it makes (written to memory by ``harness.store.DatasetWriter``: pages × page size,
bytes), and scales both by rows: messages × (1 + parts per message, scaled up to the real average
part count). Bias: the sample's rows stand for every row (texts of another length, a
long-session tail are not seen); it is meant to refuse a request off by orders of magnitude, not
to predict the size to the byte.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import sqlite3
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from harness import canonical
from harness.generate import Spec
from harness.store import DatasetWriter
from harness.system import available_memory

SAMPLE_MESSAGES = 100
SAMPLE_MAX_AVG_PARTS = 8.0


@dataclass(frozen=True)
class Footprint:
    """Estimated rows, peak memory (bytes) and file size (bytes) of a generation."""

    rows: float
    memory_bytes: float
    disk_bytes: float


def estimate(spec: Spec) -> Footprint:
    """The footprint of generating ``spec``, from a sample of the same profile and parameters."""
    average = float(spec.params().get("avg_parts", 0))
    sample_average = min(average, SAMPLE_MAX_AVG_PARTS)
    sample = dataclasses.replace(
        spec,
        messages=min(spec.messages, SAMPLE_MESSAGES),
        avg_parts=sample_average,
        sessions=None,
        overrides={key: value for key, value in spec.overrides.items() if key != "sessions"},
    )
    tracemalloc.start()
    try:
        generated = sample.generate()
        list(canonical.to_stored(generated.records))  # the stored text, as a census holds it
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    with contextlib.closing(sqlite3.connect(":memory:")) as conn:
        DatasetWriter(conn).write_generation(generated)
        (pages,) = conn.execute("PRAGMA page_count").fetchone()
        (page_size,) = conn.execute("PRAGMA page_size").fetchone()
    sample_rows = max(1, generated.messages + generated.parts)
    parts_per_message = generated.parts / max(1, generated.messages)
    if sample_average:
        parts_per_message *= average / sample_average
    rows = spec.messages * (1 + parts_per_message)
    return Footprint(rows, rows * peak / sample_rows, rows * pages * page_size / sample_rows)


def _gib(value: float) -> str:
    return f"{value / 2**30:,.1f} GiB"


def check(spec: Spec, out: Optional[Path] = None) -> None:
    """ValueError (one line) when the generation will not fit in free memory, or its file (when
    ``out`` is given) on the free disk there."""
    if spec.messages <= SAMPLE_MESSAGES and float(spec.params().get("avg_parts", 0)) <= SAMPLE_MAX_AVG_PARTS:
        return  # no bigger than the sample itself
    found = estimate(spec)
    memory = available_memory()
    if memory is not None and found.memory_bytes > memory:
        raise ValueError(
            f"{spec.messages} {spec.profile} messages (about {found.rows:,.0f} rows) need about "
            f"{_gib(found.memory_bytes)} of memory to generate, {_gib(memory)} is available"
        )
    if out is not None:
        free = shutil.disk_usage(Path(out).resolve().parent).free
        if found.disk_bytes > free:
            raise ValueError(
                f"the dataset would take about {_gib(found.disk_bytes)} on disk, "
                f"{_gib(free)} is free under {Path(out).resolve().parent}"
            )
