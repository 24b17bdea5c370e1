"""A bounded row cache that wraps any strategy as ``cached:<name>``.

As in opencode PR #29029, built objects are cached per row id and reused while
the row's ``time_updated`` is unchanged (an updated row is rebuilt and replaces
its entry). Bounds default to opencode's (200,000 infos, 400,000 parts). Two
eviction policies: ``fifo`` drops the oldest-inserted 10 % when full (opencode's),
``lru`` drops the least recently used entry. The cache holds infos and parts,
never the ``parts`` lists of hydrated messages: callers get a fresh list each time.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any, Callable, Dict, Tuple, Type

from harness.canonical import MESSAGE_UPDATED, PART_UPDATED, ROW_ID
from harness.strategies.base import Strategy

POLICIES = ("fifo", "lru")
DEFAULT_INFO_CAPACITY = 200_000
DEFAULT_PART_CAPACITY = 400_000
PREFIX = "cached:"


class RowCache:
    """Objects keyed by row id, valid for one ``time_updated``; bounded, with counters."""

    def __init__(self, capacity: int, policy: str = "fifo") -> None:
        if capacity < 1:
            raise ValueError(f"cache capacity must be at least 1, got {capacity}")
        if policy not in POLICIES:
            raise ValueError(f"unknown eviction policy {policy!r}; choose {' or '.join(POLICIES)}")
        self.capacity = capacity
        self.policy = policy
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

    def in_front_of(self, build: Callable[[Tuple], Any], updated_column: int) -> Callable[[Tuple], Any]:
        """``build`` behind this cache: rows are keyed by their id and valid while column
        ``updated_column`` (``time_updated``) is unchanged; the hit path is inlined for hot loops."""
        get, miss, lru = self.entries.get, self.miss, self.policy == "lru"
        move_to_end = getattr(self.entries, "move_to_end", None)

        def reuse_or_build(row: Tuple) -> Any:
            entry = get(row[ROW_ID])
            if entry is not None and entry[0] == row[updated_column]:
                self.hits += 1
                if lru:
                    move_to_end(row[ROW_ID])
                return entry[1]
            return miss(row[ROW_ID], row[updated_column], build, row)

        return reuse_or_build

    def _evict(self) -> None:
        if self.policy == "lru":
            self.entries.popitem(last=False)  # type: ignore[call-arg]
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
    """A new strategy class ``cached:<base>`` with its own pair of caches in front of ``base``."""
    infos, parts = RowCache(info_capacity, policy), RowCache(part_capacity, policy)

    class Cached(base):  # type: ignore[valid-type, misc]
        name = PREFIX + base.name
        description = f"{base.name} behind a bounded ({policy}) row cache keyed by (id, time_updated)"
        info_cache, part_cache = infos, parts
        info = staticmethod(infos.in_front_of(base.info, MESSAGE_UPDATED))
        part = staticmethod(parts.in_front_of(base.part, PART_UPDATED))

    Cached.__qualname__ = Cached.__name__ = f"Cached_{base.__name__}"
    return Cached
