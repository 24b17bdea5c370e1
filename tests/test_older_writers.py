"""Every row opencode's writers stored since message v2 builds in every strategy: the rows older writers
wrote (fields today's schema requires left out, a pending tool state ``{status}`` alone, a time span
without ``start``, a text cut inside an emoji as a lone surrogate escaped), by hand here from opencode's
older message-v2 versions and from the realistic generator's ``older_writers``; through every
registered strategy, ``harness census``, the code ``harness.schemas.codegen`` generates and the
JavaScript builders; every strategy keeping the rows' content and reading what spread reads."""

import hashlib
import json
import subprocess

import pytest
from seed_access import expected_access, expected_open_map
from strategy_checks import usable

from harness import canonical
from harness.cli import main
from harness.generate import Generated, generate
from harness.generate.realistic import RealisticParams, generate_realistic
from harness.runtime import bun_install as bun
from harness.schema import info_keys
from harness.schemas import OPENCODE
from harness.schemas.codegen import STYLES, python_source
from harness.store import open_dataset, write_dataset
from harness.strategies import all_strategies, for_schema, get
from harness.strategies.equivalence import (
    canonical_info,
    canonical_part,
    difference,
    first_difference,
    info_difference,
    part_difference,
)

SESSION = "ses_older"
TOKENS = {"input": 120, "output": 40, "reasoning": 0, "cache": {"read": 0, "write": 0}}
PATH = {"cwd": "/home/dev/app", "root": "/home/dev/app"}
#: What an older writer stored, one (info, parts) per message; lone surrogates are Python's, so the
#: stored JSON holds them escaped as ``JSON.stringify`` writes them (``"\ud83d"``).
OLDER = [
    # the earliest user: role and time alone
    ({"role": "user", "time": {"created": 1}}, [{"type": "text", "text": "fix the build"}]),
    # a user with its agent but no model; a prompt cut inside an emoji; a legacy key
    (
        {"role": "user", "time": {"created": 2}, "agent": "build", "mode": "build"},
        [{"type": "text", "text": "look \ud83d"}, {"type": "file", "mime": "text/plain", "url": "file:///a.ts"}],
    ),
    # the earliest assistant: no parentID, mode or agent, a system list; its parts as old writers wrote them
    (
        {
            "role": "assistant",
            "time": {"created": 3},
            "system": ["You are opencode"],
            "modelID": "claude-sonnet-4",
            "providerID": "anthropic",
            "path": PATH,
            "cost": 0,
            "tokens": TOKENS,
        },
        [
            {"type": "step-start"},
            {"type": "reasoning", "text": "thinking"},
            {"type": "tool", "callID": "t1", "tool": "bash", "state": {"status": "pending"}},
            {"type": "tool", "callID": "t2", "tool": "bash", "state": {"status": "running", "input": {}, "time": {}}},
            {
                "type": "tool",
                "callID": "t3",
                "tool": "read",
                "state": {
                    "status": "completed",
                    "input": {"filePath": "/a\ud83d.ts"},
                    "output": "\udc00 tail",
                    "title": "a.ts",
                    "metadata": {"preview": "\ud83d"},
                    "time": {"end": 9},
                },
            },
            {
                "type": "tool",
                "callID": "t4",
                "tool": "edit",
                "state": {"status": "error", "input": {"filePath": "/a.ts"}, "error": "no", "time": {"end": 9}},
            },
            {"type": "text", "text": "done \ud83d", "time": {"start": 5}},
            {"type": "step-finish", "cost": 0, "tokens": TOKENS},
        ],
    ),
    # parentID null, mode without agent, an error holding a lone surrogate
    (
        {
            "role": "assistant",
            "time": {"created": 10, "completed": 11},
            "parentID": None,
            "modelID": "gpt-5",
            "providerID": "openai",
            "mode": "build",
            "path": PATH,
            "cost": 0.25,
            "tokens": TOKENS,
            "error": {"name": "UnknownError", "data": {"message": "stream cut \ud83d"}},
        },
        [{"type": "step-finish", "snapshot": "abc", "cost": 0.25, "tokens": TOKENS}],
    ),
    # what SCHEMA.md calls required but no writer needs to have stored: path, cost, tokens.cache
    (
        {
            "role": "assistant",
            "time": {"created": 12},
            "modelID": "gpt-5",
            "providerID": "openai",
            "tokens": {"input": 1, "output": 1, "reasoning": 0},
        },
        [{"type": "step-finish", "reason": "stop", "cost": 0, "tokens": {"input": 1, "output": 1, "reasoning": 0}}],
    ),
]
CACHED = ["cached:msgspec-lazy", "cached:slots"]


def older_records():
    """``OLDER`` as generated records: (message row, part rows) with ids, columns and ``data``."""
    records = []
    for index, (info, parts) in enumerate(OLDER):
        message_id, created = f"msg_{index:03d}", info["time"]["created"]
        message = {"id": message_id, "session_id": SESSION, "time_created": created, "time_updated": created}
        rows = [
            {
                "id": f"prt_{index:03d}{n:03d}",
                "message_id": message_id,
                "session_id": SESSION,
                "time_created": created,
                "time_updated": created,
                "data": part,
            }
            for n, part in enumerate(parts)
        ]
        records.append(({**message, "data": info}, rows))
    return records


def older_stored():
    return list(canonical.to_stored(older_records()))


def test_the_rows_hold_lone_surrogates_escaped():
    texts = [row[-1] for message, parts in older_stored() for row in (message, *parts)]
    assert sum("\\ud83d" in text for text in texts) == 4 and any("\\udc00" in text for text in texts)
    assert not any("\ud83d" in text or "\udc00" in text for text in texts)  # escaped, never the code point


@pytest.mark.parametrize("name", sorted(all_strategies()) + CACHED)
def test_every_strategy_builds_every_older_row_and_keeps_its_content(name):
    strategy = usable(name)
    stored = older_stored()
    for message, parts in stored:
        strategy.info(message)
        for part in parts:
            strategy.part(part)
    if not strategy.control:  # a control keeps no content
        assert first_difference(strategy, stored) is None


@pytest.mark.parametrize("name", sorted(all_strategies()) + CACHED)
def test_every_strategy_reads_what_spread_reads(name):
    strategy, spread = usable(name), get("spread")
    stored = older_stored()
    messages = [message for message, _ in stored]
    parts = [part for _, own in stored for part in own]
    infos = [strategy.info(row) for row in messages]
    assert strategy.access(infos, 2) == spread.access([spread.info(row) for row in messages], 2)
    assert strategy.access(infos, 2) == expected_access(messages, 2)
    tools = [part for part in map(strategy.part, parts) if strategy.field(part, "type") == "tool"]
    assert len(tools) == 4 and strategy.open_map_access(tools, 2) == expected_open_map(parts, 2)
    if not strategy.control:
        for row, info in zip(messages, infos):
            content = canonical_info(row)
            for key in {"role", "parentID", "mode", "agent", "cost", "error"} & set(info_keys(content["role"])):
                assert difference(content.get(key), strategy.field(info, key)) is None, (name, row[0], key)
        for row in parts:
            content = canonical_part(row)
            assert strategy.field(strategy.part(row), "type") == content["type"]


@pytest.mark.parametrize(
    "name", sorted(name for name, cls in all_strategies().items() if "schema_build" in vars(cls) and not cls.control)
)
def test_the_builders_applied_to_opencodes_schema_build_older_rows(name):
    """What a strategy builds from the ``OPENCODE`` object (``for_schema``: the generated msgspec and
    msgspec-lazy classes among them) keeps older rows too."""
    built = for_schema(get(name), OPENCODE)
    ok, reason = built.available()
    if not ok:
        pytest.skip(f"{name} unavailable here: {reason}")
    assert first_difference(built, older_stored()) is None


def test_census_builds_older_rows_end_to_end(tmp_path, capsys):
    path = tmp_path / "older.sqlite"
    records = older_records()
    write_dataset(path, Generated("realistic", 0, len(records), {}, records, 0))
    assert main(["census", "--dataset", str(path), "--strategies", "all", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["messages"] == len(OLDER)
    available = {name for name, strategy in all_strategies().items() if strategy.available()[0]}
    assert set(report["strategies"]) == available
    assert all(figures["info_key_sets"] >= 1 for figures in report["strategies"].values())


@pytest.mark.parametrize("style", STYLES)
def test_the_generated_code_builds_older_rows(style):
    if style != "slots":
        pytest.importorskip("msgspec")
    from harness.strategies._msgspec import to_dict as lazy_to_dict

    namespace = {}
    exec(compile(python_source(OPENCODE, style), "generated.py", "exec"), namespace)
    for message, parts in older_stored():
        for table, row in [("message", message)] + [("part", part) for part in parts]:
            values, schema = json.loads(row[-1]), OPENCODE.tables[table]
            tag = values[schema.discriminator]
            if style == "slots":
                obj = namespace[f"{table}_from_dict"](values)
                built = {key: getattr(obj, attr) for key, attr in zip(obj._keys, obj.__slots__)}
            else:
                obj = namespace[f"{table}_from_json"](row[-1])
                built = {**lazy_to_dict(obj), schema.discriminator: tag}
            keys = schema.keys(schema.kind(tag) or schema.kind(schema.default))
            kept = {key: value for key, value in values.items() if key in keys}
            assert difference(kept, built) is None, (style, row[0])  # None and absent read the same
            if style == "msgspec-lazy" and tag == "tool":  # an open map read back, lone surrogates too
                assert obj.state.input == values["state"].get("input")
                assert obj.state.metadata == values["state"].get("metadata")


@pytest.mark.parametrize("style", STYLES)
def test_the_generated_code_keeps_a_part_of_a_type_it_does_not_know_as_a_dict(style):
    """Parts of a type the schema does not list stay dicts in every strategy: so in the code handed out.
    A row of a listed type that does not fit is still refused."""
    if style != "slots":
        pytest.importorskip("msgspec")
        import msgspec
    namespace = {}
    exec(compile(python_source(OPENCODE, style), "generated.py", "exec"), namespace)
    for row in ({"type": "future-widget", "widget": {"kind": "chart"}}, {"type": 7}, {"type": None, "x": 1}):
        if style == "slots":
            assert namespace["part_from_dict"](row) == row
        else:
            assert namespace["part_from_json"](json.dumps(row).encode()) == row
    if style != "slots":
        with pytest.raises(msgspec.ValidationError):
            namespace["part_from_json"](b'{"type":"patch","hash":1,"files":[]}')


# --- the realistic generator's older writers -------------------------------------------------------

#: sha256 of the canonical text and draw count of realistic seed 7, 300 messages, before older writers
#: existed: ``older_writers=0`` must reproduce them exactly.
TODAY = ("7b425bf435374d3c0de87c92a400d6668529c43e4aa90a5a46f28ab2cb503499", 16044)


def _sha256(generated):
    stored = canonical.to_stored(generated.records)
    return hashlib.sha256("".join(canonical.iter_lines(stored)).encode()).hexdigest()


def test_no_older_writers_is_todays_output():
    generated = generate("realistic", 7, 300, overrides={"older_writers": 0})
    assert (_sha256(generated), generated.rng_calls) == TODAY
    assert RealisticParams().older_writers > 0
    assert _sha256(generate("realistic", 7, 300)) != TODAY[0]


def _is_older(data):
    """A row only an older writer stores: a user without agent, an assistant without mode."""
    return "agent" not in data if data["role"] == "user" else "mode" not in data


def test_older_writers_write_every_older_format_first_and_deterministically():
    params = RealisticParams(older_writers=0.4)
    rows, calls = generate_realistic(5, 1200, params)
    assert (rows, calls) == generate_realistic(5, 1200, params)
    older = [_is_older(row["data"]) for row, _ in rows]
    first_new = older.index(False)
    assert not any(older[first_new:]) and 480 <= first_new < 485  # the oldest 40 %, in whole turns
    infos = [row["data"] for row, _ in rows[:first_new]]
    parts = [part["data"] for _, own in rows[:first_new] for part in own]
    assert {tuple(sorted(data)) for data in infos if data["role"] == "user"} == {("role", "time")}
    assistants = [data for data in infos if data["role"] == "assistant"]
    assert any("parentID" not in data for data in assistants)
    assert any("parentID" in data and data["parentID"] is None for data in assistants)
    assert all(isinstance(data["system"], list) and not {"agent", "finish"} & set(data) for data in assistants)
    assert all(part == {"type": "step-start"} for part in parts if part["type"] == "step-start")
    assert all("reason" not in part for part in parts if part["type"] == "step-finish")
    states = [part["state"] for part in parts if part["type"] == "tool"]
    assert all(state == {"status": "pending"} for state in states if state["status"] == "pending")
    assert any("time" in state and "start" not in state["time"] for state in states)
    assert any(part["text"].endswith("\ud83d") for part in parts if part["type"] == "text")
    assert not {"compaction", "retry"} & {part["type"] for part in parts}


def test_every_strategy_builds_a_dataset_with_older_writers():
    stored = list(canonical.to_stored(generate("realistic", 3, 500, overrides={"older_writers": 0.5}).records))
    assert any("\\ud83d" in part[-1] for _, parts in stored for part in parts)
    messages = [message for message, _ in stored]
    expected = expected_access(messages, 1)
    for name, strategy in all_strategies().items():
        if not strategy.available()[0]:
            continue
        if not strategy.control:
            assert first_difference(strategy, stored) is None, name
        assert strategy.access([strategy.info(row) for row in messages], 1) == expected, name


@pytest.mark.parametrize("value", [-0.1, 1.5, "some", True])
def test_older_writers_is_a_share(value):
    with pytest.raises(ValueError, match="older_writers"):
        RealisticParams(older_writers=value)


def test_generate_takes_older_writers(tmp_path, capsys):
    out = tmp_path / "older.sqlite"
    argv = ["generate", "--profile", "realistic", "--messages", "60", "--out", str(out)]
    assert main([*argv, "--set", "older_writers=0.2"]) == 0
    dataset = open_dataset(out)
    try:
        assert dataset.manifest["origin"]["params"]["older_writers"] == 0.2
    finally:
        dataset.close()
    capsys.readouterr()
    assert main([*argv, "--set", "older_writers=2"]) == 2
    assert "older_writers must be a probability" in capsys.readouterr().err


# --- JavaScriptCore (Bun) ------------------------------------------------------------------------

BUILD_ROWS = """
import { makeStrategy } from "JSC/strategies.mjs";
import { access } from "JSC/workloads.mjs";
const { messages, parts } = JSON.parse(await Bun.file(process.argv[2]).text());
const found = {};
for (const name of ["spread", "fixed", "cached:spread", "cached:fixed"]) {
  const strategy = makeStrategy(name);
  const infos = messages.map(strategy.info);
  found[name] = { infos, parts: parts.map(strategy.part), access: access(infos, 2) };
}
console.log(JSON.stringify(found));
"""


def test_the_javascript_builders_build_older_rows(bun_exe, tmp_path):
    stored = older_stored()
    messages = [message for message, _ in stored]
    parts = [part for _, own in stored for part in own]
    rows = tmp_path / "rows.json"
    rows.write_text(
        json.dumps(
            {
                "messages": [dict(zip(canonical.MESSAGE_COLUMNS, row)) for row in messages],
                "parts": [dict(zip(canonical.PART_COLUMNS, row)) for row in parts],
            }
        )
    )
    script = tmp_path / "build_rows.mjs"
    script.write_text(BUILD_ROWS.replace("JSC/", f"{bun.JOB_SCRIPT.parent}/"))
    done = subprocess.run([bun_exe, str(script), str(rows)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for name, found in json.loads(done.stdout).items():
        assert found["access"] == expected_access(messages, 2), name
        for row, obj in zip(messages, found["infos"]):
            assert info_difference(row, obj) is None, (name, row[0])
        for row, obj in zip(parts, found["parts"]):
            assert part_difference(row, obj) is None, (name, row[0])
