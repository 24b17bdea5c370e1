"""The ``incremental`` read path: a session's hydrated history kept between reads of the agent loop.

Each read asks SQLite only for the rows created or updated since its watermark (the largest
``time_updated`` read from each table; rows at the watermark are read again and skipped when
unchanged, so a write in the same millisecond is not lost), builds those, and then returns what
opencode's ``filterCompacted(stream(session))`` returns: the kept messages, each with a fresh
``parts`` list. The walk to the compaction boundary and the retained-tail move are those of
``harness.workloads.opencode.compacted`` / ``_move_retained_tail``, run over a few facts per message (role,
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
from harness.workloads.binding import MissingSession
from harness.workloads.opencode import SELECT_MESSAGES, SELECT_PARTS, Message, session_exists

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
    ``records`` its built info and parts (in id order), ``versions`` its (time_updated, time_created)
    and ``part_ids`` its parts' ids (ascending) — tuples, so that a long history's state leaves the
    GC's lists at its first collection; ``part_versions`` per part id. The walk's facts are kept only
    for the few messages that matter to it: ``finishing`` (finished summaries, by id: their parent),
    ``summaries`` (assistants with a summary: their parent), ``compactions`` (users with a compaction
    part: its tail_start_id) and ``tails`` (users with a retained tail: the tail's id).
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
        self.records: Dict[str, Tuple[Any, Tuple[Any, ...]]] = {}
        self.versions: Dict[str, Tuple[int, int]] = {}
        self.part_ids: Dict[str, Tuple[str, ...]] = {}
        self.part_versions: Dict[str, int] = {}
        self.finishing: Dict[str, Any] = {}
        self.summaries: Dict[str, Any] = {}
        self.compactions: Dict[str, Any] = {}
        self.tails: Dict[str, Any] = {}  # str values: only a present tail is kept
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
        info, records = self.strategy.info, self.records
        for row in self._changed(SELECT_MESSAGES, 0, MESSAGE_UPDATED):
            mid, version = row[ROW_ID], (row[MESSAGE_UPDATED], row[MESSAGE_CREATED])
            known = self.versions.get(mid)
            if known == version:
                continue
            if known is None or known[1] != version[1]:
                if known is not None:  # time_created moved: the message moves in the page order
                    del self.order[bisect.bisect_left(self.order, (known[1], mid))]
                bisect.insort(self.order, (version[1], mid))
            records[mid] = (info(row), records.get(mid, (None, ()))[1])
            self.versions[mid] = version
            touched.add(mid)
        build = self.strategy.part
        for row in self._changed(SELECT_PARTS, 1, PART_UPDATED):
            pid, mid, updated = row[ROW_ID], row[PART_MESSAGE], row[PART_UPDATED]
            if self.part_versions.get(pid) == updated:
                continue
            ids = self.part_ids.get(mid, ())
            owner, parts = records.get(mid, (None, ()))
            index = bisect.bisect_left(ids, pid)
            rebuilt = index < len(ids) and ids[index] == pid
            self.part_ids[mid] = ids if rebuilt else ids[:index] + (pid,) + ids[index:]
            records[mid] = (owner, parts[:index] + (build(row),) + parts[index + rebuilt :])
            self.part_versions[pid] = updated
            touched.add(mid)
        for mid in touched:
            self._note(mid)

    def _note(self, mid: str) -> None:
        """Keep the walk's facts of a message that was (re)built or got a part."""
        info, parts = self.records[mid]
        if info is None:  # parts whose message is not read yet
            return
        facts = facts_of(self.strategy, info, parts)
        for table, holds, value in (
            (self.finishing, facts.finishes, facts.parent),
            (self.summaries, facts.summary, facts.parent),
            (self.compactions, facts.role == "user" and facts.compaction is not NO_COMPACTION, facts.compaction),
            (self.tails, facts.tail is not None, facts.tail),
        ):
            if holds:
                table[mid] = value
            else:
                table.pop(mid, None)

    def __call__(self) -> List[Message]:
        self.refresh()
        start = self._boundary()
        records, order = self.records, self.order
        history: List[Message] = []
        for _, mid in order[start:]:
            info, parts = records[mid]
            history.append({"info": info, "parts": list(parts)})
        return self._move_retained_tail(history, start)

    def _position(self, mid: Any) -> int:
        """A message's index in ``order``, or -1 for an id no message has."""
        version = self.versions.get(mid)
        return -1 if version is None else bisect.bisect_left(self.order, (version[1], mid))

    def _boundary(self) -> int:
        """Where ``compacted``'s walk from the newest message stops: the index in ``order`` of the
        oldest message it keeps. The walk stops at the newest user message that has a compaction
        part and a newer finished summary answering it, or at the tail that user retains."""
        marker = -1
        for summary, parent in self.finishing.items():
            if parent in self.compactions:
                at = self._position(parent)
                if marker < at < self._position(summary):
                    marker = at
        if marker < 0:
            return 0
        retain = self.compactions[self.order[marker][1]]
        if not retain or retain == self.order[marker][1]:
            return marker
        at = self._position(retain)
        return at if 0 <= at < marker else 0  # a retained id the walk never reaches: everything is kept

    def _move_retained_tail(self, history: List[Message], start: int) -> List[Message]:
        """``harness.workloads.opencode._move_retained_tail`` on the kept history (``history[i]`` is the
        message ``order[start + i]``), from the facts of the few messages it looks at."""
        compaction = max((at - start for at in map(self._position, self.tails) if at >= start), default=-1)
        if compaction < 0:
            return history
        marker = self.order[start + compaction][1]
        summary = min(
            (
                at - start
                for at in (self._position(mid) for mid, parent in self.summaries.items() if parent == marker)
                if at - start > compaction
            ),
            default=-1,
        )
        at = self._position(self.tails[marker])
        tail = at - start if at >= start else -1
        if 0 <= tail < compaction < summary:
            return history[compaction : summary + 1] + history[tail:compaction] + history[summary + 1 :]
        return history
