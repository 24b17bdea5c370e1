"""``msgspec-lazy-memo``: built like ``msgspec-lazy`` (nothing tracked, no memo), each open map
decoded on its first read and kept off the fields (shape, equality, encoding, ``to_dict``)."""

import gc
import json

import pytest

from harness.canonical import to_stored
from harness.generate import generate
from harness.schemas import OPENCODE
from harness.schemas.codegen import python_source
from harness.strategies import get

pytestmark = pytest.mark.requires("msgspec")


@pytest.fixture(scope="module")
def stored():
    return list(to_stored(generate("realistic", 3, 300).records))


def _built(name, stored):
    strategy = get(name)
    return [strategy.info(m) for m, _ in stored] + [strategy.part(p) for _, parts in stored for p in parts]


def _tracked_while_building(name, stored):
    _built(name, stored)  # what is made once per process: classes, decoders, type infos of odd rows
    gc.collect()
    gc.disable()
    try:
        before = len(gc.get_objects())
        objs = _built(name, stored)
        return len(gc.get_objects()) - before, objs
    finally:
        gc.enable()


def _tool_parts(objs):
    return [obj for obj in objs if getattr(obj, "type", None) == "tool" and obj.state.input_raw is not None]


@pytest.mark.serial  # counts every object the collector tracks: another thread's too (xdist's channel)
def test_building_tracks_what_msgspec_lazy_tracks(stored):
    """Nothing: the memo classes are gc=True (dict=True requires it) but msgspec leaves them untracked."""
    memo, objs = _tracked_while_building("msgspec-lazy-memo", stored)
    lazy, _ = _tracked_while_building("msgspec-lazy", stored)
    assert memo == lazy
    holders = [obj.state for obj in _tool_parts(objs)]
    assert holders and type(holders[0]).__struct_config__.gc and not any(map(gc.is_tracked, holders))


def test_a_read_decodes_once_and_keeps_the_same_object(stored):
    memo, eager = get("msgspec-lazy-memo"), get("msgspec-decode-nogc")
    row = next(p for _, parts in stored for p in parts if '"type":"tool"' in p[-1] and '"input":{"' in p[-1])
    part = memo.part(row)
    first = part.state.input
    assert first == eager.part(row).state.input and part.state.input is first
    assert vars(part.state) == {"input": first}  # the memo: not a field, the Raw kept as it was
    assert part.state.input_raw is not None


def test_the_memo_changes_no_field_shape_equality_encoding_or_to_dict(stored):
    import msgspec

    memo = get("msgspec-lazy-memo")
    objs = _tool_parts(_built("msgspec-lazy-memo", stored))
    before = [(memo.shape(o), memo.to_dict(o), msgspec.json.encode(o)) for o in objs]
    fresh = _tool_parts(_built("msgspec-lazy-memo", stored))
    for obj in objs:
        obj.state.input.clear()  # mutating the memo mutates what is read, not the Raw
    assert all(obj.state.input == {} for obj in objs)
    assert [(memo.shape(o), memo.to_dict(o), msgspec.json.encode(o)) for o in objs] == before
    assert objs == fresh
    assert all(memo.shape(o.state) == type(o.state).__struct_fields__ for o in objs)  # not the memo


def test_a_class_holding_a_memo_class_stays_untracked_and_decodes_per_read(stored):
    """A tool part holds its state (a gc=True class): with dict=True it would be tracked when built."""
    part = next(p for p in _tool_parts(_built("msgspec-lazy-memo", stored)) if p.metadata_raw is not None)
    assert type(part).__struct_config__.gc is False and not hasattr(part, "__dict__")
    assert part.metadata == part.metadata and part.metadata is not part.metadata


def test_the_generated_memo_classes():
    """dict=True (with gc=True) exactly on the classes with a Raw field that hold no such class."""
    import msgspec

    namespace = {}
    exec(compile(python_source(OPENCODE, "msgspec-lazy-memo"), "generated.py", "exec"), namespace)
    structs = {
        name: cls for name, cls in namespace.items() if isinstance(cls, type) and issubclass(cls, msgspec.Struct)
    }
    memo = {name for name, cls in structs.items() if cls.__dictoffset__}
    assert {"ToolPartState", "UserMessageSummary", "UserMessageFormat", "AssistantMessage", "TextPart"} <= memo
    assert not {"ToolPart", "UserMessage", "OtherMessage", "StepFinishPart"} & memo
    assert all(cls.__struct_config__.gc is (name in memo) for name, cls in structs.items())
    data = {"type": "tool", "callID": "c", "tool": "t", "state": {"status": "completed", "input": {"a": [1]}}}
    part = namespace["part_from_json"](json.dumps(data))
    assert part.state.input is part.state.input == {"a": [1]}


def test_the_census_gives_memo_structs_no_compact_layout_figure(stored):
    """A ``dict=True`` Struct's ``__dict__`` is a dict of its own, never CPython's instance layout."""
    from harness.measure.census import compact_layout

    objs = _built("msgspec-lazy-memo", stored)
    assert any(getattr(type(obj), "__dictoffset__", 0) for obj in objs)
    assert compact_layout(objs) is None
