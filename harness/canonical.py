"""The canonical text of a dataset: one ``JSON.stringify(row)`` line per row.

Rows are written in generation order (each message row, then its part rows),
keys in opencode's column order, numbers formatted as JavaScript formats them.
The sha256 of this text identifies a dataset; for the reference profile it is
the hash of the opencode perf-test generator's output. ``data_only`` lines hold
just each row's ``data`` object.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import IO, Iterable, Iterator, List, Sequence, Tuple

from harness.jsonfmt import js_dumps

MESSAGE_COLUMNS: Tuple[str, ...] = ("id", "session_id", "time_created", "time_updated", "data")
PART_COLUMNS: Tuple[str, ...] = ("id", "message_id", "session_id", "time_created", "time_updated", "data")

#: Positions in a stored row (a tuple of column values): the id is first and the data last in both
#: tables; the other columns differ.
ROW_ID = 0
ROW_DATA = -1
MESSAGE_SESSION = MESSAGE_COLUMNS.index("session_id")
MESSAGE_CREATED = MESSAGE_COLUMNS.index("time_created")
MESSAGE_UPDATED = MESSAGE_COLUMNS.index("time_updated")
PART_MESSAGE = PART_COLUMNS.index("message_id")
PART_CREATED = PART_COLUMNS.index("time_created")
PART_UPDATED = PART_COLUMNS.index("time_updated")

#: A row as stored: column values in column order, ``data`` as its JSON text.
Columns = Tuple
#: A message's columns with the columns of its parts.
StoredRecord = Tuple[Columns, List[Columns]]


def to_columns(row: dict, names: Sequence[str]) -> Columns:
    """A generated row as its SQLite column values, ``data`` serialised."""
    return tuple(js_dumps(row[name]) if name == "data" else row[name] for name in names)


def to_stored(records: Iterable[Tuple[dict, List[dict]]]) -> Iterator[StoredRecord]:
    """Serialise generated records into stored column tuples."""
    for message, parts in records:
        yield to_columns(message, MESSAGE_COLUMNS), [to_columns(part, PART_COLUMNS) for part in parts]


def _column_json(value: object) -> str:
    """``json.dumps(value, ensure_ascii=False)`` of a column value, without building an encoder per
    call for the usual ones (text ids, integer times): the digest of a large dataset is mostly this."""
    if isinstance(value, str):
        return encode_basestring(value)
    if type(value) is int:
        return int.__repr__(value)
    return json.dumps(value, ensure_ascii=False)


def row_line(columns: Columns, names: Sequence[str]) -> str:
    """``JSON.stringify`` of the row object (without newline), built from stored columns."""
    fields = []
    for name, value in zip(names, columns):
        text = value if name == "data" else _column_json(value)
        fields.append(f'"{name}":{text}')
    return "{" + ",".join(fields) + "}"


def iter_lines(stored: Iterable[StoredRecord], data_only: bool = False) -> Iterator[str]:
    """Every line of the canonical text, each ending in a newline."""
    for message, parts in stored:
        yield (message[ROW_DATA] if data_only else row_line(message, MESSAGE_COLUMNS)) + "\n"
        for part in parts:
            yield (part[ROW_DATA] if data_only else row_line(part, PART_COLUMNS)) + "\n"


@dataclass(frozen=True)
class Digest:
    """Hashes and sizes of a dataset's canonical text."""

    sha256: str
    sha256_data: str
    hashed_lines: int
    hashed_bytes: int


class Hasher:
    """The canonical text's hashes and sizes, taken record by record as rows stream past."""

    def __init__(self) -> None:
        self.rows, self.data = hashlib.sha256(), hashlib.sha256()
        self.lines = self.size = 0

    def add(self, record: StoredRecord) -> None:
        message, parts = record
        for columns, names in [(message, MESSAGE_COLUMNS)] + [(part, PART_COLUMNS) for part in parts]:
            line = (row_line(columns, names) + "\n").encode()
            self.rows.update(line)
            self.data.update((columns[ROW_DATA] + "\n").encode())
            self.lines += 1
            self.size += len(line)

    def digest(self) -> Digest:
        return Digest(self.rows.hexdigest(), self.data.hexdigest(), self.lines, self.size)


def digest(stored: Iterable[StoredRecord]) -> Digest:
    """Hash the row lines and the data-only lines in one pass."""
    hasher = Hasher()
    for record in stored:
        hasher.add(record)
    return hasher.digest()


def write_canonical(stored: Iterable[StoredRecord], out: IO[bytes], data_only: bool = False) -> None:
    """Stream the canonical text as UTF-8 to a binary file."""
    batch: List[str] = []
    for line in iter_lines(stored, data_only):
        batch.append(line)
        if len(batch) >= 4096:
            out.write("".join(batch).encode())
            batch.clear()
    out.write("".join(batch).encode())
