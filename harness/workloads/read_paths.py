"""Read paths: how the agent loop gets its history — a measured dimension of ``filter_compacted``
and ``run_loop``. Each returns what opencode's ``filterCompacted(stream(session))`` returns: the kept
messages oldest first, each ``{info, parts}``, the newest user message's ``parts`` a fresh list (the
agent loop adds its parts there); ``full`` and ``cache-aware`` give every message a fresh list.

- ``full`` — opencode at PR #29029 (the default): page by page, newest first, down to the compaction
  boundary (all of a session without one), each page's rows and their parts are read with
  their ``data``, every row is built (a ``cached:<name>`` strategy reuses its object but still
  parses the data, as opencode's ORM does) and walked by ``filterCompacted`` as it arrives.
- ``cache-aware`` — the page query reads ``(id, time_created, time_updated)`` first, and the parts
  query ``(id, message_id, time_updated)``; ``data`` is read (and decoded) only for the rows the row
  cache misses, so a hit costs no JSON decode and no blob read. Needs a ``cached:<name>`` strategy.
  Its page cursor is a row value, ``(time_created, id) < (?, ?)``: the same rows as opencode's
  ``OR`` form, but through the index (``harness.workloads.opencode.OR_CURSOR`` says why that matters).
  What a warm read costs is then the queries and a step per row, so it pages ``KEY_PAGE`` messages
  at a time (not opencode's 50), the cache is asked for a page's rows in one loop, and the key
  queries are answered by covering indexes it creates (``COVERING_INDEXES``).
- ``incremental`` — keeps the history it returned and reads only the rows created or updated since
  its watermark: a read costs what changed, the compaction boundary and the tail reorder applied
  exactly as ``filterCompacted`` would; its other messages are shared between reads, read-only
  (``harness.workloads.incremental``: what it needs of writers and of the schema).
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
#: Messages per page of the cache-aware path: a page of keys costs a query whatever its size, and
#: reading one beyond the compaction boundary costs little (keys only), so its pages are larger.
KEY_PAGE = CHUNK

#: The key rows: a message's are its row's first four columns (``time_updated`` at ``MESSAGE_UPDATED``),
#: a part's its id, its message's and its ``time_updated`` (at ``_PART_KEY_UPDATED``).
_MESSAGE_KEYS = "SELECT id, session_id, time_created, time_updated FROM message"
_PART_KEYS = "SELECT id, message_id, time_updated FROM part"
_PART_KEY_UPDATED = 2


class ReadPathError(ValueError):
    """A read path that does not exist, or cannot run with the strategy it was given."""


def history_reader(
    name: str, conn: sqlite3.Connection, strategy: Type[Strategy], session_id: str, limit: Optional[int] = None
) -> HistoryRead:
    """A zero-argument read of the session's kept history through read path ``name``, in pages of
    ``limit`` messages where it pages (default: opencode's ``PAGE_SIZE``; cache-aware ``KEY_PAGE``)."""
    if name == "full":
        return lambda: filter_compacted(conn, strategy, session_id, limit=limit or PAGE_SIZE)
    if name == "cache-aware":
        if getattr(strategy, "info_cache", None) is None:
            raise ReadPathError(
                f"read path cache-aware needs a row cache: use strategy 'cached:{strategy.name}', not {strategy.name!r}"
            )
        for index in COVERING_INDEXES:
            conn.execute(index)
        pages = limit or KEY_PAGE
        return lambda: compacted(stream(conn, strategy, session_id, pages, read_page=cache_aware_page), strategy)
    if name == "incremental":
        return IncrementalHistory(conn, strategy, session_id)
    raise ReadPathError(f"unknown read path {name!r}; choose from {', '.join(READ_PATHS)}")


# ---------------------------------------------------------------- cache-aware


def _rows_in(conn: sqlite3.Connection, select: str, column: str, values: Sequence[str], order: str = "") -> List[Tuple]:
    """The rows of ``select`` whose ``column`` is one of ``values`` (``CHUNK`` values per query), each
    query's in ``order`` (an ``ORDER BY`` clause, or none)."""
    rows: List[Tuple] = []
    for start in range(0, len(values), CHUNK):
        chunk = values[start : start + CHUNK]
        rows += conn.execute(f"{select} WHERE {column} IN ({', '.join('?' * len(chunk))}){order}", chunk)
    return rows


#: A table as the cache-aware path reads it: the query of whole rows and where time_updated is in it
#: and in the table's key rows.
Table = Tuple[str, int, int]
MESSAGES: Table = (SELECT_MESSAGES, MESSAGE_UPDATED, MESSAGE_UPDATED)
PARTS: Table = (SELECT_PARTS, PART_UPDATED, _PART_KEY_UPDATED)
#: Indexes that answer the key queries alone (opencode's lack ``time_updated``, so each key row would
#: be looked up in its table, whose pages are mostly ``data``): created by the cache-aware path.
COVERING_INDEXES = (
    "CREATE INDEX IF NOT EXISTS message_session_time_created_id_updated_idx"
    " ON message(session_id, time_created, id, time_updated)",
    "CREATE INDEX IF NOT EXISTS part_message_id_id_updated_idx ON part(message_id, id, time_updated)",
)


def _reuse_or_read(
    conn: sqlite3.Connection, cache: RowCache, build: Callable[[Tuple], Any], table: Table, keys: List[Tuple]
) -> List[Any]:
    """The objects of the rows whose key rows are ``keys`` (id first): cached ones as they are, the
    others read whole from ``table`` and built into the cache."""
    select, updated_column, key_updated = table
    found = cache.lookup_many(keys, key_updated)
    missing = [keys[index][ROW_ID] for index, obj in enumerate(found) if obj is MISSING]
    if missing:
        rows = {row[ROW_ID]: row for row in _rows_in(conn, select, "id", missing)}
        for index, obj in enumerate(found):
            if obj is MISSING:
                row = rows[keys[index][ROW_ID]]
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
    infos = _reuse_or_read(conn, info_cache, base.info, MESSAGES, rows)
    grouped: Dict[str, List[Any]] = {mid: [] for mid in ids}
    keys = _rows_in(conn, _PART_KEYS, "message_id", ids, " ORDER BY message_id, id")
    for key, part in zip(keys, _reuse_or_read(conn, part_cache, base.part, PARTS, keys)):
        grouped[key[1]].append(part)
    return as_page([{"info": info, "parts": grouped[mid]} for mid, info in zip(ids, infos)], rows, more)
