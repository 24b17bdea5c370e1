"""``harness import rows``: the dataset it stores, the schema beside it, the strategies built from that
schema, the workloads that take or refuse it, and every kind of bad input (one line, exit 2, no file)."""

import json
import sqlite3

import pytest

from harness.cli import main
from harness.protocol.job import Job, JobError
from harness.schemas import OPENCODE, dumps, load_schema
from harness.schemas.codec import from_json, to_json
from harness.schemas.codegen import python_source
from harness.schemas.stored import schema_path
from harness.store import manifest_path, open_dataset
from harness.strategies import all_strategies, for_schema, get
from harness.strategies.equivalence import difference, first_schema_difference
from harness.strategies.fixed import Fixed
from harness.workloads.binding import first_rows, prepare

#: Strategies every schema must build (the issue's list).
FROM_SCHEMA = ("spread", "fixed", "slots", "dataclass", "msgspec", "msgspec-nogc", "msgspec-lazy", "slots-lazy")


def order_rows(count=240):
    """Rows of an application of its own: three kinds on ``kind``, a record of tags, a key that is
    not a Python identifier, an optional field, a nested array of objects."""
    rows = []
    for i in range(count):
        kind = ("order", "order", "refund", "note")[i % 4]
        row = {"kind": kind, "at": i * 1.5 if i % 2 else i}
        if kind == "order":
            row.update(
                amount=i, items=[{"sku": f"s{i % 7}", "n": i % 3}], tags={f"t{(i + j) % 40}": j for j in range(3)}
            )
            if i % 3:
                row["coupon-code"] = "X"
        elif kind == "refund":
            row.update(amount=2.5, reason=None if i % 3 else "late", **{"class": 3})
        else:
            row["text"] = "hi" if i % 8 else ""
        rows.append(row)
    return rows


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    directory = tmp_path_factory.mktemp("rows")
    source = write_jsonl(directory / "orders.jsonl", order_rows())
    out = directory / "orders.sqlite"
    assert main(["import", "rows", "--jsonl", str(source), "--out", str(out)]) == 0
    return out


def error_line(capsys):
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


def test_dataset_verifies_and_records_its_schema(imported):
    dataset = open_dataset(imported, verify=True)
    try:
        assert dataset.manifest["messages"] == 240 and dataset.manifest["parts"] == 0
        schema = from_json(dataset.manifest["schema"])
        messages, parts = first_rows(dataset, 240)
    finally:
        dataset.close()
    assert load_schema(schema_path(imported)) == schema
    assert json.loads(manifest_path(imported).read_text()) == dataset.manifest
    assert parts == [] and json.loads(messages[5][-1]) == order_rows()[5]
    table = schema.message
    assert table.discriminator == "kind" and [kind.tag for kind in table.kinds] == ["order", "refund", "note"]
    assert table.kind("order").field("tags").type.kind == "record"
    assert table.kind("order").field("coupon-code").required is False


def test_every_listed_strategy_builds_the_rows_content_and_reads_the_same(imported):
    dataset = open_dataset(imported)
    try:
        schema = from_json(dataset.manifest["schema"])
        messages, _ = first_rows(dataset, 240)
    finally:
        dataset.close()
    sums = {}
    for name in FROM_SCHEMA:
        strategy = get(name, schema)
        ok, reason = strategy.available()
        if not ok:
            assert "not installed" in reason or "not supported" in reason
            continue
        assert first_schema_difference(strategy, schema, [(row, []) for row in messages]) is None, name
        objects = [strategy.info(row) for row in messages]
        assert all(set(strategy.to_dict(obj)) <= set(json.loads(row[-1])) for row, obj in zip(messages, objects))
        sums[name] = strategy.access(objects, 2)
    assert len(set(sums.values())) == 1, sums
    assert len(sums) >= 5


def test_built_in_schema_gives_the_registered_strategies_and_others_say_why_not(imported):
    for name, strategy in all_strategies().items():
        assert get(name, OPENCODE) is strategy
    schema = load_schema(schema_path(imported))
    assert get("namedtuple", schema).available() == (True, "")  # every built-in family builds from a schema

    class Handwritten(Fixed):  # a subclass does not inherit its base's builder
        name = "handwritten"

    ok, reason = for_schema(Handwritten, schema).available()
    assert not ok and "opencode's schema" in reason


def test_census_works_and_names_the_schema(imported, capsys):
    assert main(["census", "--dataset", str(imported), "--strategies", "slots,msgspec-nogc", "--json"]) in (0,)
    report = json.loads(capsys.readouterr().out)
    assert report["schema"] == "orders" and report["info_shapes_fixed"] == 3
    assert report["info_shapes_spread"] > report["info_shapes_fixed"]
    # the schema's records (tags, keyed by data) are counted as records; the items objects as one nested shape
    assert report["nested_shapes"] == 1 and report["record_shapes"] > 10


def job(dataset, **fields):
    return Job.from_dict({"id": "j", "measurer": "census", "strategy": "slots", "dataset": str(dataset), **fields})


@pytest.mark.parametrize("workload", ["page", "filter_compacted", "run_loop"])
def test_read_path_workloads_refuse_imported_rows(imported, workload):
    from harness.measure.catalogue import check

    checked = check(job(imported, workload=workload, size=10, measurer="timing"))
    with pytest.raises(JobError, match="reads opencode's sessions"):
        prepare(checked)


def test_access_reads_the_named_fields(imported):
    from harness.measure.catalogue import check

    default = prepare(check(job(imported, workload="access", size=40, measurer="timing")))
    named = prepare(check(job(imported, workload="access", size=40, measurer="timing", params={"read": "amount,at"})))
    try:
        assert default.units == 40 * 200 * len(load_schema(schema_path(imported)).access)
        assert named.units == 40 * 200 * 2
        expected = 200 * sum((row.get("amount") or 0) + row["at"] for row in order_rows()[:40])
        assert named.run() == expected
    finally:
        default.close()
        named.close()


def test_opencode_datasets_keep_the_seed_reads(dataset):
    from harness.measure.catalogue import check

    with pytest.raises(JobError, match="opencode's keeps the seed's reads"):
        prepare(check(job(dataset, workload="access", size=10, measurer="timing", params={"read": "cost"})))


def test_an_edited_schema_is_used_when_given(imported, tmp_path, capsys):
    edited = to_json(load_schema(schema_path(imported)))
    edited["tables"]["message"]["kinds"]["order"]["tags"] = {"*": "int"}
    edited["access"] = {"amount": "add"}
    path = tmp_path / "edited.schema.json"
    path.write_text(json.dumps(edited))
    from harness.measure.catalogue import check

    prepared = prepare(check(job(imported, workload="access", size=20, measurer="timing", schema=str(path))))
    try:
        assert prepared.units == 20 * 200
    finally:
        prepared.close()
    edited["access"] = {"amount": "double"}
    path.write_text(json.dumps(edited))
    assert main(["census", "--dataset", str(imported), "--schema", str(path)]) == 2
    assert str(path) in error_line(capsys)


@pytest.mark.requires("msgspec")
def test_generated_code_for_an_inferred_schema_decodes_the_rows(imported):
    import msgspec

    schema = load_schema(schema_path(imported))
    namespace = {}
    exec(compile(python_source(schema, "msgspec"), "generated.py", "exec"), namespace)
    slots = {}
    exec(compile(python_source(schema, "slots"), "generated.py", "exec"), slots)
    for row in order_rows():
        text = json.dumps(row).encode()
        content = {k: v for k, v in row.items() if v is not None}
        assert difference(content, msgspec.to_builtins(namespace["message_from_json"](text))) is None
        obj = slots["message_from_dict"](row)
        built = {key: getattr(obj, attr) for key, attr in zip(obj._keys, obj.__slots__)}
        assert difference(content, built) is None


def test_sqlite_source_with_id_group_and_order_columns(tmp_path):
    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE events (pk TEXT, user TEXT, seq INTEGER, body TEXT, other BLOB)")
    rows = order_rows(40)
    conn.executemany(
        "INSERT INTO events VALUES (?, ?, ?, ?, NULL)",
        [(f"e{i}", f"u{i % 3}", 100 - i, json.dumps(row)) for i, row in enumerate(rows)],
    )
    conn.commit()
    conn.close()
    out = tmp_path / "events.sqlite"
    argv = ["import", "rows", "--sqlite", str(db), "--table", "events", "--data-column", "body"]
    assert main([*argv, "--id-column", "pk", "--group-column", "user", "--order-column", "seq", "--out", str(out)]) == 0
    dataset = open_dataset(out)
    try:
        stored = dataset.conn.execute("SELECT id, session_id, time_created FROM message ORDER BY rowid").fetchall()
    finally:
        dataset.close()
    assert stored[0] == ("e39", "u0", 61) and stored[-1] == ("e0", "u0", 100)
    assert {session for _, session, _ in stored} == {"u0", "u1", "u2"}


def sqlite_table(path, body_rows):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (id TEXT, data TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", body_rows)
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize(
    "make, extra, message",
    [
        (lambda p: (p / "a.jsonl").write_text('{"a": 1}\n{oops\n'), (), "a.jsonl line 2: not JSON"),
        (lambda p: (p / "a.jsonl").write_text('{"a": 1}\n\n[1, 2]\n'), (), "a.jsonl line 3: not a JSON object"),
        (lambda p: (p / "a.jsonl").write_bytes(b'{"a": "\xff"}\n'), (), "a.jsonl line 1: not UTF-8"),
        (lambda p: (p / "a.jsonl").write_text('{"a": 1}\n{"a": NaN}\n'), (), "line 2: not JSON (NaN is no JSON"),
        (lambda p: (p / "a.jsonl").write_text('{"a": [Infinity]}\n'), (), "line 1: not JSON (Infinity is no JSON"),
        (lambda p: (p / "a.jsonl").write_text('{"a": {"b": -Infinity}}\n'), (), "not JSON (-Infinity is no JSON"),
        (lambda p: (p / "a.jsonl").write_text('{"a": 1}\n{"a": 1e400}\n'), (), "line 2: not JSON (1e400 is beyond"),
        (lambda p: sqlite_table(p / "a.db", [("1", '{"a": -1E+999}')]), ("--table", "t"), "row 1: not JSON (-1E+999"),
        (lambda p: (p / "a.jsonl").write_text('{"a": 1}\n{"b": 1}\n{"c": 1}\n'), (), "no common structure"),
        (lambda p: (p / "a.jsonl").write_text(""), (), "no rows"),
        (lambda p: (p / "a.db").write_text("not a database at all" * 50), ("--table", "t"), "not a readable SQLite"),
        (lambda p: sqlite_table(p / "a.db", [("1", "{}")]), ("--table", "missing"), "has no table 'missing'"),
        (lambda p: sqlite_table(p / "a.db", [("1", "{}")]), ("--table", "t", "--id-column", "pk"), "no column 'pk'"),
        (lambda p: sqlite_table(p / "a.db", [("1", '{"a": 1}'), ("2", "3")]), ("--table", "t"), "row 2: not a JSON"),
        (
            lambda p: sqlite_table(p / "a.db", [("1", '{"a": 1}'), ("2", None)]),
            ("--table", "t"),
            "row 2: column 'data' holds NULL",
        ),
        (
            lambda p: sqlite_table(p / "a.db", [("1", '{"a": 1}'), ("1", '{"a": 2}')]),
            ("--table", "t", "--id-column", "id"),
            "duplicate id '1'",
        ),
        (  # row 2300 repeats the id of row 5, two thousand rows (a batch) before it
            lambda p: sqlite_table(p / "a.db", [(str(5 if n == 2300 else n), '{"a": 1}') for n in range(1, 2501)]),
            ("--table", "t", "--id-column", "id"),
            "duplicate id '5';",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_dataset(tmp_path, capsys, make, extra, message):
    source = tmp_path / "in"
    source.mkdir()
    make(source)
    out = tmp_path / "out.sqlite"
    if (source / "a.jsonl").exists():
        argv = ["import", "rows", "--jsonl", str(source / "a.jsonl")]
    else:
        argv = ["import", "rows", "--sqlite", str(source / "a.db"), "--data-column", "data", *extra]
        extra = ()
    assert main([*argv, *extra, "--out", str(out)]) == 2
    assert message in error_line(capsys)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in"]


def test_a_byte_order_mark_is_no_row(tmp_path):
    source = tmp_path / "bom.jsonl"
    source.write_bytes(b"\xef\xbb\xbf" + json.dumps({"a": 1}).encode() + b"\n")
    assert main(["import", "rows", "--jsonl", str(source), "--out", str(tmp_path / "bom.sqlite")]) == 0


def test_usage_errors(tmp_path, capsys):
    source = write_jsonl(tmp_path / "a.jsonl", order_rows(4))
    assert main(["import", "rows", "--jsonl", str(source), "--table", "t"]) == 2
    assert "belong to --sqlite" in error_line(capsys)
    assert main(["import", "rows", "--sqlite", str(source)]) == 2
    assert "--sqlite needs --table and --data-column" in error_line(capsys)


def test_list_says_which_workloads_refuse_imported_rows(capsys):
    assert main(["list"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.startswith(" ")}
    assert "opencode datasets only" in lines["page"] and "opencode datasets only" not in lines["hydrate_all"]


def test_schema_file_is_readable_json(imported):
    text = schema_path(imported).read_text()
    assert text == dumps(load_schema(schema_path(imported)))
    assert '"tags": {\n' in text and '"*": "int"' in text


def test_schema_equivalence_finds_a_lost_field(imported):
    schema = load_schema(schema_path(imported))
    dataset = open_dataset(imported)
    try:
        messages, _ = first_rows(dataset, 8)
    finally:
        dataset.close()
    fixed = get("fixed", schema)

    class Lossy(fixed):
        to_dict = staticmethod(lambda obj: {k: v for k, v in obj.items() if k != "amount" and v is not None})

    assert first_schema_difference(Lossy, schema, [(row, []) for row in messages]) == (
        "1",
        "amount: expected 0, found None",
    )


@pytest.mark.parametrize("profile, messages", [("reference", 300), ("realistic", 400)])
def test_the_builders_applied_to_opencodes_schema_match_the_registered_strategies(profile, messages):
    """``get(name, OPENCODE)`` is the registered strategy; building it from the OPENCODE object instead
    (``for_schema``) keeps every opencode row's content and gives today's access float exactly."""
    from harness.canonical import to_stored
    from harness.generate import generate
    from harness.strategies import for_schema
    from harness.strategies.equivalence import first_difference

    stored = list(to_stored(generate(profile, 5, messages).records))
    messages_rows = [message for message, _ in stored]
    checked = 0
    for name in FROM_SCHEMA:
        registered, built = get(name), for_schema(get(name), OPENCODE)
        if not built.available()[0]:
            continue
        assert first_difference(built, stored) is None, name
        today = registered.access([registered.info(row) for row in messages_rows], 2)
        assert built.access([built.info(row) for row in messages_rows], 2) == today, name
        checked += 1
    assert checked >= 6


def test_an_import_never_writes_over_its_own_source(tmp_path, capsys, imported):
    """A harness dataset is an SQLite table of JSON rows, so it imports; ``--out`` naming it must not replace it."""
    copy = tmp_path / "orders.sqlite"
    copy.write_bytes(imported.read_bytes())
    capsys.readouterr()
    argv = ["--sqlite", str(copy), "--table", "message", "--data-column", "data", "--out", str(copy)]
    assert main(["import", "rows", *argv]) == 2
    assert "over the file it is made from" in error_line(capsys)
    assert copy.read_bytes() == imported.read_bytes()
