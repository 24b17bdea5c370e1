"""Tests of the ``realistic`` profile: determinism, schema conformance, ids, compaction, variety."""

from __future__ import annotations

import ast
import dataclasses
import json
from functools import cache
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.canonical import MESSAGE_COLUMNS, PART_COLUMNS
from harness.generate import realistic
from harness.generate.realistic import LEGACY_INFO_KEYS, generate_realistic
from harness.generate.realistic_params import RealisticParams
from harness.generate.writers import CLIENTS, WRITERS
from harness.jsonfmt import js_dumps
from harness.schema import INFO_IDS, INFO_KEYS, NESTED_KEYS, PART_IDS, PART_KEYS, PART_TYPES

Rows = List[Tuple[dict, List[dict]]]
ERROR_NAMES = {
    "ProviderAuthError",
    "UnknownError",
    "MessageOutputLengthError",
    "MessageAbortedError",
    "StructuredOutputError",
    "ContextOverflowError",
    "APIError",
}


DEFAULTS = RealisticParams()


@cache
def _generate(seed: int, messages: int, params: RealisticParams = DEFAULTS) -> Tuple[Rows, int]:
    return generate_realistic(seed, messages, params)


def _default_5k() -> Rows:
    return _generate(7, 5000)[0]


def _key_tuples(rows: Rows) -> Tuple[Set[tuple], Set[tuple]]:
    infos = {tuple(row["data"]) for row, _ in rows}
    parts = {tuple(part["data"]) for _, row_parts in rows for part in row_parts}
    return infos, parts


# --- invariants, shared by the example tests and the property test ----------------------------------


def check_schema(rows: Rows) -> None:
    for row, parts in rows:
        assert tuple(row) == MESSAGE_COLUMNS
        role = row["data"]["role"]
        allowed = set(INFO_KEYS[role]) - set(INFO_IDS) | set(LEGACY_INFO_KEYS[role])
        assert set(row["data"]) <= allowed, (role, set(row["data"]) - allowed)
        for part in parts:
            assert tuple(part) == PART_COLUMNS
            kind = part["data"]["type"]
            assert kind in PART_TYPES
            assert set(part["data"]) <= set(PART_KEYS[kind]) - set(PART_IDS), (kind, tuple(part["data"]))


def check_ids_and_times(rows: Rows) -> None:
    seen: Set[str] = set()
    by_session: Dict[str, List[str]] = {}
    for row, parts in rows:
        assert row["id"].startswith("msg_") and len(row["id"]) == 4 + 12 + 14
        assert row["data"]["time"]["created"] == row["time_created"] <= row["time_updated"]
        assert row["id"][4:16] == f"{(row['time_created'] * 0x1000) % 16**12:012x}"
        ids = by_session.setdefault(row["session_id"], [])
        ids.append(row["id"])
        for part in parts:
            assert part["id"].startswith("prt_") and len(part["id"]) == 4 + 12 + 14
            assert part["message_id"] == row["id"] and part["session_id"] == row["session_id"]
            assert part["time_created"] <= part["time_updated"]
            ids.append(part["id"])
        for identifier in [row["id"]] + [part["id"] for part in parts]:
            assert identifier not in seen
            seen.add(identifier)
    for session, ids in by_session.items():
        assert session.startswith("ses_")
        times = [identifier[4:16] for identifier in ids]  # after the 3-letter prefix and "_"
        assert all(a < b for a, b in zip(times, times[1:])), "ids must sort in creation order"


def check_compactions(rows: Rows) -> int:
    """Each compaction user is followed by its summary assistant; tail_start_id names an earlier user."""
    count = 0
    users_since: Dict[str, List[str]] = {}  # session -> regular user ids since its last compaction
    for index, (row, parts) in enumerate(rows):
        session, data = row["session_id"], row["data"]
        compactions = [part["data"] for part in parts if part["data"]["type"] == "compaction"]
        if data["role"] == "assistant":
            if data.get("summary"):
                parent_row, parent_parts = next((r, p) for r, p in rows if r["id"] == data["parentID"])
                assert any(part["data"]["type"] == "compaction" for part in parent_parts)
                assert data["mode"] == data["agent"] == "compaction"
                assert ("finish" in data) != ("error" in data) and data.get("finish", "stop") == "stop"
            continue
        if not compactions:
            users_since.setdefault(session, []).append(row["id"])
            continue
        count += 1
        assert len(compactions) == 1
        following, _ = rows[index + 1]
        assert following["session_id"] == session and following["data"]["role"] == "assistant"
        assert following["data"]["summary"] is True and following["data"]["parentID"] == row["id"]
        tail = compactions[0].get("tail_start_id")
        if tail is not None:
            assert tail in users_since.get(session, [])
        users_since[session] = []
    return count


def check_all(rows: Rows, messages: int) -> None:
    assert len(rows) == messages
    check_schema(rows)
    check_ids_and_times(rows)
    check_compactions(rows)
    for row, parts in rows:
        for record in [row] + parts:
            assert json.loads(js_dumps(record)) == record


# --- tests ----------------------------------------------------------------------------------------


def test_deterministic_and_seed_dependent() -> None:
    rows, calls = generate_realistic(3, 400)
    again, calls_again = generate_realistic(3, 400)
    other, _ = generate_realistic(4, 400)
    assert rows == again and calls == calls_again
    assert calls > 400 * 10
    assert rows != other


def test_message_count_and_empty_sessions() -> None:
    assert generate_realistic(1, 0)[0] == []
    rows, _ = generate_realistic(1, 3, RealisticParams(sessions=8))
    assert len(rows) == 3
    assert len({row["session_id"] for row, _ in rows}) <= 3


def test_all_part_types_at_5k() -> None:
    kinds = {part["data"]["type"] for _, parts in _default_5k() for part in parts}
    assert kinds == set(PART_TYPES)


def test_all_error_variants_appear() -> None:
    rows, _ = _generate(11, 3000, RealisticParams(assistant_error_prob=0.5))
    names = {row["data"]["error"]["name"] for row, _ in rows if "error" in row["data"]}
    retry = {part["data"]["error"]["name"] for _, parts in rows for part in parts if part["data"]["type"] == "retry"}
    assert names == ERROR_NAMES
    assert retry == {"APIError"}


def test_default_5k_invariants() -> None:
    rows = _default_5k()
    check_all(rows, 5000)
    assert check_compactions(rows) >= 5


def test_assistant_shapes() -> None:
    rows = _default_5k()
    assistants = [row["data"] for row, _ in rows if row["data"]["role"] == "assistant"]
    users = {row["id"]: row["data"] for row, _ in rows if row["data"]["role"] == "user"}
    assert all(data["parentID"] in users for data in assistants if data.get("parentID") is not None)
    assert all(data.get("parentID") for data in assistants if "mode" in data)  # only older writers' lack it
    assert any("total" in data["tokens"] for data in assistants)
    assert any("total" not in data["tokens"] for data in assistants)
    assert any("completed" not in data["time"] for data in assistants)
    assert {data["finish"] for data in assistants if "finish" in data} >= {"stop", "tool-calls"}
    assert sum("summary" in data for data in users.values()) > len(users) / 2
    states = {part["data"]["state"]["status"] for _, parts in rows for part in parts if part["data"]["type"] == "tool"}
    assert states == {"pending", "running", "completed", "error"}


def test_key_order_variety_and_params_matter() -> None:
    infos, parts = _key_tuples(_default_5k())
    assert len(infos) > 48 and len(parts) > 16
    plain = RealisticParams(
        writer_weights=(0, 0, 0, 1),
        client_weights=(1, 0, 0, 0),
        legacy_key_prob=0.0,
        writer_switch_prob=0.0,
        arg_reorder_prob=0.0,
        older_writers=0.0,
    )
    plain_infos, plain_parts = _key_tuples(_generate(7, 5000, plain)[0])
    assert len(plain_infos) < len(infos) / 2
    assert len(plain_parts) < len(parts)
    legacy = {key for row, _ in _default_5k() for key in row["data"] if key in LEGACY_INFO_KEYS[row["data"]["role"]]}
    assert legacy
    assert not any(
        key in LEGACY_INFO_KEYS[row["data"]["role"]] for row, _ in _generate(7, 5000, plain)[0] for key in row["data"]
    )


def test_params_are_json_ready_and_replaceable() -> None:
    params = dataclasses.replace(RealisticParams(), sessions=2, writer_weights=[1, 1, 1, 1])
    assert params.writer_weights == (1.0, 1.0, 1.0, 1.0)
    assert json.loads(json.dumps(dataclasses.asdict(params)))["sessions"] == 2


@pytest.mark.parametrize(
    "overrides, fragment",
    [
        ({"sessions": 0}, "sessions"),
        ({"sessions": 2.5}, "sessions"),
        ({"avg_parts": -1.0}, "avg_parts"),
        ({"avg_steps": 0.5}, "avg_steps"),
        ({"text_scale": 0.0}, "text_scale"),
        ({"compaction_every": -1}, "compaction_every"),
        ({"interrupt_prob": 1.5}, "interrupt_prob"),
        ({"long_session_share": -0.1}, "long_session_share"),
        ({"writer_weights": (1.0, 2.0)}, "writer_weights"),
        ({"client_weights": (0, 0, 0, 0)}, "client_weights"),
        ({"writer_weights": 3}, "writer_weights"),
        ({"avg_steps": "x"}, "avg_steps"),
        ({"legacy_key_prob": "often"}, "legacy_key_prob"),
        ({"session_paths": 1_000_000_000}, "session_paths must be an integer >= 1 and <= 4096"),
        ({"sessions": 1_000_000_000}, "sessions must be an integer >= 1 and <= 10000"),
        ({"older_writers": 1.5}, "older_writers"),
    ],
)
def test_param_validation(overrides: dict, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        RealisticParams(**overrides)


@pytest.mark.parametrize(
    "name, value, argv",
    [
        ("session_paths", 1_000_000_000, ["--set", "session_paths=1000000000"]),
        ("sessions", 1_000_000_000, ["--set", "sessions=1000000000"]),
        ("sessions", 1_000_000_000, ["--sessions", "1000000000"]),
        ("writer_weights", 3, ["--set", "writer_weights=3"]),
    ],
)
def test_parameters_that_size_a_generation_are_bounded(tmp_path, capsys, name, value, argv) -> None:
    """A path pool or session count of a billion hung ``generate`` (its size estimate builds them)
    while taking all memory; the bound refuses it at once, one line, exit status 2, no file."""
    from harness.cli import main

    with pytest.raises(ValueError, match=name):  # first, so that a missing bound fails here, not in a hang
        RealisticParams(**{name: value})
    out = tmp_path / "huge.sqlite"
    assert main(["generate", "--profile", "realistic", "--messages", "10", "--out", str(out), *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("harness generate: error: ") and not out.exists()


def test_messages_validation() -> None:
    with pytest.raises(ValueError, match="messages"):
        generate_realistic(1, -1)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    messages=st.integers(0, 80),
    sessions=st.integers(1, 4),
    compaction_every=st.sampled_from([0, 3, 10]),
    avg_parts=st.sampled_from([0.0, 1.5, 4.0, 9.0]),
)
def test_invariants_property(seed: int, messages: int, sessions: int, compaction_every: int, avg_parts: float) -> None:
    params = RealisticParams(
        sessions=sessions,
        compaction_every=compaction_every,
        avg_parts=avg_parts,
        interrupt_prob=0.2,
        tail_start_prob=1.0,
    )
    rows, calls = generate_realistic(seed, messages, params)
    assert calls >= 0
    check_all(rows, messages)


def _tool_results(rows: Rows, tools: Tuple[str, ...]) -> List[Tuple[str, dict]]:
    """(session id, completed state) of every completed call of ``tools``, in generation order."""
    return [
        (part["session_id"], part["data"]["state"])
        for _, parts in rows
        for part in parts
        if part["data"]["type"] == "tool"
        and part["data"]["tool"] in tools
        and part["data"]["state"]["status"] == "completed"
    ]


def test_diagnostics_are_keyed_by_the_files_the_session_opened() -> None:
    """edit / write results carry the LSP's diagnostics for every file a read, edit or write of the
    session opened before, in the order it first did; the paths come from the session's pool."""
    rows = _default_5k()
    opened: Dict[str, List[str]] = {}
    checked = 0
    for session, state in _tool_results(rows, ("read", "edit", "write")):
        files = opened.setdefault(session, [])
        path = state["input"]["filePath"]
        if path not in files:
            files.append(path)
        if "diagnostics" in state["metadata"]:
            assert list(state["metadata"]["diagnostics"]) == files
            assert all(isinstance(issues, list) for issues in state["metadata"]["diagnostics"].values())
            checked += 1
    assert checked > 20
    assert all(len(files) <= DEFAULTS.session_paths for files in opened.values())
    few = _generate(7, 2000, dataclasses.replace(DEFAULTS, session_paths=3))[0]
    paths = {(session, state["input"]["filePath"]) for session, state in _tool_results(few, ("read", "edit"))}
    for session in {session for session, _ in paths}:
        assert len({path for own, path in paths if own == session}) <= 3


def test_user_tools_are_keyed_by_tool_name() -> None:
    tools = [row["data"]["tools"] for row, _ in _default_5k() if "tools" in row["data"]]
    assert len(tools) > 50
    assert all(isinstance(value, bool) for record in tools for value in record.values())
    assert sum(list(record)[:2] == ["todowrite", "todoread"] for record in tools) > len(tools) / 2
    assert len({tuple(record) for record in tools}) > 5


def test_the_profiles_modules_import_one_way() -> None:
    """The part builders, the params and the writer versions never import the profile module that
    uses them (not even for type checking): no import cycle."""
    for name in ("realistic_parts", "realistic_params", "writers"):
        tree = ast.parse((Path(realistic.__file__).parent / f"{name}.py").read_text())
        modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert "harness.generate.realistic" not in modules, name


def test_the_newest_writers_store_the_schemas_key_orders() -> None:
    """What is a schema fact comes from the schema: today's writer and the usual client store a
    part's type and fields in the schema's order, a tool state's keys too."""
    parts = {kind: keys[: -len(PART_IDS)] for kind, keys in PART_KEYS.items()}
    assert WRITERS[-1].parts == CLIENTS[0] == parts
    assert WRITERS[-1].state == NESTED_KEYS["state"]
    assert all(set(orders) == set(PART_TYPES) for orders in [writer.parts for writer in WRITERS] + list(CLIENTS))
