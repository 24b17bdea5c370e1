"""One ``DatasetWriter`` for every origin, one manifest layout, older manifests still read, and a
store that does not import the generator."""

import contextlib
import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import opencode_layout
import pytest

from harness.canonical import digest, to_stored
from harness.generate import GENERATOR_VERSION, default_name, generate, spec_mismatch
from harness.ingest.opencode import import_opencode
from harness.ingest.rows import import_rows, jsonl_rows, rows_origin
from harness.runs.plans import DatasetSpec
from harness.store import (
    FORMAT,
    DatasetError,
    DatasetWriter,
    GeneratedOrigin,
    Manifest,
    OpencodeOrigin,
    RowError,
    RowsOrigin,
    dataset_origin,
    describe,
    manifest_path,
    open_dataset,
    write_dataset,
)

#: Of the rows and DDL of reference seed 7, 40 messages, 3 parts on average, as the writer of
#: format 1 stored them (session, message and part rows in rowid order; every table and index).
FORMAT_1_TABLES = "6963acf937bcc5547f723bafb5858807bb0037a5c7020b18dc48eb6d49f45b87"


@pytest.fixture(scope="module")
def datasets(tmp_path_factory):
    """One dataset of each origin: generated, an opencode database, JSON rows."""
    directory = tmp_path_factory.mktemp("origins")
    write_dataset(directory / "generated.sqlite", generate("reference", 7, 40, 3))
    opencode_layout.build(directory / "opencode.db", messages=20, sessions=2, journal="delete", extra=False)
    import_opencode(directory / "opencode.db", directory / "opencode.sqlite")
    jsonl = directory / "rows.jsonl"
    jsonl.write_text("".join(json.dumps({"kind": "ab"[n % 2], "n": n}) + "\n" for n in range(30)))
    import_rows(jsonl_rows(jsonl), directory / "rows.sqlite", "rows", rows_origin(jsonl), str(jsonl))
    return {origin: directory / f"{origin}.sqlite" for origin in ("generated", "opencode", "rows")}


def manifest_of(path):
    dataset = open_dataset(path)
    dataset.close()
    return dataset.manifest


def test_the_store_does_not_import_the_generator():
    code = "import sys, harness.store; print(sorted(m for m in sys.modules if m.startswith('harness.generate')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (0, "[]\n"), done.stderr


@pytest.mark.parametrize(
    "origin, typed, called",
    [
        ("generated", GeneratedOrigin, "reference"),
        ("opencode", OpencodeOrigin, "opencode-import"),
        ("rows", RowsOrigin, "rows"),
    ],
)
def test_every_origin_has_the_one_manifest_layout(datasets, origin, typed, called):
    manifest = manifest_of(datasets[origin])
    assert list(manifest) == list(Manifest.__annotations__) and manifest["format_version"] == 2
    assert list(manifest["origin"]) == list(typed.__annotations__)
    assert dataset_origin(manifest) == called
    assert json.loads(manifest_path(datasets[origin]).read_text()) == manifest
    assert manifest["session_ids"] and None not in (manifest["messages_by_role"], manifest["parts_by_type"])
    assert (manifest["schema"] is None) == (origin != "rows")


def test_a_generated_datasets_rows_are_those_the_format_1_writer_stored(tmp_path):
    path = tmp_path / "d.sqlite"
    write_dataset(path, generate("reference", 7, 40, 3))
    with contextlib.closing(sqlite3.connect(path)) as conn:
        tables = [
            conn.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall() for table in ("session", "message", "part")
        ]
        ddl = sorted(
            conn.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchall()
        )
    assert hashlib.sha256(json.dumps([tables, ddl]).encode()).hexdigest() == FORMAT_1_TABLES


def test_the_manifest_of_a_generation_is_that_of_its_dataset(datasets):
    written = manifest_of(datasets["generated"])
    described = describe(generate("reference", 7, 40, 3))
    assert {**described, "created": written["created"]} == written


def format_1(manifest):
    """The manifest as the writers of format 1 laid it out: each origin's fields at the top."""
    origin = {key: value for key, value in manifest["origin"].items() if key != "kind"}
    common = {
        key: manifest[key] for key in ("messages", "parts", "sha256", "sha256_data", "hashed_lines", "hashed_bytes")
    }
    old = {"format": FORMAT, "format_version": 1}
    if manifest["origin"]["kind"] == "rows":
        columns = {key: origin[key] for key in ("table", "data_column", "id_column", "group_column", "order_column")}
        source = {"sqlite": origin["file"], **columns} if origin["table"] else {"jsonl": origin["file"]}
        sessions = len(manifest["session_ids"])
        tail = {"sessions": sessions, "schema": manifest["schema"], "created": manifest["created"]}
        return {**old, "source": "rows", "origin": source, **common, **tail}
    counts = {key: manifest[key] for key in ("session_ids", "messages_by_role", "parts_by_type")}
    if manifest["origin"]["kind"] == "generated":
        head = {key: origin[key] for key in ("generator_version", "profile", "seed", "params")}
        return {**old, **head, **common, **counts, "rng_calls": origin["rng_calls"], "created": manifest["created"]}
    anonymised = origin.pop("anonymised")
    head = {"generator_version": None, "seed": None, "params": {}, "rng_calls": None, "profile": "opencode-import"}
    tail = {"source": origin, "anonymised": anonymised, "created": manifest["created"]}
    return {**old, **head, **common, **counts, **tail}


def rewrite(path, manifest):
    """Put ``manifest`` in the dataset's meta table and the file beside it."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'manifest'", (json.dumps(manifest),))
        conn.commit()
    manifest_path(path).write_text(json.dumps(manifest, indent=2) + "\n")


@pytest.mark.parametrize("origin", ["generated", "opencode", "rows"])
def test_a_format_1_manifest_is_read_in_todays_layout(datasets, tmp_path, origin):
    path = tmp_path / "old.sqlite"
    path.write_bytes(datasets[origin].read_bytes())
    today = manifest_of(datasets[origin])
    rewrite(path, format_1(today))
    if origin == "rows":  # format 1 recorded no session ids and no counts by role or type for rows
        today = {**today, "session_ids": None, "messages_by_role": None, "parts_by_type": None}
    assert manifest_of(path) == today


def copy_with_manifest(datasets, tmp_path, origin, change):
    """A copy of the dataset of ``origin`` whose manifest (as ``change`` makes it) is rewritten."""
    path = tmp_path / "copy.sqlite"
    path.write_bytes(datasets[origin].read_bytes())
    rewrite(path, change(manifest_of(datasets[origin])))
    return path


def without(manifest, *keys):
    """``manifest`` without the key at ``keys`` (a path into its objects)."""
    holder = manifest
    for key in keys[:-1]:
        holder = holder[key]
    del holder[keys[-1]]
    return manifest


@pytest.mark.parametrize(
    "origin, keys", [("generated", ("seed",)), ("opencode", ("source", "snapshot_sha256")), ("rows", ("sha256",))]
)
def test_a_format_1_manifest_without_a_key_its_writer_wrote_is_damaged(datasets, tmp_path, origin, keys):
    """Not read as None: a figure or an origin missing from an old manifest is no dataset's."""
    path = copy_with_manifest(datasets, tmp_path, origin, lambda manifest: without(format_1(manifest), *keys))
    with pytest.raises(DatasetError, match=rf"has a damaged manifest \(no '{keys[-1]}'\); regenerate it"):
        open_dataset(path, verify=False)


def test_a_manifest_whose_origin_lacks_a_key_is_damaged(datasets, tmp_path):
    path = copy_with_manifest(datasets, tmp_path, "generated", lambda manifest: without(manifest, "origin", "profile"))
    with pytest.raises(DatasetError, match=r"has a damaged manifest \(no 'origin.profile'\); regenerate it"):
        open_dataset(path, verify=False)


def test_a_format_1_opencode_import_that_did_not_count_empty_sessions_is_read(datasets, tmp_path):
    """Format 1 recorded the sessions without messages only from some version on."""
    path = copy_with_manifest(
        datasets,
        tmp_path,
        "opencode",
        lambda manifest: without(format_1(manifest), "source", "sessions_without_messages"),
    )
    assert manifest_of(path)["origin"]["sessions_without_messages"] is None


def test_a_format_1_dataset_of_todays_generator_is_used_as_it_is(tmp_path):
    from harness.runs.runner import ensure_datasets

    spec = DatasetSpec("reference", "reference", 7, 40, 3)
    path = tmp_path / default_name(spec.generation)
    write_dataset(path, spec.generation.generate())
    rewrite(path, format_1(manifest_of(path)))
    said = []
    found = ensure_datasets((spec,), tmp_path, said.append)
    assert said == [] and spec_mismatch(found["reference"]["manifest"], spec.generation) is None
    assert found["reference"]["manifest"]["origin"]["generator_version"] == GENERATOR_VERSION


def test_a_plan_dataset_without_its_manifest_copy_is_not_generated_again(tmp_path):
    """The meta table is the authority on who made a dataset; the copy beside it may be gone."""
    from harness.runs.runner import ensure_datasets

    spec = DatasetSpec("reference", "reference", 7, 40, 3)
    path = tmp_path / default_name(spec.generation)
    write_dataset(path, spec.generation.generate())
    manifest_path(path).unlink()
    said = []
    ensure_datasets((spec,), tmp_path, said.append)
    assert said == [] and not manifest_path(path).exists()


def test_a_format_this_harness_does_not_read_is_refused_and_may_be_replaced(datasets, tmp_path):
    path = tmp_path / "new.sqlite"
    path.write_bytes(datasets["generated"].read_bytes())
    rewrite(path, {**manifest_of(path), "format_version": 3})
    with pytest.raises(DatasetError, match="has dataset format 3, this harness reads 1 and 2; regenerate it"):
        open_dataset(path)
    write_dataset(path, generate("reference", 8, 5))
    assert manifest_of(path)["origin"]["seed"] == 8


def test_a_replaced_dataset_never_stands_beside_the_old_manifest(datasets, tmp_path, monkeypatch):
    """The manifest beside a dataset goes before the new file takes its place: should writing the new
    one fail, the dataset there is read by its meta table, not refused for a stranger's manifest."""
    from harness import atomic

    path = tmp_path / "d.sqlite"
    write_dataset(path, generate("reference", 7, 20))

    def full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic, "write_text", full)
    with pytest.raises(DatasetError, match="cannot write dataset .*No space left"):
        write_dataset(path, generate("reference", 8, 20))
    monkeypatch.undo()
    assert not manifest_path(path).exists() and manifest_of(path)["origin"]["seed"] == 8


def records(count, parts=1, repeat=None):
    """``count`` messages of ``parts`` parts each; ``repeat`` = (table, at, of): row ``at`` of the
    table takes the id of row ``of``."""
    out = []
    for n in range(count):
        message = (f"msg_{n:05}", "ses_a", n, n, '{"role":"user"}')
        out.append((message, [(f"prt_{n:05}_{k}", message[0], "ses_a", n, n, '{"type":"text"}') for k in range(parts)]))
    if repeat:
        table, at, of = repeat
        if table == "message":
            message, own = out[at]
            out[at] = ((out[of][0][0], *message[1:]), own)
        else:
            message, own = out[at]
            out[at] = (message, [(out[of][1][0][0], *own[0][1:]), *own[1:]])
    return out


@pytest.mark.parametrize(
    "repeat",
    [("message", 7, 3), ("message", 2300, 5), ("part", 2300, 5), ("part", 4100, 2100)],
    ids=["same batch", "a later batch", "a part in a later batch", "a part two batches on"],
)
def test_a_duplicate_id_is_named_wherever_it_falls(repeat):
    table, at, of = repeat
    stored = records(4200 if at > 4000 else 2500, repeat=repeat)
    duplicate = stored[at][0][0] if table == "message" else stored[at][1][0][0]
    assert duplicate == (f"msg_{of:05}" if table == "message" else f"prt_{of:05}_0")
    with contextlib.closing(sqlite3.connect(":memory:")) as conn:
        writer = DatasetWriter(conn, "src.db")
        with pytest.raises(RowError, match=f"^src.db: duplicate id '{duplicate}'; ids must be unique$"):
            writer.add_records(iter(stored))


def test_a_session_without_a_row_gets_one_titled_by_the_writer():
    with contextlib.closing(sqlite3.connect(":memory:")) as conn:
        writer = DatasetWriter(conn, session_title="imported rows")
        writer.add_sessions([("ses_b", "a title", 1, 2)])
        writer.add_records(iter(records(3)))
        manifest = writer.finish(rows_origin(Path("rows.jsonl")))
        assert conn.execute("SELECT * FROM session ORDER BY rowid").fetchall() == [
            ("ses_b", "a title", 1, 2),
            ("ses_a", "imported rows ses_a", 0, 0),
        ]
    assert manifest["session_ids"] == ["ses_b", "ses_a"] and manifest["messages_by_role"] == {"user": 3}
    assert manifest["sha256"] == digest(records(3)).sha256


def test_the_written_manifest_is_the_stored_one(tmp_path):
    """Parameters that are tuples in the generator are lists in the manifest, written or read."""
    path = tmp_path / "r.sqlite"
    generated = generate("realistic", 3, 30, overrides={"writer_weights": (1, 0, 0, 0)})
    written = write_dataset(path, generated)
    assert written == manifest_of(path) and written["origin"]["params"]["writer_weights"] == [1, 0, 0, 0]
    assert written["sha256"] == digest(to_stored(generated.records)).sha256
