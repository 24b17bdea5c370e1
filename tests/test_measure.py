"""Measurers on tiny datasets: job protocol, result schema, environment, GC accounting."""

import gc
import json
import subprocess
import sys

import pyperf
import pytest
from conftest import missing
from runs import harness, one_line_error

from harness.canonical import to_stored
from harness.generate import generate
from harness.measure.catalogue import check
from harness.measure.census import nested_key_tuples, strategy_census
from harness.measure.gcprobe import GcProbe
from harness.metrics import fit
from harness.protocol.job import Job, JobError, read_job
from harness.strategies import get
from harness.strategies.base import object_fields
from harness.workloads.binding import prepare, regroup
from harness.workloads.read_site import READERS, population

ENVIRONMENT_KEYS = {"interpreter", "machine", "packages", "fingerprint"}


def run_measurer(name, job_path, out, *extra):
    return subprocess.run(
        [sys.executable, "-m", f"harness.measure.{name}", "--job", str(job_path), "--out", str(out), *extra],
        capture_output=True,
        text=True,
    )


@pytest.mark.integration
def test_timing_writes_figures_environment_and_pyperf_json(tmp_path, dataset, write_job):
    job = write_job(dataset=str(dataset), measurer="timing", workload="access", params={"iterations": 2})
    out = tmp_path / "result.json"
    done = run_measurer("timing", job, out, "--debug-single-value", "--quiet")
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    assert result["status"] == "ok" and result["job"]["strategy"] == "slots"
    assert set(result["environment"]) >= ENVIRONMENT_KEYS
    assert result["environment"]["interpreter"]["version"].count(".") == 2
    figures = {figure["metric"]: figure for figure in result["figures"]}
    assert set(figures) == {"seconds_per_call", "ns_per_read"}
    assert figures["ns_per_read"]["value"] > 0 and figures["ns_per_read"]["unit"] == "ns"
    assert result["extra"]["units"] == 100 * 2 * 7
    stats = subprocess.run(
        [sys.executable, "-m", "pyperf", "stats", result["extra"]["pyperf_json"]], capture_output=True, text=True
    )
    assert stats.returncode == 0 and "Raw value minimum" in stats.stdout
    bench = pyperf.Benchmark.load(result["extra"]["pyperf_json"])
    assert bench.get_name() == "access[slots, small, size=100, iterations=2]"  # dataset stem, workload params
    assert bench.get_metadata()["harness_units"] == 1400


def _messages(workload, outcome):
    """How many messages a workload's result holds, and the parts among them."""
    if workload == "hydrate_all":
        infos, parts = outcome
        return len(infos), len(parts)
    messages = outcome.items if workload == "page" else outcome
    return len(messages), sum(len(message["parts"]) for message in messages)


@pytest.mark.parametrize(
    ("workload", "messages", "units", "params"),
    [
        ("hydrate_all", 100, None, {}),
        ("page", 50, 50, {}),
        ("filter_compacted", 100, 100, {}),
        ("filter_compacted", 100, 100, {"read_path": "cache-aware"}),
        ("filter_compacted", 100, 100, {"read_path": "incremental"}),
        ("run_loop", 100, 100, {}),
        ("run_loop", 100, 100, {"read_path": "cache-aware"}),
        ("run_loop", 100, 100, {"read_path": "incremental"}),
    ],
)
def test_every_workload_prepares_and_runs(dataset, workload, messages, units, params):
    job = check(Job("j", "timing", "cached:fixed", workload, str(dataset), 100, params=params))
    prepared = prepare(job)
    try:
        found, parts = _messages(workload, prepared.run())
    finally:
        prepared.close()
    assert found == messages and parts > 0  # the dataset never compacts: every message is kept
    assert prepared.units == (units or messages + _messages(workload, prepared.run())[1])


@pytest.mark.parametrize(("reads", "per_object"), [("seed", 7), ("open-map", 1)])
def test_access_reads_infos_or_tool_inputs(dataset, reads, per_object):
    prepared = prepare(check(Job("j", "timing", "msgspec-lazy", "access", str(dataset), 100, params={"reads": reads})))
    try:
        objects = prepared.units // (200 * per_object)
        assert prepared.run() > 0 and prepared.units == objects * 200 * per_object
    finally:
        prepared.close()
    assert objects == 100 if reads == "seed" else 0 < objects < 400


def test_open_map_access_needs_the_strategys_kernel(dataset, monkeypatch):
    from harness.strategies import get
    from harness.strategies.base import Strategy

    plugin = type("NoOpenMap", (get("fixed"),), {"name": "no-open-map", "open_map_access": Strategy.open_map_access})
    job = check(Job("j", "timing", "no-open-map", "access", str(dataset), 100, params={"reads": "open-map"}))
    with pytest.raises(JobError, match="strategy 'no-open-map' has no open-map access loop"):
        prepare(job, strategy=plugin)


def test_gc_probe_counts_forced_collections():
    probe = GcProbe()
    with probe:
        gc.collect()
        gc.collect(0)
    assert probe.count[2] >= 1 and probe.count[0] >= 1 and probe.seconds > 0
    assert probe not in gc.callbacks


@pytest.mark.integration
@pytest.mark.parametrize("mode", ["enabled", "disabled", "freeze"])
def test_gcprobe_hydrate_rounds(tmp_path, dataset, mode, write_job):
    job = write_job(dataset=str(dataset), measurer="gcprobe", strategy="spread", params={"rounds": 3, "gc_mode": mode})
    out = tmp_path / "gc.json"
    done = run_measurer("gcprobe", job, out)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    figures = {figure["metric"]: figure["value"] for figure in result["figures"]}
    assert 0 <= figures["gc_share"] <= 1 and figures["wall_s"] > 0
    assert figures["tracked_per_message"] > 0
    assert result["extra"]["gc_mode"] == mode and len(result["extra"]["gc_thresholds"]) == 3
    if mode == "disabled":
        assert figures["gc_s"] == 0 and sum(figures[f"gc{g}_collections"] for g in range(3)) == 0


@pytest.mark.integration
def test_gcprobe_growth_reports_each_iteration_and_the_slope(tmp_path, dataset, write_job):
    job = write_job(
        dataset=str(dataset), measurer="gcprobe", workload="run_loop", size=50, params={"rounds": 4, "growth": 25}
    )
    out = tmp_path / "growth.json"
    done = run_measurer("gcprobe", job, out)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    steps = result["extra"]["iterations"]
    assert [step["history"] for step in steps] == [75, 100, 125, 150]
    assert all(step["kept"] == step["history"] for step in steps)  # no compaction in this dataset
    assert "seconds_per_iteration_per_1k_history" in {figure["metric"] for figure in result["figures"]}


@pytest.mark.integration
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"strategy": "sloths"}, "did you mean 'slots'"),
        ({"workload": "sprint"}, "unknown workload 'sprint'; choose from access"),
        ({"workload": "hydrate"}, "unknown workload 'hydrate'; did you mean 'hydrate_all'?"),
        ({"size": 10**6}, "has 400 messages; 1000000 were asked for"),
        ({"session": "ses_nope", "workload": "run_loop"}, "no session 'ses_nope'"),
        ({"params": {"gc_mode": "sometimes"}}, "params.gc_mode must be one of enabled, disabled, freeze"),
        ({"params": {"rounds": 0}}, "params.rounds must be >= 1"),
        ({"params": {"rounds": "3"}}, "params.rounds must be int"),
        ({"params": {"iterations": 3}}, "gcprobe / hydrate_all take no parameter iterations"),
        ({"workload": "access"}, "the gcprobe measurer runs hydrate_all, run_loop, serve, not 'access'"),
        (
            {"workload": "run_loop", "size": 390, "params": {"rounds": 3, "growth": 5}},
            "has 400 messages; 390 + 3 × 5 were asked for",
        ),
        ({"measurer": "timing"}, "is for the timing measurer, not gcprobe"),
        (
            {"workload": "run_loop", "params": {"read_path": "partial"}},
            "params.read_path must be one of full, cache-aware, incremental, got 'partial'",
        ),
        ({"params": {"read_path": "incremental"}}, "gcprobe / hydrate_all take no parameter read_path"),
        (
            {"workload": "run_loop", "params": {"read_path": "cache-aware"}},
            "read path cache-aware needs a row cache: use strategy 'cached:slots', not 'slots'",
        ),
        ({"dataset": 3}, "job key 'dataset' must be str"),
        ({"params": None}, "job key 'params' must be dict"),
    ],
)
def test_bad_jobs_exit_2_with_one_line(tmp_path, dataset, fields, message, write_job):
    job = write_job(**{"dataset": str(dataset), "measurer": "gcprobe", **fields})
    done = run_measurer("gcprobe", job, tmp_path / "out.json")
    assert done.returncode == 2 and message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out.json").exists()


def test_job_files_are_validated(tmp_path):
    path = tmp_path / "job.json"
    path.write_text(json.dumps({"id": "x", "measurer": "timing"}))
    with pytest.raises(JobError, match="incomplete job: strategy, workload, dataset, size missing"):
        read_job(path)
    path.write_text(json.dumps({"id": "x", "colour": "red"}))
    with pytest.raises(JobError, match="unknown job keys: colour"):
        read_job(path)
    path.write_text("[1, 2")
    with pytest.raises(JobError, match="is not JSON"):
        read_job(path)
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(JobError, match="nests deeper than 32 levels"):
        read_job(path)


class Plain:
    pass


def made(order):
    obj = Plain()
    for key in order:
        setattr(obj, key, len(key))
    return obj


def test_compact_layout_follows_the_interpreter_rules():
    from harness.measure.census import compact_layout

    same = compact_layout([made("xyz"), made("xyz")])
    assert same["compact"] == 2 and same["objects_with_dict"] == 2
    varied = compact_layout([made("zyx"), made("xyz")])
    # 3.10 ends key sharing for the class at the first out-of-order insert; 3.11+ keeps inline values.
    assert varied["compact"] == (1 if sys.version_info < (3, 11) else 2)
    assert compact_layout([{"a": 1}, (1, 2)]) is None


def test_deep_bytes_counts_each_object_once():
    from harness.measure.census import deep_bytes

    shared = "shared-value"
    objs = [{"k": shared}, {"k": shared}]
    expected = 2 * sys.getsizeof({"k": shared}) + sys.getsizeof("k") + sys.getsizeof(shared)
    assert deep_bytes(objs, object_fields) == expected


def census_of(*names):
    """The census of each named strategy on 200 reference messages."""
    stored = list(to_stored(generate("reference", 11, 200).records))
    return [strategy_census(get(name), stored) for name in names]


def test_strategy_census_tracks_what_the_gc_tracks():
    spread, slots = census_of("spread", "slots")
    assert spread["info_key_sets"] > slots["info_key_sets"] == 2
    assert slots["top_level_tracked_share"] == 1.0
    assert spread["tracked_per_message"] > 0 and spread["deep_bytes_per_message"] > 0


@pytest.mark.requires("msgspec")
def test_strategy_census_sees_untracked_structs():
    spread, nogc = census_of("spread", "msgspec-nogc")
    assert nogc["top_level_tracked_share"] == 0.0
    assert nogc["tracked_per_message"] < spread["tracked_per_message"]


@pytest.mark.requires("msgspec")
def test_strategy_census_counts_the_row_text_lazy_objects_keep_alive():
    lazy, eager, stdlib = census_of("msgspec-lazy", "msgspec-decode-nogc", "slots-lazy")
    assert eager["pinned_row_bytes_per_message"] == stdlib["pinned_row_bytes_per_message"] == 0
    assert lazy["pinned_row_bytes_per_message"] > 100  # Raw views into the rows holding open maps


@pytest.mark.integration
def test_census_job(tmp_path, dataset, write_job):
    job = write_job(dataset=str(dataset), measurer="census", strategy="instance-dict", size=200)
    out = tmp_path / "census.json"
    done = run_measurer("census", job, out)
    assert done.returncode == 0, done.stderr
    figures = {figure["metric"]: figure["value"] for figure in json.loads(out.read_text())["figures"]}
    assert figures["info_classes"] == 2 and figures["deep_bytes_per_message"] > 0
    assert 0 <= figures["compact_layout_share"] <= 1


@pytest.mark.parametrize("interpreter", ["no sys.getrefcount", "PyPy"])
def test_census_marks_what_the_interpreter_cannot_count_unavailable(tmp_path, dataset, monkeypatch, interpreter):
    """PyPy has no sys.getrefcount, no working sys.getsizeof and no gc.is_tracked: the census still runs
    and names each figure it cannot give with the reason."""
    from harness.measure import census

    monkeypatch.delattr(sys, "getrefcount")
    if interpreter == "PyPy":
        monkeypatch.setattr(census.platform, "python_implementation", lambda: "PyPy")
        monkeypatch.setattr(census.sys, "getsizeof", None)  # PyPy's raises; none of it may be called
        monkeypatch.delattr(gc, "is_tracked")
    job = check(Job("j", "census", "slots-lazy", "hydrate_all", str(dataset), 100))
    outcome = census.measure(job, tmp_path / "out.json")
    unavailable = outcome["extra"]["unavailable"]
    figures = {figure.metric for figure in outcome["figures"]}
    assert "sys.getrefcount does not exist" in unavailable["pinned_row_bytes_per_message"]
    assert not figures & set(unavailable) and {"info_key_sets", "part_key_orders", "info_classes"} <= figures
    expected = {"pinned_row_bytes_per_message"}
    if interpreter == "PyPy":
        expected |= {"tracked_per_message", "deep_bytes_per_message", "top_level_tracked_share"}
    assert set(unavailable) == expected and all(unavailable.values())


@pytest.mark.serial  # counts every object the collector tracks: another thread's too (xdist's channel)
@pytest.mark.integration
@pytest.mark.requires("pydantic")
def test_two_censuses_of_one_dataset_agree(tmp_path, dataset, write_job):
    """In one process and in a fresh one: what a strategy builds once per process (pydantic's models,
    validators, per-class setattr handlers) is not counted per message."""
    stored = regroup(*first_rows_of(dataset, 100))
    names = ("pydantic", "fixed", "slots-lazy", "cached:fixed")
    first, second = ([strategy_census(get(name), stored) for name in names] for _ in range(2))
    assert first == second
    job = write_job(dataset=str(dataset), measurer="census", strategy="pydantic", size=100)
    assert run_measurer("census", job, tmp_path / "out.json").returncode == 0
    figures = {f["metric"]: f["value"] for f in json.loads((tmp_path / "out.json").read_text())["figures"]}
    shared = figures.keys() & first[0].keys()
    assert "tracked_per_message" in shared and {m: figures[m] for m in shared} == {m: first[0][m] for m in shared}


#: An edited schema for ``rows_with_role``'s rows: ``role`` names the kind, anything else is a user.
ROLE_SCHEMA = {
    "format": "shape-harness-schema",
    "version": 1,
    "name": "chat",
    "tables": {
        "message": {
            "discriminator": "role",
            "default": "user",
            "ids": [],
            "kinds": {"user": {"text": "str"}, "assistant": {"text": "str", "cost?": "float"}},
        }
    },
}


def rows_dataset(tmp_path, odd):
    """A rows dataset (``harness import rows``) of users and assistants, one row's ``role`` ``odd``,
    and the schema that makes ``role`` the discriminator."""
    rows = [{"role": ("user", "assistant")[i % 2], "text": f"t{i}"} for i in range(20)]
    rows[7]["role"] = odd
    source = tmp_path / "rows.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    done = harness(tmp_path, "import", "rows", "--jsonl", source, "--out", tmp_path / "rows.sqlite")
    assert done.returncode == 0, done.stderr
    (tmp_path / "chat.schema.json").write_text(json.dumps(ROLE_SCHEMA))
    return ["--dataset", tmp_path / "rows.sqlite", "--schema", tmp_path / "chat.schema.json"]


def opencode_dataset(tmp_path, odd):
    """An opencode database (imported) whose first message's ``role`` and first part's ``type`` are ``odd``."""
    import sqlite3

    import opencode_layout

    source = tmp_path / "opencode.db"
    opencode_layout.build(source, messages=20, sessions=1, journal="delete", extra=False)
    with sqlite3.connect(source) as conn:
        for table, key in (("message", "role"), ("part", "type")):
            row_id, data = conn.execute(f"SELECT id, data FROM {table} ORDER BY id LIMIT 1").fetchone()
            changed = json.dumps({**json.loads(data), key: odd})
            conn.execute(f"UPDATE {table} SET data = ? WHERE id = ?", (changed, row_id))
    conn.close()
    done = harness(tmp_path, "import", "opencode", source, "--out", tmp_path / "opencode.sqlite")
    assert done.returncode == 0, done.stderr
    return ["--dataset", tmp_path / "opencode.sqlite"]


@pytest.mark.parametrize(
    ("make", "odd"), [(rows_dataset, []), (rows_dataset, {}), (opencode_dataset, 5), (opencode_dataset, [])]
)
def test_a_row_whose_kind_is_no_string_builds_as_the_default_or_is_one_line(tmp_path, make, odd):
    """``harness census`` over a row whose ``role`` (or part ``type``) is a number, a list, a dict:
    the row builds as the schema's default kind, or the census is refused in one line naming it."""
    strategies = "spread,fixed,slots,slots-lazy" + (",msgspec,msgspec-lazy" if not missing("msgspec") else "")
    done = harness(tmp_path, "census", *make(tmp_path, odd), "--strategies", strategies)
    if done.returncode != 0:
        assert "does not fit schema" in one_line_error(done)
    assert "Traceback" not in done.stderr


def first_rows_of(dataset, size):
    from harness.store import open_dataset
    from harness.workloads.binding import first_rows

    opened = open_dataset(dataset)
    try:
        return first_rows(opened, size)
    finally:
        opened.close()


def test_census_counts_nested_objects_apart_from_data_keyed_records():
    stored = list(to_stored(generate("realistic", 5, 600, sessions=1).records))
    spread, fixed, slots = (strategy_census(get(name), stored) for name in ("spread", "fixed", "slots"))
    assert spread["record_key_orders"] > 5 and spread["nested_key_orders"] > 5
    for other in (fixed, slots):  # a fixed top-level key list leaves everything below it alone
        assert (other["nested_key_orders"], other["record_key_orders"]) == (
            spread["nested_key_orders"],
            spread["record_key_orders"],
        )


def test_nested_key_tuples_classify_by_path():
    tops = [
        {"role": "user", "tools": {"bash": False}, "time": {"created": 1}},
        {"type": "tool", "state": {"metadata": {"diagnostics": {"/a.ts": [{"message": "m"}]}}}},
        {"role": "assistant", "error": {"name": "APIError", "data": {"responseHeaders": {"cf-ray": "x"}}}},
    ]
    nested, records = nested_key_tuples(tops)
    assert records == {("bash",), ("/a.ts",), ("cf-ray",)}
    assert nested == {
        ("created",),
        ("metadata",),
        ("diagnostics",),
        ("message",),
        ("name", "data"),
        ("responseHeaders",),
    }


@pytest.mark.parametrize("kind", ["spread", "instance-dict", "slots"])
def test_read_site_objects_have_the_asked_number_of_shapes(kind):
    for shapes in (1, 2, 16, 256):
        objects = population(kind, shapes, 4096)
        layouts = {tuple(obj) if kind == "spread" else object_fields(obj) for obj in objects}
        assert len(layouts) == shapes and all(layout[-1] == "x" for layout in layouts)
        assert READERS[kind](objects, 2) == 2 * sum(range(4096))
    if kind == "slots":
        assert len({type(obj) for obj in population(kind, 16, 512)}) == 16


@pytest.mark.parametrize(("kind", "shapes"), [("fixed", 4), ("spread", 0), ("spread", 257)])
def test_read_site_refuses_what_it_cannot_build(dataset, kind, shapes):
    with pytest.raises(JobError):
        prepare(check(Job("j", "timing", kind, "read_site", str(dataset), shapes)))


def test_gcprobe_rebuilds_once_unmeasured_before_its_rounds(monkeypatch):
    """The warm-up round runs before the probe times anything; then exactly ``rounds`` are measured."""
    import gc

    from harness.measure import gcprobe
    from harness.measure.catalogue import check
    from harness.protocol.job import Job
    from harness.workloads import binding

    timed = []

    class Prepared:
        units = 10

        def run(self):
            timed.append(any(isinstance(callback, GcProbe) for callback in gc.callbacks))
            return [object()]

        def close(self):
            pass

    monkeypatch.setattr(binding, "prepare", lambda job, rounds=None: Prepared())
    job = check(Job("j", "gcprobe", "spread", "hydrate_all", "d.sqlite", 10, params={"rounds": 3}))
    outcome = gcprobe.measure(job, None)
    assert timed == [False, True, True, True]
    assert next(f.value for f in outcome["figures"] if f.metric == "rows_per_s") > 0


@pytest.mark.parametrize("name", ["spread", "fixed", "slots", "dataclass", "msgspec-lazy", "cached:fixed"])
def test_a_strategy_built_on_first_use_is_built_before_measurement(dataset, name):
    """``prepare`` reads every hook once, so no measured call compiles the strategy's code (memray
    would count the compile's allocations in the first call's). A fresh process: nothing built yet."""
    script = (
        "import inspect, sys\n"
        "from harness.measure.catalogue import check\n"
        "from harness.protocol.job import Job\n"
        "from harness.workloads.binding import prepare\n"
        f"prepared = prepare(check(Job('j', 'memory', {name!r}, 'hydrate_all', sys.argv[1], 50)))\n"
        "lazy = [hook for hook in ('info', 'part', 'to_dict', 'access')\n"
        "        if type(inspect.getattr_static(prepared.strategy, hook)).__name__ == 'Built']\n"
        "print(lazy)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(dataset)], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_loop_slope_is_fit_over_a_tenth_of_the_history_or_more():
    from harness.metrics import loop_slope

    slope, _ = loop_slope([2000, 3000, 4000], [0.002, 0.004, 0.006])
    assert slope == pytest.approx(0.002)  # seconds per iteration per 1,000 messages
    assert loop_slope([50020, 50030, 50040], [0.001, 0.003, 0.001]) is None  # jitter only
    assert loop_slope([2000], [1.0]) is None  # one iteration: no line


@pytest.mark.integration
def test_the_probe_leaves_the_loops_cold_first_iteration_out_of_its_slope(tmp_path, dataset, write_job):
    job = write_job(
        dataset=str(dataset),
        measurer="gcprobe",
        workload="run_loop",
        size=50,
        params={"rounds": 4, "growth": 25, "read_path": "incremental"},
    )
    out = tmp_path / "incremental.json"
    done = run_measurer("gcprobe", job, out)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    warm = result["extra"]["iterations"][1:]
    slope = next(f["value"] for f in result["figures"] if f["metric"] == "seconds_per_iteration_per_1k_history")
    expected, _ = fit([step["history"] / 1000 for step in warm], [step["seconds"] for step in warm])
    assert slope == pytest.approx(expected)
