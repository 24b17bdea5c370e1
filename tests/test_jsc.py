"""The JavaScriptCore job runner (harness/jsc, run by Bun): shipped, parsable, and, where Bun can be
installed, checked against the harness: its catalogue, its results, its read path and the pinned
Structure counts of the reference profile."""

import fnmatch
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness import schema
from harness.canonical import ROW_DATA
from harness.generate import generate
from harness.measure.catalogue import MEASURERS
from harness.measure.census import strategy_census
from harness.protocol.environment import fingerprint, fingerprint_basis
from harness.protocol.job import PROTOCOL, PROTOCOL_FILE, RESULT_KEYS, RESULT_VERSION, SEAL_KEY, seal_holds
from harness.runtime import bun_install as bun
from harness.store import open_dataset, write_dataset
from harness.strategies import get
from harness.workloads.binding import first_rows, regroup
from harness.workloads.catalogue import WORKLOADS
from harness.workloads.history import GrowingSession, run_loop
from harness.workloads.opencode import filter_compacted

JSC = Path(bun.JOB_SCRIPT).parent
SOURCES = sorted(JSC.rglob("*.mjs"))
STRATEGIES = ("spread", "fixed", "cached:spread", "cached:fixed")


def test_every_file_the_js_runner_reads_ships_as_package_data():
    tomllib = pytest.importorskip("tomllib")
    with open(Path(__file__).resolve().parents[1] / "pyproject.toml", "rb") as handle:
        patterns = tomllib.load(handle)["tool"]["setuptools"]["package-data"]["harness"]
    package = JSC.parent
    for source in [*SOURCES, PROTOCOL_FILE]:
        relative = source.relative_to(package).as_posix()
        assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns), relative
    assert {"job.mjs", "protocol.mjs", "workloads.mjs"} <= {source.name for source in SOURCES}


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: str(path.relative_to(JSC)))
def test_js_syntax(bun_exe, source, tmp_path):
    command = [bun_exe, "build", "--no-bundle", "--target=bun", "--outdir", str(tmp_path), str(source)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


# --- with Bun -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def described(bun_exe):
    return bun.describe(bun_exe)


@pytest.fixture(scope="session")
def data(tmp_path_factory):
    """A small reference dataset and a realistic one-session dataset with compactions."""
    root = tmp_path_factory.mktemp("jsc")
    paths = {"reference": root / "ref.sqlite", "realistic": root / "real.sqlite"}
    write_dataset(paths["reference"], generate("reference", 11, 120))
    write_dataset(paths["realistic"], generate("realistic", 11, 400, sessions=1))
    return paths


def run_js(bun_exe, tmp_path, *args, **job):
    """Run one job (or the runner with ``args``); (exit status, stderr, result or None)."""
    out = tmp_path / f"{job.get('id', 'job')}.json"
    if job:
        path = tmp_path / f"{job['id']}.job.json"
        path.write_text(json.dumps(job) if "raw" not in job else job["raw"])
        args = ("--job", str(path), "--out", str(out), *args)
    done = subprocess.run([bun_exe, str(bun.JOB_SCRIPT), *args], capture_output=True, text=True, timeout=300)
    return done.returncode, done.stderr, json.loads(out.read_text()) if out.exists() else None


def check_result(path, measurer):
    """A JS result is the protocol's: its members in order, sealed over the bytes written."""
    data = path.read_bytes()
    assert seal_holds(data), "the harness must find the JS runner's seal intact"
    result = json.loads(data)
    assert list(result) == [*RESULT_KEYS, SEAL_KEY]
    assert result["result_version"] == RESULT_VERSION and result["status"] == "ok"
    assert result["job"]["measurer"] == measurer
    assert len(result["job_sha256"]) == 64 and result["started"] <= result["finished"]
    env = result["environment"]
    assert env["interpreter"]["implementation"] == "JSC" and env["interpreter"]["version"] == f"Bun {bun.BUN_VERSION}"
    assert "fingerprint" not in env and fingerprint_basis(env)["packages"] == {"bun": bun.BUN_VERSION}
    assert result["figures"]
    for figure in result["figures"]:
        assert list(figure) == PROTOCOL["result"]["figure_keys"], figure
        assert math.isfinite(figure["value"]) and figure["n"] >= 1, figure
        assert figure["mad"] is None or math.isfinite(figure["mad"]), figure


@pytest.mark.parametrize(
    ("workload", "params", "refused"),
    [
        ("run_loop", {"read_path": "incremental"}, "params.read_path must be one of full"),
        ("run_loop", {"read_path": "cache-aware"}, "params.read_path must be one of full"),
        ("access", {"reads": "open-map"}, "params.reads must be one of seed"),
        ("run_loop", {"read_path": "full"}, None),
    ],
)
def test_the_python_only_read_paths_and_access_variant_are_refused(described, workload, params, refused):
    from harness.protocol.job import Job
    from harness.runtime.bun import refusal

    job = Job("j", "timing", "spread", workload, "d.sqlite", 10, params=params, interpreter="bun1")
    found = refusal(described, job)
    assert (found is None) if refused is None else (refused in found)


def test_catalogue_matches_the_harness(described):
    assert described["strategies"] == list(STRATEGIES)
    assert {tuple(path) for path in described["record_paths"]} == schema.RECORD_PATHS
    assert set(described["workloads"]) == set(WORKLOADS)
    for name, workload in described["workloads"].items():
        python = {param.name: param for param in WORKLOADS[name].params}
        assert {param["name"]: param["default"] for param in workload["params"]} == {
            param.name: param.default for param in python.values()
        }, name
    assert set(described["measurers"]) <= set(MEASURERS)
    for name, measurer in described["measurers"].items():
        assert set(measurer["workloads"]) <= set(MEASURERS[name].workloads), name
        python = {param.name: param for param in MEASURERS[name].params}
        for param in measurer["params"]:  # the harness verifies results with its own catalogue
            assert param["name"] in python, (name, param["name"])
            same = python[param["name"]]
            assert (param["kind"], param["default"]) == (same.kind.__name__, same.default), (name, param["name"])
            assert set(param.get("choices") or ()) <= set(same.choices), (name, param["name"])
    declared = [
        param
        for entry in (*described["measurers"].values(), *described["workloads"].values())
        for param in entry["params"]
    ]
    python = {param.name: param for entry in (*MEASURERS.values(), *WORKLOADS.values()) for param in entry.params}
    for param in declared:  # the counts a JS job holds have the protocol's bounds, as the harness's
        assert param.get("maximum") == python[param["name"]].maximum, param["name"]
    assert described["environment"]["fingerprint"] == fingerprint(described["environment"])


SMALL = {
    ("census", "hydrate_all"): {},
    ("timing", "access"): {"pyperf": {"values": 2, "warmups": 1}, "iterations": 2},
    ("timing", "hydrate_all"): {"pyperf": {"values": 2, "warmups": 1}},
    ("timing", "page"): {"pyperf": {"values": 2, "warmups": 1}},
    ("timing", "filter_compacted"): {"pyperf": {"values": 2, "warmups": 1}},
    ("timing", "run_loop"): {"pyperf": {"values": 2, "warmups": 1}},
    ("timing", "read_site"): {"pyperf": {"values": 2, "warmups": 1}, "objects": 64, "passes": 2},
    ("gcprobe", "hydrate_all"): {"rounds": 2},
    ("gcprobe", "run_loop"): {"rounds": 2, "growth": 20},
    ("memory", "hydrate_all"): {},
    ("memory", "run_loop"): {"rounds": 2, "growth": 20},
}


@pytest.mark.parametrize(("measurer", "workload"), sorted(SMALL))
def test_each_measurer_and_workload_writes_a_valid_result(bun_exe, data, tmp_path, measurer, workload):
    strategy = "spread" if workload == "read_site" else STRATEGIES[len(measurer + workload) % len(STRATEGIES)]
    dataset = data["reference" if workload in ("access", "hydrate_all", "page", "read_site") else "realistic"]
    status, stderr, _ = run_js(
        bun_exe,
        tmp_path,
        id="j",
        measurer=measurer,
        strategy=strategy,
        workload=workload,
        dataset=str(dataset),
        size=8 if workload == "read_site" else 100,
        params=SMALL[(measurer, workload)],
    )
    assert status == 0, stderr
    check_result(tmp_path / "j.json", measurer)


@pytest.mark.slow
@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize(("measurer", "workload"), sorted(SMALL))
def test_every_strategy_everywhere(bun_exe, data, tmp_path, measurer, workload, strategy):
    dataset = data["reference" if workload in ("access", "hydrate_all", "page", "read_site") else "realistic"]
    job = dict(id="j", measurer=measurer, strategy=strategy, workload=workload, dataset=str(dataset))
    status, stderr, result = run_js(bun_exe, tmp_path, size=100, params=SMALL[(measurer, workload)], **job)
    if workload == "read_site" and strategy != "spread":
        assert status == 2 and result is None, stderr
    else:
        assert status == 0, stderr
        check_result(tmp_path / "j.json", measurer)


#: Counts past the protocol's limits, or 0 where 0 would not mean none: refused as the harness refuses them.
OUT_OF_BOUNDS = {
    "job size must be an integer from 0 to 10,000,000, got 1000000000000": {"size": 10**12},
    "params.limit must be <= 10,000,000, got 1000000000000": {"workload": "page", "params": {"limit": 10**12}},
    "params.rounds must be <= 10,000, got 1000000000000": {"measurer": "memory", "params": {"rounds": 10**12}},
    "params.pyperf.processes must be >= 1, got 0": {"params": {"pyperf": {"processes": 0}}},
    "params.pyperf.processes must be int, got 1.5": {"params": {"pyperf": {"processes": 1.5}}},
    "params.pyperf.values must be >= 1, got 0": {"params": {"pyperf": {"values": 0}}},
    "params.pyperf.loops must be >= 1, got 0": {"params": {"pyperf": {"loops": 0}}},
    "params.pyperf.values must be <= 10,000, got 1000000000000": {"params": {"pyperf": {"values": 10**12}}},
}


def _bad_jobs(data):
    ref, real = str(data["reference"]), str(data["realistic"])
    base = dict(id="bad", measurer="timing", strategy="fixed", workload="hydrate_all", dataset=ref, size=10)
    return {
        **{message: {**base, **change} for message, change in OUT_OF_BOUNDS.items()},
        "unknown strategy": {**base, "strategy": "slots"},
        "unknown workload": {**base, "workload": "hydrate"},
        "unknown measurer": {**base, "measurer": "pyperf"},
        "Python-only measurer": {**base, "measurer": "scalene"},
        "missing dataset": {**base, "dataset": str(Path(ref).with_name("missing.sqlite"))},
        "not a dataset": {**base, "dataset": __file__},
        "too many messages": {**base, "size": 121},
        "too much growth": {**base, "measurer": "gcprobe", "workload": "run_loop", "dataset": real, "size": 300}
        | {"params": {"rounds": 3, "growth": 50}},
        "freeze": {**base, "measurer": "gcprobe", "params": {"gc_mode": "freeze"}},
        "unknown parameter": {**base, "params": {"rounds": 3}},
        "unknown pyperf key": {**base, "params": {"pyperf": {"min_time": 1}}},
        "size of the wrong type": {**base, "size": "10"},
        "negative size": {**base, "size": -1},
        "unknown job key": {**base, "extra": 1},
        "too many shapes": {**base, "workload": "read_site", "strategy": "spread", "size": 257},
        "read_site of fixed": {**base, "workload": "read_site", "size": 4},
        "not an object": {"id": "bad", "raw": "[1, 2]"},
        "not JSON": {"id": "bad", "raw": "{"},
    }


def test_bad_jobs_exit_2_with_one_line_and_write_nothing(bun_exe, data, tmp_path):
    for reason, job in _bad_jobs(data).items():
        status, stderr, result = run_js(bun_exe, tmp_path, **job)
        assert status == 2, (reason, stderr)
        assert result is None, reason
        assert stderr.startswith("error: ") and stderr.count("\n") == 1, (reason, stderr)
        assert reason not in OUT_OF_BOUNDS or stderr == f"error: {reason}\n", (reason, stderr)


def test_an_unknown_option_exits_2(bun_exe, tmp_path):
    status, stderr, _ = run_js(bun_exe, tmp_path, "--jit-everything")
    assert status == 2 and stderr.startswith("error: ") and stderr.count("\n") == 1, stderr


READ_PATH = """
import { Database } from "bun:sqlite";
import { makeStrategy } from "JSC/strategies.mjs";
import { access, loopIteration, population } from "JSC/workloads.mjs";
import { filterCompactedSession } from "JSC/opencode.mjs";
import { GrowingSession, longestSession } from "JSC/dataset.mjs";
const db = new Database(process.argv[2], { readonly: true });
const found = { keys: {}, access: {}, compacted: {}, loop: {}, shapes: population(8, 50).map(Object.keys) };
const messages = db.query("SELECT id, session_id, time_created, time_updated, data FROM message ORDER BY rowid").all();
for (const name of ["spread", "fixed", "cached:spread", "cached:fixed"]) {
  const strategy = makeStrategy(name);
  const infos = messages.map(strategy.info);
  found.access[name] = access(infos, 2);
  const session = new GrowingSession(db, longestSession(db, ""), 400);
  found.compacted[name] = filterCompactedSession(session.conn, strategy, session.sessionId).map((m) => m.info.id);
  const loop = new GrowingSession(db, longestSession(db, ""), 100);
  found.loop[name] = [1, 2, 3].map(() => loopIteration(loop, strategy, 100).length);
  if (name === "fixed") {
    for (const info of infos) found.keys[info.role] = Object.keys(info);
    const parts = db.query("SELECT id, message_id, session_id, time_created, time_updated, data FROM part").all();
    for (const part of parts.map(strategy.part)) found.keys[part.type] = Object.keys(part);
  }
}
console.log(JSON.stringify(found));
"""


def test_the_read_path_is_the_harness_one(bun_exe, data, tmp_path):
    """Same fixed key orders, access checksum, filterCompacted output and run_loop history sizes as
    the Python read path, on a realistic session with compactions; same read_site shapes."""
    from harness.workloads.read_site import population, shape_keys, shape_order

    script = tmp_path / "read_path.mjs"
    script.write_text(READ_PATH.replace("JSC/", f"{JSC}/"))
    done = subprocess.run([bun_exe, str(script), str(data["realistic"])], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    js = json.loads(done.stdout)
    for kind, keys in js["keys"].items():
        assert tuple(keys) == (schema.INFO_KEYS.get(kind) or schema.PART_KEYS[kind]), kind
    assert len(js["keys"]) >= 10
    dataset = open_dataset(data["realistic"])
    try:
        conn, session = dataset.conn, dataset.manifest["session_ids"][0]
        messages, _ = first_rows(dataset, 400)
        for name in STRATEGIES:
            strategy = get(name)
            assert js["access"][name] == strategy.access([strategy.info(row) for row in messages], 2), name
            scratch = GrowingSession(conn, session, 400)
            kept = [strategy.field(m["info"], "id") for m in filter_compacted(scratch.conn, strategy, session)]
            assert js["compacted"][name] == kept and 0 < len(kept) < 400, name
            assert js["loop"][name] == [size for _, size in run_loop(conn, strategy, session, 3, 100, start=100)], name
    finally:
        dataset.close()
    assert [tuple(keys) for keys in js["shapes"]] == [shape_keys(shape) for shape in shape_order(8, 50)]
    assert [tuple(obj) for obj in population("spread", 8, 50)] == [tuple(keys) for keys in js["shapes"]]


def _census(bun_exe, tmp_path, dataset, strategy, size):
    status, stderr, result = run_js(
        bun_exe,
        tmp_path,
        id=f"census-{strategy.replace(':', '_')}",
        measurer="census",
        strategy=strategy,
        workload="hydrate_all",
        dataset=str(dataset),
        size=size,
    )
    assert status == 0, stderr
    return {figure["metric"]: figure["value"] for figure in result["figures"]}


def test_census_key_orders_are_the_harness_ones(bun_exe, data, tmp_path):
    """Top-level, nested schema object and data-keyed record key orders as the Python census counts them."""
    dataset = open_dataset(data["realistic"])
    try:
        stored = regroup(*first_rows(dataset, 400))
    finally:
        dataset.close()
    assert any("diagnostics" in columns[ROW_DATA] for _, own in stored for columns in own)
    for name in ("spread", "fixed"):
        python = strategy_census(get(name), stored)
        js = _census(bun_exe, tmp_path, data["realistic"], name, 400)
        for metric in ("info_key_orders", "part_key_orders", "nested_key_orders", "record_key_orders"):
            assert js[metric] == python[metric], (name, metric)
        assert js["record_structures"] == js["record_key_orders"] > 1, name


#: Structures of the reference profile, seed 11 x 5,000 messages, on the pinned Bun: distinct
#: (the seed's "unique Structures") and with their transition chains, from a heap snapshot.
PINNED = {
    "1.4.5": {
        "spread": {
            "info_structures": 47,
            "part_structures": 16,
            "info_chain_structures": 151,
            "part_chain_structures": 69,
        },
        "fixed": {"info_structures": 2, "part_structures": 5, "info_chain_structures": 29, "part_chain_structures": 38},
    }
}


def test_reference_structures_are_pinned(bun_exe, tmp_path):
    path = tmp_path / "reference-s11-m5000.sqlite"
    write_dataset(path, generate("reference", 11, 5000))
    for name, expected in PINNED[bun.BUN_VERSION].items():
        found = _census(bun_exe, tmp_path, path, name, 5000)
        assert {metric: found[metric] for metric in expected} == expected, name
        assert found["nested_structures"] == found["nested_key_orders"], name


DRIVER = """
import os, subprocess, sys, time
env = {**os.environ, "HARNESS_PARENT_PID": str(os.getpid())}
subprocess.Popen(sys.argv[1:], env=env, start_new_session=True)
print("started", flush=True)
time.sleep(600)
"""


def _alive_mentioning(text):
    """Pids of live (not zombie) processes whose command line contains ``text``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if text in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def _wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not condition():
        time.sleep(0.1)
    return condition()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only")
def test_a_job_dies_with_its_runner(bun_exe, data, tmp_path):
    """The JS runner and its measurement worker die when the process that started them is killed."""
    job = tmp_path / "long.job.json"
    job.write_text(
        json.dumps(
            dict(id="long", measurer="timing", strategy="spread", workload="read_site", dataset=str(data["reference"]))
            | {"size": 64, "params": {"passes": 100000, "pyperf": {"values": 1000}}}
        )
    )
    command = [bun_exe, str(bun.JOB_SCRIPT), "--job", str(job), "--out", str(tmp_path / "long.json")]
    with subprocess.Popen([sys.executable, "-c", DRIVER, *command], stdout=subprocess.PIPE, text=True) as driver:
        assert driver.stdout.readline() == "started\n"
        assert _wait_for(lambda: len(_alive_mentioning(str(job))) == 2, 60), "the worker never started"
        driver.kill()
        driver.wait()
    assert _wait_for(lambda: not _alive_mentioning(str(job)), 30), _alive_mentioning(str(job))
    assert not (tmp_path / "long.json").exists()
