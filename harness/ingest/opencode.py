"""``harness import opencode``: an opencode database into a harness dataset.

The source is copied read-only (``harness.ingest.source``), the chosen sessions' rows are read from
the copy in opencode's order and written as a dataset in opencode's layout (``harness.store``'s
``DatasetWriter``), anonymised on the way when asked (``harness.ingest.anonymise``). The copy, and the dataset until it
is complete, live in a scratch directory beside the output that is removed whatever happens
(``harness.ingest.scratch``). A row that cannot be imported is refused naming the source's row
(its id in the user's database, anonymised or not); a write that fails — no room for the copy or
the dataset — is ``cannot write dataset``, never blamed on the source. The manifest's origin says
where the rows came from (``OpencodeOrigin``): the source's path, the sha256 and size of the
snapshot read, the sessions chosen and how, whether anonymised, parts left out for want of their
message and sessions left out for want of messages. An anonymised dataset's manifest names no
source path.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Iterator, List, Optional

from harness import jsontext
from harness.canonical import ROW_DATA, ROW_ID, StoredRecord
from harness.hashing import file_sha256
from harness.ingest.anonymise import Anonymiser
from harness.ingest.scratch import scratch_directory
from harness.ingest.source import Source, snapshot
from harness.jsonfmt import js_dumps
from harness.schemas.stored import schema_path
from harness.store import (
    OPENCODE_IMPORT,
    DatasetError,
    DatasetWriter,
    Manifest,
    OpencodeOrigin,
    RowError,
    cannot_write,
    check_target,
    ensure_directory,
)


def _anonymised_row(row: tuple, table: str, anonymiser: Anonymiser, source: str) -> tuple:
    """A row (its columns checked: every text column but ``data`` is an id) with its ids and its data
    anonymised; RowError naming the source's row when its data is not a JSON object."""
    try:
        data = jsontext.loads(row[ROW_DATA])
    except ValueError:
        data = None
    if type(data) is not dict:
        raise RowError.not_an_object(source, table, row[ROW_ID])
    ids = tuple(anonymiser.string(value) if type(value) is str else value for value in row[:ROW_DATA])
    return (*ids, js_dumps(anonymiser.data(data, table)))


def anonymised(records: Iterator[StoredRecord], anonymiser: Anonymiser, source: str) -> Iterator[StoredRecord]:
    """The records with every id and data object anonymised (refusals name ``source``'s rows)."""
    for message, parts in records:
        yield (
            _anonymised_row(message, "message", anonymiser, source),
            [_anonymised_row(part, "part", anonymiser, source) for part in parts],
        )


def import_opencode(
    path: Path,
    out: Path,
    sessions: Optional[List[str]] = None,
    largest: Optional[int] = None,
    anonymise: bool = False,
    key: Optional[bytes] = None,
) -> Manifest:
    """Import the database at ``path`` into the dataset ``out``; its manifest. SourceError for a
    source that cannot be read, RowError for a row that cannot be imported, DatasetError for an
    output that cannot be written."""
    path, out = Path(path), Path(out)
    ensure_directory(out.parent)
    check_target(out, source=path)
    beside = schema_path(out)
    if beside.exists():
        raise DatasetError(
            f"refusing to write {out}: {beside.name} beside it would describe other rows "
            "(an opencode import is in opencode's schema); move it away or choose another --out"
        )
    with scratch_directory(out) as scratch:
        try:
            return _import(path, out, scratch, sessions, largest, Anonymiser(key) if anonymise else None)
        except (OSError, sqlite3.Error) as error:  # reads are SourceErrors: this is a write that failed
            raise cannot_write(out, error) from None


def _import(
    path: Path,
    out: Path,
    scratch: Path,
    sessions: Optional[List[str]],
    largest: Optional[int],
    anonymiser: Optional[Anonymiser],
) -> Manifest:
    """The import, its copy of the source and its files in ``scratch``."""
    copy = scratch / "snapshot.sqlite"
    snapshot(path, copy)
    snapshot_sha256, snapshot_bytes = file_sha256(copy), copy.stat().st_size
    source = Source(path, copy)
    try:
        source.choose(sessions, largest)
        session_rows, records = source.session_rows(), source.records()
        if anonymiser is not None:
            session_rows = (
                (anonymiser.string(sid), anonymiser.string(title), *times) for sid, title, *times in session_rows
            )
            records = anonymised(records, anonymiser, str(path))
        origin = OpencodeOrigin(
            kind=OPENCODE_IMPORT,
            path=None if anonymiser is not None else str(path.resolve()),
            snapshot_sha256=snapshot_sha256,
            snapshot_bytes=snapshot_bytes,
            sessions="named" if sessions else f"largest {largest}" if largest else "all",
            parts_without_message=source.orphan_parts(),
            sessions_without_messages=source.sessions_without_messages(),
            anonymised=anonymiser is not None,
        )
        with DatasetWriter.file(out, scratch, source=str(path)) as writer:
            writer.add_sessions(session_rows)
            writer.add_records(records)
            return writer.finish(origin)
    finally:
        source.close()
