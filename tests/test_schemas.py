"""The schema object: the built-in one says what harness.schema says, JSON round trips, nonsense is
named by file and path, and generated source compiles and rebuilds the rows' content."""

import json

import pytest

from harness import schema as opencode_constants
from harness.canonical import to_stored
from harness.generate import generate
from harness.schemas import OPENCODE, SchemaError, dumps, load_schema, loads
from harness.schemas.codec import to_json
from harness.schemas.codegen import python_source
from harness.schemas.stored import schema_path


def test_schema_json_round_trips(tmp_path):
    path = tmp_path / "opencode.schema.json"
    path.write_text(dumps(OPENCODE))
    assert load_schema(path) == OPENCODE
    assert hash(load_schema(path)) == hash(OPENCODE)


def test_records_inside_open_values_are_part_of_the_schema_file():
    """The data-keyed records inside ``any`` values (the LSP diagnostics keyed by file path, an API
    error's headers) are written and read with the schema; a file written before they were (no
    ``records``) still loads, with none; a schema without them writes no ``records`` key."""
    value = to_json(OPENCODE)
    assert ["state", "metadata", "diagnostics"] in value["records"]
    assert loads(json.dumps(value)).record_paths() == OPENCODE.record_paths()
    assert ("state", "metadata", "diagnostics") in OPENCODE.record_paths() and ("tools",) in OPENCODE.record_paths()
    del value["records"]
    older = loads(json.dumps(value))
    assert older.records == () and older.record_paths() == {("tools",)}
    assert "records" not in to_json(older) and loads(dumps(older)) == older


def _edited(change):
    value = to_json(OPENCODE)
    change(value)
    return json.dumps(value)


def _refusal(path, change):
    """The one-line SchemaError of loading the built-in schema file edited by ``change`` at ``path``."""
    path.write_text(_edited(change))
    with pytest.raises(SchemaError) as raised:
        load_schema(path)
    message = str(raised.value)
    assert str(path) in message and "\n" not in message
    return message


@pytest.mark.parametrize(
    "change, where",
    [
        (lambda v: v.update(version=7), "$.version"),
        (lambda v: v["tables"]["message"]["kinds"]["user"].update(time="strr"), "$.tables.message.kinds.user.time"),
        (lambda v: v["tables"]["part"]["kinds"]["patch"].update(files=["str", "int"]), "kinds.patch.files"),
        (lambda v: v["tables"]["message"].update(default="robot"), "$.tables.message.default"),
        (lambda v: v["tables"].pop("message"), "$.tables"),
        (lambda v: v["access"].update(cost="multiply"), "$.access.cost"),
        (lambda v: v["access"].update(finish="add"), "$.access.finish"),
        (lambda v: v["access"].update(cost="len"), "$.access.cost"),
        (lambda v: v["tables"]["message"]["kinds"].update(user=[1]), "$.tables.message.kinds.user"),
        (lambda v: v["tables"]["message"]["kinds"]["user"].update(id="str"), "kinds.user"),
        (lambda v: v["tables"]["part"]["kinds"]["tool"].update(state={"*": "str", "x": "int"}), "kinds.tool.state"),
        (lambda v: v.update(records={"state": "metadata"}), "$.records"),
        (lambda v: v["records"].append("state.metadata"), "$.records[3]"),
        (lambda v: v["records"].append(["error"]), "$.records[3]"),
        (lambda v: v["records"].append(["error", 5]), "$.records[3][1]"),
        (lambda v: v["records"].append(["tools", "bash"]), "$.records[3]"),  # a typed record, no any on the way
        (lambda v: v["records"].append(["time", "created", "x"]), "$.records[3]"),
        (lambda v: v["records"].append(["nowhere", "x"]), "$.records[3]"),
    ],
)
def test_nonsense_names_file_and_path(tmp_path, change, where):
    assert where in _refusal(tmp_path / "edited.schema.json", change)


def test_not_json_and_missing_file(tmp_path):
    with pytest.raises(SchemaError, match="not JSON"):
        loads("{", "x.json")
    with pytest.raises(SchemaError, match="cannot read schema"):
        load_schema(tmp_path / "absent.json")


def _rows():
    for message, parts in to_stored(generate("realistic", 4, 150).records):
        yield "message", message[-1]
        for part in parts:
            yield "part", part[-1]


def _content(value):
    """JSON content without None-valued keys (an absent optional and a null read the same), arrays as lists."""
    if isinstance(value, dict):
        return {key: _content(item) for key, item in value.items() if item is not None}
    if isinstance(value, (list, tuple)):
        return [_content(item) for item in value]
    return value


@pytest.mark.requires("msgspec")
@pytest.mark.parametrize("style", ["msgspec", "msgspec-lazy"])
def test_msgspec_sources_compile_and_decode_rows(style):
    import msgspec

    from harness.strategies._msgspec import to_dict as lazy_to_dict

    namespace = {}
    exec(compile(python_source(OPENCODE, style), "generated.py", "exec"), namespace)
    tools = 0
    for table, data in _rows():
        obj = namespace[f"{table}_from_json"](data)
        assert obj.__struct_config__.gc is False
        values = json.loads(data)
        kept = {key: value for key, value in values.items() if key in obj.__struct_encode_fields__}
        tag = OPENCODE.tables[table].discriminator
        kept[tag] = values[tag]
        assert _content(lazy_to_dict(obj)) == _content(kept)  # lone surrogates too, which msgspec.json refuses
        if table == "part" and values["type"] == "tool":
            tools += 1
            if style == "msgspec-lazy":  # the open map stays JSON until read
                assert isinstance(obj.state.input_raw, msgspec.Raw)
                assert obj.state.input == values["state"].get("input")
    assert tools


@pytest.mark.requires("msgspec")
def test_field_names_and_tags_cannot_break_the_generated_source():
    import msgspec

    hostile = 'x", gc=True) #\n"""'
    value = to_json(OPENCODE)
    value["name"] = hostile
    value["tables"]["part"]["kinds"][hostile] = {"class": "int", "0day": "str", "a-b?": "any"}
    schema = loads(json.dumps(value))
    part = {"type": hostile, "class": 1, "0day": "d", "a-b": {"k": [1]}}
    for style in ("msgspec", "msgspec-lazy"):
        namespace = {}
        exec(compile(python_source(schema, style), "generated.py", "exec"), namespace)
        decoded = namespace["part_from_json"](json.dumps(part))
        assert msgspec.json.decode(msgspec.json.encode(decoded)) == part
    value["tables"]["message"]["kinds"]["user"][hostile + "?"] = "str"
    schema = loads(json.dumps(value))
    namespace = {}
    exec(compile(python_source(schema, "slots"), "generated.py", "exec"), namespace)
    obj = namespace["part_from_dict"](part)
    assert {key: getattr(obj, attr) for key, attr in zip(obj._keys, obj.__slots__) if key in part} == part
    with pytest.raises(ValueError, match="msgspec allows no"):
        python_source(schema, "msgspec")
    from harness.strategies import get

    ok, reason = get("msgspec-nogc", schema).available()
    assert not ok and "msgspec allows no" in reason
    assert get("slots", schema).available() == (True, "")


def test_slots_source_compiles_and_builds_rows():
    namespace = {}
    exec(compile(python_source(OPENCODE, "slots"), "generated.py", "exec"), namespace)
    for table, data in _rows():
        values = json.loads(data)
        obj = namespace[f"{table}_from_dict"](values)
        if isinstance(obj, dict):  # an unlisted part type stays the dict
            assert values["type"] not in opencode_constants.PART_KEYS
            continue
        built = {key: getattr(obj, attr) for key, attr in zip(obj._keys, obj.__slots__)}
        kept = {key: value for key, value in values.items() if key in obj._keys}
        assert _content(built) == _content(kept)


def test_unknown_style():
    with pytest.raises(ValueError, match="unknown code style"):
        python_source(OPENCODE, "cobol")


def test_the_readme_example_schema_is_valid():
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    block = readme.split("### The schema file", 1)[1].split("```json\n", 1)[1].split("```", 1)[0]
    schema = loads(block, "README.md")
    assert schema.message.kind("order").field("tags").type.kind == "record"
    assert schema.message.kind("order").field("coupon-code").required is False


# --- the schema copies agree on what rows must carry -----------------------------------------------


def _struct(info):
    """The Struct a msgspec type holds (through Optional and tuples), or None (``Any``)."""
    from msgspec import inspect

    while isinstance(info, (inspect.UnionType, inspect.VarTupleType)):
        if isinstance(info, inspect.VarTupleType):
            info = info.item_type
        else:
            info = next(option for option in info.types if not isinstance(option, inspect.NoneType))
    return info if isinstance(info, inspect.StructType) else None


def _same_required(fields, struct, path):
    """Fields the schema requires (present, not null) are exactly the Struct's fields without a
    default, here and in every nested object; the number of Structs compared."""
    required = {field.name for field in fields if field.required and not field.type.nullable}
    assert {field.encode_name for field in struct.fields if field.required} == required, path
    compared = 1
    for field in fields:
        kind = field.type.item if field.type.kind == "array" else field.type
        if kind.kind == "object":
            nested = _struct(next(found.type for found in struct.fields if found.encode_name == field.name))
            if nested is not None:
                compared += _same_required(kind.fields, nested, f"{path}.{field.name}")
    return compared


@pytest.mark.requires("msgspec")
def test_the_msgspec_structs_require_what_opencodes_schema_requires():
    """What older writers left out is optional in the Structs the msgspec strategies build (the code
    ``codegen`` prints for the schema object) at every depth; the shallow Structs (nested values
    ``Any``) require no more than the schema."""
    from msgspec import inspect

    from harness.strategies._msgspec import namespace, shallow

    typed, loose = namespace(OPENCODE, "msgspec", False), namespace(shallow(OPENCODE), "msgspec", False)
    typed_classes = {**typed["MESSAGE_CLASSES"], **typed["PART_CLASSES"]}
    loose_classes = {**loose["MESSAGE_CLASSES"], **loose["PART_CLASSES"]}
    compared = 0
    for table in OPENCODE.tables.values():
        for kind in table.kinds:
            compared += _same_required(kind.fields, inspect.type_info(typed_classes[kind.tag]), kind.tag)
            loose_kind = inspect.type_info(loose_classes[kind.tag])
            assert {field.encode_name for field in loose_kind.fields if field.required} <= {
                field.name for field in kind.fields if field.required
            }
    assert compared > 20
    other = inspect.type_info(typed["MESSAGE_OTHER"])
    assert {field.encode_name for field in other.fields if field.required} == {"time"}


# --- what a schema file may declare -----------------------------------------------------------------


def _nested(levels):
    value = "int"
    for _ in range(levels):
        value = {"inner?": value}
    return value


@pytest.mark.parametrize(
    "change, problem",
    [
        (lambda v: v["tables"]["message"]["kinds"]["user"].update({f"f{i}?": "int" for i in range(200_000)}), "1024"),
        (lambda v: v["tables"]["part"]["kinds"].update({f"kind{i}": {} for i in range(300)}), "at most 256"),
        (lambda v: v["tables"]["message"]["kinds"]["user"].update({"deep?": _nested(40)}), "32 levels"),
        (
            lambda v: v["tables"]["part"]["kinds"].update(
                {f"kind{k}": {f"f{i}?": "int" for i in range(1000)} for k in range(60)}
            ),
            "50000 fields in all",
        ),
        (lambda v: v["access"].update({f"f{i}": "truth" for i in range(2000)}), "at most 1024"),
        (lambda v: v.update(records=[["error", f"k{i}"] for i in range(2000)]), "at most 1024"),
        (lambda v: v.update(records=[["error"] + ["k"] * 40]), "2 to 32 keys"),
    ],
)
def test_a_schema_file_past_a_limit_is_refused_as_it_is_read(tmp_path, change, problem):
    """A schema file declaring 200,000 fields took minutes to read and build strategies from; past a
    limit it is refused, one line naming the file and the place."""
    assert problem in _refusal(tmp_path / "huge.schema.json", change)


def test_limits_leave_room_for_what_inference_makes_and_refuse_what_it_cannot(tmp_path):
    from harness.schemas.infer import Inference, InferenceError

    wide = Inference()
    for i in range(64):  # kind k lacks field k: 32 kinds of 999 fields, the widest inference makes
        wide.add({"kind": f"k{i % 32}", **{f"field{j}": j for j in range(1000) if j != i % 32}})
    schema = wide.schema("wide")
    assert len(schema.message.kinds) == 32 and sum(len(kind.fields) for kind in schema.message.kinds) == 32 * 999
    assert loads(dumps(schema)) == schema
    deep = Inference()
    for _ in range(3):
        deep.add({"kind": "x", "deep": json.loads(json.dumps(_nested(40)).replace('"inner?"', '"inner"'))})
    with pytest.raises(InferenceError, match="32 levels"):
        deep.schema("deep")


# --- a schema the rows do not fit ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def notes(tmp_path_factory):
    """Imported rows of two kinds on ``kind`` and their inferred schema file."""
    from harness.cli import main

    directory = tmp_path_factory.mktemp("notes")
    rows = [{"kind": ("note", "task")[i % 2], "n": i, **({"done": False} if i % 2 else {})} for i in range(40)]
    (directory / "notes.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    out = directory / "notes.sqlite"
    assert main(["import", "rows", "--jsonl", str(directory / "notes.jsonl"), "--out", str(out)]) == 0
    return out


def _misfit(notes, tmp_path, change):
    value = json.loads(schema_path(notes).read_text())
    change(value["tables"]["message"])
    path = tmp_path / "misfit.schema.json"
    path.write_text(json.dumps(value))
    return path


MISFITS = {
    "a required field the rows lack": (lambda t: t["kinds"]["task"].update(owner="str"), "msgspec-nogc"),
    "a discriminator the rows lack": (lambda t: t.update(discriminator="sort", default=None), "slots"),
}


@pytest.mark.parametrize("misfit", MISFITS)
def test_a_schema_the_rows_do_not_fit_is_one_line_in_census(notes, tmp_path, capsys, misfit):
    from harness.cli import main

    path = _misfit(notes, tmp_path, MISFITS[misfit][0])
    assert main(["census", "--dataset", str(notes), "--schema", str(path), "--strategies", "all"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len([line for line in err if not line.startswith("note: ")]) == 1, err
    assert err[-1].startswith("harness census: error: row ") and "does not fit schema 'notes'" in err[-1]


@pytest.mark.parametrize("misfit", MISFITS)
def test_a_schema_the_rows_do_not_fit_is_one_line_in_a_job(notes, tmp_path, capsys, misfit):
    from harness.measure.census import measure
    from harness.measure.entry import run_measurer

    change, strategy = MISFITS[misfit]
    job = tmp_path / "job.json"
    fields = {"id": "j", "measurer": "census", "workload": "hydrate_all", "size": 10, "strategy": strategy}
    job.write_text(json.dumps({**fields, "dataset": str(notes), "schema": str(_misfit(notes, tmp_path, change))}))
    out = tmp_path / "result.json"
    assert run_measurer("census", measure, ["--job", str(job), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not fit schema 'notes'" in err and not out.exists()
