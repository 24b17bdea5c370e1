"""Read paths: how the agent loop gets its history — a measured dimension of ``filter_compacted``
and ``run_loop``. Each returns what opencode's ``filterCompacted(stream(session))`` returns: the kept
messages oldest first, each ``{info, parts}`` with a fresh ``parts`` list.

- ``full`` — opencode at PR #29029 (the default): page by page, newest first, down to the compaction
  boundary (all of a session without one), each page's rows and their parts are read with
  their ``data``, every row is built (a ``cached:<name>`` strategy reuses its object but still
  parses the data, as opencode's ORM does) and walked by ``filterCompacted`` as it arrives.
- ``cache-aware`` — the page query reads ``(id, time_created, time_updated)`` first, and the parts
  query ``(id, message_id, time_updated)``; ``data`` is read (and decoded) only for the rows the row
  cache misses, so a hit costs no JSON decode and no blob read. Needs a ``cached:<name>`` strategy.
  Its page cursor is a row value, ``(time_created, id) < (?, ?)``: the same rows as opencode's
  ``OR`` form, but through the index (``harness.workloads.opencode.OR_CURSOR`` says why that matters).
- ``incremental`` — keeps the hydrated history between reads and reads only the rows created or
  updated since its watermark, then re-applies the compaction boundary and the tail reorder exactly
  as ``filterCompacted`` would (``harness.workloads.incremental``: what it needs of writers and of the schema).
"""

from __future__ import annotations

import sqlite3
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Type

from harness.canonical import MESSAGE_UPDATED, PART_UPDATED, ROW_ID
from harness.strategies.base import Strategy
from harness.strategies.cache import MISSING, RowCache
from harness.workloads.catalogue import READ_PATHS
from harness.workloads.incremental import IncrementalHistory
from harness.workloads.opencode import (
    PAGE_SIZE,
    ROW_VALUE_CURSOR,
    SELECT_MESSAGES,
    SELECT_PARTS,
    Cursor,
    HistoryRead,
    Page,
    as_page,
    compacted,
    filter_compacted,
    page_rows,
    stream,
)

#: Rows per ``IN (...)`` list (SQLite's oldest limit on bound parameters is 999).
CHUNK = 500

_MESSAGE_KEYS = "SELECT id, session_id, time_created, time_updated FROM message"
_PART_KEYS = "SELECT id, message_id, time_updated FROM part"


class ReadPathError(ValueError):
    """A read path that does not exist, or cannot run with the strategy it was given."""


def history_reader(
    name: str, conn: sqlite3.Connection, strategy: Type[Strategy], session_id: str, limit: int = PAGE_SIZE
) -> HistoryRead:
    """A zero-argument read of the session's kept history through read path ``name`` (pages of
    ``limit`` messages where it pages)."""
    if name == "full":
        return lambda: filter_compacted(conn, strategy, session_id, limit=limit)
    if name == "cache-aware":
        if getattr(strategy, "info_cache", None) is None:
            raise ReadPathError(
                f"read path cache-aware needs a row cache: use strategy 'cached:{strategy.name}', not {strategy.name!r}"
            )
        return lambda: compacted(stream(conn, strategy, session_id, limit, read_page=cache_aware_page), strategy)
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


#: A table as the cache-aware path reads it: the query of whole rows and where time_updated is.
Table = Tuple[str, int]
MESSAGES: Table = (SELECT_MESSAGES, MESSAGE_UPDATED)
PARTS: Table = (SELECT_PARTS, PART_UPDATED)


def _reuse_or_read(
    conn: sqlite3.Connection, cache: RowCache, build: Callable[[Tuple], Any], table: Table, keys: List[Tuple[str, int]]
) -> List[Any]:
    """The objects of rows ``keys`` ((id, time_updated) pairs): cached ones as they are, the others
    read whole from ``table`` and built into the cache."""
    found = [cache.lookup(row_id, updated) for row_id, updated in keys]
    missing = [keys[index][0] for index, obj in enumerate(found) if obj is MISSING]
    if missing:
        select, updated_column = table
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
    rows, more = page_rows(conn, _MESSAGE_KEYS, session_id, before, limit, ROW_VALUE_CURSOR)
    base, info_cache, part_cache = strategy.built_from, strategy.info_cache, strategy.part_cache  # type: ignore
    ids = [row[ROW_ID] for row in rows]
    infos = _reuse_or_read(conn, info_cache, base.info, MESSAGES, [(row[ROW_ID], row[MESSAGE_UPDATED]) for row in rows])
    grouped: Dict[str, List[Any]] = {mid: [] for mid in ids}
    if ids:
        keys = conn.execute(
            f"{_PART_KEYS} WHERE message_id IN ({', '.join('?' * len(ids))}) ORDER BY message_id, id", ids
        ).fetchall()
        parts = _reuse_or_read(conn, part_cache, base.part, PARTS, [(part_id, updated) for part_id, _, updated in keys])
        for key, part in zip(keys, parts):
            grouped[key[1]].append(part)
    return as_page([{"info": info, "parts": grouped[mid]} for mid, info in zip(ids, infos)], rows, more)
