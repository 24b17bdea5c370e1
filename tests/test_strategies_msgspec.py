"""The msgspec strategies: decode against convert, field order, GC tracking, odd and invalid rows,
availability without msgspec. Content and access on generated rows are checked for every strategy
in test_strategies.py."""

import gc
import importlib.util
import json
import subprocess
import sys
from typing import get_args

import pytest

from harness.canonical import to_stored
from harness.generate import generate
from harness.schema import INFO_KEYS, PART_KEYS
from harness.schemas import OPENCODE, SchemaMismatch
from harness.strategies import get
from harness.strategies.equivalence import canonical_info, canonical_part, difference

NAMES = ("msgspec", "msgspec-nogc", "msgspec-nogc-shallow", "msgspec-decode", "msgspec-lazy", "msgspec-lazy-memo")
PROFILES = (("reference", 5), ("realistic", None))


@pytest.fixture(scope="module", params=PROFILES, ids=[profile for profile, _ in PROFILES])
def stored(request):
    profile, avg_parts = request.param
    return list(to_stored(generate(profile, 3, 300, avg_parts).records))


@pytest.fixture(params=NAMES)
def strategy(request):
    return get(request.param)


def structs_in(value):
    """Every Struct reachable from ``value`` (itself included), through fields, lists, tuples, dicts."""
    import msgspec

    if isinstance(value, msgspec.Struct):
        yield value
        for field in value.__struct_fields__:
            yield from structs_in(getattr(value, field))
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from structs_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from structs_in(item)


@pytest.mark.requires("msgspec")
def test_decode_gives_the_same_objects_as_convert(stored):
    convert, decode = get("msgspec"), get("msgspec-decode")
    for message, parts in stored:
        assert decode.info(message) == convert.info(message)
        assert decode.to_dict(decode.info(message)) == convert.to_dict(convert.info(message))
        for part in parts:
            assert decode.to_dict(decode.part(part)) == convert.to_dict(convert.part(part))


@pytest.mark.requires("msgspec")
def test_field_order_is_the_fixed_key_order(strategy, stored):
    for message, parts in stored[:6]:
        info = strategy.info(message)  # fields as JSON names them: a lazy open map is <key>_raw
        assert info.__struct_encode_fields__ == INFO_KEYS[info.role][1:]  # the tag (role / type) is not a field
        for part in parts:
            obj = strategy.part(part)
            assert obj.__struct_encode_fields__ == PART_KEYS[obj.type][1:]


@pytest.mark.requires("msgspec")
def test_nogc_tracks_no_struct_at_any_depth(stored):
    nogc, tracked = get("msgspec-nogc"), get("msgspec")
    objs = [nogc.info(message) for message, _ in stored]
    objs += [nogc.part(part) for _, parts in stored for part in parts]
    nested = [struct for obj in objs for struct in structs_in(obj)]
    assert len(nested) > 2 * len(objs)  # time, tokens, cache, path, model, state, ... were reached
    assert not any(gc.is_tracked(struct) for struct in nested)
    # gc=True for contrast: a Struct holding a container or Struct is tracked; like a dict, one
    # holding only atomic values is left untracked by msgspec.
    assistant = tracked.info(stored[1][0])
    assert gc.is_tracked(assistant) and gc.is_tracked(assistant.tokens) and not gc.is_tracked(assistant.time)


@pytest.mark.requires("msgspec")
def test_shallow_keeps_tracked_nested_dicts(stored):
    shallow = get("msgspec-nogc-shallow")
    assistants = [shallow.info(message) for message, _ in stored if '"role":"assistant"' in message[-1]]
    assert assistants and not any(gc.is_tracked(info) for info in assistants)
    assert all(type(info.tokens) is dict and gc.is_tracked(info.tokens) for info in assistants)  # holds cache
    tools = [shallow.part(part) for _, parts in stored for part in parts if '"type":"tool"' in part[-1]]
    assert tools and all(type(p.state) is dict and gc.is_tracked(p.state) for p in tools)  # holds input


def values_in(value):
    """``value`` and everything reachable from it through Struct fields, lists, tuples and dicts."""
    import msgspec

    yield value
    if isinstance(value, msgspec.Struct):
        children = [getattr(value, field) for field in value.__struct_fields__]
    elif isinstance(value, (list, tuple)):
        children = list(value)
    elif isinstance(value, dict):
        children = list(value.values())
    else:
        children = []
    for child in children:
        yield from values_in(child)


@pytest.mark.requires("msgspec")
def test_lazy_leaves_nothing_to_the_collector(stored):
    import msgspec

    lazy = get("msgspec-lazy")
    objs = [lazy.info(message) for message, _ in stored] + [lazy.part(p) for _, parts in stored for p in parts]
    gc.collect()  # tuples of untracked items leave the GC at their first collection
    reached = [value for obj in objs for value in values_in(obj)]
    assert sum(isinstance(value, msgspec.Raw) for value in reached) > len(stored) // 2
    assert not any(gc.is_tracked(value) for value in reached)
    assert not any(isinstance(value, (dict, list, tuple)) for value in reached)  # no container at all


@pytest.mark.requires("msgspec")
def test_lazy_open_maps_decode_on_every_read_and_stay_raw(stored):
    import msgspec

    lazy, eager = get("msgspec-lazy"), get("msgspec-decode-nogc")
    row = next(p for _, parts in stored for p in parts if '"type":"tool"' in p[-1])
    part = lazy.part(row)
    first, second = part.state.input, part.state.input
    assert first == second == eager.part(row).state.input and first is not second
    assert type(part.state.input_raw) is msgspec.Raw and part.metadata is None


@pytest.mark.requires("msgspec")
def test_lazy_arrays_decode_into_their_types():
    lazy, eager = get("msgspec-lazy"), get("msgspec-decode-nogc")
    stored = list(to_stored(generate("realistic", 3, 300).records))
    patch = next(p for _, parts in stored for p in parts if '"type":"patch"' in p[-1])
    assert lazy.part(patch).files == eager.part(patch).files and type(lazy.part(patch).files) is tuple
    user = next(m for m, _ in stored if '"diffs":[{' in m[-1])
    diffs, eager_diffs = lazy.info(user).summary.diffs, eager.info(user).summary.diffs
    diff = type(diffs[0])  # typed FileDiff Structs: the lazy variant's own, untracked
    assert diff.__struct_encode_fields__ == type(eager_diffs[0]).__struct_encode_fields__
    assert diff.__struct_config__.gc is False and diff is not type(eager_diffs[0])
    assert [lazy.to_dict(item) for item in diffs] == [eager.to_dict(item) for item in eager_diffs]


@pytest.mark.requires("msgspec")
def test_lazy_open_maps_are_the_schemas_open_maps():
    from harness.schema import OPEN_MAPS
    from harness.schemas.codegen import RAW_SUFFIX
    from harness.strategies._msgspec import namespace

    found = namespace(OPENCODE, "msgspec-lazy", False)  # the classes msgspec-lazy builds
    classes = {**found["MESSAGE_CLASSES"], **found["PART_CLASSES"]}
    for nested, holder in (("state", "tool"), ("format", "user"), ("summary", "user")):
        kind = classes[holder].__annotations__[nested]
        classes[nested] = next(arg for arg in get_args(kind) or (kind,) if arg is not type(None))
    arrays = {"summary": ("diffs",), "patch": ("files",)}  # tuples msgspec would build: held too
    for kind, cls in classes.items():
        raw = tuple(name[: -len(RAW_SUFFIX)] for name in cls.__struct_fields__ if name.endswith(RAW_SUFFIX))
        assert raw == OPEN_MAPS.get(kind, ()) + arrays.get(kind, ()), kind


def _message(data, mid="msg_1"):
    return (mid, "ses_1", 1, 1, json.dumps(data))


def _part(data, pid="prt_1"):
    return (pid, "msg_1", "ses_1", 1, 1, json.dumps(data))


@pytest.mark.requires("msgspec")
def test_unknown_part_type_keeps_every_stored_key(strategy):
    row = _part({"type": "mystery", "zeta": [1, {"a": None}], "alpha": True, "nested": {"k": "v"}})
    out = strategy.to_dict(strategy.part(row))
    assert difference(canonical_part(row), out) is None
    assert list(out) == ["type", "zeta", "alpha", "nested", "id", "sessionID", "messageID"]


@pytest.mark.requires("msgspec")
def test_known_part_type_with_bad_data_raises(strategy):
    """msgspec's own error, which names the row for the harness (one line, as for any schema)."""
    import msgspec

    with pytest.raises(msgspec.ValidationError) as refused:
        strategy.part(_part({"type": "text", "text": 5}))
    assert isinstance(refused.value, SchemaMismatch) and "row 'prt_1' does not fit schema 'opencode'" in str(
        refused.value
    )


@pytest.mark.requires("msgspec")
def test_a_lone_surrogate_row_leaves_no_garbage(strategy):
    """Text msgspec.json does not decode takes the slow path; it inspected the classes' types per row,
    which left cycles of garbage the census counted as objects the strategy keeps tracked."""
    row = _part(
        {"type": "tool", "callID": "c", "tool": "t", "state": {"status": "completed", "input": {"a": "\ud83d"}}}
    )
    assert "\\ud83d" in row[-1]  # escaped, as JSON.stringify writes a cut emoji
    strategy.part(row)  # what a strategy builds once per process is not per row
    gc.collect()
    gc.disable()
    try:
        part = strategy.part(row)
        garbage = gc.collect()  # the unreachable objects it found
    finally:
        gc.enable()
    assert garbage == 0 and strategy.to_dict(part)["state"]["input"] == {"a": "\ud83d"}


@pytest.mark.requires("msgspec")
def test_an_older_writers_assistant_without_agent_builds(strategy):
    row = _message(
        {
            "role": "assistant",
            "time": {"created": 1},
            "parentID": "msg_1",
            "modelID": "m",
            "providerID": "p",
            "mode": "build",
            "path": {"cwd": "/", "root": "/"},
            "cost": 0,
            "tokens": {"input": 1, "output": 2, "reasoning": 0, "cache": {"read": 0, "write": 0}},
        }
    )
    obj = strategy.info(row)
    assert obj.agent is None and difference(canonical_info(row), strategy.to_dict(obj)) is None


@pytest.mark.requires("msgspec")
def test_other_role_builds_as_user_and_keeps_its_role(strategy):
    row = _message(
        {
            "role": "system",
            "time": {"created": 1},
            "agent": "build",
            "mode": "legacy",
            "model": {"providerID": "p", "modelID": "m"},
            "summary": {"diffs": []},
        }
    )
    obj = strategy.info(row)
    assert obj.role == "system"
    assert difference(canonical_info(row), strategy.to_dict(obj)) is None
    assert strategy.access([obj], 2) == get("spread").access([get("spread").info(row)], 2) == 2 * 7


@pytest.mark.requires("msgspec")
def test_legacy_and_unknown_keys_are_dropped(strategy):
    user = _message(
        {
            "role": "user",
            "time": {"created": 1},
            "agent": "build",
            "mode": "build",
            "extra": 1,
            "model": {"providerID": "p", "modelID": "m", "variant": "high"},
        }
    )
    out = strategy.to_dict(strategy.info(user))
    assert "mode" not in out and "extra" not in out
    assert difference(canonical_info(user), out) is None


@pytest.mark.requires("msgspec")
def test_bool_and_numbers_keep_their_json_types(strategy):
    import msgspec

    out = strategy.to_dict(strategy.part(_part({"type": "compaction", "auto": False, "overflow": True})))
    assert out["auto"] is False and out["overflow"] is True
    with pytest.raises(msgspec.ValidationError):  # an int is not a bool
        strategy.part(_part({"type": "compaction", "auto": 0}))
    tokens = {"input": 1, "output": 2.5, "reasoning": 0, "cache": {"read": 0, "write": 7}}
    finish = {"type": "step-finish", "reason": "stop", "cost": 0, "tokens": tokens}
    out = strategy.to_dict(strategy.part(_part(finish)))
    assert out["cost"] == 0 and out["tokens"] == tokens


def test_unavailable_without_msgspec(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *args: None if name == "msgspec" else real(name, *args)
    )
    for name in NAMES:
        assert get(name).available() == (False, "needs msgspec (not installed)")


def test_unavailable_on_pypy(monkeypatch):
    import platform

    monkeypatch.setattr(platform, "python_implementation", lambda: "PyPy")
    for name in NAMES:
        assert get(name).available() == (False, "not supported on PyPy")


def test_modules_import_without_msgspec():
    code = (
        "import sys; sys.modules['msgspec'] = None\n"
        "import harness.strategies as s\n"
        f"names = {NAMES!r}\n"
        "print(all(s.get(n).available()[0] is False for n in names + ('cached:msgspec',)))\n"
        "try:\n    s.get('msgspec').info(('m', 's', 1, 1, '{}'))\n"
        "except RuntimeError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["True", "msgspec is not installed (it does not build on PyPy)"]
