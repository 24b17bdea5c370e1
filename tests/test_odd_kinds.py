"""Rows whose ``role`` or part ``type`` is none the schema lists — another string, or no string at all
(a number, null, a list, an object, true, no such key) — build as the schema says in every strategy:
a message as the table's default kind (opencode's user) keeping its own value, a part as its dict.
Through every strategy, the builders made from a schema object, the code ``codegen`` prints, the
measurers' job protocol and Bun's runner."""

import json
import subprocess
import sys

import opencode_layout
import pytest
from runs import one_line_error
from strategy_checks import strict_difference, usable

from harness import canonical
from harness.cli import main
from harness.generate import generate
from harness.runtime import bun_install as bun
from harness.schemas import OPENCODE
from harness.schemas.codegen import python_source
from harness.schemas.stored import schema_of, schema_path
from harness.store import open_dataset
from harness.strategies import all_strategies, for_schema, get
from harness.strategies.equivalence import (
    canonical_info,
    canonical_part,
    difference,
    first_difference,
    first_schema_difference,
    info_difference,
    part_difference,
)

#: A stand-in for a row without the key at all.
MISSING = object()
ODD = {"5": 5, "null": None, "[]": [], "{}": {}, "true": True, "missing": MISSING, "unknown string": "system"}
SESSION = "ses_0000000000aaOddKindsSession"
#: Dict spreads keep the keys outside the fixed lists; every other strategy drops them.
SPREADS = {"spread", "spread-filled"}


def with_kind(key, value, data):
    """``data`` with ``key`` first, holding ``value`` (left out for ``MISSING``)."""
    return data if value is MISSING else {key: value, **data}


def odd_info(role):
    """A message of that role with user keys, assistant keys and a legacy key."""
    data = {"time": {"created": 1}, "agent": "build", "tools": {"bash": True}, "cost": 1.5, "finish": "stop"}
    return with_kind("role", role, {**data, "summary": {"title": "t"}, "mode": "legacy"})


def odd_part(kind):
    """A part of that type with a text part's keys and one of its own."""
    return with_kind("type", kind, {"text": "hi", "time": {"start": 1}, "own": [1, {"a": None}]})


def odd_records():
    """Stored records: per odd value, a message of that role holding a part of that type and a text part."""
    records = []
    for number, value in enumerate(ODD.values()):
        message_id = f"msg_{number:012x}OddKinds{number:04d}"
        message = (message_id, SESSION, number, number, json.dumps(odd_info(value)))
        parts = [
            (f"prt_{number:012x}OddKinds{number:04d}{index}", message_id, SESSION, number, number, json.dumps(data))
            for index, data in enumerate((odd_part(value), {"type": "text", "text": "plain"}))
        ]
        records.append((message, parts))
    return records


@pytest.mark.parametrize("name", sorted(all_strategies()) + ["cached:fixed", "cached:msgspec-decode"])
def test_every_strategy_builds_odd_kinds_as_the_schema_says(name):
    strategy = usable(get(name), name)
    records = odd_records()
    if strategy.control:  # its objects need not hold the row's content, but it must build every row
        assert all(strategy.info(message) is not None for message, _ in records)
        assert all(strategy.part(part) is not None for _, parts in records for part in parts)
        return
    assert first_difference(strategy, records) is None  # reads what spread reads
    if name not in SPREADS:
        assert strict_difference(strategy, records) is None  # and nothing else


def test_the_content_is_the_default_kinds():
    """What the equivalence checks hold every strategy to: a user's keys with the stored role, a part's
    every stored key."""
    for (message, parts), value in zip(odd_records(), ODD.values()):
        info = canonical_info(message)
        assert set(info) == {"time", "agent", "tools", "summary", "id", "sessionID"} | (
            set() if value in (None, MISSING) else {"role"}
        )
        assert info.get("role") == (None if value is MISSING else value)
        stored = {key for key, found in json.loads(parts[0][-1]).items() if found is not None}
        assert set(canonical_part(parts[0])) == stored | {"id", "sessionID", "messageID"}


@pytest.mark.parametrize(
    "name", sorted(name for name, cls in all_strategies().items() if "schema_build" in vars(cls) and not cls.control)
)
def test_the_builders_from_opencodes_schema_object_build_odd_kinds(name):
    strategy = usable(for_schema(get(name), OPENCODE), name)
    assert first_difference(strategy, odd_records()) is None


# --- a schema inferred from imported rows --------------------------------------------------------------


@pytest.fixture(scope="module")
def notes(tmp_path_factory):
    """Imported rows of two kinds on ``kind`` with, among 700, a row per odd value of ``kind`` (a
    string they do not list would be a kind of its own); the dataset and its schema."""
    directory = tmp_path_factory.mktemp("notes")
    rows = [
        {"kind": ("note", "task")[i % 2], "n": i, **({"done": False} if i % 2 else {"text": "t"})} for i in range(700)
    ]
    for number, value in enumerate(value for value in ODD.values() if not isinstance(value, str)):
        rows.insert(100 * number + 50, with_kind("kind", value, {"n": number, "text": "odd"}))
    (directory / "notes.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    out = directory / "notes.sqlite"
    assert main(["import", "rows", "--jsonl", str(directory / "notes.jsonl"), "--out", str(out)]) == 0
    dataset = open_dataset(out)
    try:
        schema, records = schema_of(dataset.manifest), list(dataset.stored_records())
    finally:
        dataset.close()
    assert schema.message.discriminator == "kind" and schema.message.default == "note"
    return out, schema, records


def test_every_strategy_of_an_imported_schema_builds_odd_kinds_as_its_default(notes):
    _, schema, records = notes
    sums = {}
    for name in sorted(all_strategies()):
        strategy = get(name, schema)
        if not strategy.available()[0]:
            continue
        if not strategy.control:  # a control's objects need not hold the row's content
            assert first_schema_difference(strategy, schema, records) is None, name
        sums[name] = strategy.access([strategy.info(message) for message, _ in records], 2)
    assert len(sums) >= 5 and len(set(sums.values())) == 1, sums


def test_the_printed_slots_code_builds_odd_kinds_as_the_default(notes):
    _, schema, records = notes
    namespace = {}
    exec(python_source(schema, "slots"), namespace)
    odd = [
        json.loads(message[-1]) for message, _ in records if not isinstance(json.loads(message[-1]).get("kind"), str)
    ]
    assert len(odd) == 6
    for data in odd:
        obj = namespace["message_from_dict"](data)
        assert type(obj).__name__ == "NoteMessage" and obj.kind == data.get("kind") and obj.text == "odd"


@pytest.mark.requires("msgspec")
@pytest.mark.parametrize("style", ["msgspec", "msgspec-lazy"])
def test_the_printed_msgspec_code_builds_odd_kinds_as_the_other_class(notes, style):
    import msgspec

    _, schema, records = notes
    namespace = {}
    exec(compile(python_source(schema, style), "<printed>", "exec", dont_inherit=True), namespace)
    for message, _ in records:
        data = json.loads(message[-1])
        if isinstance(data.get("kind"), str):
            continue
        obj = namespace["message_from_json"](message[-1])
        assert type(obj) is namespace["MESSAGE_OTHER"] and obj.kind == data.get("kind")
        built = msgspec.to_builtins(obj, enc_hook=lambda raw: json.loads(bytes(raw)))
        assert built == {key: found for key, found in data.items() if found is not None}  # None: a default


# --- jobs on an opencode database holding such rows --------------------------------------------------


@pytest.fixture(scope="module")
def odd_dataset(tmp_path_factory):
    """An opencode database (opencode's own layout) of 20 generated messages and the odd rows,
    imported by ``harness import opencode``."""
    directory = tmp_path_factory.mktemp("odd")
    stored = list(canonical.to_stored(generate("realistic", 3, 20, sessions=1).records)) + odd_records()
    conn = opencode_layout.create(directory / "odd.db", journal="delete")
    try:
        opencode_layout.fill(conn, stored)
    finally:
        conn.close()
    out = directory / "odd.sqlite"
    assert main(["import", "opencode", str(directory / "odd.db"), "--out", str(out)]) == 0
    return out, len(stored)


#: Per measurer: its smallest parameters and extra arguments.
MEASURERS = {
    "timing": ({}, ("--debug-single-value", "--quiet")),
    "gcprobe": ({"rounds": 1}, ()),
    "memory": ({"flamegraph": False}, ()),
}


def run_job(tmp_path, measurer, strategy, dataset, size, **fields):
    """A ``hydrate_all`` job of ``measurer`` run by its module at its smallest settings: (the process,
    where its result goes)."""
    usable(get(strategy), strategy)
    params, extra = MEASURERS[measurer]
    job, out = tmp_path / "job.json", tmp_path / "result.json"
    fields = {"id": "j", "measurer": measurer, "strategy": strategy, "workload": "hydrate_all", **fields}
    job.write_text(json.dumps({**fields, "dataset": str(dataset), "size": size, "params": params}))
    argv = ["--job", str(job), "--out", str(out), *extra]
    done = subprocess.run([sys.executable, "-m", f"harness.measure.{measurer}", *argv], capture_output=True, text=True)
    return done, out


#: One strategy per way of looking the kind up, each given to another measurer (all of them: slow).
QUICK = [("timing", "msgspec-decode"), ("gcprobe", "slots"), ("memory", "pydantic"), ("timing", "instance-dict")]


def check_job(tmp_path, odd_dataset, measurer, strategy):
    done, out = run_job(tmp_path, measurer, strategy, *odd_dataset)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    result = json.loads(out.read_text())
    assert result["status"] == "ok" and result["figures"], result


@pytest.mark.integration
@pytest.mark.parametrize(("measurer", "strategy"), QUICK)
def test_a_job_on_odd_kinds_is_ok(tmp_path, odd_dataset, measurer, strategy):
    check_job(tmp_path, odd_dataset, measurer, strategy)


@pytest.mark.slow
@pytest.mark.parametrize("measurer", sorted(MEASURERS))
@pytest.mark.parametrize("strategy", sorted(name for name, cls in all_strategies().items() if not cls.control))
def test_every_job_on_odd_kinds_is_ok(tmp_path, odd_dataset, measurer, strategy):
    check_job(tmp_path, odd_dataset, measurer, strategy)


@pytest.mark.integration
@pytest.mark.parametrize(("measurer", "strategy"), [("timing", "spread"), ("timing", "slots"), ("memory", "fixed")])
def test_the_access_loop_names_a_role_it_cannot_take_the_length_of(tmp_path, odd_dataset, measurer, strategy):
    """The rows build, but the seed's loop takes ``len(role)`` of every info: a role of 5 or none is
    one line naming the message, exit 2, never a traceback from inside the loop."""
    done, out = run_job(tmp_path, measurer, strategy, *odd_dataset, workload="access")
    line = one_line_error(done)
    assert "its 'role' is" in line and "the access loop takes the length of it" in line, line
    assert not out.exists()


@pytest.mark.integration
@pytest.mark.parametrize("strategy", ["slots", "msgspec-nogc"])
def test_a_timing_worker_meeting_a_row_its_schema_does_not_fit_is_one_line_and_exit_2(tmp_path, notes, strategy):
    """A schema file whose discriminator the rows lack (and no default kind): the worker meets the row
    while timing, says so in one line, and the job process exits 2 without a second line or a result."""
    dataset, _, _ = notes
    value = json.loads(schema_path(dataset).read_text())
    value["tables"]["message"].update(discriminator="sort", default=None)
    misfit = tmp_path / "misfit.schema.json"
    misfit.write_text(json.dumps(value))
    done, out = run_job(tmp_path, "timing", strategy, dataset, 10, schema=str(misfit))
    assert "does not fit schema 'notes'" in one_line_error(done)
    assert not out.exists() and not out.with_name("result.pyperf.json").exists()


# --- Bun ----------------------------------------------------------------------------------------------

BUILD = """
import { Database } from "bun:sqlite";
import { STRATEGY_NAMES, makeStrategy } from "JSC/strategies.mjs";
const db = new Database(process.argv[2], { readonly: true });
const messages = db.query("SELECT id, session_id, time_created, time_updated, data FROM message").all();
const parts = db.query("SELECT id, message_id, session_id, time_created, time_updated, data FROM part").all();
const found = {};
for (const name of STRATEGY_NAMES) {
  const strategy = makeStrategy(name);
  found[name] = { infos: messages.map(strategy.info), parts: parts.map(strategy.part) };
}
console.log(JSON.stringify(found));
"""


def test_bun_builds_odd_kinds_as_the_schema_says(bun_exe, odd_dataset, tmp_path):
    dataset, size = odd_dataset
    script = tmp_path / "build.mjs"
    script.write_text(BUILD.replace("JSC/", f"{bun.JOB_SCRIPT.parent}/"))
    done = subprocess.run([bun_exe, str(script), str(dataset)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    built = json.loads(done.stdout)
    opened = open_dataset(dataset)
    try:
        records = list(opened.stored_records())
    finally:
        opened.close()
    messages = {message[0]: message for message, _ in records}
    parts = {part[0]: part for _, own in records for part in own}
    assert len(messages) == size and len(built) == 4
    for name, objects in built.items():  # JSON.stringify leaves undefined out: absent, as None is
        spread = name.endswith("spread")  # keeps the keys outside the fixed lists
        for info in objects["infos"]:
            row = messages[info["id"]]
            assert (info_difference(row, info) if spread else difference(canonical_info(row), info)) is None, name
        for part in objects["parts"]:
            row = parts[part["id"]]
            assert (part_difference(row, part) if spread else difference(canonical_part(row), part)) is None, name


def test_a_bun_job_on_odd_kinds_is_ok(bun_exe, odd_dataset, tmp_path):
    dataset, size = odd_dataset
    job, out = tmp_path / "job.json", tmp_path / "result.json"
    fields = {"id": "j", "measurer": "timing", "strategy": "cached:fixed", "workload": "hydrate_all", "size": size}
    job.write_text(json.dumps({**fields, "dataset": str(dataset), "params": {"pyperf": {"values": 2, "warmups": 1}}}))
    argv = [bun_exe, str(bun.JOB_SCRIPT), "--job", str(job), "--out", str(out)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["status"] == "ok"
