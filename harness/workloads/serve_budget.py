"""The memory a ``serve`` job needs, estimated before it starts, and the refusal of one that would make
the machine swap.

The estimate (bytes) is 256 MiB for the runtime and the process's other state, 1.25 MiB per MiB of
ballast (``retain_mb``: the records' containers beside their strings), 12 times the stored JSON of each
session's messages and parts up to the most the job appends (the session's hydrated history, its
scratch copy, the rows read), and 2 objects of 200 bytes per framework frame (``framework`` per row
read; each session holds its latest read's). A job whose estimate passes 80 % of the memory the
machine has available is refused, in one line. The JavaScriptCore runner makes the same estimate
(``harness/jsc/serve.mjs``).

Imports only the standard library and ``harness.system``: the bench command calls it before a plan
starts.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from typing import Sequence

from harness.system import available_memory

MIB = 2**20
GIB = 2**30
#: The interpreter, the strategy's code and the process's other state.
BASE_BYTES = 256 * MIB
#: Bytes per MiB of ballast: each 1,000-character string has a container and a header beside it.
BALLAST_BYTES_PER_MB = 5 * MIB // 4
#: Bytes in memory per byte of stored JSON of a session's rows.
HISTORY_FACTOR = 12
#: Objects per framework frame (a closure and its environment) and bytes per object.
FRAME_OBJECTS, FRAME_OBJECT_BYTES = 2, 200
#: The share of the available memory a job may take.
AVAILABLE_SHARE = 0.8

#: One session's first messages (``ORDER BY time_created, id LIMIT ?``) and their parts: how many rows,
#: and the bytes of their stored JSON.
_STORED = """
WITH first AS (SELECT id, data FROM message WHERE session_id = ? ORDER BY time_created, id LIMIT ?)
SELECT
    (SELECT count(*) FROM first) + count(*),
    (SELECT coalesce(sum(length(CAST(data AS BLOB))), 0) FROM first) + coalesce(sum(length(CAST(data AS BLOB))), 0)
FROM part WHERE message_id IN (SELECT id FROM first)
"""


class OutOfMemory(ValueError):
    """A serve job whose estimate does not fit in the memory the machine has available."""


@dataclass(frozen=True)
class Estimate:
    """A serve job's memory, bytes: its parts and ``estimate_bytes``, their sum with ``BASE_BYTES``."""

    #: Stored JSON of the sessions' messages and parts, and how many rows those are.
    stored_bytes: int
    rows: int
    ballast_bytes: int
    histories_bytes: int
    frames_bytes: int
    estimate_bytes: int


def visits(rounds: int, sessions: int) -> int:
    """Iterations of the busiest session: its warm-up one and its share of ``rounds`` taken in turn."""
    return 1 + math.ceil(rounds / sessions)


def estimate(
    conn: sqlite3.Connection,
    session_ids: Sequence[str],
    start: int,
    rounds: int,
    growth: int,
    framework: int,
    retain_mb: int,
) -> Estimate:
    """The memory a serve of ``session_ids`` needs: each starts at ``start`` messages and grows by
    ``growth`` for ``rounds`` iterations taken in turn (and a warm-up one each)."""
    messages = start + visits(rounds, len(session_ids)) * growth
    stored = rows = 0
    for session_id in session_ids:
        count, size = conn.execute(_STORED, (session_id, messages)).fetchone()
        rows += count
        stored += size
    ballast = retain_mb * BALLAST_BYTES_PER_MB
    histories = HISTORY_FACTOR * stored
    frames = FRAME_OBJECTS * framework * rows * FRAME_OBJECT_BYTES
    return Estimate(stored, rows, ballast, histories, frames, BASE_BYTES + ballast + histories + frames)


def _gib(value: float) -> str:
    return f"{value / GIB:.1f} GiB"


def check(found: Estimate) -> None:
    """OutOfMemory (one line) when ``found`` passes ``AVAILABLE_SHARE`` of the available memory; no
    check where the machine does not say how much it has."""
    available = available_memory()
    if available is None or found.estimate_bytes <= AVAILABLE_SHARE * available:
        return
    raise OutOfMemory(
        f"serve needs about {_gib(found.estimate_bytes)} (ballast {_gib(found.ballast_bytes)}, histories "
        f"{_gib(found.histories_bytes)}, frames {_gib(found.frames_bytes)}) and the machine has "
        f"{_gib(available)} available; lower retain_mb, sessions, the history or framework"
    )
