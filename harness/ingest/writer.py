"""Write rows that came from elsewhere into a harness dataset, streaming, atomically.

The dataset is the one ``harness.store`` writes for a generation — opencode's tables, a ``meta``
table with the manifest and the manifest as JSON beside it — so everything that opens a dataset
reads it unchanged. Rows go in as they arrive, in batches, hashed for the canonical text on the
way; once they are in, SQLite counts the roles and part types and checks that every ``data`` is a
JSON object. Memory stays bounded by one batch. The
file is written in the import's scratch directory and appears under its name only when it is
complete (a failed import leaves nothing behind); the manifest of another dataset beside it is
removed first, so a dataset never stands beside a manifest that is not its own. Without a
``<dataset>.schema.json`` beside it, a dataset is in opencode's (the built-in) schema: so is every
dataset written here. A write that fails (disk full, a file-size limit) is ``cannot write dataset``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

from harness import atomic, canonical
from harness.canonical import MESSAGE_COLUMNS, PART_COLUMNS, ROW_DATA, StoredRecord
from harness.ingest import jsontext
from harness.store import _INDEXES, _SCHEMA, FORMAT, FORMAT_VERSION, DatasetError, check_target, manifest_path

BATCH = 2000  # messages per executemany
#: SQLite's names of the errors of a write that failed: no room (ENOSPC), a file-size limit
#: (EFBIG is an ``IOERR_WRITE``), a flush or truncation that failed.
WRITE_ERRORS = frozenset(
    {"SQLITE_FULL", "SQLITE_IOERR_WRITE", "SQLITE_IOERR_FSYNC", "SQLITE_IOERR_DIR_FSYNC", "SQLITE_IOERR_TRUNCATE"}
)


class RowError(DatasetError):
    """A row that cannot go into a dataset (its data is not a JSON object); names the row."""

    @classmethod
    def not_an_object(cls, source: str, table: str, row_id: object) -> RowError:
        return cls(f"{source}: {table} row {row_id!r}: its data is not a JSON object as JSON.stringify writes it")


def writing_failed(error: sqlite3.Error) -> bool:
    """Whether SQLite failed writing (its error's name where Python gives it, else its message)."""
    name = getattr(error, "sqlite_errorname", None)
    return name in WRITE_ERRORS if name else "disk is full" in str(error)


def cannot_write(path: Path, error: BaseException) -> DatasetError:
    """The one line for a dataset that could not be written because of ``error``."""
    reason = getattr(error, "strerror", None) or str(error)
    if isinstance(error, sqlite3.Error) and writing_failed(error) and "full" not in reason:
        reason += " while writing (is the disk full, or the file size limited?)"
    return DatasetError(f"cannot write dataset {path}: {reason}")


def _kinds(conn: sqlite3.Connection, table: str, key: str, source: str) -> Dict[str, int]:
    """Rows per value of the discriminator ``key`` in ``table`` (a value that is not a string as its
    JSON text, an absent one as ``null``), counted by SQLite in one pass; RowError naming the first
    row whose data is not a JSON object."""
    where = f"'$.{key}'"
    kind = (
        f"CASE WHEN json_valid(data) AND json_type(data) = 'object' THEN CASE WHEN json_type(data, {where}) = 'text' "
        f"THEN json_extract(data, {where}) ELSE coalesce(data -> {where}, 'null') END END"
    )
    counts = dict(conn.execute(f"SELECT {kind} AS kind, count(*) FROM {table} GROUP BY kind").fetchall())
    if None in counts:
        (row_id,) = conn.execute(f"SELECT id FROM {table} WHERE {kind} IS NULL ORDER BY rowid LIMIT 1").fetchone()
        raise RowError.not_an_object(source, table, row_id)
    return dict(sorted(counts.items()))


#: Rows that may hold a number beyond a double: a JSON exponent of three digits or more.
_BIG_EXPONENT = "data GLOB '*[eE][0-9][0-9][0-9]*' OR data GLOB '*[eE][+-][0-9][0-9][0-9]*'"


def _refuse_numbers_beyond_a_double(conn: sqlite3.Connection, table: str, source: str) -> None:
    """RowError naming the first row whose data holds a number no double holds (``1e400``): SQLite's
    ``json_valid`` accepts it, ``JSON.stringify`` never writes it. Only rows with a three-digit
    exponent somewhere in their text are parsed."""
    for row_id, data in conn.execute(f"SELECT id, data FROM {table} WHERE {_BIG_EXPONENT} ORDER BY rowid"):
        try:
            jsontext.loads(data)
        except ValueError:
            raise RowError.not_an_object(source, table, row_id) from None


class _Tally:
    """The canonical text's hashes and sizes, and the counts per role and type, taken row by row."""

    def __init__(self) -> None:
        self.rows, self.data = hashlib.sha256(), hashlib.sha256()
        self.lines = self.bytes = 0

    def add(self, columns: Tuple, names: Tuple[str, ...]) -> None:
        line = (canonical.row_line(columns, names) + "\n").encode()
        self.rows.update(line)
        self.data.update((columns[ROW_DATA] + "\n").encode())
        self.lines += 1
        self.bytes += len(line)

    def figures(self) -> Dict[str, Any]:
        return {
            "sha256": self.rows.hexdigest(),
            "sha256_data": self.data.hexdigest(),
            "hashed_lines": self.lines,
            "hashed_bytes": self.bytes,
        }


def _insert(conn: sqlite3.Connection, batch: List[StoredRecord], tally: _Tally) -> None:
    for message, parts in batch:
        tally.add(message, MESSAGE_COLUMNS)
        for part in parts:
            tally.add(part, PART_COLUMNS)
    conn.executemany(f"INSERT INTO message VALUES ({', '.join('?' * len(MESSAGE_COLUMNS))})", [m for m, _ in batch])
    conn.executemany(
        f"INSERT INTO part VALUES ({', '.join('?' * len(PART_COLUMNS))})", [p for _, parts in batch for p in parts]
    )


def write_rows(
    path: Path,
    scratch: Path,
    sessions: Iterable[Tuple],
    records: Iterable[StoredRecord],
    described: Dict[str, Any],
    source: Optional[str] = None,
) -> Dict[str, Any]:
    """Store ``records`` (messages with their parts, in order, their columns checked) and their
    ``sessions`` (id, title, times) at ``path`` with a manifest: ``described`` (profile, where the
    rows came from) plus the counts and hashes; the files are written in the directory ``scratch``
    first. Returns the manifest. A row whose data is not a JSON object is a RowError naming
    ``source`` and the row; a duplicate id or a failed write a DatasetError."""
    path = Path(path)
    check_target(path)
    source = source or str(path)
    tally = _Tally()
    try:
        with atomic.atomic_path(path, scratch) as temporary:
            temporary.unlink()
            conn = sqlite3.connect(temporary)
            try:
                conn.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;" + _SCHEMA)
                session_ids = []
                for row in sessions:
                    conn.execute("INSERT INTO session VALUES (?, ?, ?, ?)", row)
                    session_ids.append(row[0])
                batch: List[StoredRecord] = []
                for record in records:
                    batch.append(record)
                    if len(batch) >= BATCH:
                        _insert(conn, batch, tally)
                        batch.clear()
                _insert(conn, batch, tally)
                roles, types = _kinds(conn, "message", "role", source), _kinds(conn, "part", "type", source)
                for table in ("message", "part"):
                    _refuse_numbers_beyond_a_double(conn, table, source)
                conn.executescript(_INDEXES)
                manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "generator_version": None,
                    "seed": None,
                    "params": {},
                    "rng_calls": None,
                    **described,
                    "messages": sum(roles.values()),
                    "parts": sum(types.values()),
                    "messages_by_role": roles,
                    "parts_by_type": types,
                    **tally.figures(),
                    "session_ids": session_ids,
                    "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                }
                conn.execute("INSERT INTO meta VALUES ('manifest', ?)", (json.dumps(manifest),))
                conn.commit()
            finally:
                conn.close()
            manifest_path(path).unlink(missing_ok=True)
        atomic.write_text(manifest_path(path), json.dumps(manifest, indent=2) + "\n", scratch)
    except sqlite3.IntegrityError as error:
        raise DatasetError(f"cannot write dataset {path}: two rows share an id ({error})") from None
    except (OSError, sqlite3.Error) as error:
        raise cannot_write(path, error) from None
    return manifest
