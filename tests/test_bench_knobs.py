"""pyperf's own options on ``harness bench``: -p/--processes, --fast, --rigorous and --affinity change
the timing figures of the plan, are recorded with it and refused on resume; bad values are one line."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from runs import bench, harness, latest, one_line_error

from harness.cli import main
from harness.commands import bench as bench_command
from harness.commands.options import UsageError
from harness.protocol.job import MAX_PROCESSES
from harness.runs import results, runner
from harness.runs.plans import PLANS, PyperfOptions, with_pyperf_options
from harness.runtime.bun import BunRuntime
from harness.runtime.python import current

#: pyperf's own Runner, asked what --fast and --rigorous make of a benchmark's processes and values.
PYPERF_SPEEDS = """
import json, sys
import pyperf
kept, found = [], []
for processes, values in json.loads(sys.argv[1]):
    for speed in ("fast", "rigorous"):
        runner_class = type("Runner", (pyperf.Runner,), {})  # pyperf allows one Runner per class
        kept.append(runner_class)
        args = runner_class(processes=processes, values=values).parse_args([f"--{speed}"])
        found.append([processes, values, speed, args.processes, args.values])
print(json.dumps(found))
"""


def _planned(chosen):
    """The plan's jobs on the running Python (datasets named, not read), and the processes of each figure."""
    datasets = {spec.key: Path(f"{spec.key}.sqlite") for spec in chosen.datasets}
    jobs, _ = runner.plan(chosen, [current()], datasets)
    figures = {}
    for job in jobs:
        figure = job.id.rsplit("-r", 1)[0] if job.id.rsplit("-r", 1)[-1].isdigit() else job.id
        figures[figure] = figures.get(figure, 0) + 1
    return jobs, figures


def test_without_options_every_plan_is_as_it_was():
    for name, chosen in PLANS.items():
        assert with_pyperf_options(chosen, PyperfOptions()) == chosen, name


def test_fast_and_rigorous_are_what_pyperf_makes_of_processes_and_values():
    pairs = [(1, 1), (2, 1), (3, 3), (5, 5), (6, 2), (8, 10), (20, 3)]
    done = subprocess.run(
        [sys.executable, "-c", PYPERF_SPEEDS, json.dumps(pairs)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    for processes, values, speed, pyperf_processes, pyperf_values in json.loads(done.stdout):
        options = PyperfOptions(speed=speed)
        assert (options.processes_for(processes), options.values_for(values)) == (pyperf_processes, pyperf_values)


@pytest.mark.parametrize("name", sorted(PLANS))
def test_the_planned_timing_jobs_carry_the_options_and_nothing_else_changes(name):
    chosen = PLANS[name]
    before, before_figures = _planned(chosen)
    for options in (PyperfOptions(4, "fast", "0"), PyperfOptions(speed="rigorous")):
        after, figures = _planned(with_pyperf_options(chosen, options))
        timing = [job for job in after if job.measurer == "timing"]
        assert [job for job in after if job.measurer != "timing"] == [job for job in before if job.measurer != "timing"]
        assert all(job.params["pyperf"]["processes"] == 1 for job in timing)  # each process is one job
        values = {job.params["pyperf"]["values"] for job in timing}
        earlier = {job.params["pyperf"]["values"] for job in before if job.measurer == "timing"}
        assert values == {options.values_for(value) for value in earlier}
        assert {job.params["pyperf"].get("affinity") for job in timing} <= {options.affinity}
        timed = {figure for figure in figures if "-timing-" in figure}
        assert timed == {figure for figure in before_figures if "-timing-" in figure}
        assert all(figures[figure] == options.processes_for(before_figures[figure]) for figure in timed)


def test_one_process_per_figure_plans_ids_without_repeat_numbers():
    jobs, figures = _planned(with_pyperf_options(PLANS["quick"], PyperfOptions(processes=1)))
    timing = [job for job in jobs if job.measurer == "timing"]
    assert timing and all(figures[job.id] == 1 for job in timing)
    assert not any(job.id.endswith("-r1") for job in timing)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-p", "0"], f"argument -p/--processes: expected a positive integer up to {MAX_PROCESSES:,}, got '0'"),
        (
            ["-p", str(MAX_PROCESSES + 1)],
            f"expected a positive integer up to {MAX_PROCESSES:,}, got '{MAX_PROCESSES + 1}'",
        ),
        (["--processes", "two"], f"argument -p/--processes: expected a positive integer up to {MAX_PROCESSES:,}"),
        (["-p", "nan"], "argument -p/--processes: expected a positive integer"),
        (["--fast", "--rigorous"], "argument --rigorous: not allowed with argument --fast"),
        (["-p", "4", "--rigorous"], "--rigorous doubles the plan's processes; with -p N give the processes themselves"),
        (["--affinity", "zero"], "argument --affinity: expected a CPU list such as 0, 0-1 or 0,2, got 'zero'"),
        (["--affinity", "0,"], "expected a CPU list"),
        (["--affinity", "0 1"], "expected a CPU list"),
        (["--affinity", ""], "expected a CPU list"),
        (["--affinity", "1-0"], "a CPU range goes upwards"),
        (["--affinity", "999999"], "CPU 999999 is not one this machine offers"),
        (["--affinity", "0-999999"], "is not one this machine offers"),
        (["--affinity", "9" * 5000], "expected a CPU list"),
        (["--jobs", "1"], "unrecognized arguments: --jobs"),
        (["--resume", "nowhere", "-p", "2", "--affinity", "0"], "--processes, --affinity (start a new run instead)"),
        (["--resume", "nowhere", "--fast"], "it takes no --plan, --fast "),
    ],
)
def test_bad_values_are_one_line_and_exit_2(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(["bench", "--plan", "smoke", "--no-report", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err
    assert not list(tmp_path.iterdir())  # refused before anything was made


def test_a_cpu_the_machine_lacks_names_the_cpus_it_offers():
    offered = sorted(os.sched_getaffinity(0))
    assert bench_command.cpu_list(",".join(map(str, offered))) == ",".join(map(str, offered))
    assert bench_command.cpu_list(f"{offered[0]}-{offered[-1]}") == f"{offered[0]}-{offered[-1]}"
    with pytest.raises(Exception, match=rf"CPU {offered[-1] + 1} is not one this machine offers \(it offers "):
        bench_command.cpu_list(f"{offered[0]}-{offered[-1] + 1}")


def test_affinity_is_refused_where_a_runtime_times_without_pyperf():
    bun = BunRuntime("bun14", "bun", {"interpreter": {"implementation": "JSC Bun", "version": "1.4.5"}})
    bench_command._refuse_unpinnable([current()])
    with pytest.raises(UsageError, match=r"--affinity pins pyperf's timing workers; JSC Bun 1\.4\.5 times without"):
        bench_command._refuse_unpinnable([current(), bun])


@pytest.mark.integration
def test_a_run_with_two_pinned_processes_per_timing_figure_records_them(tmp_path):
    done = bench(tmp_path, "--strategies", "spread", "-p", "2", "--affinity", "0")
    assert done.returncode == 0, done.stderr
    run_dir = latest(tmp_path / "results")
    manifest = results.load_manifest(run_dir)
    assert manifest["argv"][-4:] == ["-p", "2", "--affinity", "0"]
    assert manifest["plan_sha256"] == results.plan_digest(manifest)
    timing = [job for job in results.planned_jobs(manifest) if job.measurer == "timing"]
    assert timing and all(job.params["pyperf"]["affinity"] == "0" for job in timing)
    assert {job.id[-3:] for job in timing} == {"-r1", "-r2"} and len(timing) % 2 == 0
    for job in timing:
        result = json.loads((run_dir / "jobs" / f"{job.id}.json").read_text())
        assert result["extra"]["pyperf_settings"]["affinity"] == "0"
        if len(os.sched_getaffinity(0)) > 1:  # pyperf records the CPUs its worker ran on when not all of them
            import pyperf

            pyperf_json = tmp_path / result["extra"]["pyperf_json"]  # relative to the directory the run ran in
            (run,) = [run for run in pyperf.Benchmark.load(str(pyperf_json)).get_runs() if run.values]
            assert run.get_metadata()["cpu_affinity"] == "0"
    refused = one_line_error(harness(tmp_path, "bench", "--resume", run_dir, "-p", "3"))
    assert "--resume finishes a run as it was planned; it takes no --processes" in refused
