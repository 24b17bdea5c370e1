"""``harness import opencode --anonymise`` is an allow-list: a string planted anywhere — values, keys,
unknown fields, part types and roles, open maps, ``error.data``, file paths as keys, session
columns, nested lists — appears nowhere in the output (any column of any table, the manifest), while
what the schema names stays and every JSON text keeps its length."""

import json
import re
import sqlite3
import tempfile
from pathlib import Path

import opencode_layout
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.cli import main
from harness.ingest.anonymise import VOCABULARY, Anonymiser
from harness.jsonfmt import js_dumps
from harness.schemas import OPENCODE
from harness.store import manifest_path, open_dataset

#: In every planted string; 8 letters no token will spell by chance.
MARK = "QzXwVkJq"
SESSION = f"ses_0000000000aa{MARK}AbCdEf"  # id form: keeps its prefix and time digits only
USER, ASSISTANT, ODD = (f"msg_0000000000a{n}{MARK}AbCdEf" for n in (1, 2, 3))
#: The discriminator values the schema knows: they stay.
TAGS = {kind.tag for table in OPENCODE.tables.values() for kind in table.kinds}


def m(text=""):
    """A planted string."""
    return f"{MARK}{text}"


def user_info():
    return {
        "role": "user",
        "time": {"created": 1, m("timeExtra"): m("time")},
        "format": {"type": m("format"), "schema": {m("prop"): {"type": "string", "description": m("d")}}},
        "summary": {
            "title": m("summary title"),
            "diffs": [{"file": m(".ts"), "before": m("b"), "additions": 1, "deletions": 0, m("diff"): m("x")}],
            m("summaryExtra"): [m("in a list")],
        },
        "agent": m("agent"),
        "model": {"providerID": m("prov"), "modelID": m("model"), m("modelExtra"): 1},
        "system": m("system"),
        "tools": {m("tool"): True, "text": False},
        "id": m("an id in the data"),
        m("infoField"): {f"/home/{MARK}/file.ts": {m("deep"): [m("deep"), [{m("nested"): m("nested")}]]}},
    }


def assistant_info():
    return {
        "role": "assistant",
        "time": {"created": 2, "completed": 3},
        "error": {
            "name": m("Error"),
            "data": {
                "message": m("message"),
                m("dataKey"): m("dataValue"),
                "statusCode": 500,
                "responseHeaders": {f"x-{MARK}": m("header"), "content-type": m("json")},
                "metadata": {m("meta"): m("metaValue")},
                "responseBody": m("body"),
            },
        },
        "parentID": USER,
        "modelID": m("m"),
        "providerID": m("p"),
        "mode": m("mode"),
        "agent": m("agent"),
        "path": {"cwd": f"/home/{MARK}", "root": f"/home/{MARK}", m("pathExtra"): 0},
        "summary": True,
        "cost": 0.5,
        "tokens": {
            "input": 1,
            "output": 2,
            "reasoning": 0,
            "cache": {"read": 0, "write": 0, m("cacheExtra"): 0},
            m("tokensExtra"): 5,
        },
        "structured": {m("answer"): [m("answer"), {m("inner"): None}]},
        "variant": m("variant"),
        "finish": m("finish"),
        m("topLevel"): m("topLevel"),
    }


def parts():
    return [
        {
            "type": "text",
            "text": m(' text with "quotes"\nand a line'),
            "time": {"start": 1, m("spanExtra"): 2},
            "metadata": {m("provider"): {"signature": m("sig")}},
            m("partField"): {m("pk"): m("pv")},
        },
        {
            "type": "tool",
            "callID": m("call"),
            "tool": m("toolname"),
            "state": {
                "status": m("status"),
                "input": {m("input"): m("iv"), "filePath": f"/{MARK}", "description": m("described")},
                "output": m("out"),
                "title": m("title"),
                "metadata": {
                    "diagnostics": {f"/home/{MARK}/a.ts": [{"message": m("diag"), "severity": 1}]},
                    "output": m("meta output"),
                    m("meta"): 1,
                },
                "time": {"start": 1, "end": 2},
                "attachments": [{"type": "file", "mime": m("/x"), "url": m(":url"), m("att"): 1}],
                m("stateExtra"): m("x"),
            },
            "metadata": {m("toolMeta"): True},
        },
        {
            "type": "file",
            "mime": m("/mime"),
            "url": f"file:///{MARK}",
            "filename": m(".txt"),
            "source": {
                "type": m("src"),
                "path": m("path"),
                "text": {"value": m("v"), "start": 0, "end": 1, m("textExtra"): 1},
                m("sourceExtra"): 2,
            },
        },
        {"type": m("widget"), m("w"): {m("k"): [m("v"), {"text": m("t")}]}, "text": m("unknown text")},
        {
            "type": "retry",
            "attempt": 1,
            "error": {"name": "APIError", "data": {"message": m(), "responseHeaders": {m("h"): m("hv")}}},
            "time": {"created": 1},
        },
        {"type": "compaction", "auto": True, "tail_start_id": m("tail")},
        {"type": "patch", "hash": m("hash"), "files": [m("/a"), [m("/b")]]},
        {
            "type": "subtask",
            "prompt": m("prompt"),
            "description": m("d"),
            "agent": m("a"),
            "model": {"providerID": m("p"), "modelID": m("m"), m("x"): 1},
            "command": m("c"),
        },
    ]


def odd_role_info():
    return {"role": m("role"), "time": {"created": 4}, "agent": m("a"), m("roleField"): {m("k"): m("v")}}


def build(path, infos=None, part_rows=None):
    """An opencode database of one session (title, directory and slug planted, one more session
    without messages): the user, assistant and odd-role messages, the parts on the assistant."""
    infos = infos or {USER: user_info(), ASSISTANT: assistant_info(), ODD: odd_role_info()}
    part_rows = parts() if part_rows is None else part_rows
    conn = opencode_layout.create(path, journal="delete")
    for sid, title in ((SESSION, m(" session title")), (f"ses_0000000000ab{MARK}Empty0", m(" no messages"))):
        conn.execute(
            "INSERT INTO session (id, project_id, slug, directory, title, version, time_created, time_updated) "
            "VALUES (?, 'prj_test', ?, ?, ?, '1.0.0', 1, 1)",
            (sid, m("-slug"), f"/home/{MARK}/project", title),
        )
    for number, (message_id, info) in enumerate(infos.items()):
        conn.execute(
            "INSERT INTO message VALUES (?, ?, ?, ?, ?)", (message_id, SESSION, number, number, js_dumps(info))
        )
    conn.executemany(
        "INSERT INTO part VALUES (?, ?, ?, 5, 5, ?)",
        [(f"prt_0000000000a2{MARK}{n:06d}", ASSISTANT, SESSION, js_dumps(part)) for n, part in enumerate(part_rows)],
    )
    conn.commit()
    conn.close()
    return path


def stored_text(path):
    """Every text and blob value of every table of the database at ``path``, and its manifest file."""
    found = [manifest_path(path).read_text(encoding="utf-8")]
    conn = sqlite3.connect(path)
    try:
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                found += [v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in row if v is not None]
    finally:
        conn.close()
    return [value for value in found if isinstance(value, str)]


def import_db(source, out, *flags):
    assert main(["import", "opencode", str(source), "--out", str(out), *flags]) == 0
    return stored_text(out)


def test_nothing_planted_anywhere_survives_anonymisation(tmp_path, capsys):
    source = build(tmp_path / "opencode.db")
    plain = import_db(source, tmp_path / "plain.sqlite")
    assert sum(MARK in text for text in plain) > 20  # the scan sees what a plain import keeps
    anonymised = import_db(source, tmp_path / "anon.sqlite", "--anonymise")
    assert [text for text in anonymised if MARK in text] == []
    capsys.readouterr()


def test_what_the_schema_names_stays_where_it_names_it(tmp_path):
    out = tmp_path / "anon.sqlite"
    import_db(build(tmp_path / "opencode.db"), out, "--anonymise")
    dataset = open_dataset(out)
    try:
        records = list(dataset.stored_records())
    finally:
        dataset.close()
    user, assistant, odd = (json.loads(message[-1]) for message, _ in records)
    text, tool, file, widget, retry, *_ = (json.loads(part[-1]) for part in records[1][1])
    assert list(user)[:8] == ["role", "time", "format", "summary", "agent", "model", "system", "tools"]
    assert user["role"] == "user" and "text" in user["tools"] and user["summary"]["diffs"][0]["additions"] == 1
    assert assistant["role"] == "assistant" and set(assistant["tokens"]["cache"]) >= {"read", "write"}
    assert set(assistant["error"]) == {"name", "data"} and "responseHeaders" in assistant["error"]["data"]
    assert "message" not in assistant["error"]["data"]  # not a word of the schema: mapped
    assert odd["role"] != m("role") and len(odd["role"]) == len(m("role")) and "agent" in odd  # builds as a user
    assert text["type"] == "text" and tool["type"] == "tool" and retry["type"] == "retry"
    assert tool["state"]["status"] != m("status") and "diagnostics" in tool["state"]["metadata"]
    assert {"input", "output", "metadata", "attachments"} <= set(tool["state"])
    assert "description" in tool["state"]["input"] and "output" in tool["state"]["metadata"]  # the schema's words
    assert widget["type"] != m("widget") and "text" not in widget  # an unknown type keeps its type key only
    assert file["source"]["text"]["start"] == 0 and set(file["source"]) >= {"type", "path", "text"}


def test_a_lone_surrogate_keeps_its_escape_and_every_text_its_length(tmp_path):
    lone = {"type": "text", "text": "a lone \ud83d, a pair 😀, a low \udc00 and é"}
    source = build(tmp_path / "opencode.db", part_rows=[lone])
    (stored,) = sqlite3.connect(source).execute("SELECT data FROM part").fetchone()
    assert "\\ud83d" in stored and "😀" in stored  # JSON.stringify's form: escapes for the lone ones
    out = tmp_path / "anon.sqlite"
    import_db(source, out, "--anonymise")
    (data,) = sqlite3.connect(out).execute("SELECT data FROM part").fetchone()
    assert len(data.encode()) == len(stored.encode())
    high, low = (re.compile(r"\\ud[89ab][0-9a-f]{2}"), re.compile(r"\\ud[c-f][0-9a-f]{2}"))
    assert [found.start() for found in high.finditer(data)] == [stored.index("\\ud83d")]  # one of its half
    assert [found.start() for found in low.finditer(data)] == [stored.index("\\udc00")]
    text = json.loads(data)["text"]
    assert len(text) == len(json.loads(stored)["text"]) and "\ud83d" not in text


# ---------------------------------------------------------------- random trees at random places

marked = st.text(max_size=6).map(m)
leaves = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.floats(allow_nan=False, allow_infinity=False)
trees = st.recursive(
    leaves | marked,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(marked, children, max_size=3),
    max_leaves=10,
)
#: (row, path to an object of it): the tree goes in under a planted key, or replaces that object.
PLACES = [
    ("user", ()),
    ("user", ("time",)),
    ("user", ("model",)),
    ("user", ("tools",)),
    ("user", ("summary",)),
    ("user", ("summary", "diffs", 0)),
    ("user", ("format", "schema")),
    ("assistant", ()),
    ("assistant", ("tokens",)),
    ("assistant", ("tokens", "cache")),
    ("assistant", ("error",)),
    ("assistant", ("error", "data")),
    ("assistant", ("error", "data", "responseHeaders")),
    ("assistant", ("structured",)),
    ("text", ()),
    ("text", ("metadata",)),
    ("tool", ("state",)),
    ("tool", ("state", "input")),
    ("tool", ("state", "metadata")),
    ("tool", ("state", "metadata", "diagnostics")),
    ("tool", ("state", "attachments", 0)),
    ("file", ("source",)),
    ("file", ("source", "text")),
    ("widget", ()),
    ("odd", ()),
]


def base_rows():
    text, tool, file, widget, *rest = parts()
    rows = {"user": user_info(), "assistant": assistant_info(), "odd": odd_role_info()}
    rows.update(text=text, tool=tool, file=file, widget=widget)
    return rows, rest


def planted(tree, place, key, replace):
    rows, rest = base_rows()
    row, path = place
    *above, last = (row, *path)
    holder = rows
    for step in above:
        holder = holder[step]
    if replace and path:
        holder[last] = tree
    else:
        holder[last][key] = tree
    infos = {USER: rows["user"], ASSISTANT: rows["assistant"], ODD: rows["odd"]}
    return infos, [rows["text"], rows["tool"], rows["file"], rows["widget"], *rest]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees, place=st.sampled_from(PLACES), key=marked, replace=st.booleans())
def test_a_random_tree_planted_anywhere_leaves_no_trace(tree, place, key, replace):
    with tempfile.TemporaryDirectory() as directory:
        source = build(Path(directory) / "opencode.db", *planted(tree, place, key, replace))
        anonymised = import_db(source, Path(directory) / "anon.sqlite", "--anonymise")
    assert [text for text in anonymised if MARK in text] == []


def round_trip(value):
    """``value`` as JSON gives it back (a high and a low surrogate side by side are one character)."""
    return json.loads(js_dumps(value))


@settings(max_examples=200, deadline=None)
@given(
    tree=st.recursive(
        leaves | st.text(st.characters(blacklist_categories=())),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.text(st.characters(blacklist_categories=())), children, max_size=3)
        ),
        max_leaves=12,
    ),
    place=st.sampled_from(PLACES),
    key=st.text(st.characters(blacklist_categories=()), max_size=5),
    replace=st.booleans(),
)
def test_anonymised_json_keeps_every_byte_count_and_only_the_schemas_words(tree, place, key, replace):
    infos, part_rows = planted(round_trip(tree), place, round_trip(key), replace)
    anonymiser = Anonymiser(b"k" * 32)
    for table, value in [("message", info) for info in infos.values()] + [("part", part) for part in part_rows]:
        out = anonymiser.data(value, table)
        assert len(js_dumps(out).encode()) == len(js_dumps(value).encode())
        kept = {text for text in strings(out) if len(text) > 2} & set(strings(value))
        assert kept <= VOCABULARY | TAGS


def strings(value):
    """Every string of a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
