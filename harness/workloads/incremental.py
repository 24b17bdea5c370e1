"""The ``incremental`` read path: a session's history kept between reads of the agent loop, each read
costing what changed since the last one.

Each read asks SQLite only for the rows created or updated since its watermark (the largest
``time_updated`` read from each table; rows at the watermark are read again and skipped when
unchanged, so a write in the same millisecond is not lost) and builds those. What it returns is what
opencode's ``filterCompacted(stream(session))`` returns — the kept messages, oldest first — kept from
one read to the next: a new message is appended to it, an updated one replaced where it stands. Only
when the compaction boundary or the retained-tail move changes (a compaction finishes), or a message
lands out of order, is the kept list walked again — from the messages already built, so even that
builds nothing. The walk to the boundary and the tail move are those of
``harness.workloads.opencode.compacted`` / ``_move_retained_tail``, run over a few facts per message
(role, whether it finishes a summary, its compaction part) that are worked out when the message or
one of its parts is built.

Its messages are shared from one read to the next, so they are read-only: each is a ``{"info",
"parts"}`` dict whose ``parts`` is a tuple — except the newest user message's, a fresh dict with a
fresh ``parts`` list on every read (copy-on-write), the one opencode's agent loop mutates (it adds its
reminders and synthetic parts there). The list itself is a fresh copy (one pointer per kept message).

It needs what a watermark needs: writers that stamp ``time_updated`` from a clock that never goes
back (opencode's ORM: ``Date.now()`` on every write), and an index on ``(session_id,
time_updated)`` of both tables, which opencode lacks (it is created here). Deleted rows are not
seen (opencode removes messages on revert; a tombstone or a row count would be needed).
"""

from __future__ import annotations

import bisect
import sqlite3
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple, Type

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


class Layout(NamedTuple):
    """Which messages a read returns and in which order: ``order[start:]`` as it stands or, when
    ``compaction`` >= 0, with the retained tail moved as ``_move_retained_tail`` moves it (indexes
    relative to ``start``): ``[compaction : summary + 1] + [tail : compaction] + [summary + 1 :]``."""

    start: int
    compaction: int = -1
    summary: int = -1
    tail: int = -1

    def place(self, at: int) -> int:
        """Where the message ``order[at]`` stands in the history, or -1 when it is not kept."""
        i = at - self.start
        if i < 0 or self.compaction < 0:
            return max(i, -1)
        if self.compaction <= i <= self.summary:
            return i - self.compaction
        if self.tail <= i < self.compaction:
            return self.summary - self.compaction + 1 + i - self.tail
        return i - self.tail if i > self.summary else -1

    def arrange(self, history: List[Message]) -> List[Message]:
        """``history`` (the messages ``order[start:]``) in this layout's order."""
        if self.compaction < 0:
            return history
        compaction, summary, tail = self.compaction, self.summary, self.tail
        return history[compaction : summary + 1] + history[tail:compaction] + history[summary + 1 :]


class IncrementalHistory:
    """``incremental``: call it for the kept history; it reads and builds only what changed.

    ``order`` holds (time_created, id) of every message in page order (ascending); per message id
    ``records`` the message as it is handed out (``{"info", "parts"}``, its parts a tuple in id
    order; replaced by a new dict when it changes, never changed in place, so an older history stays
    what it was), ``versions`` its (time_updated, time_created) and ``part_ids`` its parts' ids
    (ascending); ``part_versions`` per part id. The walk's facts are kept only for the few messages
    that matter to it: ``finishing`` (finished summaries, by id: their parent), ``summaries``
    (assistants with a summary: their parent), ``compactions`` (users with a compaction part: its
    tail_start_id) and ``tails`` (users with a retained tail: the tail's id). ``kept`` is the history
    of the last read as ``layout`` arranged it, ``newest_user`` where its newest user message stands
    (-1: none); ``counts`` the reads and the walks of ``kept`` after the first (``rewalks``).
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
        self.records: Dict[str, Message] = {}
        self.versions: Dict[str, Tuple[int, int]] = {}
        self.part_ids: Dict[str, Tuple[str, ...]] = {}
        self.part_versions: Dict[str, int] = {}
        self.finishing: Dict[str, Any] = {}
        self.summaries: Dict[str, Any] = {}
        self.compactions: Dict[str, Any] = {}
        self.tails: Dict[str, Any] = {}  # str values: only a present tail is kept
        self.marks = [-1, -1]  # the largest time_updated read from message, from part
        self.kept: List[Message] = []
        self.layout: Optional[Layout] = None
        self.newest_user = -1
        self.counts = {"reads": 0, "rewalks": 0}

    def _changed(self, select: str, which: int, updated_column: int) -> List[Tuple]:
        rows = self.conn.execute(
            f"{select} WHERE session_id = ? AND time_updated >= ? ORDER BY time_updated",
            (self.session_id, self.marks[which]),
        ).fetchall()
        if rows:
            self.marks[which] = rows[-1][updated_column]
        return rows

    def refresh(self) -> Tuple[List[str], bool]:
        """Read and build the rows created or updated since the last read: the ids of the messages
        that changed, and whether one of them moved in the page order or joined it anywhere but at
        its end."""
        infos: Dict[str, Any] = {}
        parts: Dict[str, Tuple[Any, ...]] = {}
        reordered = False
        order, records, build = self.order, self.records, self.strategy.info
        for row in self._changed(SELECT_MESSAGES, 0, MESSAGE_UPDATED):
            mid, version = row[ROW_ID], (row[MESSAGE_UPDATED], row[MESSAGE_CREATED])
            known = self.versions.get(mid)
            if known == version:
                continue
            if known is None or known[1] != version[1]:
                if known is not None:  # time_created moved: the message moves in the page order
                    del order[bisect.bisect_left(order, (known[1], mid))]
                key = (version[1], mid)
                reordered = reordered or known is not None or (bool(order) and key < order[-1])
                bisect.insort(order, key)
            infos[mid] = build(row)
            self.versions[mid] = version
        build = self.strategy.part
        for row in self._changed(SELECT_PARTS, 1, PART_UPDATED):
            pid, mid, updated = row[ROW_ID], row[PART_MESSAGE], row[PART_UPDATED]
            if self.part_versions.get(pid) == updated:
                continue
            ids = self.part_ids.get(mid, ())
            held = parts[mid] if mid in parts else records[mid]["parts"] if mid in records else ()
            index = bisect.bisect_left(ids, pid)
            rebuilt = index < len(ids) and ids[index] == pid
            self.part_ids[mid] = ids if rebuilt else ids[:index] + (pid,) + ids[index:]
            parts[mid] = held[:index] + (build(row),) + held[index + rebuilt :]
            self.part_versions[pid] = updated
        touched = [*infos, *(mid for mid in parts if mid not in infos)]
        for mid in touched:
            held_message = records.get(mid, {"info": None, "parts": ()})
            records[mid] = {
                "info": infos[mid] if mid in infos else held_message["info"],
                "parts": parts[mid] if mid in parts else held_message["parts"],
            }
            self._note(mid)
        return touched, reordered

    def _note(self, mid: str) -> None:
        """Keep the walk's facts of a message that was (re)built or got a part."""
        message = self.records[mid]
        if message["info"] is None:  # parts whose message is not read yet
            return
        facts = facts_of(self.strategy, message["info"], message["parts"])
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
        touched, reordered = self.refresh()
        self.counts["reads"] += 1
        layout = self._layout()
        if reordered or layout != self.layout:
            self._rewalk(layout)
        elif touched:
            self._update(touched)
        history = self.kept[:]
        if self.newest_user >= 0:  # copy-on-write: the one message the agent loop mutates
            newest = history[self.newest_user]
            history[self.newest_user] = {"info": newest["info"], "parts": list(newest["parts"])}
        return history

    def _rewalk(self, layout: Layout) -> None:
        """``kept`` made again from the built messages, in ``layout``."""
        if self.layout is not None:
            self.counts["rewalks"] += 1
        records = self.records
        self.kept = layout.arrange([records[mid] for _, mid in self.order[layout.start :]])
        self.layout = layout
        self.newest_user = self._newest_user(len(self.kept))

    def _update(self, touched: List[str]) -> None:
        """The changed messages put into ``kept`` where the unchanged layout places them: an updated
        one replaces its old self, a new one (the page order's newest: nothing was reordered) is
        appended."""
        assert self.layout is not None
        kept, place, records = self.kept, self.layout.place, self.records
        places = sorted((place(self._position(mid)), mid) for mid in touched if mid in self.versions)
        newest_user, role = self.newest_user, self.strategy.field
        for at, mid in places:
            if at < 0:
                continue
            message = records[mid]
            if at < len(kept):
                kept[at] = message
            else:  # at == len(kept): new messages join the order at its end, in order
                kept.append(message)
            if role(message["info"], "role") == "user":
                newest_user = max(newest_user, at)
            elif at == newest_user:  # the newest user message is one no more
                newest_user = self._newest_user(at)
        self.newest_user = newest_user

    def _newest_user(self, before: int) -> int:
        """The index of the newest user message in ``kept[:before]``, or -1."""
        role, kept = self.strategy.field, self.kept
        return next((at for at in range(before - 1, -1, -1) if role(kept[at]["info"], "role") == "user"), -1)

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

    def _layout(self) -> Layout:
        """The boundary and ``harness.workloads.opencode._move_retained_tail``'s move on the kept
        history (``history[i]`` is the message ``order[start + i]``), from the facts of the few
        messages it looks at."""
        start = self._boundary()
        compaction = max((at - start for at in map(self._position, self.tails) if at >= start), default=-1)
        if compaction < 0:
            return Layout(start)
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
            return Layout(start, compaction, summary, tail)
        return Layout(start)
