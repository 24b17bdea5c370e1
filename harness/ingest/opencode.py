"""``harness import opencode``: an opencode database into a harness dataset.

The source is copied read-only (``harness.ingest.source``), the chosen sessions' rows are read from
the copy in opencode's order and written as a dataset in opencode's layout (``harness.ingest.writer``),
anonymised on the way when asked (``harness.ingest.anonymise``). The copy lives in a scratch
directory beside the output and is removed whatever happens. The manifest says where the rows came
from: profile ``opencode-import``, the sha256 of the snapshot read, the sessions chosen and how,
whether anonymised, parts left out for want of their message. An anonymised dataset's manifest
names no source path.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence

from harness.canonical import MESSAGE_COLUMNS, PART_COLUMNS, StoredRecord
from harness.ingest.anonymise import Anonymiser
from harness.ingest.source import Source, snapshot
from harness.ingest.writer import write_rows
from harness.jsonfmt import js_dumps
from harness.measure.job import file_sha256
from harness.schemas.stored import schema_path
from harness.store import DatasetError, check_target, ensure_directory

PROFILE = "opencode-import"
_ID_COLUMNS = {"id", "session_id", "message_id"}


def _anonymised_row(row: tuple, names: Sequence[str], anonymiser: Anonymiser) -> tuple:
    out = []
    for name, value in zip(names, row):
        if name == "data":
            try:
                data = json.loads(value)
            except (TypeError, ValueError):
                data = None
            # a row that is no JSON object is left as it is: the writer names it and stops
            value = js_dumps(anonymiser.data(data)) if isinstance(data, dict) else value
        elif name in _ID_COLUMNS and isinstance(value, str):
            value = anonymiser.string(value)
        out.append(value)
    return tuple(out)


def anonymised(records: Iterator[StoredRecord], anonymiser: Anonymiser) -> Iterator[StoredRecord]:
    """The records with every id and data object anonymised."""
    for message, parts in records:
        yield (
            _anonymised_row(message, MESSAGE_COLUMNS, anonymiser),
            [_anonymised_row(part, PART_COLUMNS, anonymiser) for part in parts],
        )


def import_opencode(
    path: Path,
    out: Path,
    sessions: Optional[List[str]] = None,
    largest: Optional[int] = None,
    anonymise: bool = False,
    key: Optional[bytes] = None,
) -> Dict[str, Any]:
    """Import the database at ``path`` into the dataset ``out``; its manifest. SourceError for a
    source that cannot be read, DatasetError for an output that cannot be written."""
    path, out = Path(path), Path(out)
    ensure_directory(out.parent)
    check_target(out)
    beside = schema_path(out)
    if beside.exists():
        raise DatasetError(
            f"refusing to write {out}: {beside.name} beside it would describe other rows "
            "(an opencode import is in opencode's schema); move it away or choose another --out"
        )
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{out.name}.import-") as scratch:
        copy = Path(scratch) / "snapshot.sqlite"
        snapshot(path, copy)
        snapshot_sha256, snapshot_bytes = file_sha256(copy), copy.stat().st_size
        source = Source(path, copy)
        try:
            source.choose(sessions, largest)
            anonymiser = Anonymiser(key) if anonymise else None
            session_rows = source.session_rows()
            records = source.records()
            if anonymiser is not None:
                session_rows = (
                    (anonymiser.string(sid), anonymiser.string(title), *times) for sid, title, *times in session_rows
                )
                records = anonymised(records, anonymiser)
            described = {
                "profile": PROFILE,
                "source": {
                    "path": None if anonymise else str(path.resolve()),
                    "snapshot_sha256": snapshot_sha256,
                    "snapshot_bytes": snapshot_bytes,
                    "sessions": "named" if sessions else f"largest {largest}" if largest else "all",
                    "parts_without_message": source.orphan_parts(),
                },
                "anonymised": anonymise,
            }
            return write_rows(out, session_rows, records, described, source=str(path))
        finally:
            source.close()
