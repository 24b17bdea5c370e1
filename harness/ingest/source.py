"""An opencode database, read strictly read-only: checked, copied, then read from the copy.

opencode keeps its sessions in one SQLite file (``opencode.db``, WAL journal) while it runs. The
source is opened through a ``file:…?mode=ro`` URI only, never written; its pages are copied with
SQLite's backup API in one step, which holds a read transaction for the copy and nothing after it
(under WAL a reader blocks no writer; under a rollback journal writers wait for the copy). Every
later read — the checks of tables and columns, the choice of sessions, the rows — is of the copy.

opencode's tables have more columns than a harness dataset (a session has its project, directory,
cost, tokens…); only the columns of the harness layout are read (``REQUIRED``). Rows are read in
the order opencode pages them: sessions by id, messages by (time_created, id), parts by id
(``ORDER BY message_id, id``), every row as it is stored — older writers' rows and unknown part
types included. Parts whose message is missing (a late foreign-key failure opencode logs and
ignores) are counted and left out.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from harness.canonical import MESSAGE_COLUMNS, PART_COLUMNS, PART_MESSAGE, ROW_ID, StoredRecord
from harness.store import DatasetError

SESSION_COLUMNS: Tuple[str, ...] = ("id", "title", "time_created", "time_updated")
#: The tables and columns read; any other table or column of the source is ignored.
REQUIRED: Dict[str, Tuple[str, ...]] = {"session": SESSION_COLUMNS, "message": MESSAGE_COLUMNS, "part": PART_COLUMNS}
SQLITE_HEADER = b"SQLite format 3\x00"
#: Seconds to wait for a lock another process holds on the source before giving up.
LOCK_WAIT = 3.0


class SourceError(DatasetError):
    """The source is not an opencode database that can be read (one line, naming the file)."""


def _looks_like_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def check_file(path: Path) -> None:
    """SourceError unless ``path`` is a file starting with SQLite's header."""
    if not path.is_file():
        raise SourceError(f"no opencode database at {path}")
    try:
        with path.open("rb") as stream:
            head = stream.read(100)
    except OSError as error:
        raise SourceError(f"cannot read {path}: {error.strerror or error}") from None
    if head[:16] == SQLITE_HEADER:
        return
    if not head:
        raise SourceError(f"{path} is empty, not an opencode database")
    if _looks_like_text(head):
        raise SourceError(f"{path} is not an SQLite database (it starts with text)")
    raise SourceError(
        f"{path} is not a readable SQLite database: its header is not SQLite's "
        "(encrypted, e.g. by SQLCipher, or another kind of file)"
    )


def _explain(path: Path, error: sqlite3.Error) -> SourceError:
    text = str(error)
    if "locked" in text or "busy" in text:
        return SourceError(f"{path} is locked by another process (waited {LOCK_WAIT:g} s); try again when it is idle")
    if "not a database" in text or "encrypted" in text:
        return SourceError(f"{path} is not a readable SQLite database ({text}: encrypted, or damaged)")
    return SourceError(f"cannot read {path}: {text}")


def snapshot(path: Path, copy: Path) -> None:
    """Copy the database at ``path`` into the new file ``copy`` through a read-only connection."""
    check_file(path)
    source = None
    try:
        source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=LOCK_WAIT)
        # The read transaction first, within LOCK_WAIT: the backup itself would retry a locked
        # source for ever. The copy is then of that one snapshot, and the transaction ends with it.
        source.execute("BEGIN")
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        target = sqlite3.connect(copy)
        try:
            source.backup(target)
        finally:
            target.close()
            source.rollback()
    except sqlite3.Error as error:
        raise _explain(path, error) from None
    finally:
        if source is not None:
            source.close()


def check_layout(conn: sqlite3.Connection, path: Path) -> None:
    """SourceError naming the first table or column of the harness layout the database lacks."""
    for table, columns in REQUIRED.items():
        found = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if not found:
            raise SourceError(f"{path} has no {table} table: it is not an opencode database")
        missing = [column for column in columns if column not in found]
        if missing:
            raise SourceError(f"{path}: table {table} has no column {', '.join(missing)}: not opencode's layout")


#: The indexes the ordered reads need (opencode's since 2026-03; older databases have narrower ones).
ORDER_INDEXES: Dict[str, Tuple[str, ...]] = {
    "message": ("session_id", "time_created", "id"),
    "part": ("message_id", "id"),
}


def ensure_order_indexes(conn: sqlite3.Connection) -> None:
    """Index the copy for the ordered reads where the source has no index starting with those columns."""
    for table, columns in ORDER_INDEXES.items():
        indexes = [row[1] for row in conn.execute(f"PRAGMA index_list({table})")]
        covered = any(
            tuple(row[2] for row in conn.execute(f"PRAGMA index_info({name})"))[: len(columns)] == columns
            for name in indexes
        )
        if not covered:
            conn.execute(f"CREATE INDEX harness_{table}_order ON {table}({', '.join(columns)})")


class Source:
    """The copy of an opencode database, opened for reading, and the sessions chosen from it."""

    def __init__(self, path: Path, copy: Path) -> None:
        self.path = path
        self.conn = sqlite3.connect(copy)  # the copy is ours: it may get the indexes it lacks
        try:
            check_layout(self.conn, path)
            ensure_order_indexes(self.conn)
        except BaseException:
            self.conn.close()
            raise
        self.sessions: List[str] = []

    def close(self) -> None:
        self.conn.close()

    def all_sessions(self) -> List[str]:
        """Every session that has messages, by id."""
        return [row[0] for row in self.conn.execute("SELECT DISTINCT session_id FROM message ORDER BY session_id")]

    def largest(self, count: int) -> List[str]:
        """The ``count`` sessions with the most rows (messages and parts), largest first."""
        query = (
            "SELECT session_id, sum(n) AS rows FROM (SELECT session_id, count(*) AS n FROM message GROUP BY "
            "session_id UNION ALL SELECT m.session_id, count(*) FROM part p JOIN message m ON m.id = p.message_id "
            "GROUP BY m.session_id) GROUP BY session_id ORDER BY rows DESC, session_id LIMIT ?"
        )
        return [row[0] for row in self.conn.execute(query, (count,))]

    def named(self, ids: Sequence[str]) -> List[str]:
        """The named sessions; SourceError naming one that has no messages here."""
        for sid in ids:
            if self.conn.execute("SELECT 1 FROM message WHERE session_id = ? LIMIT 1", (sid,)).fetchone() is None:
                raise SourceError(f"{self.path} has no session {sid!r} with messages")
        return list(dict.fromkeys(ids))

    def choose(self, ids: Optional[Sequence[str]], largest: Optional[int]) -> List[str]:
        self.sessions = self.named(ids) if ids else self.largest(largest) if largest else self.all_sessions()
        if not self.sessions:
            raise SourceError(f"{self.path} holds no message")
        return self.sessions

    def session_rows(self) -> Iterator[Tuple]:
        """The chosen sessions' rows (id, title, times); one without a session row gets an empty title."""
        for sid in self.sessions:
            row = self.conn.execute(f"SELECT {', '.join(SESSION_COLUMNS)} FROM session WHERE id = ?", (sid,)).fetchone()
            if row is None:
                first = self.conn.execute("SELECT min(time_created) FROM message WHERE session_id = ?", (sid,))
                (created,) = first.fetchone()
                row = (sid, "", created, created)
            yield row

    def orphan_parts(self) -> int:
        """Parts in the database whose message does not exist (none of them is imported)."""
        query = "SELECT count(*) FROM part p WHERE NOT EXISTS (SELECT 1 FROM message m WHERE m.id = p.message_id)"
        return self.conn.execute(query).fetchone()[0]

    def records(self) -> Iterator[StoredRecord]:
        """Every chosen message with its parts, session by session, in opencode's order."""
        columns = ", ".join(f"m.{name}" for name in MESSAGE_COLUMNS)
        part_columns = ", ".join(f"p.{name}" for name in PART_COLUMNS)
        for sid in self.sessions:
            messages = self.conn.execute(
                f"SELECT {columns} FROM message m WHERE m.session_id = ? ORDER BY m.time_created, m.id", (sid,)
            )
            parts = self.conn.execute(
                f"SELECT {part_columns} FROM message m JOIN part p ON p.message_id = m.id "
                "WHERE m.session_id = ? ORDER BY m.time_created, m.id, p.id",
                (sid,),
            )
            pending = next(parts, None)
            for message in messages:
                own = []
                while pending is not None and pending[PART_MESSAGE] == message[ROW_ID]:
                    own.append(pending)
                    pending = next(parts, None)
                yield message, own
