"""opencode's read path: ``page`` / ``hydrate`` / ``stream`` / ``filter_compacted``.

They follow opencode's ``message-v2.ts`` at PR #29029 (SQL, ordering, compaction rules). Every
workload takes a strategy class from the registry and never imports one.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Type

from harness.canonical import (
    MESSAGE_COLUMNS,
    MESSAGE_CREATED,
    PART_COLUMNS,
    PART_MESSAGE,
    ROW_ID,
)
from harness.protocol.job import Job
from harness.store import Dataset
from harness.strategies.base import Strategy
from harness.workloads.binding import MissingSession, Prepared, longest_session

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


def bind_page(job: Job, strategy: Type[Strategy], dataset: Dataset, rounds: Optional[int]) -> Prepared:
    session_id = job.session or longest_session(dataset)
    limit = job.params["limit"]
    return Prepared(strategy, lambda: page(dataset.conn, strategy, session_id, limit=limit), limit, "message", dataset)
