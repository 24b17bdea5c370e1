"""The JavaScriptCore runner's ``serve`` workload (harness/jsc/serve.mjs, run by the GC probe): a job
end to end through the job protocol, its catalogue entry against the harness's, the rows and events it
builds against the Python serve's, its memory estimate, and its refusal of a serve too large for the
machine."""

import json
import subprocess
from pathlib import Path

import pytest
from test_jsc import check_result, run_js

from harness.generate import generate
from harness.measure.catalogue import check
from harness.metrics import METRICS, SERVE_ITERATION, SERVE_ITERATION_JSC
from harness.protocol.job import Job
from harness.runtime import bun_install as bun
from harness.store import write_dataset
from harness.system import available_memory
from harness.workloads.binding import prepare
from harness.workloads.catalogue import WORKLOADS
from harness.workloads.opencode import SYNTHETIC_PART
from harness.workloads.serve_budget import AVAILABLE_SHARE, BALLAST_BYTES_PER_MB

JSC = Path(bun.JOB_SCRIPT).parent
#: Every figure a JS serve reports with the collector enabled (gcFigures' set besides).
FIGURES = {
    "wall_s",
    "elapsed_s",
    "iteration_s",
    "last_iteration_s",
    "largest_history",
    "cpu_s",
    "cpu_utilisation",
    "main_thread_cpu_s",
    "gc_thread_cpu_s",
    "jit_thread_cpu_s",
    "gc_s",
    "gc_share",
    "gc_idle_s",
    "gc_cpu_share",
    "lag_s",
    "peak_rss_bytes",
    "peak_heap_bytes",
    "structures",
    "plain_objects",
    "closures",
    "lexical_environments",
}
EXTRA = {"iterations", "sessions", "config", "heap_counts", "events", "frames_held", "cache", "estimate", "gc_mode"}
ITERATION = [*SERVE_ITERATION, *SERVE_ITERATION_JSC]
#: The serve the rows are compared on: few sessions, a small ring that wraps, frames made.
SERVE = {"sessions": 2, "growth": 5, "framework": 2, "fanout": 30}
START, ROUNDS = 100, 6


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """A realistic dataset of two sessions of 200 messages, compacted every 40 or so."""
    path = tmp_path_factory.mktemp("serve") / "real.sqlite"
    write_dataset(path, generate("realistic", 11, 400, sessions=2, overrides={"compaction_every": 40}))
    return path


def serve_job(dataset, strategy="fixed"):
    return dict(id="serve", measurer="gcprobe", strategy=strategy, workload="serve", dataset=str(dataset), size=START)


def test_a_serve_job_writes_every_figure_and_its_iterations(bun_exe, dataset, tmp_path):
    params = {"rounds": 4, "sessions": 2, "growth": 5, "framework": 1, "rate": 200.0, "retain_mb": 1}
    status, stderr, result = run_js(bun_exe, tmp_path, **serve_job(dataset, "cached:fixed"), params=params)
    assert status == 0, stderr
    check_result(tmp_path / "serve.json", "gcprobe")
    figures = {figure["metric"]: figure for figure in result["figures"]}
    assert not FIGURES - set(figures), FIGURES - set(figures)
    for name, figure in figures.items():
        assert figure["unit"] == METRICS[name].unit, name
    for name in ("structures", "plain_objects", "closures", "lexical_environments", "peak_rss_bytes"):
        assert figures[name]["value"] > 0, name
    extra = result["extra"]
    assert set(extra) == EXTRA
    assert [list(record) for record in extra["iterations"]] == [ITERATION] * 4
    assert [record["session"] for record in extra["iterations"]] == [0, 1, 0, 1]
    assert [record["round"] for record in extra["iterations"]] == [0, 1, 2, 3]
    assert figures["largest_history"]["value"] == START + 3 * 5
    config = {"sessions": 2, "growth": 5, "rate": 200.0, "framework": 1, "fanout": 1000, "retain_mb": 1}
    assert extra["config"] == {**config, "ballast_records": 2**20 // 1100}
    assert len(extra["sessions"]) == 2 and extra["frames_held"] > 0 and extra["events"] > 0
    assert extra["cache"]["info"]["hits"] > 0 and extra["heap_counts"]["Structure"] == figures["structures"]["value"]


def test_the_serve_catalogue_entry_is_the_harness_one(bun_exe):
    described = bun.describe(bun_exe)["workloads"]["serve"]
    python = WORKLOADS["serve"]
    assert (described["description"], described["unit"]) == (python.description, python.unit)
    declared = [
        {
            "name": param.name,
            "kind": param.kind.__name__,
            "default": param.default,
            "help": param.help,
            "minimum": param.minimum,
            "maximum": param.maximum,
            "choices": list(param.choices) or None,
        }
        for param in python.params
    ]
    found = [{key: param.get(key) for key in declared[0]} for param in described["params"]]
    assert found == declared


#: Per iteration, the rows a serve built and the events it kept, printed as JSON by the JS serve.
ROWS = """
import { makeStrategy } from "JSC/strategies.mjs";
import { prepare, WORKLOADS } from "JSC/workloads.mjs";
import { SYNTHETIC_PART } from "JSC/opencode.mjs";
const [dataset, strategy, start, rounds, given] = process.argv.slice(2);
const params = { ...Object.fromEntries(WORKLOADS.serve.params.map((p) => [p.name, p.default])), ...JSON.parse(given) };
const job = { workload: "serve", dataset, size: Number(start), session: null, params };
const prepared = prepare(job, makeStrategy(strategy), Number(rounds));
const { serve } = prepared;
serve.warmUp();
const iterations = [];
for (let j = 0; j < Number(rounds); j++) {
  const { session, history } = serve.iteration(j);
  const read = serve.sessions[session].state.history;
  iterations.push({ session: serve.sessions[session].growing.sessionId, history,
    kept: read.map((message) => message.info.id), parts: read.map((message) => message.parts.length),
    synthetic: read.findIndex((message) => message.parts.includes(SYNTHETIC_PART)) });
}
const events = serve.events.kept().map((event) => [event.type, (event.info ?? event.part).id ?? null]);
console.log(JSON.stringify({ iterations, published: serve.events.published, events, frames: serve.framesHeld,
  estimate: prepared.estimate }));
prepared.close();
"""


def js_serve(bun_exe, tmp_path, dataset, strategy):
    script = tmp_path / "serve_rows.mjs"
    script.write_text(ROWS.replace("JSC/", f"{JSC}/"))
    command = [bun_exe, str(script), str(dataset), strategy, str(START), str(ROUNDS), json.dumps(SERVE)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def python_serve(dataset, strategy):
    """What the JS script prints, from the harness's own ServeProcess."""
    job = check(Job("serve", "gcprobe", strategy, "serve", str(dataset), START, params={"rounds": ROUNDS, **SERVE}))
    prepared = prepare(job, ROUNDS)
    process, field = prepared.run, prepared.strategy.field
    try:
        process.warm_up()
        iterations = []
        for j in range(ROUNDS):
            read = process.iteration(j)
            index = j % SERVE["sessions"]
            iterations.append(
                {
                    "session": process.session_ids[index],
                    "history": process.size_of(index),
                    "kept": [field(message["info"], "id") for message in read],
                    "parts": [len(message["parts"]) for message in read],
                    "synthetic": next(
                        (i for i, message in enumerate(read) if any(p is SYNTHETIC_PART for p in message["parts"])),
                        -1,
                    ),
                }
            )
        events = [[event["type"], field(event.get("info", event.get("part")), "id")] for event in process.events]
        return {
            "iterations": iterations,
            "published": process.events_published,
            "events": events,
            "frames": process.frames_held,
            "estimate": vars(process.budget),
        }
    finally:
        prepared.close()


@pytest.mark.parametrize("strategy", ["fixed", "cached:fixed"])
def test_the_js_and_python_serves_build_the_same_rows(bun_exe, dataset, tmp_path, strategy):
    js, python = js_serve(bun_exe, tmp_path, dataset, strategy), python_serve(dataset, strategy)
    assert js["iterations"] == python["iterations"]
    assert all(0 <= it["synthetic"] < len(it["kept"]) for it in js["iterations"])
    assert any(len(it["kept"]) < it["history"] for it in js["iterations"]), "no compaction was crossed"
    assert js["published"] == python["published"] > SERVE["fanout"] == len(js["events"])
    assert js["events"] == python["events"]
    assert js["frames"] == python["frames"] > 0
    assert js["estimate"] == python["estimate"]


def test_a_serve_too_large_for_the_machine_is_refused(bun_exe, dataset, tmp_path):
    available, ballast = available_memory(), 65536 * BALLAST_BYTES_PER_MB
    if available is None or ballast <= AVAILABLE_SHARE * available:
        pytest.skip("this machine has the memory a 64 GiB ballast needs (or does not say how much it has)")
    status, stderr, result = run_js(bun_exe, tmp_path, **serve_job(dataset), params={"sessions": 2, "retain_mb": 65536})
    assert status == 2 and result is None, stderr
    assert stderr.startswith("error: serve needs about ") and stderr.count("\n") == 1, stderr
    assert "lower retain_mb, sessions, the history or framework" in stderr
