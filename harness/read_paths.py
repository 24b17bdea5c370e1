"""Read paths: how the agent loop gets its history — a measured dimension of ``filter_compacted``
and ``run_loop``. Each returns what opencode's ``filterCompacted(stream(session))`` returns: the kept
messages oldest first, each ``{info, parts}`` with a fresh ``parts`` list.

- ``full`` — opencode at PR #29029 (the default): every page's rows and their parts are read with
  their ``data``, every row is built (a ``cached:<name>`` strategy reuses its object but still
  parses the data, as opencode's ORM does), then the history is walked to the compaction boundary.
- ``cache-aware`` — the page query reads ``(id, time_created, time_updated)`` first, and the parts
  query ``(id, message_id, time_updated)``; ``data`` is read (and decoded) only for the rows the row
  cache misses, so a hit costs no JSON decode and no blob read. Needs a ``cached:<name>`` strategy.
- ``incremental`` — keeps the hydrated history between reads and reads only the rows created or
  updated since its watermark (the largest ``time_updated`` seen, per table; rows at the watermark
  are read again and skipped when unchanged), then re-applies the compaction boundary and the tail
  reorder with opencode's own walk (``harness.workloads.compacted``). It needs writers to stamp
  ``time_updated`` from a clock that never goes back (opencode's ORM does: ``Date.now()`` on every
  write) and an index on ``(session_id, time_updated)`` of both tables, which opencode lacks: it
  creates them. Deleted rows are not seen (opencode removes messages on revert; a tombstone or a
  row count would be needed).
"""

from __future__ import annotations

import bisect
import sqlite3
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Type

from harness.canonical import (
    MESSAGE_COLUMNS,
    MESSAGE_CREATED,
    MESSAGE_UPDATED,
    PART_COLUMNS,
    PART_MESSAGE,
    PART_UPDATED,
    ROW_ID,
)
from harness.strategies.base import Strategy
from harness.strategies.cache import MISSING, RowCache
from harness.workloads import (
    PAGE_SIZE,
    Cursor,
    HistoryRead,
    Message,
    MissingSession,
    Page,
    compacted,
    filter_compacted,
    page_rows,
    session_exists,
    stream,
)

READ_PATHS: Tuple[str, ...] = ("full", "cache-aware", "incremental")
#: Rows per ``IN (...)`` list (SQLite's oldest limit on bound parameters is 999).
CHUNK = 500

_MESSAGE_KEYS = "SELECT id, session_id, time_created, time_updated FROM message"
_PART_KEYS = "SELECT id, message_id, time_updated FROM part"
_MESSAGES = f"SELECT {', '.join(MESSAGE_COLUMNS)} FROM message"
_PARTS = f"SELECT {', '.join(PART_COLUMNS)} FROM part"


class ReadPathError(ValueError):
    """A read path that does not exist, or cannot run with the strategy it was given."""


def history_reader(name: str, conn: sqlite3.Connection, strategy: Type[Strategy], session_id: str) -> HistoryRead:
    """A zero-argument read of the session's kept history through read path ``name``."""
    if name == "full":
        return lambda: filter_compacted(conn, strategy, session_id)
    if name == "cache-aware":
        if getattr(strategy, "info_cache", None) is None:
            raise ReadPathError(
                f"read path cache-aware needs a row cache: use strategy 'cached:{strategy.name}', not {strategy.name!r}"
            )
        return lambda: compacted(iter(list(stream(conn, strategy, session_id, read_page=cache_aware_page))), strategy)
    if name == "incremental":
        return IncrementalHistory(conn, strategy, session_id)
    raise ReadPathError(f"unknown read path {name!r}; choose from {', '.join(READ_PATHS)}")


# ---------------------------------------------------------------- cache-aware


def _rows_by_id(conn: sqlite3.Connection, select: str, ids: Sequence[str]) -> Dict[str, Tuple]:
    found: Dict[str, Tuple] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        for row in conn.execute(f"{select} WHERE id IN ({', '.join('?' * len(chunk))})", chunk):
            found[row[ROW_ID]] = row
    return found


def _reuse_or_read(
    conn: sqlite3.Connection,
    cache: RowCache,
    build: Callable[[Tuple], Any],
    select: str,
    updated_column: int,
    keys: List[Tuple[str, int]],
) -> List[Any]:
    """The objects of rows ``keys`` ((id, time_updated) pairs): cached ones as they are, the others
    read with their data (``select``, whose ``updated_column`` is time_updated) and built into the cache."""
    found = [cache.lookup(row_id, updated) for row_id, updated in keys]
    missing = [keys[index][0] for index, obj in enumerate(found) if obj is MISSING]
    if missing:
        rows = _rows_by_id(conn, select, missing)
        for index, obj in enumerate(found):
            if obj is MISSING:
                row = rows[keys[index][0]]
                found[index] = cache.miss(row[ROW_ID], row[updated_column], build, row)
    return found


def cache_aware_page(
    conn: sqlite3.Connection,
    strategy: Type[Strategy],
    session_id: str,
    before: Optional[Cursor] = None,
    limit: int = PAGE_SIZE,
) -> Page:
    """``page`` through the row cache: keys first, data only for the rows the cache misses."""
    rows, more = page_rows(conn, _MESSAGE_KEYS, session_id, before, limit)
    base = strategy.built_from  # type: ignore[attr-defined]
    ids = [row[ROW_ID] for row in rows]
    infos = _reuse_or_read(
        conn,
        strategy.info_cache,  # type: ignore[attr-defined]
        base.info,
        _MESSAGES,
        MESSAGE_UPDATED,
        [(row[ROW_ID], row[MESSAGE_UPDATED]) for row in rows],
    )
    grouped: Dict[str, List[Any]] = {mid: [] for mid in ids}
    if ids:
        keys = conn.execute(
            f"{_PART_KEYS} WHERE message_id IN ({', '.join('?' * len(ids))}) ORDER BY message_id, id", ids
        ).fetchall()
        parts = _reuse_or_read(
            conn,
            strategy.part_cache,  # type: ignore[attr-defined]
            base.part,
            _PARTS,
            PART_UPDATED,
            [(part_id, updated) for part_id, _, updated in keys],
        )
        for key, part in zip(keys, parts):
            grouped[key[1]].append(part)
    items: List[Message] = [{"info": info, "parts": grouped[mid]} for mid, info in zip(ids, infos)]
    items.reverse()
    cursor = (rows[-1][MESSAGE_CREATED], rows[-1][ROW_ID]) if more else None
    return Page(items, more, cursor)


# ---------------------------------------------------------------- incremental


class IncrementalHistory:
    """The ``incremental`` read path: a session's hydrated history kept between reads.

    ``order`` holds (time_created, id) of every message in page order (ascending); per message id
    ``infos`` the built info and ``versions`` its (time_updated, time_created), ``part_ids`` its parts'
    ids (ascending) and ``parts`` the built parts in that order; ``part_versions`` per part id.
    """

    def __init__(self, conn: sqlite3.Connection, strategy: Type[Strategy], session_id: str) -> None:
        if not session_exists(conn, session_id):
            raise MissingSession(f"no session {session_id!r} in the dataset")
        for table in ("message", "part"):
            conn.execute(
                f"CREATE INDEX IF NOT EXISTS {table}_session_time_updated_idx ON {table}(session_id, time_updated)"
            )
        self.conn, self.strategy, self.session_id = conn, strategy, session_id
        self.order: List[Tuple[int, str]] = []
        self.infos: Dict[str, Any] = {}
        self.versions: Dict[str, Tuple[int, int]] = {}
        self.part_ids: Dict[str, List[str]] = {}
        self.parts: Dict[str, List[Any]] = {}
        self.part_versions: Dict[str, int] = {}
        self.marks = [-1, -1]  # the largest time_updated read from message, from part

    def _changed(self, select: str, which: int, updated_column: int) -> List[Tuple]:
        rows = self.conn.execute(
            f"{select} WHERE session_id = ? AND time_updated >= ? ORDER BY time_updated",
            (self.session_id, self.marks[which]),
        ).fetchall()
        if rows:
            self.marks[which] = rows[-1][updated_column]
        return rows

    def refresh(self) -> None:
        """Read and build the rows created or updated since the last read."""
        info = self.strategy.info
        for row in self._changed(_MESSAGES, 0, MESSAGE_UPDATED):
            mid, version = row[ROW_ID], (row[MESSAGE_UPDATED], row[MESSAGE_CREATED])
            known = self.versions.get(mid)
            if known == version:
                continue
            if known is None or known[1] != version[1]:
                if known is not None:  # time_created moved: the message moves in the page order
                    del self.order[bisect.bisect_left(self.order, (known[1], mid))]
                bisect.insort(self.order, (version[1], mid))
            self.infos[mid], self.versions[mid] = info(row), version
        build = self.strategy.part
        for row in self._changed(_PARTS, 1, PART_UPDATED):
            pid, updated = row[ROW_ID], row[PART_UPDATED]
            if self.part_versions.get(pid) == updated:
                continue
            ids = self.part_ids.setdefault(row[PART_MESSAGE], [])
            objs = self.parts.setdefault(row[PART_MESSAGE], [])
            index = bisect.bisect_left(ids, pid)
            if index < len(ids) and ids[index] == pid:
                objs[index] = build(row)
            else:
                ids.insert(index, pid)
                objs.insert(index, build(row))
            self.part_versions[pid] = updated

    def __call__(self) -> List[Message]:
        self.refresh()
        infos, parts, empty = self.infos, self.parts, ()
        newest_first = ({"info": infos[mid], "parts": list(parts.get(mid, empty))} for _, mid in reversed(self.order))
        return compacted(newest_first, self.strategy)
