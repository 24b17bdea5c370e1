import json
import os
import sqlite3

import pytest

from harness.canonical import digest, to_stored
from harness.generate import generate
from harness.store import DatasetError, manifest_path, open_dataset, write_dataset


@pytest.fixture
def dataset(tmp_path):
    path = tmp_path / "ref.sqlite"
    manifest = write_dataset(path, generate("reference", 7, 40, 3))
    return path, manifest


def test_round_trip_keeps_rows_and_order(dataset):
    path, manifest = dataset
    generated = generate("reference", 7, 40, 3)
    opened = open_dataset(path)
    try:
        assert list(opened.stored_records()) == list(to_stored(generated.records))
        assert opened.manifest == manifest
    finally:
        opened.close()
    assert json.loads(manifest_path(path).read_text()) == manifest


def test_manifest_describes_the_generation(dataset):
    _, manifest = dataset
    generated = generate("reference", 7, 40, 3)
    stored = list(to_stored(generated.records))
    assert manifest["sha256"] == digest(stored).sha256
    origin = manifest["origin"]
    assert (origin["kind"], origin["profile"], origin["seed"]) == ("generated", "reference", 7)
    assert origin["params"] == {"avg_parts": 3} and origin["rng_calls"] == generated.rng_calls
    assert (manifest["messages"], manifest["parts"]) == (40, generated.parts)
    assert manifest["session_ids"] == ["ses_synth"]
    assert sum(manifest["messages_by_role"].values()) == 40


def test_opencode_layout(dataset):
    path, _ = dataset
    with sqlite3.connect(path) as conn:
        columns = {
            table: [row[1] for row in conn.execute(f"PRAGMA table_info({table})")] for table in ("message", "part")
        }
        indexes = {
            row[0]
            for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
            if not row[0].startswith("sqlite_autoindex")
        }
        data = json.loads(conn.execute("SELECT data FROM part LIMIT 1").fetchone()[0])
    assert columns["message"] == ["id", "session_id", "time_created", "time_updated", "data"]
    assert columns["part"] == ["id", "message_id", "session_id", "time_created", "time_updated", "data"]
    assert indexes == {"message_session_time_created_id_idx", "part_message_id_id_idx", "part_session_idx"}
    assert not {"id", "sessionID", "messageID"} & set(data)


def test_a_changed_row_is_detected(dataset):
    path, _ = dataset
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE message SET data = replace(data, 'build', 'plan') WHERE rowid = 1")
    with pytest.raises(DatasetError, match="does not match its manifest: rows hash"):
        open_dataset(path)


def test_a_deleted_row_is_detected(dataset):
    path, _ = dataset
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM part WHERE rowid = 2")
    with pytest.raises(DatasetError, match="parts stored"):
        open_dataset(path)


def test_a_changed_manifest_file_is_detected(dataset):
    path, manifest = dataset
    manifest_path(path).write_text(json.dumps({**manifest, "origin": {**manifest["origin"], "seed": 8}}))
    with pytest.raises(DatasetError, match="manifest file"):
        open_dataset(path)


def test_verification_can_be_skipped_for_measured_reads(dataset):
    path, _ = dataset
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE message SET data = replace(data, 'build', 'plan') WHERE rowid = 1")
    with pytest.raises(DatasetError, match="does not match its manifest"):
        open_dataset(path)
    opened = open_dataset(path, verify=False)
    try:
        (first, _), *_ = opened.stored_records()
        assert '"agent":"plan"' in first[-1]  # the changed row, read as it is
    finally:
        opened.close()


def test_not_a_dataset(tmp_path):
    other = tmp_path / "notes.sqlite"
    other.write_text("hello")
    with pytest.raises(DatasetError, match="not a shape-harness dataset"):
        open_dataset(other)
    with pytest.raises(DatasetError, match="refusing to overwrite"):
        write_dataset(other, generate("reference", 1, 2))
    assert other.read_text() == "hello"
    with pytest.raises(DatasetError, match="no dataset at"):
        open_dataset(tmp_path / "missing.sqlite")


def test_a_fifo_is_refused_without_opening_it(tmp_path):
    """Opening a FIFO without a writer blocks for ever: the output check must not open it."""
    fifo = tmp_path / "pipe.sqlite"
    os.mkfifo(fifo)
    with pytest.raises(DatasetError, match="not a regular file"):
        write_dataset(fifo, generate("reference", 1, 2))


def test_a_fifo_beside_a_dataset_is_refused_without_opening_it(dataset):
    path, _ = dataset
    beside = manifest_path(path)
    beside.unlink()
    os.mkfifo(beside)
    with pytest.raises(DatasetError, match="not a regular file"):
        open_dataset(path)
    with pytest.raises(DatasetError, match="not a shape-harness dataset manifest"):
        write_dataset(path, generate("reference", 1, 2))


def test_a_dataset_is_replaced_by_a_new_generation(dataset):
    path, _ = dataset
    manifest = write_dataset(path, generate("reference", 8, 5))
    opened = open_dataset(path)
    opened.close()
    assert opened.manifest == manifest and manifest["origin"]["seed"] == 8


@pytest.mark.parametrize(
    "error", [OSError(28, "No space left on device"), sqlite3.OperationalError("database or disk is full")]
)
def test_failed_write_leaves_no_file(tmp_path, monkeypatch, error):
    from harness.store import DatasetWriter

    def explode(*args):
        raise error

    monkeypatch.setattr(DatasetWriter, "add_records", explode)
    with pytest.raises(DatasetError, match="cannot write dataset .*(No space left|disk is full)"):
        write_dataset(tmp_path / "x.sqlite", generate("reference", 1, 3))
    assert list(tmp_path.iterdir()) == []
