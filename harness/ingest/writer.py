"""Write rows that came from elsewhere into a harness dataset, streaming, atomically.

The dataset is the one ``harness.store`` writes for a generation — opencode's tables, a ``meta``
table with the manifest and the manifest as JSON beside it — so everything that opens a dataset
reads it unchanged. Rows go in as they arrive, in batches, hashed for the canonical text on the
way; once they are in, SQLite counts the roles and part types and checks that every ``data`` is a
JSON object. Memory stays bounded by one batch. The
file appears under its name only when it is complete (a failed import leaves nothing behind), and
no manifest of another dataset is left beside it. Without a ``<dataset>.schema.json`` beside it,
a dataset is in opencode's (the built-in) schema: so is every dataset written here.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

from harness import atomic, canonical
from harness.canonical import MESSAGE_COLUMNS, PART_COLUMNS, ROW_DATA, ROW_ID, StoredRecord
from harness.store import _INDEXES, _SCHEMA, FORMAT, FORMAT_VERSION, DatasetError, check_target, manifest_path

BATCH = 2000  # messages per executemany


class RowError(DatasetError):
    """A row that cannot go into a dataset (its data is not a JSON object); names the row."""


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
        raise RowError(f"{source}: {table} row {row_id!r}: its data is not a JSON object")
    return dict(sorted(counts.items()))


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


def _insert(conn: sqlite3.Connection, batch: List[StoredRecord], tally: _Tally, source: str) -> None:
    for message, parts in batch:
        for row, names, table in [(message, MESSAGE_COLUMNS, "message")] + [(p, PART_COLUMNS, "part") for p in parts]:
            if not isinstance(row[ROW_DATA], str):
                raise RowError(f"{source}: {table} row {row[ROW_ID]!r}: its data is not JSON text")
            tally.add(row, names)
    conn.executemany(f"INSERT INTO message VALUES ({', '.join('?' * len(MESSAGE_COLUMNS))})", [m for m, _ in batch])
    conn.executemany(
        f"INSERT INTO part VALUES ({', '.join('?' * len(PART_COLUMNS))})", [p for _, parts in batch for p in parts]
    )


def write_rows(
    path: Path,
    sessions: Iterable[Tuple],
    records: Iterable[StoredRecord],
    described: Dict[str, Any],
    source: Optional[str] = None,
) -> Dict[str, Any]:
    """Store ``records`` (messages with their parts, in order) and their ``sessions`` (id, title,
    times) at ``path`` with a manifest: ``described`` (profile, where the rows came from) plus the
    counts and hashes. Returns the manifest. A row whose data is not a JSON object is a RowError
    naming ``source`` and the row; a duplicate id a DatasetError."""
    path = Path(path)
    check_target(path)
    source = source or str(path)
    tally = _Tally()
    try:
        with atomic.atomic_path(path) as temporary:
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
                        _insert(conn, batch, tally, source)
                        batch.clear()
                _insert(conn, batch, tally, source)
                roles, types = _kinds(conn, "message", "role", source), _kinds(conn, "part", "type", source)
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
        atomic.write_text(manifest_path(path), json.dumps(manifest, indent=2) + "\n")
    except sqlite3.IntegrityError as error:
        raise DatasetError(f"cannot write dataset {path}: two rows share an id ({error})") from None
    except (OSError, sqlite3.Error) as error:
        reason = getattr(error, "strerror", None) or error
        raise DatasetError(f"cannot write dataset {path}: {reason}") from error
    return manifest
