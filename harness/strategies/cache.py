"""A bounded row cache that wraps any strategy as ``cached:<name>``.

As in opencode PR #29029, built objects are cached per row id and reused while
the row's ``time_updated`` is unchanged (an updated row is rebuilt and replaces
its entry). Bounds default to opencode's (200,000 infos, 400,000 parts). Two
eviction policies: ``fifo`` drops the oldest-inserted 10 % when full (opencode's),
``lru`` drops the least recently used entry. The cache holds infos and parts,
never the ``parts`` lists of hydrated messages: callers get a fresh list each time.

Faithful to the PR, a hit still pays the JSON decode: opencode's ORM (drizzle, a
``text({mode: "json"})`` column) parses every selected row's ``data`` before the
cache sees the row, so ``cached:<name>`` decodes the row's data with ``json.loads``
on a hit and drops the result (``ORM_PARSE``). The ``cache-aware`` read path
(``harness.workloads.read_paths``) asks the cache first (``RowCache.lookup_many``) and reads and
decodes ``data`` only for the rows it misses.
"""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Type

from harness.canonical import MESSAGE_UPDATED, PART_UPDATED, ROW_DATA, ROW_ID
from harness.strategies._from_schema import Built
from harness.strategies.base import Strategy
from harness.strategy_names import CACHED

POLICIES = ("fifo", "lru")
DEFAULT_INFO_CAPACITY = 200_000
DEFAULT_PART_CAPACITY = 400_000
#: What opencode's ORM does to the ``data`` of every row it selects, hit or miss (drizzle's JSON.parse).
ORM_PARSE = json.loads
#: ``RowCache.lookup_many``'s answer for a row it does not hold (or holds at another ``time_updated``).
MISSING = object()


class RowCache:
    """Objects keyed by row id, valid for one ``time_updated``; bounded, with counters."""

    def __init__(self, capacity: int, policy: str = "fifo") -> None:
        if capacity < 1:
            raise ValueError(f"cache capacity must be at least 1, got {capacity}")
        if policy not in POLICIES:
            raise ValueError(f"unknown eviction policy {policy!r}; choose {' or '.join(POLICIES)}")
        self.capacity = capacity
        #: An ``OrderedDict`` under ``lru`` (kept in use order), a plain dict under ``fifo``.
        self.entries: Dict[str, Tuple[int, Any]] = OrderedDict() if policy == "lru" else {}
        self.hits = self.misses = self.evictions = 0

    def __len__(self) -> int:
        return len(self.entries)

    def miss(self, row_id: str, updated: int, build: Callable[[Tuple], Any], row: Tuple) -> Any:
        """Build and store the object of a row that is absent or changed."""
        self.misses += 1
        value = build(row)
        if row_id not in self.entries and len(self.entries) >= self.capacity:
            self._evict()
        self.entries[row_id] = (updated, value)
        return value

    def lookup_many(self, keys: Sequence[Tuple], updated_column: int) -> List[Any]:
        """Per key row (its id first, its ``time_updated`` in ``updated_column``) the object cached
        for it at that ``time_updated`` (a hit), or ``MISSING`` (not counted: the caller builds the
        row through ``miss``): one loop over the rows, no call per row."""
        get = self.entries.get
        found: List[Any] = []
        append = found.append
        for key in keys:
            entry = get(key[ROW_ID])
            append(entry[1] if entry is not None and entry[0] == key[updated_column] else MISSING)
        self.hits += len(found) - found.count(MISSING)
        if isinstance(self.entries, OrderedDict):
            move_to_end = self.entries.move_to_end
            for key, obj in zip(keys, found):
                if obj is not MISSING:
                    move_to_end(key[ROW_ID])
        return found

    def in_front_of(
        self, build: Callable[[Tuple], Any], updated_column: int, parse: Optional[Callable[[str], Any]] = None
    ) -> Callable[[Tuple], Any]:
        """``build`` behind this cache: rows are keyed by their id and valid while column
        ``updated_column`` (``time_updated``) is unchanged; on a hit the row's data still goes
        through ``parse`` when one is given (opencode's ORM parses it before the cache sees it). The
        hit path is inlined for hot loops."""
        entries = self.entries
        get, miss = entries.get, self.miss
        move_to_end = entries.move_to_end if isinstance(entries, OrderedDict) else None

        def reuse_or_build(row: Tuple) -> Any:
            entry = get(row[ROW_ID])
            if entry is not None and entry[0] == row[updated_column]:
                if parse is not None:
                    parse(row[ROW_DATA])
                self.hits += 1
                if move_to_end is not None:
                    move_to_end(row[ROW_ID])
                return entry[1]
            return miss(row[ROW_ID], row[updated_column], build, row)

        return reuse_or_build

    def _evict(self) -> None:
        if isinstance(self.entries, OrderedDict):
            self.entries.popitem(last=False)
            self.evictions += 1
            return
        oldest = list(self.entries)[: max(1, math.ceil(self.capacity * 0.1))]
        for key in oldest:
            del self.entries[key]
        self.evictions += len(oldest)

    def stats(self) -> Dict[str, int]:
        return {
            "size": len(self.entries),
            "capacity": self.capacity,
            "hits": self.hits,
            "misses": self.misses,
            "evictions": self.evictions,
        }


def with_row_cache(
    base: Type[Strategy],
    info_capacity: int = DEFAULT_INFO_CAPACITY,
    part_capacity: int = DEFAULT_PART_CAPACITY,
    policy: str = "fifo",
) -> Type[Strategy]:
    """A new strategy class ``cached:<base>`` with its own pair of caches in front of ``base``; a hit
    still decodes the row's data (``ORM_PARSE``), as opencode's ORM does before its cache."""
    infos, parts = RowCache(info_capacity, policy), RowCache(part_capacity, policy)

    def build() -> Dict[str, Callable[[Tuple], Any]]:  # on first use: ``base`` may not run here
        return {
            "info": infos.in_front_of(base.info, MESSAGE_UPDATED, ORM_PARSE),
            "part": parts.in_front_of(base.part, PART_UPDATED, ORM_PARSE),
        }

    class Cached(base):  # type: ignore[valid-type, misc]
        name = CACHED + base.name
        description = f"{base.name} behind a bounded ({policy}) row cache keyed by (id, time_updated)"
        info_cache, part_cache = infos, parts
        built_from = base
        info = Built(build)
        part = Built(build)

    Cached.__qualname__ = Cached.__name__ = f"Cached_{base.__name__}"
    return Cached
