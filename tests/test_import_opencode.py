"""``harness import opencode``: real opencode layouts in, verified datasets out, the source never
written; anonymisation keeps every census figure and no content; bad sources are one line, exit 2,
and no dataset."""

import hashlib
import json
import os
import sqlite3
from pathlib import Path

import opencode_layout
import pytest

from harness.cli import main
from harness.ingest import source as source_module
from harness.ingest.anonymise import DISCRIMINATORS, Anonymiser
from harness.store import open_dataset

#: Strategies whose census is compared (the msgspec ones refuse the older writers' rows: an
#: assistant without ``agent`` is not opencode's current schema).
CENSUS_STRATEGIES = "spread,fixed,slots,dataclass,instance-dict,slots-lazy"


@pytest.fixture(scope="module")
def source_db(tmp_path_factory):
    """A small opencode database (WAL, every column of opencode's tables, old rows, an unknown part type)."""
    path = tmp_path_factory.mktemp("opencode") / "opencode.db"
    records = opencode_layout.build(path)
    return path, records


def imported(tmp_path, source, *flags, name="d.sqlite"):
    out = tmp_path / name
    assert main(["import", "opencode", str(source), "--out", str(out), *flags]) == 0
    return out


def dataset_rows(path):
    dataset = open_dataset(path)  # verifies rows against the manifest
    try:
        return [row for message, parts in dataset.stored_records() for row in (message, *parts)], dataset.manifest
    finally:
        dataset.close()


def census(path, capsys):
    capsys.readouterr()
    assert main(["census", "--dataset", str(path), "--json", "--strategies", CENSUS_STRATEGIES]) == 0
    return json.loads(capsys.readouterr().out)


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_an_opencode_database_imports_row_for_row_and_stays_untouched(source_db, tmp_path):
    path, records = source_db
    before, mtime = sha256(path), os.stat(path).st_mtime_ns
    out = imported(tmp_path, path)
    assert sha256(path) == before and os.stat(path).st_mtime_ns == mtime
    rows, manifest = dataset_rows(out)
    expected = {row[0]: row for message, parts in records for row in (message, *parts)}
    assert {row[0]: row for row in rows} == expected  # every column, data text byte for byte
    assert manifest["profile"] == "opencode-import" and manifest["anonymised"] is False
    assert manifest["source"]["path"] == str(path.resolve()) and len(manifest["source"]["snapshot_sha256"]) == 64
    assert manifest["parts_by_type"]["future-widget"] == 1  # the unknown part type passed through
    assert not (tmp_path / "d.sqlite.schema.json").exists()  # opencode's schema: the built-in one
    assert [entry.name for entry in tmp_path.iterdir() if entry.name.startswith(".")] == []  # no scratch left


def test_rows_come_in_opencode_order_whatever_order_they_were_written_in(source_db, tmp_path):
    path, _ = source_db
    rows, _ = dataset_rows(imported(tmp_path, path))
    conn = sqlite3.connect(tmp_path / "d.sqlite")
    messages = conn.execute("SELECT session_id, time_created, id FROM message ORDER BY rowid").fetchall()
    assert messages == sorted(messages)
    for (message_id,) in conn.execute("SELECT id FROM message"):
        parts = [
            row[0] for row in conn.execute("SELECT id FROM part WHERE message_id = ? ORDER BY rowid", (message_id,))
        ]
        assert parts == sorted(parts)


def test_an_older_database_without_the_current_indexes_imports_the_same(source_db, tmp_path):
    path, _ = source_db
    old = tmp_path / "old.db"
    opencode_layout.build(old, old_indexes=True, journal="delete")
    assert dataset_rows(imported(tmp_path, old, name="old.sqlite"))[0] == dataset_rows(imported(tmp_path, path))[0]


def test_sessions_are_chosen_by_id_or_by_size(source_db, tmp_path, capsys):
    path, records = source_db
    sizes = {}
    for message, parts in records:
        sizes[message[1]] = sizes.get(message[1], 0) + 1 + len(parts)
    largest = sorted(sizes, key=lambda sid: (-sizes[sid], sid))[:2]
    _, manifest = dataset_rows(imported(tmp_path, path, "--largest", "2", name="l.sqlite"))
    assert manifest["session_ids"] == largest and manifest["source"]["sessions"] == "largest 2"
    named = sorted(sizes)[-1]
    rows, manifest = dataset_rows(imported(tmp_path, path, "--sessions", named, name="n.sqlite"))
    assert manifest["session_ids"] == [named] and {row[-4] for row in rows if len(row) == 6} <= {named}
    assert main(["import", "opencode", str(path), "--out", str(tmp_path / "x.sqlite"), "--sessions", "ses_nope"]) == 2
    assert "has no session 'ses_nope'" in capsys.readouterr().err
    assert not (tmp_path / "x.sqlite").exists()


# ---------------------------------------------------------------- anonymisation


def strings_and_keys(value, path=(), found=None):
    """Every (path, string) of a JSON value, keys included (as path ``key:``)."""
    found = [] if found is None else found
    if isinstance(value, str):
        found.append((path, value))
    elif isinstance(value, dict):
        for key, item in value.items():
            found.append((("key:",), key))
            strings_and_keys(item, (*path, key), found)
    elif isinstance(value, list):
        for item in value:
            strings_and_keys(item, path, found)
    return found


def test_anonymised_census_figures_equal_the_originals(source_db, tmp_path, capsys):
    path, _ = source_db
    plain = census(imported(tmp_path, path), capsys)
    anonymised = census(imported(tmp_path, path, "--anonymise", name="a.sqlite"), capsys)
    assert plain.pop("sha256") != anonymised.pop("sha256")
    assert plain.pop("sha256_data") != anonymised.pop("sha256_data")
    assert plain == anonymised  # shapes, classes, layouts, tracked objects, deep bytes, text bytes


def test_no_original_string_survives_anonymisation(source_db, tmp_path):
    path, _ = source_db
    original, _ = dataset_rows(imported(tmp_path, path))
    anonymised, manifest = dataset_rows(imported(tmp_path, path, "--anonymise", name="a.sqlite"))
    assert manifest["source"]["path"] is None and manifest["anonymised"] is True
    kept, content = set(), set()
    for row in original:
        for where, text in strings_and_keys(json.loads(row[-1])):
            (kept if where in DISCRIMINATORS or where == ("key:",) else content).add(text)
        content.update(value for value in row[:-3] if isinstance(value, str))  # ids
    out = set()
    for row in anonymised:
        out.update(text for _, text in strings_and_keys(json.loads(row[-1])))
        out.update(value for value in row[:-3] if isinstance(value, str))
    conn = sqlite3.connect(tmp_path / "a.sqlite")
    out.update(title for (title,) in conn.execute("SELECT title FROM session"))
    content.update(f"Fixing the build of {sid}" for sid in manifest["session_ids"])
    survivors = {text for text in (content - kept) & out if len(text) > 2}
    assert survivors == set()
    # data-keyed keys (tool names, file paths) are gone too; field names stay
    assert "legacy_tool" not in out and "/home/someone/project/ünïcode.ts" not in out
    assert {"role", "time", "tokens", "diagnostics", "state"} <= out


def test_anonymised_ids_stay_unique_ordered_and_linked(source_db, tmp_path):
    path, _ = source_db
    anonymised, _ = dataset_rows(imported(tmp_path, path, "--anonymise", name="a.sqlite"))
    original, _ = dataset_rows(imported(tmp_path, path))
    assert [row[0][:16] for row in anonymised] == [row[0][:16] for row in original]  # prefix and time kept
    assert len({row[0] for row in anonymised}) == len(anonymised)
    ids = {row[0] for row in anonymised}
    parents = [json.loads(row[-1]).get("parentID") for row in anonymised if len(row) == 5]
    assert parents and all(parent in ids for parent in parents if parent)
    roles = [json.loads(row[-1]).get("role") for row in anonymised if len(row) == 5]
    assert roles == [json.loads(row[-1]).get("role") for row in original if len(row) == 5]


def kind(text):
    widest = max(map(ord, text))
    return sum(widest >= limit for limit in (0x80, 0x100, 0x10000))


def test_tokens_keep_length_kind_and_json_size_and_repeat():
    from harness.jsonfmt import js_dumps

    one, other = Anonymiser(b"k" * 32), Anonymiser(b"j" * 32)
    for text in ["hello world", 'a "quoted"\n\ttext\\', "\x00\x1f ctrl", "ünïcode", "Ωmega ✓ 中文 😀", "x", "é", "\n"]:
        token = one.string(text)
        assert token != text and len(token) == len(text)
        assert kind(token) == kind(text)  # CPython's storage width: the same object size
        assert len(js_dumps(token).encode()) == len(js_dumps(text).encode())
        assert one.string(text) == token
        assert len(text) < 3 or other.string(text) != token  # another key, other tokens
    assert one.string("") == ""


def test_keys_that_are_data_map_one_to_one():
    anonymiser = Anonymiser(b"k" * 32)
    keys = [chr(code) for code in range(0x21, 0x7F) if chr(code) not in '"\\'] + [f"k{n}" for n in range(300)]
    tokens = [anonymiser.key(key) for key in keys]
    assert len(set(tokens)) == len(keys) and [anonymiser.key(key) for key in keys] == tokens
    data = {"role": "user", "tools": {"bash": True, "edit": False}, "agent": "build"}
    out = Anonymiser(b"k" * 32).data(data)
    assert out["role"] == "user" and list(out) == ["role", "tools", "agent"]
    assert list(out["tools"].values()) == [True, False] and "bash" not in out["tools"]


# ---------------------------------------------------------------- bad sources


def refused(tmp_path, capsys, source, *flags):
    """Import ``source``; assert exit 2 with one line naming it and nothing left behind; the line."""
    out = tmp_path / "out" / "d.sqlite"
    out.parent.mkdir(exist_ok=True)
    capsys.readouterr()
    assert main(["import", "opencode", str(source), "--out", str(out), *flags]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(source) in err, err
    assert list(out.parent.iterdir()) == []
    return err


def test_a_file_that_is_not_sqlite_is_refused(tmp_path, capsys):
    text = tmp_path / "notes.db"
    text.write_text("these are my notes, not a database\n" * 10)
    assert "is not an SQLite database" in refused(tmp_path, capsys, text)
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    assert "is empty" in refused(tmp_path, capsys, empty)
    assert "no opencode database at" in refused(tmp_path, capsys, tmp_path / "missing.db")


def test_an_encrypted_database_is_refused(tmp_path, capsys):
    encrypted = tmp_path / "cipher.db"
    encrypted.write_bytes(bytes.fromhex("8f3a61e2d94b07c5aa12fe3390c4d7e1") + os.urandom(4096 * 4 - 16))
    assert "encrypted" in refused(tmp_path, capsys, encrypted)


def test_a_database_without_opencodes_tables_or_columns_is_refused(tmp_path, capsys):
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    assert "has no session table" in refused(tmp_path, capsys, other)
    narrow = tmp_path / "narrow.db"
    conn = opencode_layout.create(narrow, journal="delete")
    conn.executescript("ALTER TABLE part DROP COLUMN time_updated")
    conn.close()
    assert "table part has no column time_updated" in refused(tmp_path, capsys, narrow)


def test_a_locked_database_is_refused_after_a_short_wait(tmp_path, capsys, monkeypatch):
    locked = tmp_path / "locked.db"
    opencode_layout.build(locked, messages=20, sessions=1, journal="delete", extra=False)
    holder = sqlite3.connect(locked, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(source_module, "LOCK_WAIT", 0.2)
    try:
        assert "is locked by another process" in refused(tmp_path, capsys, locked)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_row_whose_data_is_not_json_is_named(tmp_path, capsys):
    broken = tmp_path / "broken.db"
    opencode_layout.build(broken, messages=20, sessions=1, journal="delete", extra=False)
    with sqlite3.connect(broken) as conn:
        (part_id,) = conn.execute("SELECT id FROM part LIMIT 1").fetchone()
        conn.execute('UPDATE part SET data = \'{"type": "text", \' WHERE id = ?', (part_id,))
    line = refused(tmp_path, capsys, broken)
    assert f"part row '{part_id}': its data is not a JSON object" in line
    assert "not a JSON object" in refused(tmp_path, capsys, broken, "--anonymise")


def test_a_database_in_use_imports_its_committed_rows_and_blocks_no_writer(tmp_path):
    busy = tmp_path / "busy.db"
    records = opencode_layout.build(busy, messages=30, sessions=1, extra=False)  # WAL, as opencode keeps it
    writer = sqlite3.connect(busy, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute('UPDATE message SET data = \'{"role":"user"}\' WHERE id = ?', (records[0][0][0],))
    rows, _ = dataset_rows(imported(tmp_path, busy))
    assert rows[0] == records[0][0]  # the uncommitted change is not in the copy
    writer.execute("UPDATE message SET time_updated = 1")  # the writer was never blocked
    writer.execute("COMMIT")
    writer.close()


@pytest.mark.slow
def test_a_large_database_streams_into_a_verified_dataset_with_and_without_anonymisation(tmp_path, capsys):
    """About 100 MB built the way the 1 GB timing database is (``tests/opencode_layout.py``)."""
    big = tmp_path / "big.db"
    messages = opencode_layout.build_large(big, 100, say=lambda text: None)
    figures = []
    for flags, name in (((), "d.sqlite"), (("--anonymise",), "a.sqlite")):
        dataset = imported(tmp_path, big, *flags, name=name)
        capsys.readouterr()
        assert main(["census", "--dataset", str(dataset), "--json"]) == 0
        found = json.loads(capsys.readouterr().out)
        found.pop("sha256"), found.pop("sha256_data")
        figures.append(found)
    assert figures[0]["messages"] == messages and figures[0] == figures[1]


def test_an_import_never_lands_beside_another_datasets_schema_file(source_db, tmp_path, capsys):
    path, _ = source_db
    (tmp_path / "d.sqlite.schema.json").write_text("{}")
    capsys.readouterr()
    assert main(["import", "opencode", str(path), "--out", str(tmp_path / "d.sqlite")]) == 2
    assert "d.sqlite.schema.json beside it would describe other rows" in capsys.readouterr().err
    assert not (tmp_path / "d.sqlite").exists()
