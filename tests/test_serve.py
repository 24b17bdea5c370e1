"""The serve workload (a replay of a long-lived opencode serve process) and its GC probe: the sessions
it serves, its iterations (growth, round robin, events, frames, what a session holds), a row cache shared
by its sessions, determinism, its errors, the memory estimate and refusal, and a job end to end."""

import gc
import json
import math
import re
import sqlite3
import subprocess
import sys
import weakref
from contextlib import contextmanager

import pytest
from runs import one_line_error

from harness.generate import generate
from harness.measure.catalogue import check
from harness.metrics import HEAP_COUNTS, SERVE_ITERATION, SERVE_ITERATION_CPYTHON
from harness.protocol.job import Job, JobError
from harness.store import create_tables, write_dataset
from harness.workloads import serve_budget
from harness.workloads.binding import prepare, sessions_by_size

#: What every iteration record holds, in this order.
RECORD_KEYS = [*SERVE_ITERATION, *SERVE_ITERATION_CPYTHON]
GC_FIGURES = {"gc_s", "gc_share", "gc_idle_s", "gc_cpu_share"}
WINDOW_FIGURES = {
    "wall_s",
    "elapsed_s",
    "iteration_s",
    "last_iteration_s",
    "largest_history",
    "cpu_s",
    "cpu_utilisation",
    "lag_s",
    "peak_rss_bytes",
    *(name for name in HEAP_COUNTS if name.startswith("tracked_")),
}
EXTRA_KEYS = {
    "iterations",
    "sessions",
    "config",
    "heap_counts",
    "events",
    "frames_held",
    "cache",
    "estimate",
    "gc_mode",
}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """600 realistic messages in three sessions (300, 197 and 103 messages) that never compact."""
    path = tmp_path_factory.mktemp("serve") / "three.sqlite"
    write_dataset(path, generate("realistic", 3, 600, sessions=3, overrides={"compaction_every": 0}))
    return path


def serve_job(dataset, strategy="spread", size=40, rounds=6, **params):
    return check(Job("j", "gcprobe", strategy, "serve", str(dataset), size, params={"rounds": rounds, **params}))


@contextmanager
def process_of(job):
    """The job's serve process, its dataset closed afterwards."""
    prepared = prepare(job, job.params["rounds"])
    try:
        yield prepared.run
    finally:
        prepared.close()


def lengths(dataset):
    with sqlite3.connect(dataset) as conn:
        return dict(conn.execute("SELECT session_id, count(*) FROM message GROUP BY session_id"))


def test_the_longest_sessions_are_served_ties_by_id(served):
    conn = sqlite3.connect(":memory:")
    create_tables(conn)
    for number, (session, count) in enumerate([("ses_b", 3), ("ses_d", 1), ("ses_c", 5), ("ses_a", 3)]):
        for index in range(count):
            conn.execute(
                "INSERT INTO message VALUES (?, ?, ?, ?, '{}')", (f"msg_{number}{index}", session, index, index)
            )
    assert sessions_by_size(conn, 3) == [("ses_c", 5), ("ses_a", 3), ("ses_b", 3)]
    assert len(sessions_by_size(conn, 9)) == 4
    longest = sorted(lengths(served).items(), key=lambda item: (-item[1], item[0]))
    with process_of(serve_job(served, sessions=2)) as process:
        assert process.session_ids == [session for session, _ in longest[:2]]


@pytest.mark.parametrize("sessions", [1, 3])
def test_sessions_take_turns_and_grow_by_growth_per_visit(served, sessions):
    growth, size = 7, 40
    with process_of(serve_job(served, size=size, rounds=7, growth=growth, sessions=sessions)) as process:
        process.warm_up()
        assert [process.size_of(s) for s in range(sessions)] == [size + growth] * sessions
        for j in range(7):
            history = process()
            turns = [sum(1 for i in range(j + 1) if i % sessions == s) for s in range(sessions)]
            assert [process.size_of(s) for s in range(sessions)] == [size + (1 + t) * growth for t in turns]
            assert len(history) == process.size_of(j % sessions)  # nothing compacts: the read keeps it all


@pytest.mark.parametrize("fanout", [0, 7, 10**6])
def test_the_event_ring_keeps_the_newest_events(served, fanout):
    growth = 4
    published = []
    with process_of(serve_job(served, sessions=2, growth=growth, fanout=fanout)) as process:
        for j in range(5):
            history = process.iteration(j)
            for message in history[-growth:]:
                published.append(("message.updated", message["info"]))
                published += [("message.part.updated", part) for part in message["parts"]]
        kept = [(event["type"], event.get("info", event.get("part"))) for event in process.events]
        assert process.events_published == len(published)
    assert len(kept) == min(fanout, len(published))
    newest = published[len(published) - len(kept) :]
    assert [kind for kind, _ in kept] == [kind for kind, _ in newest]
    assert all(found is expected for (_, found), (_, expected) in zip(kept, newest))
    assert any(obj.get("synthetic") for _, obj in published)  # the injected part was published with its message


def rows_read(process, index):
    """Messages and parts the session's read builds: every row of its scratch copy (nothing compacts)."""
    conn = process.sessions[index].conn
    return sum(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in ("message", "part"))


@pytest.mark.parametrize("framework", [0, 3])
def test_frames_held_are_framework_per_row_of_each_sessions_latest_read(served, framework):
    with process_of(serve_job(served, sessions=3, framework=framework)) as process:
        process.warm_up()
        for _ in range(4):
            process()
        assert process.frames_held == framework * sum(rows_read(process, s) for s in range(3))
        if framework:
            assert all(frame() > 0 for state in process.states for frame in state[1][:5])


def test_a_session_releases_its_previous_history_and_frames_at_its_next_iteration(served):
    job = serve_job(served, strategy="dataclass", sessions=2, framework=1, fanout=0)
    with process_of(job) as process:
        process.warm_up()
        gc.collect()
        info = weakref.ref(process.states[0][0][0]["info"])
        frame = weakref.ref(process.states[0][1][0])
        process()  # session 0: its state is replaced
        gc.collect()
        assert info() is None and frame() is None
        info, frame = weakref.ref(process.states[0][0][0]["info"]), weakref.ref(process.states[0][1][0])
        process()  # session 1: session 0 keeps its state
        gc.collect()
        assert info() is not None and frame() is not None


def test_a_row_cache_is_shared_by_the_sessions(served):
    growth = 5
    with process_of(serve_job(served, strategy="cached:fixed", size=30, sessions=2, growth=growth)) as process:
        process.warm_up()
        warm = process.cache["info"]
        assert warm["hits"] == 0 and warm["misses"] == warm["size"] == 2 * (30 + growth)
        before = [process.size_of(s) for s in range(2)]
        for _ in range(4):
            process()
        infos = process.cache["info"]
    assert infos["size"] == infos["misses"] == 2 * (30 + 3 * growth)  # one cache holds both sessions' rows
    assert infos["hits"] == before[0] + before[1] + (before[0] + growth) + (before[1] + growth)  # every row re-read
    assert process.cache is not None and process.cache["part"]["hits"] > 0


def test_two_serves_build_the_same_histories(served):
    def built(job):
        with process_of(job) as process:
            process.warm_up()
            to_dict = process.strategy.to_dict
            runs = []
            for _ in range(5):
                history = process()
                runs.append([(to_dict(m["info"]), [to_dict(p) for p in m["parts"]]) for m in history])
            events = [(event["type"], to_dict(event.get("info") or event["part"])) for event in process.events]
            return runs, events

    job = serve_job(served, strategy="fixed", sessions=3, growth=3, fanout=50)
    assert built(job) == built(job)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"sessions": 4}, "dataset {dataset} has 3 sessions; 4 were asked for"),
        ({"sessions": 3, "growth": 5}, "session {third!r} has 103 messages; 100 + 3 × 5 were asked for"),
    ],
)
def test_too_few_sessions_or_messages_are_one_line(served, params, message):
    third = min(lengths(served).items(), key=lambda item: item[1])[0]
    with pytest.raises(JobError) as raised:
        prepare(serve_job(served, size=100, rounds=4, **params), 4)
    assert str(raised.value) == message.format(dataset=served, third=third)


def test_a_job_naming_a_session_is_refused(served):
    job = Job("j", "gcprobe", "spread", "serve", str(served), 40, session="ses_x", params={"rounds": 2})
    with pytest.raises(JobError, match="serve runs the dataset's 4 longest sessions; the job names session 'ses_x'"):
        prepare(check(job), 2)


@pytest.mark.parametrize("measurer", ["timing", "memory", "scalene"])
def test_only_the_gc_probe_runs_serve(measurer):
    with pytest.raises(JobError, match=f"the {measurer} measurer runs .*, not 'serve'"):
        check(Job("j", measurer, "spread", "serve", "d.sqlite", 40))


def stored(dataset, sessions, messages):
    """Bytes of stored JSON and rows of each session's first ``messages`` messages and their parts."""
    size = rows = 0
    with sqlite3.connect(dataset) as conn:
        for session in sessions:
            found = conn.execute(
                "SELECT id, data FROM message WHERE session_id = ? ORDER BY time_created, id", (session,)
            ).fetchall()[:messages]
            ids = {mid for mid, _ in found}
            parts = [data for mid, data in conn.execute("SELECT message_id, data FROM part") if mid in ids]
            size += sum(len(data.encode()) for _, data in found) + sum(len(data.encode()) for data in parts)
            rows += len(found) + len(parts)
    return size, rows


def test_the_memory_estimate_adds_its_parts(served):
    sessions = [session for session, _ in sorted(lengths(served).items(), key=lambda item: -item[1])[:2]]
    with sqlite3.connect(served) as conn:
        found = serve_budget.estimate(conn, sessions, 60, 5, 4, 3, 2)
    size, rows = stored(served, sessions, 60 + (1 + math.ceil(5 / 2)) * 4)
    assert (found.stored_bytes, found.rows) == (size, rows)
    assert found.ballast_bytes == 2 * 1.25 * 2**20 and found.histories_bytes == 12 * size
    assert found.frames_bytes == 2 * 3 * rows * 200
    assert found.estimate_bytes == 256 * 2**20 + found.ballast_bytes + found.histories_bytes + found.frames_bytes


def test_a_serve_that_would_not_fit_is_refused_in_one_line(served, monkeypatch):
    job = serve_job(served, sessions=2, retain_mb=1024)
    monkeypatch.setattr(serve_budget, "available_memory", lambda: None)
    with process_of(job):
        pass  # the machine does not say: no check
    monkeypatch.setattr(serve_budget, "available_memory", lambda: 2**30)
    with pytest.raises(JobError) as raised:
        prepare(job, 6)
    assert re.fullmatch(
        r"serve needs about 1\.5 GiB \(ballast 1\.2 GiB, histories 0\.0 GiB, frames 0\.0 GiB\) and the machine has"
        r" 1\.0 GiB available; lower retain_mb, sessions, the history or framework",
        str(raised.value),
    )


def run_gcprobe(tmp_path, dataset, **params):
    job = {
        "id": "serve",
        "measurer": "gcprobe",
        "strategy": "spread",
        "workload": "serve",
        "dataset": str(dataset),
        "size": 40,
        "params": {"rounds": 4, "sessions": 2, "growth": 5, "framework": 2, "fanout": 30, **params},
    }
    path, out = tmp_path / "job.json", tmp_path / "result.json"
    path.write_text(json.dumps(job))
    done = subprocess.run(
        [sys.executable, "-m", "harness.measure.gcprobe", "--job", str(path), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    return done, out


@pytest.mark.integration
def test_a_gcprobe_serve_job_reports_the_window_and_the_peak(tmp_path, served):
    done, out = run_gcprobe(tmp_path, served)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    figures = {figure["metric"]: figure for figure in result["figures"]}
    assert set(figures) >= WINDOW_FIGURES | GC_FIGURES and {"gc0_collections", "gc2_s"} <= set(figures)
    assert {figure["n"] for figure in figures.values()} == {4}
    assert figures["largest_history"]["value"] == 40 + 3 * 5 and figures["lag_s"]["value"] == 0
    extra = result["extra"]
    assert set(extra) >= EXTRA_KEYS and len(extra["sessions"]) == 2
    assert [list(step) for step in extra["iterations"]] == [RECORD_KEYS] * 4
    assert [(step["round"], step["session"], step["history"]) for step in extra["iterations"]] == [
        (0, 0, 50),
        (1, 1, 50),
        (2, 0, 55),
        (3, 1, 55),
    ]
    assert extra["config"] == {
        "sessions": 2,
        "growth": 5,
        "rate": 0.0,
        "framework": 2,
        "fanout": 30,
        "retain_mb": 0,
        "ballast_records": 0,
    }
    assert extra["frames_held"] > 0 and extra["events"] > 30 and extra["cache"] is None
    assert extra["estimate"]["rows"] * 2 * 2 * 200 == extra["estimate"]["frames_bytes"]
    assert extra["heap_counts"]["function"] == figures["tracked_functions"]["value"] >= extra["frames_held"]


@pytest.mark.integration
def test_a_serve_without_the_gc_has_no_gc_figures(tmp_path, served):
    done, out = run_gcprobe(tmp_path, served, gc_mode="disabled", rate=500.0, retain_mb=1)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    names = {figure["metric"] for figure in result["figures"]}
    assert names >= WINDOW_FIGURES and not names & GC_FIGURES and not any(re.match(r"gc\d", name) for name in names)
    assert result["extra"]["config"]["ballast_records"] == 2**20 // 1100


@pytest.mark.integration
def test_a_gcprobe_serve_too_large_for_the_machine_exits_2(tmp_path, served):
    available = serve_budget.available_memory()
    if available is None or available * serve_budget.AVAILABLE_SHARE > 65536 * 1.25 * 2**20:
        pytest.skip("the machine does not say its available memory, or has more than the largest ballast needs")
    done, out = run_gcprobe(tmp_path, served, retain_mb=65536)
    assert one_line_error(done).startswith("error: serve needs about 80.") and not out.exists()
