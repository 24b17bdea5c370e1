"""The class-based strategies: odd rows (legacy keys, unknown roles and part types), the
properties of each design and availability without the packages. Content and access on generated
rows are checked for every strategy in test_strategies.py."""

import dataclasses
import importlib.util
import json
import subprocess
import sys
from functools import cache

import pytest
from seed_access import expected_access
from strategy_checks import one_table_schema

from harness.canonical import to_stored
from harness.generate import generate
from harness.schema import INFO_IDS, info_keys
from harness.strategies import get
from harness.strategies.equivalence import canonical_info, canonical_part, difference

NAMES = [
    "slots",
    "slots-merged",
    "slots-lazy",
    "dataclass",
    "dataclass-slots",
    "attrs",
    "namedtuple",
    "instance-dict",
    "pydantic",
]
SLOTTED = ["slots", "slots-merged", "slots-lazy", "dataclass-slots", "attrs"]


@cache
def stored_rows(profile, seed=3, messages=300):
    avg_parts = 5 if profile == "reference" else None
    generated = generate(profile, seed, messages, avg_parts)
    stored = list(to_stored(generated.records))
    return [message for message, _ in stored], [part for _, own in stored for part in own]


def strategy(name):
    chosen = get(name)
    ok, why = chosen.available()
    if not ok:
        pytest.skip(f"{name}: {why}")
    return chosen


def message(data, mid="msg_1"):
    return (mid, "ses_1", 1, 2, json.dumps(data))


def part(data, pid="prt_1"):
    return (pid, "msg_1", "ses_1", 1, 2, json.dumps(data))


ODD_MESSAGES = [
    message({"role": "user", "time": {"created": 1}, "agent": "build", "mode": "legacy", "system": None}),
    message(
        {
            "finish": "stop",
            "role": "assistant",
            "cost": 0,
            "time": {"created": 1, "completed": 2},
            "summary": True,
            "error": {"name": "UnknownError", "data": {"message": "x"}},
            "variant": "high",
            "structured": [1, {"a": None}],
            "tokens": {"input": 1, "cache": {"read": 0}},
            "id": "stored",
        }
    ),
    message({"role": "system", "time": {"created": 1}, "summary": {"diffs": []}, "tools": {"bash": False}}),
]
UNKNOWN_PARTS = [
    part({"type": "future-kind", "payload": {"x": [1, 2]}, "flag": True, "id": "stored"}),
    part({"payload": 1}),
    part({"type": "text", "text": "hi", "legacy": 1, "time": None}),
]


@pytest.mark.parametrize("name", NAMES)
def test_odd_rows_legacy_keys_unknown_roles_and_part_types(name):
    chosen = strategy(name)
    for row in ODD_MESSAGES:
        assert difference(canonical_info(row), chosen.to_dict(chosen.info(row))) is None, row
    assert "mode" not in chosen.to_dict(chosen.info(ODD_MESSAGES[0]))  # a legacy key of user infos
    for row in UNKNOWN_PARTS:
        assert difference(canonical_part(row), chosen.to_dict(chosen.part(row))) is None, row
    future = chosen.to_dict(chosen.part(UNKNOWN_PARTS[0]))
    assert (future["payload"], future["flag"], future["id"]) == ({"x": [1, 2]}, True, "prt_1")


@pytest.mark.parametrize("name", NAMES)
def test_access_on_odd_rows(name):
    chosen = strategy(name)
    # user: len("user"); assistant: len + cost 0 + summary, finish, error, variant, structured;
    # system (built as a user): len + a truthy summary
    assert expected_access(ODD_MESSAGES, 2) == 2 * (4 + (9 + 0 + 5) + (6 + 1))
    assert chosen.access([chosen.info(row) for row in ODD_MESSAGES], 2) == expected_access(ODD_MESSAGES, 2)


@pytest.mark.parametrize("name", SLOTTED)
def test_slotted_objects_have_no_dict(name):
    chosen = strategy(name)
    messages, parts = stored_rows("reference")
    for obj in [chosen.info(row) for row in messages[:20]] + [chosen.part(row) for row in parts[:50]]:
        assert not hasattr(obj, "__dict__"), type(obj)


def test_slots_lazy_keeps_open_maps_as_json_text_decoded_on_each_read():
    lazy, eager = get("slots-lazy"), get("slots")
    assistant = lazy.info(ODD_MESSAGES[1])
    assert type(assistant.error_json) is str and assistant.error == eager.info(ODD_MESSAGES[1]).error
    assert assistant.error is not assistant.error and type(assistant.error_json) is str  # never stored back
    assert assistant.structured == [1, {"a": None}] and lazy.info(ODD_MESSAGES[0]).tools is None
    state = {"status": "completed", "input": {"cmd": "ls"}, "output": "x", "title": "t", "metadata": {"n": [1]}}
    tool = lazy.part(part({"type": "tool", "callID": "c", "tool": "bash", "state": state}))
    assert type(tool.state.input_json) is str and tool.state.input == {"cmd": "ls"}
    assert tool.state.metadata == {"n": [1]} and tool.state.attachments is None and tool.metadata is None
    assert lazy.to_dict(tool)["state"] == state


def test_slots_has_a_class_per_role_and_slots_merged_one():
    messages, _ = stored_rows("reference")
    assert len({type(get("slots").info(row)) for row in messages}) == 2
    merged = {type(get("slots-merged").info(row)) for row in messages}
    assert len(merged) == 1
    assert set(info_keys("user")) | set(info_keys("assistant")) == set(merged.pop().__slots__)


def test_dataclasses_are_dataclasses():
    row = ODD_MESSAGES[1]
    plain, slotted = get("dataclass").info(row), get("dataclass-slots").info(row)
    assert dataclasses.is_dataclass(plain) and dataclasses.is_dataclass(slotted)
    assert hasattr(plain, "__dict__") and not hasattr(slotted, "__dict__")
    assert [field.name for field in dataclasses.fields(slotted)] == list(info_keys("assistant"))


def test_instance_dict_sets_attributes_in_the_rows_own_order():
    chosen = get("instance-dict")
    messages, _ = stored_rows("realistic")
    for row in messages + ODD_MESSAGES:
        data = json.loads(row[-1])
        keys = [key for key in data if key in info_keys(data.get("role")) and key not in INFO_IDS]
        assert list(vars(chosen.info(row))) == keys + list(INFO_IDS)


def test_namedtuples_are_immutable_tuples():
    obj = get("namedtuple").info(ODD_MESSAGES[1])
    assert isinstance(obj, tuple) and obj.role == "assistant" and obj.cost == 0
    with pytest.raises(AttributeError):
        obj.cost = 1


def test_pydantic_builds_models_and_keeps_unknown_parts_as_dicts():
    chosen = strategy("pydantic")
    from pydantic import BaseModel

    assert isinstance(chosen.info(ODD_MESSAGES[1]), BaseModel)
    assert isinstance(chosen.part(UNKNOWN_PARTS[0]), dict)


@pytest.mark.parametrize(("name", "package"), [("attrs", "attrs"), ("pydantic", "pydantic")])
def test_available_names_the_missing_package(name, package, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda module, *args: None if module == package else real(module, *args)
    )
    assert get(name).available() == (False, f"needs {package} (not installed)")


def test_modules_import_and_list_without_attrs_and_pydantic():
    script = (
        "import sys; sys.modules['attrs'] = sys.modules['pydantic'] = None\n"
        "from harness.strategies import all_strategies\n"
        "found = {n: c.available() for n, c in all_strategies().items()}\n"
        "print(found['attrs'][1], '|', found['pydantic'][1], '|', found['slots'][0])"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "needs attrs (not installed) | needs pydantic (not installed) | True"


def test_lazy_strategies_build_once_on_first_use():
    chosen = strategy("attrs")
    row = ODD_MESSAGES[1]
    first = chosen.info(row)
    assert type(chosen.info(row)) is type(first) and type(first).__name__ == "AssistantMessage"  # as codegen names it
    assert "Built" not in type(vars(chosen)["info"]).__name__


@pytest.mark.parametrize("name", [name for name in NAMES if name != "pydantic"])  # pydantic's: opencode's schema only
def test_the_shape_names_the_attributes_an_object_stores(name):
    """The census reads every field an object's shape names: for a JSON key that is no identifier
    that is its attribute (the shape named the key, so the census never saw the value under it)."""
    fields = {"a-b": {"x": "int"}, "class": "int", "note?": "any"}
    schema = one_table_schema(fields, {"class": "add"})
    chosen = get(name, schema)
    obj = chosen.info(message({"a-b": {"x": 1}, "class": 2, "note": [3]}))
    stored = [getattr(obj, field) for field in chosen.shape(obj)]
    assert {"x": 1} in stored and 2 in stored and "msg_1" in stored
    assert chosen.to_dict(obj) == {"a-b": {"x": 1}, "class": 2, "note": [3], "id": "msg_1"}


def test_pydantic_tags_a_table_without_a_discriminator_as_its_one_kind():
    """Every row of a table without a discriminator is its one kind (no ``unknown`` member to miss)."""
    pytest.importorskip("pydantic")
    from harness.schemas.model import Kind, Table
    from harness.strategies.pydantic_models import tagger

    assert tagger(Table(None, (Kind("message", ()),)))({}) == "message"
    assert tagger(Table("role", (Kind("user", ()),), default="user"))({"role": []}) == "user"
