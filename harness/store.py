"""Datasets in opencode's SQLite layout, with a manifest that vouches for their rows.

Tables ``message`` and ``part`` have opencode's columns, keys and indexes (``data`` is the JSON
text of the object without its ids); ``session`` is a reduced version of opencode's (id, title,
times) so the foreign keys hold. Every dataset — generated, imported from an opencode database or
from an application's own rows — is written by one ``DatasetWriter`` and described by one
``Manifest``: its ``origin`` (what made the rows), its counts, session ids and the sha256 of its
canonical text (``harness.canonical``). The manifest is stored in a ``meta`` table and as JSON
beside the file, named after the whole file name (``d.sqlite`` → ``d.sqlite.manifest.json``);
reading verifies both. The meta table is the authority: a dataset written when the copy was named
``d.manifest.json`` is still read (that old copy is no longer consulted, since ``d.sqlite`` and
``d.db`` shared it), and so is a dataset of format 1, whose manifest had one layout per origin.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import (
    Any,
    Dict,
    Final,
    Iterable,
    Iterator,
    List,
    Literal,
    Mapping,
    Optional,
    Protocol,
    Tuple,
    TypedDict,
    Union,
)

from harness import atomic, canonical, jsontext
from harness.canonical import (
    MESSAGE_COLUMNS,
    MESSAGE_CREATED,
    MESSAGE_SESSION,
    PART_COLUMNS,
    PART_MESSAGE,
    ROW_ID,
    StoredRecord,
)

FORMAT = "shape-harness-dataset"
#: 2: one manifest layout, what made the rows in ``origin``; 1: one layout per origin (still read).
FORMAT_VERSION = 2
#: Origins: a generation, an opencode database, an application's own rows.
GENERATED: Final = "generated"
OPENCODE_IMPORT: Final = "opencode-import"
ROWS: Final = "rows"
BATCH = 2000  # messages per executemany
#: SQLite's names of the errors of a write that failed: no room (ENOSPC), a file-size limit
#: (EFBIG is an ``IOERR_WRITE``), a flush or truncation that failed.
WRITE_ERRORS = frozenset(
    {"SQLITE_FULL", "SQLITE_IOERR_WRITE", "SQLITE_IOERR_FSYNC", "SQLITE_IOERR_DIR_FSYNC", "SQLITE_IOERR_TRUNCATE"}
)

_TABLES = """
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
_WIDTHS = {"session": 4, "message": len(MESSAGE_COLUMNS), "part": len(PART_COLUMNS)}


class GeneratedOrigin(TypedDict):
    """Rows made by ``harness.generate``: its profile, version, seed, parameters and LCG draws."""

    kind: Literal["generated"]
    profile: str
    generator_version: int
    seed: int
    params: Dict[str, Any]
    rng_calls: int


class OpencodeOrigin(TypedDict):
    """Rows read from an opencode database: its path (None when anonymised), the sha256 and size of
    the snapshot read, the sessions chosen (``all``, ``named``, ``largest N``) and what was left out
    (the sessions without messages are None for an import of format 1 that did not count them)."""

    kind: Literal["opencode-import"]
    path: Optional[str]
    snapshot_sha256: str
    snapshot_bytes: int
    sessions: str
    parts_without_message: int
    sessions_without_messages: Optional[int]
    anonymised: bool


class RowsOrigin(TypedDict):
    """An application's own rows: the file's name and, for an SQLite table, the table and columns."""

    kind: Literal["rows"]
    file: str
    table: Optional[str]
    data_column: Optional[str]
    id_column: Optional[str]
    group_column: Optional[str]
    order_column: Optional[str]


Origin = Union[GeneratedOrigin, OpencodeOrigin, RowsOrigin]
_ORIGINS: Dict[str, type] = {GENERATED: GeneratedOrigin, OPENCODE_IMPORT: OpencodeOrigin, ROWS: RowsOrigin}


class Manifest(TypedDict):
    """What vouches for a dataset's rows. ``schema`` is the rows' own schema (JSON, see
    ``harness.schemas.stored``), None for opencode's; the session ids and the counts per role and
    part type are None only for rows imported under format 1, which did not record them."""

    format: str
    format_version: int
    origin: Origin
    messages: int
    parts: int
    session_ids: Optional[List[str]]
    messages_by_role: Optional[Dict[str, int]]
    parts_by_type: Optional[Dict[str, int]]
    sha256: str
    sha256_data: str
    hashed_lines: int
    hashed_bytes: int
    schema: Optional[Dict[str, Any]]
    created: str


class DatasetError(ValueError):
    """A dataset file is missing, not ours, or does not match its manifest."""


class RowError(DatasetError):
    """Rows that cannot go into a dataset; the message names their source and the row, if one."""

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


def manifest_path(path: Path) -> Path:
    """Where the JSON copy of a dataset's manifest lives: the whole file name plus ``.manifest.json``."""
    return path.with_name(path.name + ".manifest.json")


def dataset_origin(manifest: Manifest) -> str:
    """What a dataset is: its generator profile (``reference``, ``realistic``), ``opencode-import``
    or ``rows``."""
    origin = manifest["origin"]
    return origin["profile"] if origin["kind"] == GENERATED else origin["kind"]


# ---------------------------------------------------------------- the manifest as JSON


def dump_manifest(manifest: Manifest) -> str:
    """The manifest's JSON text, as the meta table and the file beside the dataset hold it."""
    return json.dumps(manifest, indent=2) + "\n"


def _ours(text: str) -> Optional[Dict[str, Any]]:
    """The JSON object of a dataset manifest of any format, or None."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) and value.get("format") == FORMAT else None


def load_manifest(text: str) -> Optional[Manifest]:
    """The manifest a JSON text holds (one of format 1 in today's layout), None when the text is no
    dataset manifest; ValueError naming a format this harness does not read or a key the manifest
    lacks."""
    value = _ours(text)
    if value is None:
        return None
    version = value.get("format_version")
    if version not in (1, FORMAT_VERSION):
        raise ValueError(f"dataset format {version!r}, this harness reads 1 and {FORMAT_VERSION}")
    try:
        return _from_format_1(value) if version == 1 else _from_format_2(value)
    except KeyError as error:
        raise ValueError(f"a damaged manifest (no {error.args[0]!r})") from None


def _from_format_2(value: Dict[str, Any]) -> Manifest:
    """The manifest of format 2 ``value`` holds; KeyError naming a key it or its origin lacks."""
    missing = [key for key in Manifest.__annotations__ if key not in value]
    if missing:
        raise KeyError(missing[0])
    origin = value["origin"]
    if not isinstance(origin, dict) or origin.get("kind") not in (GENERATED, OPENCODE_IMPORT, ROWS):
        raise ValueError("a damaged manifest (no known origin)")
    missing = [key for key in _ORIGINS[origin["kind"]].__annotations__ if key not in origin]
    if missing:
        raise KeyError(f"origin.{missing[0]}")
    return _manifest(value, value["origin"])


def _from_format_1(old: Dict[str, Any]) -> Manifest:
    """A format-1 manifest in today's layout; KeyError naming a key it lacks. Format 1 kept each
    origin's own keys at the top: a generation's profile, seed, params…; an opencode import's
    ``source`` object and ``anonymised``; a rows import's ``source: "rows"`` and ``origin`` object
    (and no session ids or counts)."""
    origin: Origin
    if old.get("source") == ROWS:
        given = _object(old, "origin")
        origin = RowsOrigin(
            kind=ROWS,
            file=given.get("jsonl") or given["sqlite"],
            table=given.get("table"),
            data_column=given.get("data_column"),
            id_column=given.get("id_column"),
            group_column=given.get("group_column"),
            order_column=given.get("order_column"),
        )
    elif old.get("profile") == OPENCODE_IMPORT:
        source = _object(old, "source")
        origin = OpencodeOrigin(
            kind=OPENCODE_IMPORT,
            path=source["path"],
            snapshot_sha256=source["snapshot_sha256"],
            snapshot_bytes=source["snapshot_bytes"],
            sessions=source["sessions"],
            parts_without_message=source["parts_without_message"],
            sessions_without_messages=source.get("sessions_without_messages"),
            anonymised=old["anonymised"],
        )
    else:
        origin = GeneratedOrigin(
            kind=GENERATED,
            profile=old["profile"],
            generator_version=old["generator_version"],
            seed=old["seed"],
            params=old["params"],
            rng_calls=old["rng_calls"],
        )
    return _manifest(old, origin)


def _object(value: Mapping[str, Any], key: str) -> Dict[str, Any]:
    """The JSON object ``value`` holds at ``key``; KeyError naming ``key`` when it holds none."""
    found = value.get(key)
    if not isinstance(found, dict):
        raise KeyError(key)
    return found


def _manifest(value: Mapping[str, Any], origin: Origin) -> Manifest:
    """The manifest of ``origin`` with ``value``'s keys; KeyError naming one it lacks (the session
    ids, the counts by role and type and the schema may be absent: format 1 did not always record
    them)."""
    return Manifest(
        format=FORMAT,
        format_version=FORMAT_VERSION,
        origin=origin,
        messages=value["messages"],
        parts=value["parts"],
        session_ids=value.get("session_ids"),
        messages_by_role=value.get("messages_by_role"),
        parts_by_type=value.get("parts_by_type"),
        sha256=value["sha256"],
        sha256_data=value["sha256_data"],
        hashed_lines=value["hashed_lines"],
        hashed_bytes=value["hashed_bytes"],
        schema=value.get("schema"),
        created=value["created"],
    )


def _meta_text(path: Path) -> Optional[str]:
    """The manifest text in the meta table of the regular file at ``path``, or None."""
    if not path.is_file():  # a FIFO would block the open for ever
        return None
    try:
        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'manifest'").fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row and isinstance(row[0], str) else None


def read_manifest(path: Path) -> Optional[Manifest]:
    """The manifest of the dataset at ``path`` (its meta table), rows unverified; None when no
    dataset is there, DatasetError when it is of a format this harness does not read."""
    text = _meta_text(Path(path))
    try:
        return None if text is None else load_manifest(text)
    except ValueError as error:
        raise DatasetError(f"{path} has {error}; regenerate it") from None


# ---------------------------------------------------------------- where a dataset may be written


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
        return _ours(path.read_text(encoding="utf-8")) is not None
    except (OSError, ValueError):
        return False


def check_target(path: Path, source: Optional[Path] = None) -> None:
    """DatasetError unless a dataset may be written at ``path`` (a new file or a dataset of ours,
    a file beside it that is a manifest or none) that is not the file it is made from (``source``)."""
    path = Path(path)
    if source is not None and path.exists() and Path(source).exists() and path.samefile(source):
        raise DatasetError(f"refusing to write {path} over the file it is made from; choose another --out")
    if path.is_dir():
        raise DatasetError(f"output path {path} is a directory")
    if path.exists() and not path.is_file():
        raise DatasetError(f"refusing to write over {path}: it is not a regular file")
    if path.exists() and _ours(_meta_text(path) or "") is None:
        raise DatasetError(f"refusing to overwrite {path}: it is not a shape-harness dataset")
    beside = manifest_path(path)
    if beside.exists() and (not beside.is_file() or not _is_manifest_file(beside)):
        raise DatasetError(f"refusing to overwrite {beside}: it is not a shape-harness dataset manifest")
    if not path.parent.is_dir():
        raise DatasetError(f"output directory {path.parent} does not exist")


# ---------------------------------------------------------------- writing


def create_tables(conn: sqlite3.Connection) -> None:
    """Create opencode's tables and indexes (and ``meta``) in an empty database."""
    conn.executescript(_TABLES + _INDEXES)


class Generation(Protocol):
    """What a generated dataset is written from (``harness.generate.Generated``): message rows with
    their part rows, as dicts, and their origin."""

    records: List[Tuple[dict, List[dict]]]

    def origin(self) -> GeneratedOrigin: ...


#: Rows that may hold a number beyond a double: a JSON exponent of three digits or more.
_BIG_EXPONENT = "data GLOB '*[eE][0-9][0-9][0-9]*' OR data GLOB '*[eE][+-][0-9][0-9][0-9]*'"


class DatasetWriter:
    """Writes one dataset into an empty SQLite database: opencode's tables; the rows, streamed in
    batches (memory stays bounded by one) and hashed for the canonical text on the way; then every
    ``data`` checked and the roles and part types counted by SQLite, the indexes, and the manifest
    in the ``meta`` table. ``DatasetWriter.file`` writes a dataset file; a writer on another
    connection (``:memory:``) describes rows without keeping them. A session the messages name
    without a session row gets one: ``<session_title> <id>``, its first message's times."""

    def __init__(self, conn: sqlite3.Connection, source: str = "the rows", session_title: str = "synthetic session"):
        self.conn, self.source, self.session_title = conn, source, session_title
        self.hasher = canonical.Hasher()
        self.first_seen: Dict[str, int] = {}  # each session's first message time, in order of appearance
        self.session_ids: List[str] = []  # the sessions given a row, in order
        self.manifest: Optional[Manifest] = None
        conn.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;" + _TABLES)

    @classmethod
    @contextlib.contextmanager
    def file(
        cls,
        path: Path,
        scratch: Optional[Path] = None,
        source: Optional[str] = None,
        session_title: str = "synthetic session",
    ) -> Iterator[DatasetWriter]:
        """A writer of the dataset file ``path``, which the block must finish. The file is written
        in ``scratch`` (default: beside ``path``), synced and renamed into place once finished; the
        manifest of another dataset beside it is removed first, so a dataset never stands beside a
        manifest not its own, and its own is written then. A block that fails leaves nothing; a
        file that cannot be written is DatasetError ``cannot write dataset``."""
        path = Path(path)
        check_target(path)
        try:
            with atomic.atomic_path(path, scratch) as temporary:
                temporary.unlink()
                conn = sqlite3.connect(temporary)
                try:
                    writer = cls(conn, source or str(path), session_title)
                    yield writer
                finally:
                    conn.close()
                if writer.manifest is None:
                    raise RuntimeError("a DatasetWriter.file block must finish the dataset")
                manifest_path(path).unlink(missing_ok=True)
            atomic.write_text(manifest_path(path), dump_manifest(writer.manifest), scratch)
        except (OSError, sqlite3.Error) as error:
            raise cannot_write(path, error) from None

    def add_sessions(self, rows: Iterable[Tuple]) -> None:
        """Store session rows (id, title, time created, time updated)."""
        rows = list(rows)
        self._insert("session", rows)
        self.session_ids.extend(row[ROW_ID] for row in rows)

    def add_records(self, records: Iterable[StoredRecord]) -> None:
        """Store messages with their parts (columns checked by the caller), in order."""
        batch: List[StoredRecord] = []
        for record in records:
            batch.append(record)
            if len(batch) >= BATCH:
                self._store(batch)
                batch = []
        self._store(batch)

    def write_generation(self, generation: Generation) -> Manifest:
        """Store a generation's records, serialised on the way, and finish with its origin."""
        self.add_records(canonical.to_stored(generation.records))
        return self.finish(generation.origin())

    def finish(self, origin: Origin, schema: Optional[Dict[str, Any]] = None) -> Manifest:
        """Check and count the rows, give sessions without a row one, index, and record the manifest
        (``schema``: the rows' own schema as JSON, None for opencode's); the manifest as stored.
        RowError naming the first row whose data is not a JSON object as JSON.stringify writes it."""
        roles, types = self._kinds("message", "role"), self._kinds("part", "type")
        for table in ("message", "part"):
            self._refuse_numbers_beyond_a_double(table)
        given = set(self.session_ids)
        self.add_sessions(
            (sid, f"{self.session_title} {sid}", t, t) for sid, t in self.first_seen.items() if sid not in given
        )
        self.conn.executescript(_INDEXES)
        digest = self.hasher.digest()
        manifest = Manifest(
            format=FORMAT,
            format_version=FORMAT_VERSION,
            origin=origin,
            messages=sum(roles.values()),
            parts=sum(types.values()),
            session_ids=self.session_ids,
            messages_by_role=roles,
            parts_by_type=types,
            sha256=digest.sha256,
            sha256_data=digest.sha256_data,
            hashed_lines=digest.hashed_lines,
            hashed_bytes=digest.hashed_bytes,
            schema=schema,
            created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )
        text = dump_manifest(manifest)
        self.conn.execute("INSERT INTO meta VALUES ('manifest', ?)", (text,))
        self.conn.commit()
        self.manifest = json.loads(text)  # as it is read back: tuples of parameters as lists
        return self.manifest

    def _store(self, batch: List[StoredRecord]) -> None:
        for record in batch:
            self.hasher.add(record)
            message = record[0]
            self.first_seen.setdefault(message[MESSAGE_SESSION], message[MESSAGE_CREATED])
        self._insert("message", [message for message, _ in batch])
        self._insert("part", [part for _, parts in batch for part in parts])

    def _insert(self, table: str, rows: List[Tuple]) -> None:
        """Insert ``rows`` into ``table``; RowError naming the first whose id is taken (the rows
        before it are in: SQLite counts them)."""
        before = self.conn.total_changes
        try:
            self.conn.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * _WIDTHS[table])})", rows)
        except sqlite3.IntegrityError:
            duplicate = rows[self.conn.total_changes - before][ROW_ID]
            raise RowError(f"{self.source}: duplicate id {duplicate!r}; ids must be unique") from None

    def _kinds(self, table: str, key: str) -> Dict[str, int]:
        """Rows per value of the discriminator ``key`` in ``table`` (a value that is not a string as
        its JSON text, an absent one as ``null``), counted by SQLite in one pass; RowError naming the
        first row whose data is not a JSON object."""
        where = f"'$.{key}'"
        kind = (
            f"CASE WHEN json_valid(data) AND json_type(data) = 'object' THEN CASE WHEN json_type(data, {where}) "
            f"= 'text' THEN json_extract(data, {where}) ELSE coalesce(data -> {where}, 'null') END END"
        )
        counts = dict(self.conn.execute(f"SELECT {kind} AS kind, count(*) FROM {table} GROUP BY kind").fetchall())
        if None in counts:
            query = f"SELECT id FROM {table} WHERE {kind} IS NULL ORDER BY rowid LIMIT 1"
            (row_id,) = self.conn.execute(query).fetchone()
            raise RowError.not_an_object(self.source, table, row_id)
        return dict(sorted(counts.items()))

    def _refuse_numbers_beyond_a_double(self, table: str) -> None:
        """RowError naming the first row whose data holds a number no double holds (``1e400``):
        SQLite's ``json_valid`` accepts it, ``JSON.stringify`` never writes it. Only rows with a
        three-digit exponent somewhere in their text are parsed."""
        query = f"SELECT id, data FROM {table} WHERE {_BIG_EXPONENT} ORDER BY rowid"
        for row_id, data in self.conn.execute(query):
            try:
                jsontext.loads(data)
            except ValueError:
                raise RowError.not_an_object(self.source, table, row_id) from None


def write_dataset(path: Path, generation: Generation) -> Manifest:
    """Store a generation at ``path`` (atomically, manifest beside it) and return its manifest."""
    with DatasetWriter.file(path) as writer:
        return writer.write_generation(generation)


def describe(generation: Generation) -> Manifest:
    """The manifest of ``generation``'s dataset, its rows written to memory only."""
    with contextlib.closing(sqlite3.connect(":memory:")) as conn:
        return DatasetWriter(conn).write_generation(generation)


# ---------------------------------------------------------------- reading


@dataclass
class Dataset:
    """An opened, verified dataset: its manifest and a read-only connection."""

    path: Path
    manifest: Manifest
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


def _beside(path: Path) -> Optional[Manifest]:
    """The manifest in the file beside the dataset at ``path`` (None when it is not one), or
    DatasetError when that file is not a regular one (a FIFO would block the read for ever)."""
    beside = manifest_path(path)
    if not beside.is_file():
        raise DatasetError(f"the manifest file beside dataset {path} is not a regular file: {beside}")
    try:
        return load_manifest(beside.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _verify(dataset: Dataset) -> None:
    manifest, path = dataset.manifest, dataset.path
    if manifest_path(path).exists() and _beside(path) != manifest:
        raise DatasetError(f"dataset {path} does not match its manifest file {manifest_path(path).name}")
    (messages,) = dataset.conn.execute("SELECT count(*) FROM message").fetchone()
    (parts,) = dataset.conn.execute("SELECT count(*) FROM part").fetchone()
    if (messages, parts) != (manifest["messages"], manifest["parts"]):
        raise DatasetError(
            f"dataset {path} does not match its manifest: {messages} messages / {parts} "
            f"parts stored, manifest says {manifest['messages']} / {manifest['parts']}"
        )
    sha256 = canonical.digest(dataset.stored_records()).sha256
    if sha256 != manifest["sha256"]:
        raise DatasetError(
            f"dataset {path} does not match its manifest: rows hash to {sha256[:12]}…, "
            f"manifest says {str(manifest['sha256'])[:12]}…"
        )


def open_dataset(path: Path, verify: bool = True) -> Dataset:
    """Open a dataset read-only; with ``verify`` check its rows against its manifest."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"no dataset at {path}")
    manifest = read_manifest(path)
    if manifest is None:
        raise DatasetError(f"{path} is not a shape-harness dataset")
    dataset = Dataset(path, manifest, sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True))
    if verify:
        try:
            _verify(dataset)
        except BaseException:
            dataset.close()
            raise
    return dataset
