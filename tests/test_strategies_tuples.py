"""The ``tuples`` strategy's own properties: flat exact tuples of atoms (so CPython untracks every row
at the first collection), the access loop's fields at shared positions, the marker of a flattened
object, text decoded on read, values off their schema kept, and a schema of one's own. Content,
access and field reads on generated rows are checked for every strategy in test_strategies.py."""

import gc
import json
import platform

import pytest
from strategy_checks import one_table_schema

from harness.canonical import to_stored
from harness.generate import generate
from harness.schemas import OPENCODE
from harness.strategies import get
from harness.strategies.equivalence import canonical_info, canonical_part, difference
from harness.strategies.tuples import head

TUPLES = get("tuples")
ATOMS = (str, int, float, bool, type(None))


def message(data, mid="msg_1"):
    return (mid, "ses_1", 1, 2, json.dumps(data))


def part(data, pid="prt_1"):
    return (pid, "msg_1", "ses_1", 1, 2, json.dumps(data))


def realistic():
    stored = list(to_stored(generate("realistic", 7, 200).records))
    return [TUPLES.info(row) for row, _ in stored] + [TUPLES.part(row) for _, own in stored for row in own]


def test_every_row_is_a_flat_exact_tuple_of_atoms():
    for obj in realistic():
        assert type(obj) is tuple and all(isinstance(item, ATOMS) for item in obj), obj


@pytest.mark.skipif(platform.python_implementation() != "CPython", reason="CPython's collector tracks tuples")
def test_one_young_collection_untracks_every_row():
    gc.collect()
    objs = realistic()
    assert any(map(gc.is_tracked, objs))  # tracked when made
    gc.collect(0)
    assert not any(map(gc.is_tracked, objs))


def test_the_access_loops_fields_share_their_positions_in_every_kind():
    user = TUPLES.info(message({"role": "user", "time": {"created": 1}, "cost": 3, "summary": {"title": "t"}}))
    assistant = TUPLES.info(message({"role": "assistant", "cost": 2, "finish": "stop", "error": {"name": "E"}}))
    shared = head(OPENCODE, "message")
    assert TUPLES.shape(user)[: len(shared)] == TUPLES.shape(assistant)[: len(shared)] == shared
    assert user[1] is None  # a user has no cost: a stored one is a legacy key, dropped
    assert (assistant[1], assistant[3], json.loads(assistant[4])) == (2, "stop", {"name": "E"})


@pytest.mark.parametrize(
    ("summary", "marker"),
    [
        (None, None),
        ({}, False),
        ({"title": "t", "diffs": []}, True),
        ({"title": "t", "own": 1}, '{"title":"t","own":1}'),
    ],
)
def test_a_flattened_objects_marker_holds_its_truth_and_its_keys_off_schema(summary, marker):
    row = message({"role": "user", "time": {"created": 1}, "summary": summary})
    obj = TUPLES.info(row)
    assert obj[TUPLES.shape(obj).index("summary")] == marker
    if summary is not None:
        assert obj[TUPLES.shape(obj).index("summary.title")] == summary.get("title")
        assert TUPLES.field(obj, "summary") == summary
    assert difference(canonical_info(row), TUPLES.to_dict(obj)) is None


def test_values_off_their_schema_are_kept():
    rows = [
        message({"role": "assistant", "time": 5, "tokens": [1, {"a": None}], "path": "here", "cost": "free"}),
        part({"type": "tool", "callID": "c", "tool": "t", "state": {"status": "x", "input": [], "time": {"end": 1}}}),
        part({"type": "patch", "hash": "h", "files": ["a", {"b": 1}]}),
    ]
    for row, build, canonical in zip(
        rows, (TUPLES.info, TUPLES.part, TUPLES.part), (canonical_info, canonical_part, canonical_part)
    ):
        assert difference(canonical(row), TUPLES.to_dict(build(row))) is None


def test_open_maps_and_arrays_are_text_decoded_on_each_read():
    tool = TUPLES.part(part({"type": "tool", "callID": "c", "tool": "t", "state": {"status": "ok", "input": {"a": 1}}}))
    names = TUPLES.shape(tool)
    assert tool[names.index("state.input")] == '{"a":1}'
    assert TUPLES.open_map_access([tool], 3) == 3.0
    patch = TUPLES.part(part({"type": "patch", "hash": "h", "files": ["a", "b"]}))
    assert patch[TUPLES.shape(patch).index("files")] == '["a","b"]'
    assert TUPLES.to_dict(patch)["files"] == ["a", "b"]


def test_field_reads_what_the_read_paths_read():
    info = TUPLES.info(
        message({"role": "assistant", "summary": True, "finish": "stop", "error": {"x": 1}, "parentID": "msg_0"})
    )
    assert [TUPLES.field(info, key) for key in ("role", "summary", "finish", "error", "parentID", "id")] == [
        "assistant",
        True,
        "stop",
        {"x": 1},
        "msg_0",
        "msg_1",
    ]
    assert TUPLES.field(info, "agent") is None and TUPLES.field(info, "no such key") is None
    compaction = TUPLES.part(part({"type": "compaction", "auto": True, "tail_start_id": "msg_9"}))
    assert (TUPLES.field(compaction, "type"), TUPLES.field(compaction, "tail_start_id")) == ("compaction", "msg_9")


def test_a_part_of_no_kind_stays_its_dict():
    obj = TUPLES.part(part({"type": "future", "payload": {"x": [1]}}))
    assert type(obj) is dict and TUPLES.field(obj, "type") == "future"
    assert TUPLES.shape(obj) == ("type", "payload", "id", "sessionID", "messageID")


def test_a_schema_of_ones_own():
    """No discriminator, a key that is no identifier, an open value, and an object whose length the
    access loop takes (kept as text: a marker has no length)."""
    fields = {"a-b": {"x": "int", "y?": {"z": "str"}}, "class": "int", "note?": "any", "tags?": ["str"]}
    schema = one_table_schema(fields, {"class": "add", "a-b": "len", "note": "truth"})
    chosen = get("tuples", schema)
    data = {"a-b": {"x": 1, "y": {"z": "deep"}}, "class": 2, "note": [3], "tags": ["t"]}
    obj = chosen.info(message(data))
    assert chosen.shape(obj) == ("class", "a-b", "note", "tags", "id")
    assert obj[:3] == (2, '{"x":1,"y":{"z":"deep"}}', "[3]")
    assert chosen.to_dict(obj) == {**data, "id": "msg_1"}
    assert chosen.access([obj], 2) == 2 * (2 + 2 + 1)
    with pytest.raises(ValueError, match="no part table"):
        chosen.part(part({}))
