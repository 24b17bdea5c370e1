"""``harness import opencode``: real opencode layouts in, verified datasets out, the source never
written; anonymisation keeps every census figure and no content; bad sources are one line, exit 2,
and no dataset."""

import ctypes
import hashlib
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import opencode_layout
import pytest

from harness import canonical
from harness.cli import main
from harness.generate import generate
from harness.ingest import source as source_module
from harness.ingest.anonymise import VOCABULARY, Anonymiser
from harness.schemas import OPENCODE
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
    origin = manifest["origin"]
    assert origin["kind"] == "opencode-import" and origin["anonymised"] is False
    assert origin["path"] == str(path.resolve()) and len(origin["snapshot_sha256"]) == 64
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
    assert manifest["session_ids"] == largest and manifest["origin"]["sessions"] == "largest 2"
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
    # an unknown part type's name is mapped (only the schema's twelve stay); its count is kept
    known = {kind.tag for kind in OPENCODE.part.kinds}
    types, mapped = plain.pop("parts_by_type"), anonymised.pop("parts_by_type")
    assert {tag: n for tag, n in types.items() if tag in known} == {tag: n for tag, n in mapped.items() if tag in known}
    assert sorted(n for tag, n in types.items() if tag not in known) == [1]
    assert sorted(n for tag, n in mapped.items() if tag not in known) == [1]
    assert plain == anonymised  # shapes, classes, layouts, tracked objects, deep bytes, text bytes


def test_no_original_string_survives_anonymisation(source_db, tmp_path):
    path, _ = source_db
    original, _ = dataset_rows(imported(tmp_path, path))
    anonymised, manifest = dataset_rows(imported(tmp_path, path, "--anonymise", name="a.sqlite"))
    assert manifest["origin"]["path"] is None and manifest["origin"]["anonymised"] is True
    tags = {kind.tag for table in OPENCODE.tables.values() for kind in table.kinds}
    content = set()
    for row in original:
        content.update(text for _, text in strings_and_keys(json.loads(row[-1])))
        content.update(value for value in row[:-3] if isinstance(value, str))  # ids
    out = set()
    for row in anonymised:
        out.update(text for _, text in strings_and_keys(json.loads(row[-1])))
        out.update(value for value in row[:-3] if isinstance(value, str))
    conn = sqlite3.connect(tmp_path / "a.sqlite")
    out.update(title for (title,) in conn.execute("SELECT title FROM session"))
    content.update(f"Fixing the build of {sid}" for sid in manifest["session_ids"])
    survivors = {text for text in (content - VOCABULARY - tags) & out if len(text) > 2}
    assert survivors == set()
    # data-keyed keys (tool names, file paths), unknown fields and types are gone; field names stay
    assert {"legacy_tool", "/home/someone/project/ünïcode.ts", "future-widget", "widget", "caption"}.isdisjoint(out)
    assert {"role", "time", "tokens", "diagnostics", "state", "assistant", "tool"} <= out


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
    out = Anonymiser(b"k" * 32).data(data, "message")
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


@pytest.mark.parametrize(
    "data", ['{"type": "text", ', '["text"]', '{"type": "text", "n": NaN}', '{"type": "text", "text": "a", "n": 1e400}']
)
def test_a_row_whose_data_is_not_json_is_named_by_its_id_in_the_source(tmp_path, capsys, data):
    broken = tmp_path / "broken.db"
    opencode_layout.build(broken, messages=20, sessions=1, journal="delete", extra=False)
    with sqlite3.connect(broken) as conn:
        (part_id,) = conn.execute("SELECT id FROM part LIMIT 1").fetchone()
        conn.execute("UPDATE part SET data = ? WHERE id = ?", (data, part_id))
    expected = f"part row '{part_id}': its data is not a JSON object"
    assert expected in refused(tmp_path, capsys, broken)
    assert expected in refused(tmp_path, capsys, broken, "--anonymise")  # the user's id, not its token


def loose_copy(path, records, titles=None):
    """An opencode database whose tables lack opencode's NOT NULL constraints (so that a test can
    store what opencode never does), holding ``records``."""
    conn = sqlite3.connect(path)
    conn.executescript(opencode_layout.OPENCODE_TABLES.replace("NOT NULL", "") + opencode_layout.CURRENT_INDEXES)
    opencode_layout.fill(conn, records, titles)
    conn.close()
    return path


@pytest.fixture(scope="module")
def few_records():
    return list(canonical.to_stored(generate("realistic", 3, 12, sessions=2).records))


@pytest.mark.parametrize(
    "update, message",
    [
        ("UPDATE message SET id = NULL WHERE rowid = 3", "message row at rowid 3: id is NULL, not text"),
        ("UPDATE part SET id = NULL WHERE rowid = 2", "part row at rowid 2: id is NULL, not text"),
        ("UPDATE message SET session_id = NULL WHERE rowid = 3", "session_id is NULL, not text"),
        ("UPDATE part SET session_id = NULL WHERE rowid = 2", "session_id is NULL, not text"),
        ("UPDATE message SET time_created = 'yesterday' WHERE rowid = 3", "time_created is the text 'yesterday'"),
        ("UPDATE part SET time_updated = 1.5 WHERE rowid = 2", "time_updated is the number 1.5, not an integer"),
        ("UPDATE message SET data = NULL WHERE rowid = 3", "data is NULL, not JSON text"),
        ("UPDATE part SET data = CAST(data AS BLOB) WHERE rowid = 2", "data is a BLOB of"),
        ("UPDATE session SET time_created = NULL WHERE rowid = 1", "session row"),
    ],
)
@pytest.mark.parametrize("flags", [(), ("--anonymise",)])
def test_a_row_opencode_could_not_have_written_is_refused_naming_it_in_the_source(
    tmp_path, capsys, few_records, update, message, flags
):
    source = loose_copy(tmp_path / "loose.db", few_records)
    with sqlite3.connect(source) as conn:
        conn.execute(update)
        table = update.split()[1]
        ids = {row[0] for row in conn.execute(f"SELECT id FROM {table}")}
    line = refused(tmp_path, capsys, source, *flags)
    assert message in line and table in line, line
    named = line.split(f"{table} row ", 1)[1].split(":")[0]
    assert named.startswith("at rowid") or named.strip("'") in ids  # the row as the user's database has it


@pytest.mark.parametrize("flags", [(), ("--anonymise",)])
def test_a_session_without_a_title_gets_an_empty_one(tmp_path, few_records, flags):
    source = loose_copy(tmp_path / "loose.db", few_records)
    with sqlite3.connect(source) as conn:
        conn.execute("UPDATE session SET title = NULL")
    out = imported(tmp_path, source, *flags)
    assert {title for (title,) in sqlite3.connect(out).execute("SELECT title FROM session")} == {""}


def test_sessions_without_messages_are_counted_and_said(tmp_path, capsys, few_records):
    source = loose_copy(tmp_path / "loose.db", few_records)
    with sqlite3.connect(source) as conn:
        conn.executemany(
            "INSERT INTO session (id, project_id, slug, directory, title, version, time_created, time_updated) "
            "VALUES (?, 'prj_test', 's', '/', 'empty', '1', 1, 1)",
            [("ses_0000000000ffEmptySession01",), ("ses_0000000000ffEmptySession02",)],
        )
    capsys.readouterr()
    out = imported(tmp_path, source, "--anonymise")
    assert "; 2 session(s) without messages left out" in capsys.readouterr().out
    _, manifest = dataset_rows(out)
    assert manifest["origin"]["sessions_without_messages"] == 2 and len(manifest["session_ids"]) == 2


def without_root_override():
    """In a child process: root loses its power to write where permissions forbid (CAP_DAC_OVERRIDE),
    so that a directory without write permission is one to it too."""
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(24, 1, 0, 0, 0) != 0:  # PR_CAPBSET_DROP, CAP_DAC_OVERRIDE: gone at the exec
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def file_size_limit(limit):
    """In a child process: files may not grow beyond ``limit`` bytes, and a write beyond fails (EFBIG)."""

    def limited():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limited


def run_harness(argv, preexec):
    return subprocess.run(
        [sys.executable, "-m", "harness", *argv], preexec_fn=preexec, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("argv", [["opencode"], ["opencode", "--anonymise"], ["rows"]])
def test_a_full_disk_is_the_outputs_fault_not_the_sources(source_db, tmp_path, argv):
    """Files may not grow beyond 50 kB: the copy of the source beside the output fails (opencode),
    or the dataset does (rows)."""
    path, _ = source_db
    out = tmp_path / "out" / "d.sqlite"
    out.parent.mkdir()
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps({"kind": "a", "text": "x" * 100, "n": n}) + "\n" for n in range(2000)))
    source = [str(path), *argv[1:]] if argv[0] == "opencode" else ["--jsonl", str(rows)]
    result = run_harness(["import", argv[0], *source, "--out", str(out)], file_size_limit(50_000))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert f"cannot write dataset {out}: disk I/O error while writing" in result.stderr, result.stderr
    assert "cannot read" not in result.stderr
    assert list(out.parent.iterdir()) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="drops a capability with prctl")
@pytest.mark.parametrize("command", ["opencode", "rows"])
def test_a_read_only_output_directory_is_one_line(source_db, tmp_path, command):
    path, _ = source_db
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"a": 1}\n')
    directory = tmp_path / "read-only"
    directory.mkdir()
    directory.chmod(0o555)
    source = [str(path)] if command == "opencode" else ["--jsonl", str(rows)]
    result = run_harness(["import", command, *source, "--out", str(directory / "d.sqlite")], without_root_override)
    directory.chmod(0o755)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert f"cannot write dataset {directory / 'd.sqlite'}" in result.stderr and "Permission denied" in result.stderr
    assert list(directory.iterdir()) == []


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


@pytest.mark.parametrize("flags", [(), ("--anonymise",)])
def test_an_import_never_writes_over_its_own_source(tmp_path, capsys, flags):
    """A harness dataset is in opencode's layout, so it imports; ``--out`` naming it must not replace it."""
    from harness.store import write_dataset

    dataset = tmp_path / "d.sqlite"
    write_dataset(dataset, generate("realistic", 3, 20, sessions=1))
    before = sha256(dataset)
    capsys.readouterr()
    assert main(["import", "opencode", str(dataset), "--out", str(dataset), *flags]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "over the file it is made from" in err, err
    assert sha256(dataset) == before
