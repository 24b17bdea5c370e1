"""opencode's schema is written once, as ``harness.schemas.OPENCODE``; everything else derives from it:
``harness.schema``'s key lists (pinned here as the contract), the pydantic models, the JS runner's
builders (through the generated ``harness/jsc/schema.json``) and the generator's current key orders."""

import ast
import json
import subprocess
from pathlib import Path
from typing import Any, List

import pytest

import harness
from harness import schema
from harness.schemas import OPENCODE, loads
from harness.schemas.codec import key_orders, key_orders_json, to_json
from harness.schemas.opencode import write_key_orders
from harness.strategies.pydantic_models import model_fields, tagger

PACKAGE = Path(harness.__file__).parent
KEY_ORDERS = PACKAGE / "jsc" / "schema.json"

_INFO_IDS = ("id", "sessionID")
_PART_IDS = ("id", "sessionID", "messageID")
#: ``harness.schema``'s values when they were written by hand: what its importers rely on.
CONTRACT = {
    "SESSION_ID_KEY": "sessionID",
    "MESSAGE_ID_KEY": "messageID",
    "INFO_IDS": _INFO_IDS,
    "PART_IDS": _PART_IDS,
    "ROLES": ("user", "assistant"),
    "INFO_KEYS": {
        "user": ("role", "time", "format", "summary", "agent", "model", "system", "tools") + _INFO_IDS,
        "assistant": (
            "role",
            "time",
            "error",
            "parentID",
            "modelID",
            "providerID",
            "mode",
            "agent",
            "path",
            "summary",
            "cost",
            "tokens",
            "structured",
            "variant",
            "finish",
        )
        + _INFO_IDS,
    },
    "PART_TYPES": (
        "text",
        "subtask",
        "reasoning",
        "file",
        "tool",
        "step-start",
        "step-finish",
        "snapshot",
        "patch",
        "agent",
        "retry",
        "compaction",
    ),
    "PART_KEYS": {
        kind: ("type",) + fields + _PART_IDS
        for kind, fields in {
            "text": ("text", "synthetic", "ignored", "time", "metadata"),
            "subtask": ("prompt", "description", "agent", "model", "command"),
            "reasoning": ("text", "metadata", "time"),
            "file": ("mime", "filename", "url", "source"),
            "tool": ("callID", "tool", "state", "metadata"),
            "step-start": ("snapshot",),
            "step-finish": ("reason", "snapshot", "cost", "tokens"),
            "snapshot": ("snapshot",),
            "patch": ("hash", "files"),
            "agent": ("name", "source"),
            "retry": ("attempt", "error", "time"),
            "compaction": ("auto", "overflow", "tail_start_id"),
        }.items()
    },
    "RECORD_PATHS": frozenset(
        {
            ("tools",),
            ("state", "metadata", "diagnostics"),
            ("error", "data", "responseHeaders"),
            ("error", "data", "metadata"),
        }
    ),
    "NESTED_KEYS": {
        "state": ("status", "input", "raw", "output", "title", "metadata", "error", "time", "attachments"),
        "format": ("type", "schema", "retryCount"),
    },
    "OPEN_MAPS": {
        "user": ("tools",),
        "assistant": ("error", "structured"),
        "text": ("metadata",),
        "reasoning": ("metadata",),
        "tool": ("metadata",),
        "retry": ("error",),
        "state": ("input", "metadata", "attachments"),
        "format": ("schema",),
    },
    "ACCESS_PROPERTIES": ("role", "cost", "summary", "finish", "error", "variant", "structured"),
}


@pytest.mark.parametrize("name", CONTRACT)
def test_the_derived_key_lists_are_the_contract(name):
    found = getattr(schema, name)
    assert found == CONTRACT[name]
    if name in ("INFO_KEYS", "PART_KEYS"):  # the kinds in the schema's order, too
        assert list(found) == list(CONTRACT[name])


@pytest.mark.parametrize("role", ["user", "assistant", "system", 5, None, [], {}])
def test_info_keys_build_any_other_role_as_user(role):
    assert schema.info_keys(role) == CONTRACT["INFO_KEYS"]["assistant" if role == "assistant" else "user"]


def _imports(path: Path) -> List[str]:
    """Every module ``path`` imports, ``TYPE_CHECKING`` and function-level imports included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.extend([node.module] + [f"{node.module}.{alias.name}" for alias in node.names])
    return found


@pytest.mark.parametrize("path", sorted((PACKAGE / "schemas").glob("*.py")), ids=lambda path: path.name)
def test_the_schema_package_does_not_import_the_key_lists(path):
    """The dependency points one way: ``harness.schema`` derives from ``harness.schemas``."""
    assert "harness.schema" not in _imports(path)


def test_the_js_key_orders_are_what_the_schema_writes_now(tmp_path):
    written = tmp_path / "schema.json"
    write_key_orders(written)
    assert KEY_ORDERS.read_text() == written.read_text() == key_orders_json(OPENCODE), (
        "harness/jsc/schema.json is stale: run "
        "python -c 'from harness.schemas.opencode import write_key_orders as w; w(\"harness/jsc/schema.json\")'"
    )


def test_the_js_key_orders_ship_as_package_data():
    tomllib = pytest.importorskip("tomllib")
    with open(PACKAGE.parent / "pyproject.toml", "rb") as handle:
        assert "jsc/schema.json" in tomllib.load(handle)["tool"]["setuptools"]["package-data"]["harness"]


def _edited() -> Any:
    """opencode's schema with a field added to text parts, one made optional, and a new part type."""
    value = to_json(OPENCODE)
    text = value["tables"]["part"]["kinds"]["text"]
    text["lang?"] = "str|null"
    text["synthetic?"] = text.pop("synthetic?")  # moved last
    value["tables"]["part"]["kinds"]["note"] = {"body": "str", "votes": "int"}
    return loads(json.dumps(value))


JS_BUILD = """
import { strategies } from "JSC/strategies.mjs";
const schema = JSON.parse(await Bun.file(process.argv[2]).text());
const built = strategies(schema);
const rows = JSON.parse(await Bun.file(process.argv[3]).text());
const out = {};
for (const name of ["spread", "fixed"]) {
  out[name] = rows.map((row) => Object.keys(built[name][row.message_id ? "part" : "info"](row)));
}
console.log(JSON.stringify(out));
"""


def test_the_js_builders_follow_the_schema(bun_exe, tmp_path):
    """Bun's ``fixed`` builds each kind with the key order of the schema it is given; ``spread`` keeps
    the stored order; both add the ids."""
    edited = _edited()
    stored = [
        {"type": "text", "synthetic": True, "text": "t", "lang": "en", "own": 1},
        {"type": "note", "votes": 2, "body": "b"},
        {"type": "mystery", "b": 1, "a": 2},
    ]
    rows = [
        {"id": f"p{i}", "session_id": "s", "message_id": "m", "data": json.dumps(data)} for i, data in enumerate(stored)
    ]
    rows.append({"id": "m", "session_id": "s", "data": json.dumps({"role": 7, "time": {}, "mode": "x"})})
    (tmp_path / "schema.json").write_text(json.dumps(key_orders(edited)))
    (tmp_path / "rows.json").write_text(json.dumps(rows))
    script = tmp_path / "build.mjs"
    script.write_text(JS_BUILD.replace("JSC/", f"{PACKAGE / 'jsc'}/"))
    command = [bun_exe, str(script), str(tmp_path / "schema.json"), str(tmp_path / "rows.json")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    keys = [tuple(found) for found in json.loads(done.stdout)["fixed"]]
    part, message = edited.tables["part"], edited.tables["message"]
    assert keys == [
        part.keys(part.kind("text")),
        part.keys(part.kind("note")),
        ("type", "b", "a") + _PART_IDS,
        message.keys(message.kind("user")),
    ]
    assert keys[0][-4:-3] == ("synthetic",)
    spread = [tuple(found) for found in json.loads(done.stdout)["spread"]]
    assert spread[:3] == [tuple(data) + _PART_IDS for data in stored]


def test_the_pydantic_fields_follow_the_schema():
    """Fixed key order per kind; scalars typed (``num`` as float), arrays of scalars as lists, other
    values ``Any``; a table with a default kind keeps any discriminator value; an edited schema's
    fields and kinds are the models' without another edit."""
    message, part = model_fields(OPENCODE.tables["message"]), model_fields(OPENCODE.tables["part"])
    assert {tag: tuple(fields) for tag, fields in message.items()} == CONTRACT["INFO_KEYS"]
    assert {tag: tuple(fields) for tag, fields in part.items()} == CONTRACT["PART_KEYS"]
    assert (message["user"]["role"], message["assistant"]["cost"], message["assistant"]["summary"]) == (
        Any,
        float,
        bool,
    )
    assert (message["user"]["summary"], message["user"]["tools"], message["user"]["sessionID"]) == (Any, Any, str)
    assert (part["patch"]["type"], part["patch"]["files"], part["retry"]["attempt"]) == (str, List[str], int)
    assert (part["retry"]["error"], part["file"]["source"], part["text"]["synthetic"]) == (Any, Any, bool)
    edited = model_fields(_edited().tables["part"])
    assert list(edited["text"]) == list(_edited().tables["part"].keys(_edited().tables["part"].kind("text")))
    assert (edited["text"]["lang"], edited["note"]["votes"]) == (str, int)


@pytest.mark.parametrize(
    "name, values, tag",
    [
        ("message", {"role": "assistant"}, "assistant"),
        ("message", {"role": "user"}, "user"),
        ("message", {"role": ["assistant"]}, "user"),
        ("message", {}, "user"),
        ("part", {"type": "step-finish"}, "step-finish"),
        ("part", {"type": "mystery"}, "unknown"),
        ("part", {"type": {"a": 1}}, "unknown"),
    ],
)
def test_the_pydantic_union_member_is_the_schemas_kind(name, values, tag):
    assert tagger(OPENCODE.tables[name])(values) == tag


@pytest.mark.requires("pydantic")
def test_the_pydantic_models_are_built_from_the_schema():
    from harness.strategies import get

    chosen = get("pydantic")
    info = chosen.info(("m", "s", 0, 0, json.dumps({"role": "assistant", "summary": True, "cost": 1, "own": 2})))
    assert tuple(type(info).model_fields) == CONTRACT["INFO_KEYS"]["assistant"]
    assert (type(info).__name__, info.summary, info.cost, info.sessionID) == ("AssistantInfo", True, 1.0, "s")
    part = chosen.part(("p", "m", "s", 0, 0, json.dumps({"type": "step-finish", "cost": 0})))
    assert tuple(type(part).model_fields) == CONTRACT["PART_KEYS"]["step-finish"]
    assert type(part).__name__ == "StepFinishPart"
