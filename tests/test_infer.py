"""Schema inference: the documented rules, one at a time, on small row sets."""

import pytest

from harness.schemas import infer as inference_module
from harness.schemas.infer import MAX_TOP_FIELDS, RECORD_KEYS, Inference, InferenceError, access_for


def infer(rows, name="rows"):
    inference = Inference()
    for row in rows:
        inference.add(row)
    return inference.schema(name)


def fields(kind):
    return {field.name: (field.type, field.required) for field in kind.fields}


def test_discriminator_is_the_field_that_makes_most_fields_required():
    rows = []
    for i in range(60):
        kind = ("a", "b", "c")[i % 3]
        row = {"status": ("ok", "late")[i % 2], "type": kind, "n": i}
        row.update({"a": {"x": 1}, "b": {"y": "s"}, "c": {"z": True}}[kind])
        rows.append(row)
    schema = infer(rows)
    table = schema.message
    assert table.discriminator == "type"
    assert [kind.tag for kind in table.kinds] == ["a", "b", "c"]
    assert fields(table.kind("a"))["x"][1] is True
    assert "type" not in fields(table.kind("a"))
    assert table.default == "a"  # the most frequent kind (all tie: the first seen)


def test_no_discriminator_when_no_split_explains_the_fields():
    rows = [{"status": ("ok", "late")[i % 2], "n": i, **({"extra": 1} if i % 5 == 0 else {})} for i in range(50)]
    table = infer(rows).message
    assert table.discriminator is None and len(table.kinds) == 1
    assert fields(table.kinds[0])["extra"][1] is False


def test_a_field_missing_in_more_than_one_percent_is_no_discriminator():
    rows = [{"type": ("a", "b")[i % 2], **({"a": 1} if i % 2 == 0 else {"b": 2})} for i in range(201)]
    for row in rows[:3]:  # the first row lacks it too: a field first seen later is still a candidate
        del row["type"]
    assert infer(rows).message.discriminator is None
    del rows[0]  # two rows in 200 without it: within the 1 % bound
    assert infer(rows).message.discriminator == "type"


def test_record_threshold_is_more_than_32_distinct_keys():
    def rows(distinct):
        return [{"id": i, "m": {f"key{(i + j) % distinct}": j for j in range(3)}} for i in range(distinct)]

    at_threshold = fields(infer(rows(RECORD_KEYS)).message.kinds[0])["m"][0]
    assert at_threshold.kind == "object" and len(at_threshold.fields) == RECORD_KEYS
    above = fields(infer(rows(RECORD_KEYS + 1)).message.kinds[0])["m"][0]
    assert above.kind == "record" and above.item.kind == "int"


def test_types_required_and_optional():
    rows = [
        {"i": 1, "f": 1.5, "n": 1, "s": "a", "u": "x", "z": None, "o": {"k": 1}, "l": [1, 2.5], "e": [], "mix": 1},
        {"i": 2, "f": 2.5, "n": 2.5, "s": None, "u": 3, "o": None, "l": [], "e": [], "mix": {"a": 1}},
    ]
    found = fields(infer(rows).message.kinds[0])
    assert found["i"] == (found["i"][0], True) and found["i"][0].kind == "int"
    assert found["f"][0].kind == "float" and found["n"][0].kind == "num"
    assert found["s"][0].options == ("str", "null") and found["s"][1] is True
    assert found["u"][0].options == ("int", "str")
    assert found["z"][1] is False
    assert found["o"][0].kind == "object" and found["o"][1] is False
    assert found["l"][0].item.kind == "num" and found["e"][0].item.kind == "any"
    assert found["mix"][0].kind == "any"


@pytest.mark.parametrize(
    "rows, message",
    [
        ([], "no rows"),
        ([{"a": 1}, {"b": 1}, {"c": 1}], "no top-level field is in at least half"),
    ],
)
def test_no_common_structure(rows, message):
    with pytest.raises(InferenceError, match=message):
        infer(rows)


def test_too_many_top_level_keys_is_no_common_structure():
    inference = Inference()
    with pytest.raises(InferenceError, match="no common structure"):
        for i in range(MAX_TOP_FIELDS + 1):
            inference.add({f"k{i}": 1})


def test_access_fields_are_the_most_frequent_discriminator_first():
    rows = [{"kind": ("a", "b")[i % 2], "rare": 1, "x": 1.5, **({"a": 1} if i % 2 else {"b": "s"})} for i in range(20)]
    for row in rows[5:]:
        del row["rare"]
    schema = infer(rows)
    assert [access.field for access in schema.access][:3] == ["kind", "x", "b"]  # a and b tie: b is seen first
    assert {access.field: access.operation for access in schema.access}["x"] == "add"
    assert [a.operation for a in access_for(schema, ("x", "b", "kind"))] == ["add", "truth", "truth"]


def many_rows(count, kinds=3, missing_from=None, more_kinds_from=None):
    rows = []
    for i in range(count):
        kind = f"k{i % (40 if more_kinds_from is not None and i >= more_kinds_from else kinds)}"
        row = {"n": i, "kind": kind, f"only_{kind}": {"x": i % 5, "y": [1.5] if i % 2 else []}}
        if i % 7 == 0:
            row["sometimes"] = None if i % 2 else "s"
        if missing_from is not None and i >= missing_from:
            del row["kind"]
        rows.append(row)
    return rows


@pytest.mark.parametrize(
    "rows",
    [
        many_rows(3000),  # the kept candidate holds to the end
        many_rows(3000, more_kinds_from=1500),  # its 33rd value shows after settling: no discriminator
        many_rows(3000, missing_from=1500),  # half the rows lack it after settling: no discriminator
        [{"n": i, "status": ("a", "b")[i % 2]} for i in range(2000)],  # nothing kept at settling
    ],
)
def test_settling_on_one_candidate_changes_nothing(rows, monkeypatch):
    """From SETTLE_ROWS on, rows are counted once (under the kept candidate's kinds); the schema is the
    one counting every candidate to the end gives."""
    settled = infer(rows)
    monkeypatch.setattr(inference_module, "SETTLE_ROWS", 10**9)
    unsettled = infer(rows)
    assert settled.message == unsettled.message
    assert sorted(settled.access, key=lambda a: a.field) == sorted(unsettled.access, key=lambda a: a.field)


def test_the_settling_cases_take_the_paths_they_name():
    assert infer(many_rows(3000)).message.discriminator == "kind"
    assert infer(many_rows(3000, more_kinds_from=1500)).message.discriminator is None
    assert infer(many_rows(3000, missing_from=1500)).message.discriminator is None
    inference = Inference()
    for row in many_rows(1500):
        inference.add(row)
    assert inference.rows is None and list(inference.candidates) == ["kind"]  # counted once per row
