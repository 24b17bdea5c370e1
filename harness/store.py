"""Datasets in opencode's SQLite layout, with a manifest that vouches for their rows.

Tables ``message`` and ``part`` have opencode's columns, keys and indexes
(``data`` is the JSON text of the object without its ids); ``session`` is a
reduced version of opencode's (id, title, times) so the foreign keys hold.
The manifest (profile, parameters, seed, counts, generator version and the
sha256 of the canonical text, see ``harness.canonical``) is stored in a
``meta`` table and as JSON beside the file, named after the whole file name
(``d.sqlite`` → ``d.sqlite.manifest.json``). Reading verifies both. The meta table is the
authority: a dataset written when the copy was named ``d.manifest.json`` is still read (that
old copy is no longer consulted, since ``d.sqlite`` and ``d.db`` shared it).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional

from harness import atomic, canonical
from harness.canonical import (
    MESSAGE_COLUMNS,
    MESSAGE_CREATED,
    MESSAGE_SESSION,
    PART_COLUMNS,
    PART_MESSAGE,
    ROW_ID,
    StoredRecord,
)
from harness.generate import GENERATOR_VERSION, Generated, Spec

FORMAT = "shape-harness-dataset"
FORMAT_VERSION = 1
SUFFIX = ".sqlite"

_SCHEMA = """
CREATE TABLE session (id TEXT PRIMARY KEY, title TEXT NOT NULL,
    time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL);
CREATE TABLE message (id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES session(id) ON DELETE CASCADE,
    time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE part (id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES message(id) ON DELETE CASCADE,
    session_id TEXT NOT NULL, time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL,
    data TEXT NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_INDEXES = """
CREATE INDEX message_session_time_created_id_idx ON message(session_id, time_created, id);
CREATE INDEX part_message_id_id_idx ON part(message_id, id);
CREATE INDEX part_session_idx ON part(session_id);
"""


class DatasetError(ValueError):
    """A dataset file is missing, not ours, or does not match its manifest."""


def dataset_origin(manifest: Dict[str, Any]) -> str:
    """What a dataset is, from its manifest: its generator profile (``reference``, ``realistic``),
    ``opencode-import`` or ``rows`` (an application's own rows)."""
    return str(manifest.get("profile") or manifest.get("source") or "")


def manifest_path(path: Path) -> Path:
    """Where the JSON copy of a dataset's manifest lives: the whole file name plus ``.manifest.json``."""
    return path.with_name(path.name + ".manifest.json")


def default_name(spec: Spec) -> str:
    """File name encoding a dataset's inputs, e.g. ``reference-s11-m5000-a0.sqlite``; other
    parameter overrides add a short hash of themselves (``-p1a2b3c4d``)."""
    name = f"{spec.profile}-s{spec.seed}-m{spec.messages}"
    if spec.avg_parts is not None:
        name += f"-a{spec.avg_parts:g}"
    if spec.sessions is not None:
        name += f"-k{spec.sessions}"
    if spec.overrides:
        name += "-p" + hashlib.sha256(json.dumps(spec.overrides, sort_keys=True).encode()).hexdigest()[:8]
    return name + SUFFIX


def spec_mismatch(manifest: Dict[str, Any], spec: Spec) -> Optional[str]:
    """How a dataset's manifest differs from what ``spec`` generates (e.g. ``seed 12, not 11``),
    or None when it is that dataset."""
    expected = {"profile": spec.profile, "seed": spec.seed, "messages": spec.messages}
    for key, value in expected.items():
        if manifest.get(key) != value:
            return f"{key} {manifest.get(key)!r}, not {value!r}"
    wanted = json.loads(json.dumps(spec.params()))  # tuples as the JSON manifest holds them
    found = manifest.get("params") if isinstance(manifest.get("params"), dict) else {}
    for key in sorted(set(wanted) | set(found)):
        if found.get(key) != wanted.get(key):
            return f"{key} {found.get(key)!r}, not {wanted.get(key)!r}"
    return None


def _read_meta(path: Path) -> Optional[Dict[str, Any]]:
    """The manifest in the file's meta table, or None when the file is not a harness dataset."""
    try:
        with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as conn:
            (text,) = conn.execute("SELECT value FROM meta WHERE key = 'manifest'").fetchone()
        manifest = json.loads(text)
    except (sqlite3.Error, TypeError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and manifest.get("format") == FORMAT else None


def tally(values: Iterable[str]) -> Dict[str, int]:
    """Counts per value, keys in code-unit order (as the reference generator reports them)."""
    return dict(sorted(Counter(values).items()))


def ensure_directory(directory: Path) -> None:
    """Make sure datasets can be kept in ``directory``; DatasetError in one line otherwise."""
    if directory.is_symlink() and not directory.exists():
        raise DatasetError(f"{directory} is a symbolic link to nothing; remove it or point it at a directory")
    if directory.exists() and not directory.is_dir():
        raise DatasetError(f"{directory} is not a directory; datasets are kept there")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DatasetError(f"cannot create {directory}: {error.strerror or error}") from None


def _is_manifest_file(path: Path) -> bool:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(value, dict) and value.get("format") == FORMAT


def _check_target(path: Path) -> None:
    if path.is_dir():
        raise DatasetError(f"output path {path} is a directory")
    if path.exists() and not path.is_file():
        raise DatasetError(f"refusing to write over {path}: it is not a regular file")
    if path.exists() and _read_meta(path) is None:
        raise DatasetError(f"refusing to overwrite {path}: it is not a shape-harness dataset")
    beside = manifest_path(path)
    if beside.exists() and (not beside.is_file() or not _is_manifest_file(beside)):
        raise DatasetError(f"refusing to overwrite {beside}: it is not a shape-harness dataset manifest")
    if not path.parent.is_dir():
        raise DatasetError(f"output directory {path.parent} does not exist")


def check_target(path: Path, source: Optional[Path] = None) -> None:
    """DatasetError unless a dataset may be written at ``path`` (a new file or a dataset of ours)
    that is not the file it is made from (``source``)."""
    if source is not None and path.exists() and Path(source).exists() and path.samefile(source):
        raise DatasetError(f"refusing to write {path} over the file it is made from; choose another --out")
    _check_target(path)


def build_manifest(generated: Generated, stored: List[StoredRecord]) -> Dict[str, Any]:
    """Everything needed to regenerate and to verify a dataset."""
    digest = canonical.digest(stored)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generator_version": GENERATOR_VERSION,
        "profile": generated.profile,
        "seed": generated.seed,
        "params": generated.params,
        "messages": generated.messages,
        "parts": generated.parts,
        "session_ids": generated.session_ids,
        "messages_by_role": tally(row["data"]["role"] for row, _ in generated.records),
        "parts_by_type": tally(part["data"]["type"] for _, parts in generated.records for part in parts),
        "rng_calls": generated.rng_calls,
        "sha256": digest.sha256,
        "sha256_data": digest.sha256_data,
        "hashed_lines": digest.hashed_lines,
        "hashed_bytes": digest.hashed_bytes,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def create_tables(conn: sqlite3.Connection) -> None:
    """Create opencode's tables and indexes (and ``meta``) in an empty database."""
    conn.executescript(_SCHEMA + _INDEXES)


def fill(conn: sqlite3.Connection, generated: Generated, stored: List[StoredRecord], manifest: Dict[str, Any]) -> None:
    """Create the tables in an empty database and store a generation with its manifest."""
    conn.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;" + _SCHEMA)
    first_seen: Dict[str, int] = {}
    for message, _ in stored:
        first_seen.setdefault(message[MESSAGE_SESSION], message[MESSAGE_CREATED])
    conn.executemany(
        "INSERT INTO session VALUES (?, ?, ?, ?)",
        [(sid, f"synthetic session {sid}", t, t) for sid, t in first_seen.items()],
    )
    conn.executemany(
        f"INSERT INTO message VALUES ({', '.join('?' * len(MESSAGE_COLUMNS))})", (message for message, _ in stored)
    )
    conn.executemany(
        f"INSERT INTO part VALUES ({', '.join('?' * len(PART_COLUMNS))})",
        (part for _, parts in stored for part in parts),
    )
    conn.executescript(_INDEXES)
    conn.execute("INSERT INTO meta VALUES ('manifest', ?)", (json.dumps(manifest),))
    conn.commit()


def write_dataset(path: Path, generated: Generated) -> Dict[str, Any]:
    """Store a generation at ``path`` (atomically, manifest beside it) and return its manifest."""
    path = Path(path)
    _check_target(path)
    stored = list(canonical.to_stored(generated.records))
    manifest = build_manifest(generated, stored)
    try:
        with atomic.atomic_path(path) as temporary:
            temporary.unlink()
            conn = sqlite3.connect(temporary)
            try:
                fill(conn, generated, stored, manifest)
            finally:
                conn.close()
        atomic.write_text(manifest_path(path), json.dumps(manifest, indent=2) + "\n")
    except (OSError, sqlite3.Error) as error:
        reason = getattr(error, "strerror", None) or error
        raise DatasetError(f"cannot write dataset {path}: {reason}") from error
    return manifest


@dataclass
class Dataset:
    """An opened, verified dataset: its manifest and a read-only connection."""

    path: Path
    manifest: Dict[str, Any]
    conn: sqlite3.Connection

    def stored_records(self) -> Iterator[StoredRecord]:
        """Every message with its parts, in generation (insertion) order."""
        parts = self.conn.execute(f"SELECT {', '.join(PART_COLUMNS)} FROM part ORDER BY rowid")
        pending = next(parts, None)
        for message in self.conn.execute(f"SELECT {', '.join(MESSAGE_COLUMNS)} FROM message ORDER BY rowid"):
            own = []
            while pending is not None and pending[PART_MESSAGE] == message[ROW_ID]:
                own.append(pending)
                pending = next(parts, None)
            yield message, own

    def close(self) -> None:
        self.conn.close()


def _verify(dataset: Dataset) -> None:
    manifest, path = dataset.manifest, dataset.path
    beside = manifest_path(path)
    if beside.exists() and not beside.is_file():  # a FIFO would block the read for ever
        raise DatasetError(f"the manifest file beside dataset {path} is not a regular file: {beside}")
    if beside.exists():
        try:
            copy = json.loads(beside.read_text(encoding="utf-8"))
        except ValueError:
            copy = None
        if copy != manifest:
            raise DatasetError(f"dataset {path} does not match its manifest file {beside.name}")
    (messages,) = dataset.conn.execute("SELECT count(*) FROM message").fetchone()
    (parts,) = dataset.conn.execute("SELECT count(*) FROM part").fetchone()
    if (messages, parts) != (manifest.get("messages"), manifest.get("parts")):
        raise DatasetError(
            f"dataset {path} does not match its manifest: {messages} messages / {parts} "
            f"parts stored, manifest says {manifest.get('messages')} / {manifest.get('parts')}"
        )
    sha256 = canonical.digest(dataset.stored_records()).sha256
    if sha256 != manifest.get("sha256"):
        raise DatasetError(
            f"dataset {path} does not match its manifest: rows hash to {sha256[:12]}…, "
            f"manifest says {str(manifest.get('sha256'))[:12]}…"
        )


def open_dataset(path: Path, verify: bool = True) -> Dataset:
    """Open a dataset read-only; with ``verify`` check its rows against its manifest."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"no dataset at {path}")
    manifest = _read_meta(path)
    if manifest is None:
        raise DatasetError(f"{path} is not a shape-harness dataset")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise DatasetError(
            f"{path} has dataset format {manifest.get('format_version')}, "
            f"this harness reads {FORMAT_VERSION}; regenerate it"
        )
    dataset = Dataset(path, manifest, sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True))
    if verify:
        try:
            _verify(dataset)
        except BaseException:
            dataset.close()
            raise
    return dataset
