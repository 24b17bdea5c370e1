"""An opencode database, read strictly read-only: checked, copied, then read from the copy.

opencode keeps its sessions in one SQLite file (``opencode.db``, WAL journal) while it runs. The
source is opened through a ``file:…?mode=ro`` URI only, never written; its pages are copied with
SQLite's backup API inside one read transaction, which holds that snapshot for the copy and
nothing after it (under WAL a reader blocks no writer; under a rollback journal writers wait for
the copy); the copy goes in steps, so that a signal is handled between two of them. Every later
read — the checks of tables and columns, the choice of sessions, the rows — is of the copy. A read
that fails is a ``SourceError`` naming the source; a write that fails (the copy, its indexes: the
disk is full) is left to the caller, whose output could not be written.

opencode's tables have more columns than a harness dataset (a session has its project, directory,
cost, tokens…); only the columns of the harness layout are read (``REQUIRED``). Rows are read in
the order opencode pages them: sessions by id, messages by (time_created, id), parts by id
(``ORDER BY message_id, id``), every row as it is stored — older writers' rows and unknown part
types included. Every column read must have the type opencode gives it (``COLUMN_TYPES``: text
ids and data, integer times): a row with a NULL, a BLOB or a text time is refused, naming its
table and its id (its rowid when the id is what is wrong). A session without a title (NULL) gets
an empty one, as a session without a row does. Parts whose message is missing (a late foreign-key
failure opencode logs and ignores) and sessions without messages are counted and left out.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from harness.canonical import MESSAGE_COLUMNS, PART_COLUMNS, PART_MESSAGE, ROW_ID, StoredRecord
from harness.store import DatasetError, writing_failed

SESSION_COLUMNS: Tuple[str, ...] = ("id", "title", "time_created", "time_updated")
#: The tables and columns read; any other table or column of the source is ignored.
REQUIRED: Dict[str, Tuple[str, ...]] = {"session": SESSION_COLUMNS, "message": MESSAGE_COLUMNS, "part": PART_COLUMNS}
#: The Python type of every column read, as opencode's tables declare them (all NOT NULL).
COLUMN_TYPES: Dict[str, Tuple[type, ...]] = {
    "session": (str, str, int, int),
    "message": (str, str, int, int, str),
    "part": (str, str, str, int, int, str),
}
SQLITE_HEADER = b"SQLite format 3\x00"
#: Seconds to wait for a lock another process holds on the source before giving up.
LOCK_WAIT = 3.0
#: Pages copied per step of the backup.
COPY_STEP = 4096


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


def _step(status: int, remaining: int, total: int) -> None:
    """Between two steps of the copy: a signal that came meanwhile is handled here."""


def snapshot(path: Path, copy: Path) -> None:
    """Copy the database at ``path`` into the new file ``copy`` through a read-only connection;
    SourceError when the source cannot be read, sqlite3.Error when the copy cannot be written."""
    check_file(path)
    source = None
    try:
        source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=LOCK_WAIT)
        # The read transaction first, within LOCK_WAIT: the backup itself would retry a locked
        # source for ever. Every step of the copy reads that one snapshot, and the transaction
        # ends with the copy.
        source.execute("BEGIN")
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        target = sqlite3.connect(copy)
        try:
            source.backup(target, pages=COPY_STEP, progress=_step)
        finally:
            target.close()
            source.rollback()
    except sqlite3.Error as error:
        if writing_failed(error):
            raise
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


def _held(value: object) -> str:
    """What a column holds, for a message: ``NULL``, ``a BLOB of 12 bytes``, ``the text 'x'``…"""
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return f"a BLOB of {len(value)} bytes"
    if isinstance(value, str):
        return f"the text {value if len(value) <= 40 else value[:40] + '…'!r}"
    return f"the number {value!r}"


class Source:
    """The copy of an opencode database, opened for reading, and the sessions chosen from it."""

    def __init__(self, path: Path, copy: Path) -> None:
        self.path = path
        self.conn = sqlite3.connect(copy)  # the copy is ours: it may get the indexes it lacks
        try:
            with self._reading():
                check_layout(self.conn, path)
                ensure_order_indexes(self.conn)
        except BaseException:
            self.conn.close()
            raise
        self.sessions: List[str] = []

    def close(self) -> None:
        self.conn.close()

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        """A failed read of the copy as a SourceError; a failed write (SQLite's temporary files)
        passes."""
        try:
            yield
        except sqlite3.Error as error:
            if writing_failed(error):
                raise
            text = str(error)
            raise SourceError(f"cannot read {self.path}: {text if len(text) <= 80 else text[:80] + '…'}") from None

    def _refused(self, table: str, row: Tuple) -> SourceError:
        """The one line for a row of ``table`` whose columns are not of opencode's types."""
        name, value, wanted = next(
            (name, value, wanted)
            for name, value, wanted in zip(REQUIRED[table], row, COLUMN_TYPES[table])
            if type(value) is not wanted
        )
        if type(row[ROW_ID]) is str:
            where = f"{table} row {row[ROW_ID]!r}"
        else:
            condition = " AND ".join(f"{column} IS ?" for column in REQUIRED[table])
            (rowid,) = self.conn.execute(f"SELECT rowid FROM {table} WHERE {condition} LIMIT 1", row).fetchone()
            where = f"{table} row at rowid {rowid}"
        expected = "JSON text" if name == "data" else "text" if wanted is str else "an integer"
        return SourceError(f"{self.path}: {where}: {name} is {_held(value)}, not {expected}")

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
        """Choose the named sessions, the ``largest`` ones or all; SourceError for a message of no
        session (its session_id NULL) or when there is no message."""
        with self._reading():
            stray = self.conn.execute(f"SELECT {', '.join(MESSAGE_COLUMNS)} FROM message WHERE session_id IS NULL")
            row = stray.fetchone()
            if row is not None:
                raise self._refused("message", row)
            self.sessions = self.named(ids) if ids else self.largest(largest) if largest else self.all_sessions()
        if not self.sessions:
            raise SourceError(f"{self.path} holds no message")
        return self.sessions

    def session_rows(self) -> Iterator[Tuple]:
        """The chosen sessions' rows (id, title, times); one without a session row has an empty title
        and its first message's times, one without a title an empty title."""
        columns = ", ".join(SESSION_COLUMNS)
        with self._reading():
            for sid in self.sessions:
                row = self.conn.execute(f"SELECT {columns} FROM session WHERE id = ?", (sid,)).fetchone()
                if row is None:
                    row = self._first_message_times(sid)
                elif row[1] is None:
                    row = (row[0], "", *row[2:])
                if tuple(map(type, row)) != COLUMN_TYPES["session"]:
                    raise self._refused("session", row)
                yield row

    def _first_message_times(self, sid: str) -> Tuple:
        """A session row for a session that has none: no title, its first message's times."""
        first = self.conn.execute(
            f"SELECT {', '.join(MESSAGE_COLUMNS)} FROM message WHERE session_id = ? ORDER BY time_created, id LIMIT 1",
            (sid,),
        ).fetchone()
        if tuple(map(type, first)) != COLUMN_TYPES["message"]:
            raise self._refused("message", first)
        return (sid, "", first[2], first[2])

    def orphan_parts(self) -> int:
        """Parts in the database whose message does not exist (none of them is imported)."""
        query = "SELECT count(*) FROM part p WHERE NOT EXISTS (SELECT 1 FROM message m WHERE m.id = p.message_id)"
        with self._reading():
            return self.conn.execute(query).fetchone()[0]

    def sessions_without_messages(self) -> int:
        """Sessions in the database that have no message (none of them is imported)."""
        query = "SELECT count(*) FROM session s WHERE NOT EXISTS (SELECT 1 FROM message m WHERE m.session_id = s.id)"
        with self._reading():
            return self.conn.execute(query).fetchone()[0]

    def records(self) -> Iterator[StoredRecord]:
        """Every chosen message with its parts, session by session, in opencode's order; SourceError
        naming the first row whose columns are not of opencode's types."""
        columns = ", ".join(f"m.{name}" for name in MESSAGE_COLUMNS)
        part_columns = ", ".join(f"p.{name}" for name in PART_COLUMNS)
        message_types, part_types = COLUMN_TYPES["message"], COLUMN_TYPES["part"]
        with self._reading():
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
                    if tuple(map(type, message)) != message_types:
                        raise self._refused("message", message)
                    own = []
                    while pending is not None and pending[PART_MESSAGE] == message[ROW_ID]:
                        if tuple(map(type, pending)) != part_types:
                            raise self._refused("part", pending)
                        own.append(pending)
                        pending = next(parts, None)
                    yield message, own
