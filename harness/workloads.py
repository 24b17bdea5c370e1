"""What runs under measurement: opencode's read path and the seed's access loop.

``page`` / ``hydrate`` / ``stream`` / ``filter_compacted`` follow opencode's
``message-v2.ts`` at PR #29029 (SQL, ordering, compaction rules); ``run_loop``
simulates the agent loop re-reading a growing session, by default through that
read path (``full``; the others are in ``harness.read_paths``). Every workload
takes a strategy class from the registry and never imports one.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Type

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
from harness.strategies.base import Strategy

PAGE_SIZE = 50
Message = Dict[str, Any]  # {"info": object, "parts": [object, ...]}: opencode's WithParts
Cursor = Tuple[int, str]  # (time_created, id) of the oldest message of the previous page
#: What the agent loop injects into the newest user message's parts list.
SYNTHETIC_PART = {"type": "text", "text": "", "synthetic": True}

SELECT_MESSAGES = f"SELECT {', '.join(MESSAGE_COLUMNS)} FROM message"
SELECT_PARTS = f"SELECT {', '.join(PART_COLUMNS)} FROM part"
#: A read of the history: every message the agent loop keeps, oldest first (filterCompacted's output).
HistoryRead = Callable[[], List["Message"]]


@dataclass
class Page:
    """One page of hydrated messages, oldest first, and the cursor to the next older page."""

    items: List[Message]
    more: bool
    cursor: Optional[Cursor]


class MissingSession(LookupError):
    """A session id that the dataset does not have."""


class TooFewMessages(ValueError):
    """A dataset or session with fewer messages than a workload was asked for."""


def too_few(what: str, has: int, asked: str) -> TooFewMessages:
    """The one way the harness says that ``what`` holds fewer messages than were asked for."""
    return TooFewMessages(f"{what} has {has} messages; {asked} were asked for")


def hydrate(conn: sqlite3.Connection, strategy: Type[Strategy], rows: Sequence[Tuple]) -> List[Message]:
    """Build ``{info, parts}`` per message row, loading all their parts with one query.

    Every ``parts`` list is new, even when the strategy caches its objects: callers mutate it.
    """
    if not rows:
        return []
    ids = [row[ROW_ID] for row in rows]
    grouped: Dict[str, List[Any]] = {mid: [] for mid in ids}
    build = strategy.part
    query = f"{SELECT_PARTS} WHERE message_id IN ({', '.join('?' * len(ids))}) ORDER BY message_id, id"
    for part in conn.execute(query, ids):
        grouped[part[PART_MESSAGE]].append(build(part))
    info = strategy.info
    return [{"info": info(row), "parts": grouped[row[ROW_ID]]} for row in rows]


def page(
    conn: sqlite3.Connection,
    strategy: Type[Strategy],
    session_id: str,
    before: Optional[Cursor] = None,
    limit: int = PAGE_SIZE,
) -> Page:
    """Up to ``limit`` messages older than ``before``, newest first in SQL, returned oldest first."""
    rows, more = page_rows(conn, SELECT_MESSAGES, session_id, before, limit)
    return as_page(hydrate(conn, strategy, rows), rows, more)


def as_page(items: List[Message], rows: List[Tuple], more: bool) -> Page:
    """The page of ``items`` hydrated from ``rows`` (newest first, as the page query returns them):
    oldest first, with the cursor to the next older page when there is one."""
    items.reverse()
    return Page(items, more, (rows[-1][MESSAGE_CREATED], rows[-1][ROW_ID]) if more else None)


#: opencode's cursor predicate (drizzle ``or(lt(time_created), and(eq(time_created), lt(id)))``): SQLite
#: cannot use it as an index range, so each page skips every newer row first (a whole stream is
#: quadratic in the history). The row value comparison selects the same rows through the index.
OR_CURSOR = "(time_created < ? OR (time_created = ? AND id < ?))"
ROW_VALUE_CURSOR = "(time_created, id) < (?, ?)"


def page_rows(
    conn: sqlite3.Connection,
    select: str,
    session_id: str,
    before: Optional[Cursor],
    limit: int,
    cursor: str = OR_CURSOR,
) -> Tuple[List[Tuple], bool]:
    """The page query: up to ``limit`` rows of ``select`` (a ``SELECT <columns> FROM message`` whose
    columns start with id, session_id, time_created) older than ``before`` by ``cursor`` (opencode's
    predicate unless told otherwise), newest first, and whether there are more; MissingSession when
    the session does not exist."""
    if before is None:
        rows = conn.execute(
            f"{select} WHERE session_id = ? ORDER BY time_created DESC, id DESC LIMIT ?", (session_id, limit + 1)
        ).fetchall()
    else:
        time, mid = before
        values = (time, time, mid) if cursor == OR_CURSOR else (time, mid)
        rows = conn.execute(
            f"{select} WHERE session_id = ? AND {cursor} ORDER BY time_created DESC, id DESC LIMIT ?",
            (session_id, *values, limit + 1),
        ).fetchall()
    if not rows and before is None and not session_exists(conn, session_id):
        raise MissingSession(f"no session {session_id!r} in the dataset")
    return rows[:limit], len(rows) > limit


def session_exists(conn: sqlite3.Connection, session_id: str) -> bool:
    return conn.execute("SELECT 1 FROM session WHERE id = ?", (session_id,)).fetchone() is not None


PageReader = Callable[[sqlite3.Connection, Type[Strategy], str, Optional[Cursor], int], Page]


def stream(
    conn: sqlite3.Connection,
    strategy: Type[Strategy],
    session_id: str,
    limit: int = PAGE_SIZE,
    read_page: PageReader = page,
) -> Iterator[Message]:
    """Every message of a session, newest to oldest, fetched lazily page by page (``read_page``)."""
    before: Optional[Cursor] = None
    while True:
        next_page = read_page(conn, strategy, session_id, before, limit)
        yield from reversed(next_page.items)
        if not next_page.more:
            return
        before = next_page.cursor


def compacted(messages: Iterator[Message], strategy: Type[Strategy]) -> List[Message]:
    """opencode's ``filterCompacted``: walk newest → oldest, stop at the last finished compaction.

    Returns the kept messages in chronological order, with the retained tail of a
    ``tail_start_id`` compaction moved after its summary, as opencode does.
    """
    field = strategy.field
    result: List[Message] = []
    completed = set()
    retain = None
    for message in messages:
        result.append(message)
        info = message["info"]
        if retain is not None:
            if field(info, "id") == retain:
                break
            continue
        role = field(info, "role")
        if role == "user" and field(info, "id") in completed:
            part = next((p for p in message["parts"] if field(p, "type") == "compaction"), None)
            if part is None:
                continue
            retain = field(part, "tail_start_id")
            if not retain or field(info, "id") == retain:
                break
            continue
        if role == "assistant" and field(info, "summary") and field(info, "finish") and not field(info, "error"):
            completed.add(field(info, "parentID"))
    result.reverse()
    return _move_retained_tail(result, field)


def _move_retained_tail(result: List[Message], field: Any) -> List[Message]:
    def has_tail(message: Message) -> bool:
        return field(message["info"], "role") == "user" and any(
            field(p, "type") == "compaction" and field(p, "tail_start_id") is not None for p in message["parts"]
        )

    compaction = max((i for i, message in enumerate(result) if has_tail(message)), default=-1)
    if compaction < 0:
        return result
    marker = result[compaction]
    tail_id = next(
        field(p, "tail_start_id")
        for p in marker["parts"]
        if field(p, "type") == "compaction" and field(p, "tail_start_id") is not None
    )
    marker_id = field(marker["info"], "id")
    summary = next(
        (
            i
            for i in range(compaction + 1, len(result))
            if field(result[i]["info"], "role") == "assistant"
            and field(result[i]["info"], "summary")
            and field(result[i]["info"], "parentID") == marker_id
        ),
        -1,
    )
    tail = next((i for i, message in enumerate(result) if field(message["info"], "id") == tail_id), -1)
    if 0 <= tail < compaction < summary:
        return result[compaction : summary + 1] + result[tail:compaction] + result[summary + 1 :]
    return result


def filter_compacted(
    conn: sqlite3.Connection, strategy: Type[Strategy], session_id: str, limit: int = PAGE_SIZE
) -> List[Message]:
    """``filterCompacted(stream(session))``, ``limit`` messages per page. At PR #29029 ``stream`` is a
    generator and the walk breaks at the boundary, so only the pages down to it are read (and built);
    a session without a finished compaction is read whole."""
    return compacted(stream(conn, strategy, session_id, limit), strategy)


class GrowingSession:
    """A scratch copy of one session that grows the way opencode's agent loop makes it grow.

    It starts with the session's oldest ``start`` messages (and their parts) in an
    in-memory SQLite database with opencode's layout; ``grow(n)`` appends the next
    ``n`` stored messages of the same session, as a running prompt writes them.
    Each appended row is written as opencode's ORM writes it, ``time_updated`` set to
    the time of the write: the replay's clock, which moves to each row's
    ``time_created`` and never goes back. (A stored row holds the time of its *last*
    update, which can lie after later messages were created; the replay writes the
    row in its final state when it is created.)
    """

    def __init__(self, source: sqlite3.Connection, session_id: str, start: int) -> None:
        from harness.store import create_tables

        if not session_exists(source, session_id):
            raise MissingSession(f"no session {session_id!r} in the dataset")
        self.session_id = session_id
        self.pending = source.execute(
            f"{SELECT_MESSAGES} WHERE session_id = ? ORDER BY time_created, id", (session_id,)
        ).fetchall()
        grouped: Dict[str, List[Tuple]] = {}
        for part in source.execute(f"{SELECT_PARTS} WHERE session_id = ? ORDER BY message_id, id", (session_id,)):
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
    part into the newest user message's ``parts`` list (opencode does this with synthetic
    parts; the list must not be shared)."""
    session.grow(growth)
    history = read() if read is not None else filter_compacted(session.conn, strategy, session.session_id)
    field = strategy.field
    for message in reversed(history):
        if field(message["info"], "role") == "user":
            message["parts"].append(SYNTHETIC_PART)
            break
    return history


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
    the history read through ``read_path`` (``harness.read_paths``)."""
    from harness.read_paths import history_reader  # it builds on this module

    session = GrowingSession(source, session_id, start)
    if iterations * growth > session.remaining:
        raise too_few(f"session {session_id!r}", session.total, f"{start} + {iterations} × {growth}")
    read = history_reader(read_path, session.conn, strategy, session_id)
    steps = []
    for _ in range(iterations):
        kept = len(loop_iteration(session, strategy, growth, read))
        steps.append((session.size, kept))
    return steps


def hydrate_all(strategy: Type[Strategy], messages: Sequence[Tuple], parts: Sequence[Tuple]) -> Tuple[list, list]:
    """Pure build throughput: every info and every part, no SQLite."""
    info, part = strategy.info, strategy.part
    return [info(row) for row in messages], [part(row) for row in parts]


def access(strategy: Type[Strategy], infos: Sequence[Any], iterations: int = 200) -> float:
    """The seed's loop: 7 properties of every info, ``iterations`` times, in native syntax."""
    return strategy.access(infos, iterations)
