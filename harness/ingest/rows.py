"""``import rows``: an application's own JSON rows as a harness dataset, its schema inferred on the way.

Sources: a JSON Lines file (UTF-8, one object per line; blank lines and a byte-order mark skipped)
or one table of an SQLite database, read read-only (``mode=ro``), whose ``data`` column holds each
row's JSON object. The rows
are stored as messages without parts in the dataset layout of ``harness.store``:

- ``id``: the ``--id-column`` value as text, else the row number (the line number for JSONL);
- ``session_id``: the ``--group-column`` value as text, else ``rows`` (one session);
- ``time_created`` / ``time_updated``: the ``--order-column`` value when it is an integer, else the
  row number; rows are read in that column's order (SQLite sorts), else in rowid / line order;
- ``data``: the JSON text exactly as given.

The same single pass hashes the rows (the manifest's sha256, as for generated datasets) and feeds the
schema inference (``harness.schemas.infer``); memory stays bounded (rows are written in batches). The
schema is recorded in the manifest and written beside the dataset for editing. Any bad input — a line
that is not JSON or not an object, a number JavaScript's ``JSON.stringify`` cannot write (``NaN``,
``Infinity``, ``1e400``: ``harness.ingest.jsontext``), a missing table or column, a file that is not
SQLite, a duplicate id, rows with no common structure — is a ``RowsError`` naming the file and the
row, and leaves no dataset behind: everything is written in a scratch directory first
(``harness.ingest.scratch``), removed whatever happens.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

from harness import atomic, canonical
from harness.canonical import StoredRecord
from harness.ingest import jsontext
from harness.ingest.scratch import scratch_directory
from harness.ingest.writer import cannot_write
from harness.schemas.codec import dumps, to_json
from harness.schemas.infer import Inference, InferenceError
from harness.schemas.stored import schema_path
from harness.store import FORMAT, FORMAT_VERSION, DatasetError, check_target, create_tables, manifest_path

BATCH = 2000
DEFAULT_SESSION = "rows"


class RowsError(DatasetError):
    """Rows that cannot be imported; the message names the file and the row."""


@dataclass(frozen=True)
class SqliteSource:
    """One table of an SQLite database and the columns that make a row."""

    path: Path
    table: str
    data: str
    id: Optional[str] = None
    group: Optional[str] = None
    order: Optional[str] = None


#: One source row: (id, session id, order, JSON text, decoded object).
Row = Tuple[str, str, int, str, Dict[str, Any]]


def _decoded(text: str, where: str) -> Dict[str, Any]:
    try:
        value = jsontext.loads(text)
    except RecursionError:
        raise RowsError(f"{where}: the JSON nests too deeply to read") from None
    except ValueError as error:
        raise RowsError(f"{where}: not JSON ({error})") from None
    if not isinstance(value, dict):
        raise RowsError(f"{where}: not a JSON object but {type(value).__name__ if value is not None else 'null'}")
    return value


def jsonl_rows(path: Path) -> Iterator[Row]:
    """The objects of a JSON Lines file, one per non-blank line, numbered by line."""
    try:
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, 1):
                where = f"{path} line {number}"
                try:
                    text = raw.decode("utf-8-sig" if number == 1 else "utf-8").strip()
                except UnicodeDecodeError:
                    raise RowsError(f"{where}: not UTF-8 text") from None
                if text:
                    yield str(number), DEFAULT_SESSION, number, text, _decoded(text, where)
    except OSError as error:
        raise RowsError(f"cannot read {path}: {error.strerror or error}") from None


def _columns(conn: sqlite3.Connection, source: SqliteSource) -> List[str]:
    try:
        found = [row[1] for row in conn.execute("SELECT * FROM pragma_table_info(?)", (source.table,))]
    except sqlite3.DatabaseError as error:
        raise RowsError(f"{source.path} is not a readable SQLite database ({error})") from None
    if not found:
        raise RowsError(f"{source.path} has no table {source.table!r}")
    for option, column in (("data", source.data), ("id", source.id), ("group", source.group), ("order", source.order)):
        if column is not None and column not in found:
            raise RowsError(
                f"{source.path}: table {source.table!r} has no column {column!r} (--{option}-column); "
                f"its columns: {', '.join(found)}"
            )
    return found


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_rows(source: SqliteSource) -> Iterator[Row]:
    """The rows of one table of an SQLite database, opened read-only, in the order column's order."""
    if not source.path.is_file():
        raise RowsError(f"no SQLite database at {source.path}")
    try:
        conn = sqlite3.connect(f"{source.path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise RowsError(f"cannot open {source.path}: {error}") from None
    try:
        _columns(conn, source)
        picked = [_quoted(column) if column else "NULL" for column in (source.id, source.group, source.order)]
        order = _quoted(source.order) if source.order else "rowid"
        query = f"SELECT {', '.join(picked)}, {_quoted(source.data)} FROM {_quoted(source.table)} ORDER BY {order}"
        try:
            cursor = conn.execute(query)
            for number, (rid, group, position, data) in enumerate(cursor, 1):
                where = f"{source.path} table {source.table!r} row {number}" + (
                    f" ({source.id} {rid!r})" if source.id else ""
                )
                if isinstance(data, bytes):
                    try:
                        data = data.decode("utf-8")
                    except UnicodeDecodeError:
                        raise RowsError(f"{where}: column {source.data!r} is not UTF-8 text") from None
                if not isinstance(data, str):
                    held = "NULL" if data is None else f"a number ({data!r})"
                    raise RowsError(f"{where}: column {source.data!r} holds {held}, not JSON text")
                created = position if isinstance(position, int) and not isinstance(position, bool) else number
                text = data.strip()
                session = DEFAULT_SESSION if group is None else str(group)
                yield (str(number) if rid is None else str(rid)), session, created, text, _decoded(text, where)
        except sqlite3.DatabaseError as error:
            raise RowsError(f"cannot read {source.path}: {error}") from None
    finally:
        conn.close()


class _Writer:
    """Stores rows in batches while the digest reads them and the inference counts them."""

    def __init__(self, conn: sqlite3.Connection, source_name: str) -> None:
        self.conn, self.source_name = conn, source_name
        self.inference = Inference()
        self.batch: List[Tuple] = []
        self.sessions: Dict[str, int] = {}
        self.count = 0

    def records(self, rows: Iterator[Row]) -> Iterator[StoredRecord]:
        for rid, session, created, text, value in rows:
            try:
                self.inference.add(value)
            except InferenceError as error:
                raise RowsError(f"{self.source_name} row {self.count + 1}: {error}") from None
            self.sessions.setdefault(session, created)
            columns = (rid, session, created, created, text)
            self.batch.append(columns)
            self.count += 1
            if len(self.batch) >= BATCH:
                self.flush()
            yield columns, []
        self.flush()

    def flush(self) -> None:
        try:
            self.conn.executemany("INSERT INTO message VALUES (?, ?, ?, ?, ?)", self.batch)
        except sqlite3.IntegrityError:
            ids = [row[0] for row in self.batch]
            duplicate = next(i for i in ids if ids.count(i) > 1 or self._stored(i))
            raise RowsError(f"{self.source_name}: duplicate id {duplicate!r}; ids must be unique") from None
        self.batch.clear()

    def _stored(self, rid: str) -> bool:
        return self.conn.execute("SELECT 1 FROM message WHERE id = ?", (rid,)).fetchone() is not None


def import_rows(rows: Iterator[Row], out: Path, name: str, origin: Dict[str, Any], source_name: str) -> Dict[str, Any]:
    """Store ``rows`` as a dataset at ``out`` with its inferred schema (recorded in the manifest and
    written beside it); returns the manifest. RowsError, and no dataset, on bad input; DatasetError
    when the output cannot be written."""
    out = Path(out)
    check_target(out)
    if schema_path(out).is_dir():
        raise RowsError(f"refusing to overwrite {schema_path(out)}: it is a directory")
    with scratch_directory(out) as scratch:
        try:
            return _store(rows, out, name, origin, source_name, scratch)
        except (OSError, sqlite3.Error) as error:
            raise cannot_write(out, error) from None


def _store(
    rows: Iterator[Row], out: Path, name: str, origin: Dict[str, Any], source_name: str, scratch: Path
) -> Dict[str, Any]:
    """The dataset, its manifest and its schema, each written in ``scratch`` and then moved into place."""
    with atomic.atomic_path(out, scratch) as temporary:
        temporary.unlink()
        conn = sqlite3.connect(temporary)
        try:
            conn.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
            create_tables(conn)
            writer = _Writer(conn, source_name)
            digest = canonical.digest(writer.records(rows))
            try:
                schema = writer.inference.schema(name)
            except InferenceError as error:
                raise RowsError(f"{source_name}: {error}") from None
            conn.executemany(
                "INSERT INTO session VALUES (?, ?, ?, ?)",
                [(sid, f"imported rows {sid}", t, t) for sid, t in writer.sessions.items()],
            )
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "source": "rows",
                "origin": origin,
                "messages": writer.count,
                "parts": 0,
                "sessions": len(writer.sessions),
                "sha256": digest.sha256,
                "sha256_data": digest.sha256_data,
                "hashed_lines": digest.hashed_lines,
                "hashed_bytes": digest.hashed_bytes,
                "schema": to_json(schema),
                "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            }
            conn.execute("INSERT INTO meta VALUES ('manifest', ?)", (json.dumps(manifest),))
            conn.commit()
        finally:
            conn.close()
        manifest_path(out).unlink(missing_ok=True)
    atomic.write_text(manifest_path(out), json.dumps(manifest, indent=2) + "\n", scratch)
    atomic.write_text(schema_path(out), dumps(schema), scratch)
    return manifest
