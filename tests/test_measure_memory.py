"""The memory (memray) and scalene measurers on a tiny dataset: schema, captures, fallbacks."""

import json
import os
import subprocess
import sys

import pytest

from harness.measure.lifeline import PARENT_ENV


def run(module, job_path, out, *extra, prelude=None, env=None):
    argv = ["--job", str(job_path), "--out", str(out), *extra]
    if prelude is None:
        command = [sys.executable, "-m", f"harness.measure.{module}", *argv]
    else:  # run the module as a script after the prelude, e.g. to hide memray or scalene
        code = (
            f"{prelude}\nimport runpy, sys\nsys.argv[1:] = {argv!r}\n"
            f"runpy.run_module('harness.measure.{module}', run_name='__main__', alter_sys=True)"
        )
        command = [sys.executable, "-c", code]
    return subprocess.run(command, capture_output=True, text=True, env=env)


def figures_of(result):
    return {figure["metric"]: figure["value"] for figure in result["figures"]}


@pytest.mark.integration
@pytest.mark.requires("memray")
@pytest.mark.parametrize("strategy", ["spread", "slots"])
def test_memory_of_hydrate_all(tmp_path, dataset, strategy, write_job):
    job = write_job(measurer="memory", dataset=str(dataset), strategy=strategy)
    out = tmp_path / "mem.json"
    done = run("memory", job, out)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    assert result["status"] == "ok" and result["job"]["strategy"] == strategy
    figures = figures_of(result)
    for metric in (
        "peak_bytes",
        "allocations",
        "allocated_bytes",
        "retained_bytes",
        "peak_bytes_per_message",
        "retained_bytes_per_message",
        "rss_before_bytes",
        "rss_after_bytes",
        "max_rss_bytes",
    ):
        assert figures[metric] > 0, metric
    assert figures["allocated_bytes"] >= figures["peak_bytes"] >= figures["retained_bytes"]
    assert figures["peak_bytes_per_message"] == pytest.approx(figures["peak_bytes"] / 100)
    assert {figure["unit"] for figure in result["figures"]} <= {"bytes", "count"}
    extra = result["extra"]
    assert extra["messages"] == 100 and extra["gc_mode"] == "enabled"
    assert extra["capture"] == str(tmp_path / "mem.memray.bin")
    assert extra["flamegraph"] == str(tmp_path / "mem.memray.flamegraph.html")
    assert (tmp_path / "mem.memray.flamegraph.html").stat().st_size > 0 and extra["flamegraph_offline"] is True
    stats = subprocess.run([sys.executable, "-m", "memray", "stats", extra["capture"]], capture_output=True, text=True)
    assert stats.returncode == 0, stats.stderr


@pytest.mark.integration
@pytest.mark.requires("memray")
def test_memory_of_the_growing_run_loop(tmp_path, dataset, write_job):
    capture = tmp_path / "elsewhere.bin"
    job = write_job(
        measurer="memory",
        dataset=str(dataset),
        workload="run_loop",
        size=50,
        params={"rounds": 3, "growth": 25, "capture": str(capture), "gc_mode": "disabled"},
    )
    out = tmp_path / "loop.json"
    done = run("memory", job, out)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    steps = result["extra"]["iterations"]
    assert [step["history"] for step in steps] == [75, 100, 125]
    assert all(step["kept"] == step["history"] for step in steps)  # no compaction in this dataset
    assert result["extra"]["messages"] == 125 and result["extra"]["gc_mode"] == "disabled"
    assert result["extra"]["capture"] == str(capture) and capture.stat().st_size > 0
    assert figures_of(result)["retained_bytes_per_message"] > 0


def test_memory_falls_back_to_rss_without_memray(tmp_path, dataset, write_job):
    job = write_job(measurer="memory", dataset=str(dataset))
    out = tmp_path / "rss.json"
    done = run("memory", job, out, prelude="import sys; sys.modules['memray'] = None")
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    figures = figures_of(result)
    assert "peak_bytes" not in figures and figures["max_rss_bytes"] > 0
    assert {"rss_before_bytes", "rss_after_bytes", "rss_growth_bytes"} <= set(figures)
    assert "RSS figures only" in result["extra"]["note"]
    assert not (tmp_path / "rss.memray.bin").exists()


@pytest.mark.integration
@pytest.mark.parametrize(
    ("module", "fields", "message"),
    [
        ("memory", {"strategy": "sloths"}, "did you mean 'slots'"),
        ("memory", {"workload": "sprint"}, "unknown workload 'sprint'"),
        ("memory", {"params": {"gc_mode": "freeze"}}, "params.gc_mode must be one of enabled, disabled"),
        ("memory", {"params": {"rounds": 0}}, "params.rounds must be >= 1"),
        (
            "memory",
            {"workload": "run_loop", "params": {"rounds": 100, "growth": 100}},
            "has 400 messages; 100 + 100 × 100 were asked for",
        ),
        ("scalene", {"size": 10**6}, "has 400 messages; 1000000 were asked for"),
    ],
)
def test_bad_jobs_exit_2_with_one_line(tmp_path, dataset, module, fields, message, write_job):
    job = write_job(measurer=module, dataset=str(dataset), **fields)
    out = tmp_path / "out.json"
    done = run(module, job, out)
    assert done.returncode == 2 and message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not out.exists() and not (tmp_path / "out.memray.bin").exists()


def test_scalene_is_skipped_without_scalene(tmp_path, dataset, write_job):
    job = write_job(dataset=str(dataset), measurer="scalene")
    out = tmp_path / "scalene.json"
    done = run("scalene", job, out, prelude="import sys; sys.modules['scalene'] = None")
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    assert result["figures"] == [] and "scalene is not installed" in result["extra"]["skipped"]


@pytest.mark.integration
def test_scalene_target_runs_the_workload_plainly(tmp_path, dataset, write_job):
    job = write_job(dataset=str(dataset), measurer="scalene", strategy="fixed", params={"rounds": 3, "min_seconds": 0})
    out = tmp_path / "target.json"
    done = run("scalene", job, out, "--target")
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    figures = figures_of(result)
    assert figures["wall_s"] > 0 and figures["seconds_per_round"] == pytest.approx(figures["wall_s"] / 3)
    assert result["extra"]["rounds"] == 3 and result["extra"]["unit"] == "row"
    # with a minimum span, the calls go on until it has passed (a profile needs samples)
    job = write_job(
        dataset=str(dataset), measurer="scalene", strategy="fixed", params={"rounds": 1, "min_seconds": 0.3}
    )
    assert run("scalene", job, out, "--target").returncode == 0
    result = json.loads(out.read_text())
    assert figures_of(result)["wall_s"] >= 0.3 and result["extra"]["rounds"] > 1


@pytest.mark.integration
@pytest.mark.requires("scalene")
def test_scalene_profiles_the_workloads_own_lines(tmp_path, dataset, write_job):
    """Only the measured calls are profiled, and their time lands on the access kernel's own lines,
    not on the bootstrap line of scalene's sampling threads (threading.py)."""
    job = write_job(dataset=str(dataset), measurer="scalene", workload="access", size=400, params={"rounds": 20})
    out = tmp_path / "scalene.json"
    as_the_runner_starts_it = {**os.environ, PARENT_ENV: str(os.getpid())}  # measurers die with their runner
    done = run("scalene", job, out, env=as_the_runner_starts_it)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    figures = figures_of(result)
    assert {"cpu_python_percent", "cpu_native_percent", "cpu_system_percent", "copy_mb_per_s"} <= set(figures)
    split = figures["cpu_python_percent"] + figures["cpu_native_percent"] + figures["cpu_system_percent"]
    assert 90 <= split <= 100.5
    lines = result["extra"]["top_lines"]
    assert lines and not [line for line in lines if line["file"].endswith("threading.py")]
    kernel = [line for line in lines if "_kernel.py[" in line["file"]]
    assert kernel and sum(line["cpu_percent"] for line in kernel) > 50
    assert any("o.role" in line["code"] for line in kernel)  # the kernel's source is shown, not just its name
    for line in lines:
        assert line["cpu_percent"] == pytest.approx(
            line["python_percent"] + line["native_percent"] + line["system_percent"]
        )


def test_scalene_summary_splits_cpu_and_restores_escaped_source():
    from harness.measure.scalene import summary

    line = {"lineno": 3, "line": "  if a \\u003c b:", "n_cpu_percent_python": 30.0, "n_cpu_percent_c": 10.0}
    quiet = {"lineno": 4, "line": "pass", "n_copy_mb_s": 2.5}
    found = summary({"elapsed_time_sec": 2.0, "files": {"x.py": {"lines": [line, quiet]}}})
    assert [top["code"] for top in found["top_lines"]] == ["if a < b:"]  # lines without CPU are left out
    figures = {figure.metric: figure.value for figure in found["figures"]}
    assert figures["cpu_python_percent"] == 30.0 and figures["cpu_native_percent"] == 10.0
    assert figures["copy_mb_per_s"] == 2.5 and figures["profile_elapsed_s"] == 2.0
