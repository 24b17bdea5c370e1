"""The ``incremental`` read path: a session's hydrated history kept between reads of the agent loop.

Each read asks SQLite only for the rows created or updated since its watermark (the largest
``time_updated`` read from each table; rows at the watermark are read again and skipped when
unchanged, so a write in the same millisecond is not lost), builds those, and then returns what
opencode's ``filterCompacted(stream(session))`` returns: the kept messages, each with a fresh
``parts`` list. The walk to the compaction boundary and the retained-tail move are those of
``harness.workloads.compacted`` / ``_move_retained_tail``, run over a few facts per message (role,
whether it finishes a summary, its compaction part) that are worked out when the message or one
of its parts is built, so a read costs the new rows plus one small step per kept message.

It needs what a watermark needs: writers that stamp ``time_updated`` from a clock that never goes
back (opencode's ORM: ``Date.now()`` on every write), and an index on ``(session_id,
time_updated)`` of both tables, which opencode lacks (it is created here). Deleted rows are not
seen (opencode removes messages on revert; a tombstone or a row count would be needed).
"""

from __future__ import annotations

import bisect
import sqlite3
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Set, Tuple, Type

from harness.canonical import MESSAGE_CREATED, MESSAGE_UPDATED, PART_MESSAGE, PART_UPDATED, ROW_ID
from harness.strategies.base import Strategy
from harness.workloads import SELECT_MESSAGES, SELECT_PARTS, Message, MissingSession, session_exists

#: A user message's first compaction part is absent (a compaction part's tail may be None).
NO_COMPACTION = object()


class Facts(NamedTuple):
    """What the boundary walk reads of one message (``compacted`` / ``_move_retained_tail``)."""

    role: Any
    parent: Any  # parentID (assistants)
    finishes: bool  # an assistant summary that finished without error: its parent is a boundary
    summary: bool  # an assistant with a truthy summary (the tail move's anchor)
    compaction: Any  # the first compaction part's tail_start_id, or NO_COMPACTION
    tail: Optional[str]  # the first non-None tail_start_id among compaction parts (a user's)


def facts_of(strategy: Type[Strategy], info: Any, parts: Sequence[Any]) -> Facts:
    field = strategy.field
    role = field(info, "role")
    assistant = role == "assistant"
    summary = assistant and bool(field(info, "summary"))
    compactions = [part for part in parts if field(part, "type") == "compaction"]
    tails = [field(part, "tail_start_id") for part in compactions]
    return Facts(
        role,
        field(info, "parentID") if assistant else None,
        summary and bool(field(info, "finish")) and not field(info, "error"),
        summary,
        tails[0] if compactions else NO_COMPACTION,
        next((tail for tail in tails if tail is not None), None) if role == "user" else None,
    )


class IncrementalHistory:
    """``incremental``: call it for the kept history; it reads and builds only what changed.

    ``order`` holds (time_created, id) of every message in page order (ascending); per message id
    ``infos`` the built info, ``versions`` its (time_updated, time_created), ``part_ids`` its parts'
    ids (ascending) and ``parts`` the built parts in that order (tuples) and ``facts`` its walk facts;
    ``part_versions`` per part id; ``tails`` the ids of user messages with a retained tail.
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
        self.part_ids: Dict[str, Tuple[str, ...]] = {}
        self.parts: Dict[str, Tuple[Any, ...]] = {}
        self.part_versions: Dict[str, int] = {}
        self.facts: Dict[str, Facts] = {}
        self.tails: Set[str] = set()
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
        touched: Set[str] = set()
        info = self.strategy.info
        for row in self._changed(SELECT_MESSAGES, 0, MESSAGE_UPDATED):
            mid, version = row[ROW_ID], (row[MESSAGE_UPDATED], row[MESSAGE_CREATED])
            known = self.versions.get(mid)
            if known == version:
                continue
            if known is None or known[1] != version[1]:
                if known is not None:  # time_created moved: the message moves in the page order
                    del self.order[bisect.bisect_left(self.order, (known[1], mid))]
                bisect.insort(self.order, (version[1], mid))
            self.infos[mid], self.versions[mid] = info(row), version
            touched.add(mid)
        build = self.strategy.part
        for row in self._changed(SELECT_PARTS, 1, PART_UPDATED):
            pid, mid, updated = row[ROW_ID], row[PART_MESSAGE], row[PART_UPDATED]
            if self.part_versions.get(pid) == updated:
                continue
            # tuples, not lists: the state of a long history should leave the GC's lists
            ids, objs = self.part_ids.get(mid, ()), self.parts.get(mid, ())
            index = bisect.bisect_left(ids, pid)
            new = index < len(ids) and ids[index] == pid
            self.part_ids[mid] = ids if new else ids[:index] + (pid,) + ids[index:]
            self.parts[mid] = objs[:index] + (build(row),) + objs[index + new :]
            self.part_versions[pid] = updated
            touched.add(mid)
        for mid in touched:
            if mid in self.infos:
                facts = self.facts[mid] = facts_of(self.strategy, self.infos[mid], self.parts.get(mid, ()))
                (self.tails.add if facts.tail is not None else self.tails.discard)(mid)

    def __call__(self) -> List[Message]:
        self.refresh()
        infos, parts, empty = self.infos, self.parts, ()
        return [{"info": infos[mid], "parts": list(parts.get(mid, empty))} for mid in self.kept()]

    def kept(self) -> List[str]:
        """The ids ``compacted`` keeps, in its output order."""
        order, facts = self.order, self.facts
        completed: Set[Any] = set()
        retain: Any = None
        start = 0
        for index in range(len(order) - 1, -1, -1):
            mid = order[index][1]
            if retain is not None:
                if mid == retain:
                    start = index
                    break
                continue
            own = facts[mid]
            if own.role == "user" and mid in completed:
                if own.compaction is NO_COMPACTION:
                    continue
                retain = own.compaction
                if not retain or mid == retain:
                    start = index
                    break
                continue
            if own.finishes:
                completed.add(own.parent)
        kept = [mid for _, mid in order[start:]]
        return self._move_retained_tail(kept, start)

    def _move_retained_tail(self, kept: List[str], start: int) -> List[str]:
        """``harness.workloads._move_retained_tail`` on the kept ids (``kept[i]`` is ``order[start + i]``)."""
        positions = [self._position(mid) - start for mid in self.tails]
        compaction = max((index for index in positions if index >= 0), default=-1)
        if compaction < 0:
            return kept
        marker = kept[compaction]
        facts = self.facts
        summary = next(
            (
                index
                for index in range(compaction + 1, len(kept))
                if facts[kept[index]].summary and facts[kept[index]].parent == marker
            ),
            -1,
        )
        tail_id = facts[marker].tail
        tail = self._position(tail_id) - start if tail_id in self.versions else -1
        if 0 <= tail < compaction < summary:
            return kept[compaction : summary + 1] + kept[tail:compaction] + kept[summary + 1 :]
        return kept

    def _position(self, mid: str) -> int:
        return bisect.bisect_left(self.order, (self.versions[mid][1], mid))
