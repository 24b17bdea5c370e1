"""The agent loop's history: a scratch session that grows as a running prompt writes it, re-read
through a read path (``full`` by default, opencode's; the others are in ``read_paths``) after each
append, and the ``filter_compacted`` / ``run_loop`` workloads bound to it."""

from __future__ import annotations

import sqlite3
from typing import Any, Callable, Dict, List, Optional, Tuple, Type

from harness.canonical import (
    MESSAGE_COLUMNS,
    MESSAGE_CREATED,
    MESSAGE_UPDATED,
    PART_COLUMNS,
    PART_CREATED,
    PART_MESSAGE,
    PART_UPDATED,
    ROW_ID,
)
from harness.protocol.job import Job, JobError
from harness.store import Dataset
from harness.strategies.base import Strategy
from harness.workloads.binding import MissingSession, Prepared, longest_session, too_few
from harness.workloads.opencode import (
    SELECT_MESSAGES,
    SELECT_PARTS,
    SYNTHETIC_PART,
    HistoryRead,
    Message,
    filter_compacted,
    session_exists,
)
from harness.workloads.read_paths import ReadPathError, history_reader


class GrowingSession:
    """A scratch copy of one session that grows the way opencode's agent loop makes it grow.

    It starts with the session's oldest ``start`` messages (and their parts) in an
    in-memory SQLite database with opencode's layout; ``grow(n)`` appends the next
    ``n`` stored messages of the same session, as a running prompt writes them. Only the
    session's first ``limit`` messages are loaded (-1: all of them).
    Each appended row is written as opencode's ORM writes it, ``time_updated`` set to
    the time of the write: the replay's clock, which moves to each row's
    ``time_created`` and never goes back. (A stored row holds the time of its *last*
    update, which can lie after later messages were created; the replay writes the
    row in its final state when it is created.)
    """

    def __init__(self, source: sqlite3.Connection, session_id: str, start: int, limit: int = -1) -> None:
        from harness.store import create_tables

        if not session_exists(source, session_id):
            raise MissingSession(f"no session {session_id!r} in the dataset")
        self.session_id = session_id
        first = f"SELECT id FROM message WHERE session_id = ? ORDER BY time_created, id LIMIT {int(limit)}"
        self.pending = source.execute(
            f"{SELECT_MESSAGES} WHERE id IN ({first}) ORDER BY time_created, id", (session_id,)
        ).fetchall()
        grouped: Dict[str, List[Tuple]] = {}
        for part in source.execute(
            f"{SELECT_PARTS} WHERE message_id IN ({first}) ORDER BY message_id, id", (session_id,)
        ):
            grouped.setdefault(part[PART_MESSAGE], []).append(part)
        # tuples of rows: the pending rows leave the GC's tracked objects at its first collection
        self.parts: Dict[str, Tuple[Tuple, ...]] = {mid: tuple(rows) for mid, rows in grouped.items()}
        self.conn = sqlite3.connect(":memory:")
        create_tables(self.conn)
        self.conn.execute("INSERT INTO session VALUES (?, 'scratch copy', 0, 0)", (session_id,))
        self.size = 0
        self.clock = 0  # the latest time_updated written
        self.pending.reverse()  # pop() from the end takes the oldest
        self.grow(start)

    @property
    def remaining(self) -> int:
        return len(self.pending)

    @property
    def total(self) -> int:
        """Messages of the stored session: those appended so far and those still to come."""
        return self.size + len(self.pending)

    def grow(self, count: int) -> None:
        """Append the next ``count`` messages of the session; TooFewMessages when it has too few."""
        if count > len(self.pending):
            raise too_few(f"session {self.session_id!r}", self.total, str(self.size + count))
        messages = [self._stamped(self.pending.pop(), MESSAGE_CREATED, MESSAGE_UPDATED) for _ in range(count)]
        self.conn.executemany(f"INSERT INTO message VALUES ({', '.join('?' * len(MESSAGE_COLUMNS))})", messages)
        self.conn.executemany(
            f"INSERT INTO part VALUES ({', '.join('?' * len(PART_COLUMNS))})",
            [
                self._stamped(part, PART_CREATED, PART_UPDATED)
                for message in messages
                for part in self.parts.get(message[ROW_ID], ())
            ],
        )
        self.size += count

    def _stamped(self, row: Tuple, created: int, updated: int) -> Tuple:
        self.clock = max(self.clock, row[created])
        return row if row[updated] == self.clock else row[:updated] + (self.clock,) + row[updated + 1 :]


def loop_iteration(
    session: GrowingSession, strategy: Type[Strategy], growth: int, read: Optional[HistoryRead] = None
) -> List[Message]:
    """One agent-loop step: the prompt appends ``growth`` messages, then the loop re-reads
    the history (``read``; default ``filter_compacted``, opencode's read path) and injects a
    synthetic part (``inject_synthetic``)."""
    session.grow(growth)
    history = read() if read is not None else filter_compacted(session.conn, strategy, session.session_id)
    inject_synthetic(history, strategy)
    return history


def inject_synthetic(history: List[Message], strategy: Type[Strategy]) -> None:
    """Append ``SYNTHETIC_PART`` to the ``parts`` list of the newest user message, as opencode's
    agent loop injects its synthetic parts (the list must not be shared)."""
    field = strategy.field
    for message in reversed(history):
        if field(message["info"], "role") == "user":
            message["parts"].append(SYNTHETIC_PART)
            return


def run_loop(
    source: sqlite3.Connection,
    strategy: Type[Strategy],
    session_id: str,
    iterations: int,
    growth: int,
    start: int = 0,
    read_path: str = "full",
) -> List[Tuple[int, int]]:
    """The agent-loop scenario: per iteration (history size, messages kept by filter_compacted),
    the history read through ``read_path`` (``harness.workloads.read_paths``)."""
    session = GrowingSession(source, session_id, start)
    if iterations * growth > session.remaining:
        raise too_few(f"session {session_id!r}", session.total, f"{start} + {iterations} × {growth}")
    read = history_reader(read_path, session.conn, strategy, session_id)
    steps = []
    for _ in range(iterations):
        kept = len(loop_iteration(session, strategy, growth, read))
        steps.append((session.size, kept))
    return steps


def _history(job: Job, strategy: Type[Strategy], dataset: Dataset) -> Tuple[GrowingSession, Callable[[], Any]]:
    """The scratch session of ``size`` messages and its read through the job's read path."""
    session = GrowingSession(dataset.conn, job.session or longest_session(dataset), job.size)
    try:
        return session, history_reader(job.params["read_path"], session.conn, strategy, session.session_id)
    except ReadPathError as error:
        raise JobError(str(error)) from None


def bind_filter_compacted(job: Job, strategy: Type[Strategy], dataset: Dataset, rounds: Optional[int]) -> Prepared:
    session, read = _history(job, strategy, dataset)
    return Prepared(strategy, read, job.size, "message", dataset, session)


def bind_run_loop(job: Job, strategy: Type[Strategy], dataset: Dataset, rounds: Optional[int]) -> Prepared:
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
        strategy,
        lambda: loop_iteration(session, strategy, growth, read),
        job.size,
        "message",
        dataset,
        session,
        counts=getattr(read, "counts", None),
    )
