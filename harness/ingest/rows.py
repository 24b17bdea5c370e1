"""``import rows``: an application's own JSON rows as a harness dataset, its schema inferred on the way.

Sources: a JSON Lines file (UTF-8, one object per line; blank lines and a byte-order mark skipped)
or one table of an SQLite database, read read-only (``mode=ro``), whose ``data`` column holds each
row's JSON object. The rows are stored as messages without parts by ``harness.store``'s
``DatasetWriter``:

- ``id``: the ``--id-column`` value as text, else the row number (the line number for JSONL);
- ``session_id``: the ``--group-column`` value as text, else ``rows`` (one session), each session
  titled ``imported rows <id>`` with its first row's times;
- ``time_created`` / ``time_updated``: the ``--order-column`` value when it is an integer, else the
  row number; rows are read in that column's order (SQLite sorts), else in rowid / line order;
- ``data``: the JSON text exactly as given.

The same single pass hashes the rows (the manifest's sha256, as for generated datasets) and feeds the
schema inference (``harness.schemas.infer``); memory stays bounded (rows are written in batches). The
schema is recorded in the manifest and written beside the dataset for editing. Any bad input — a line
that is not JSON or not an object, a number JavaScript's ``JSON.stringify`` cannot write (``NaN``,
``Infinity``, ``1e400``: ``harness.jsontext``), a missing table or column, a file that is not
SQLite, a duplicate id, rows with no common structure — is a ``RowError`` naming the file and the
row, and leaves no dataset behind: everything is written in a scratch directory first
(``harness.ingest.scratch``), removed whatever happens.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

from harness import atomic, jsontext
from harness.canonical import StoredRecord
from harness.ingest.scratch import scratch_directory
from harness.schemas.codec import dumps, to_json
from harness.schemas.infer import Inference, InferenceError
from harness.schemas.model import Schema
from harness.schemas.stored import schema_path
from harness.store import ROWS, DatasetWriter, Manifest, RowError, RowsOrigin, cannot_write, check_target

DEFAULT_SESSION = "rows"


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
        raise RowError(f"{where}: the JSON nests too deeply to read") from None
    except ValueError as error:
        raise RowError(f"{where}: not JSON ({error})") from None
    if not isinstance(value, dict):
        raise RowError(f"{where}: not a JSON object but {type(value).__name__ if value is not None else 'null'}")
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
                    raise RowError(f"{where}: not UTF-8 text") from None
                if text:
                    yield str(number), DEFAULT_SESSION, number, text, _decoded(text, where)
    except OSError as error:
        raise RowError(f"cannot read {path}: {error.strerror or error}") from None


def _columns(conn: sqlite3.Connection, source: SqliteSource) -> List[str]:
    try:
        found = [row[1] for row in conn.execute("SELECT * FROM pragma_table_info(?)", (source.table,))]
    except sqlite3.DatabaseError as error:
        raise RowError(f"{source.path} is not a readable SQLite database ({error})") from None
    if not found:
        raise RowError(f"{source.path} has no table {source.table!r}")
    for option, column in (("data", source.data), ("id", source.id), ("group", source.group), ("order", source.order)):
        if column is not None and column not in found:
            raise RowError(
                f"{source.path}: table {source.table!r} has no column {column!r} (--{option}-column); "
                f"its columns: {', '.join(found)}"
            )
    return found


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_rows(source: SqliteSource) -> Iterator[Row]:
    """The rows of one table of an SQLite database, opened read-only, in the order column's order."""
    if not source.path.is_file():
        raise RowError(f"no SQLite database at {source.path}")
    try:
        conn = sqlite3.connect(f"{source.path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise RowError(f"cannot open {source.path}: {error}") from None
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
                        raise RowError(f"{where}: column {source.data!r} is not UTF-8 text") from None
                if not isinstance(data, str):
                    held = "NULL" if data is None else f"a number ({data!r})"
                    raise RowError(f"{where}: column {source.data!r} holds {held}, not JSON text")
                created = position if isinstance(position, int) and not isinstance(position, bool) else number
                text = data.strip()
                session = DEFAULT_SESSION if group is None else str(group)
                yield (str(number) if rid is None else str(rid)), session, created, text, _decoded(text, where)
        except sqlite3.DatabaseError as error:
            raise RowError(f"cannot read {source.path}: {error}") from None
    finally:
        conn.close()


class _Rows:
    """Stored records of source rows (messages without parts), the inference reading each on the way."""

    def __init__(self, source_name: str) -> None:
        self.source_name = source_name
        self.inference = Inference()
        self.count = 0

    def records(self, rows: Iterator[Row]) -> Iterator[StoredRecord]:
        for rid, session, created, text, value in rows:
            try:
                self.inference.add(value)
            except InferenceError as error:
                raise RowError(f"{self.source_name} row {self.count + 1}: {error}") from None
            self.count += 1
            yield (rid, session, created, created, text), []

    def schema(self, name: str) -> Schema:
        try:
            return self.inference.schema(name)
        except InferenceError as error:
            raise RowError(f"{self.source_name}: {error}") from None


def rows_origin(path: Path, source: Optional[SqliteSource] = None) -> RowsOrigin:
    """What a dataset records of its rows' source: the file's name and, for a table of an SQLite
    database (``source``), the table and the columns read."""
    return RowsOrigin(
        kind=ROWS,
        file=path.name,
        table=source.table if source else None,
        data_column=source.data if source else None,
        id_column=source.id if source else None,
        group_column=source.group if source else None,
        order_column=source.order if source else None,
    )


def import_rows(
    rows: Iterator[Row], out: Path, name: str, origin: RowsOrigin, source_name: str
) -> Tuple[Manifest, Schema]:
    """Store ``rows`` as a dataset at ``out`` with its inferred schema (recorded in the manifest and
    written beside it); its manifest and schema. RowError, and no dataset, on bad input; DatasetError
    when the output cannot be written."""
    out = Path(out)
    check_target(out)
    if schema_path(out).is_dir():
        raise RowError(f"refusing to overwrite {schema_path(out)}: it is a directory")
    with scratch_directory(out) as scratch:
        reader = _Rows(source_name)
        with DatasetWriter.file(out, scratch, source_name, session_title="imported rows") as writer:
            writer.add_records(reader.records(rows))
            schema = reader.schema(name)
            manifest = writer.finish(origin, to_json(schema))
        try:
            atomic.write_text(schema_path(out), dumps(schema), scratch)
        except OSError as error:
            raise cannot_write(out, error) from None
    return manifest, schema
