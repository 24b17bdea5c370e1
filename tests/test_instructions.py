"""Instruction counts (callgrind): the measurer gives the same count twice, a deliberate 1 % slowdown is
a change by the counts verdict, ``--counter`` adds a count beside every timing sweep, and where
valgrind is missing (or on PyPy) the jobs are skipped with the reason and the install line."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fake_runs import fake_manifest

from harness.analysis.compare import compare_runs
from harness.analysis.verdict import CHANGED, COUNT_THRESHOLD, UNCHANGED, count_verdict
from harness.cli import main
from harness.generate import generate
from harness.measure import instructions
from harness.measure.catalogue import MEASURERS, Measurer
from harness.protocol.job import Job, job_sha256
from harness.runs import files, lifecycle, results, runner
from harness.runs.plans import PLANS, Sweep, with_counter
from harness.runtime.python import PythonRuntime, current
from harness.store import write_dataset

SLOWDOWN_PLUGIN = Path(__file__).parent / "slowdown_plugin"
needs_valgrind = pytest.mark.skipif(
    shutil.which("valgrind") is None or shutil.which("setarch") is None,
    reason="valgrind or setarch is not installed (apt-get install valgrind)",
)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    path = tmp_path_factory.mktemp("counted") / "reference-s11-m200.sqlite"
    write_dataset(path, generate("reference", 11, 200))
    return path


def counted_run(root: Path, dataset: Path, slowdown: bool = False) -> Path:
    """A run directory of one instructions job (``slowdown-twin`` hydrating 200 rows), measured here."""
    run_dir = results.new_run_dir(root)
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    job = Job(
        f"{tag}-instructions-hydrate_all-twin-200", "instructions", "slowdown-twin", "hydrate_all", str(dataset), 200
    )
    job = runner.job_file(run_dir, job.with_params(rounds=2))
    job_path = run_dir / "jobs" / f"{job.id}.job.json"
    files.write_json(job_path, job.to_dict())
    out = run_dir / "jobs" / f"{job.id}.json"
    env = {**os.environ, "PYTHONPATH": str(SLOWDOWN_PLUGIN), "HARNESS_SLOWDOWN": "1" if slowdown else "0"}
    command = [sys.executable, "-m", "harness.measure.instructions", "--job", str(job_path), "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["job_sha256"] == job_sha256(job_path.read_text(encoding="utf-8"))
    manifest = fake_manifest(run_dir, [job])
    results.write_tidy(run_dir, manifest)
    files.write_json(run_dir / "manifest.json", manifest)
    return run_dir


def figures(run_dir: Path) -> dict:
    (result,) = results.job_results(run_dir)
    return {figure["metric"]: figure["value"] for figure in result["figures"]}


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="module")
def twins(dataset, root):
    """The twin counted twice."""
    return counted_run(root, dataset), counted_run(root, dataset)


@pytest.fixture(scope="module")
def slower(dataset, root):
    """The twin counted with the slowdown on."""
    return counted_run(root, dataset, slowdown=True)


@needs_valgrind
@pytest.mark.integration
def test_two_runs_give_identical_counts_and_keep_the_callgrind_file(twins):
    first, second = twins
    assert figures(first) == figures(second)
    assert (
        set(figures(first)) == {"instructions_per_call", "instructions_per_row"}
        and figures(first)["instructions_per_row"] > 0
    )
    (result,) = results.job_results(first)
    kept = (first / "jobs" / result["artifacts"]["callgrind"]["path"]).resolve()  # relative to the result
    assert kept.parent.name == "counts" and result["extra"]["regions"]["measured"] > 0
    assert list(result["extra"]["regions"]) == list(instructions.REGIONS)
    assert not [path for path in kept.parent.iterdir() if path != kept]  # the other parts are gone
    if shutil.which("callgrind_annotate"):
        annotated = subprocess.run(["callgrind_annotate", str(kept)], capture_output=True, text=True, timeout=120)
        assert annotated.returncode == 0 and "--dump-after=closure_fcn" in annotated.stdout
    rows = results.load_tidy(first)
    assert set(rows["n"]) == {1} and rows["mad"].isna().all()  # one count: no spread to give


@needs_valgrind
@pytest.mark.integration
def test_a_one_percent_slowdown_is_changed_by_the_counts_verdict(twins, slower):
    twin, again = twins
    ratio = figures(slower)["instructions_per_row"] / figures(twin)["instructions_per_row"]
    assert COUNT_THRESHOLD < ratio < 1.02  # 1 % more builds: more than the threshold, about 1 %
    same = compare_runs(twin, again, results.load_tidy(twin), results.load_tidy(again))
    assert {row.verdict.label for row in same.rows} == {UNCHANGED}
    moved = compare_runs(twin, slower, results.load_tidy(twin), results.load_tidy(slower))
    assert [(row.metric, row.verdict.label) for row in moved.rows] == [("instructions_per_row", CHANGED)]
    assert moved.rows[0].verdict.detail == "more instructions"  # the count per call is the same count, not shown


@pytest.mark.parametrize(
    ("a", "b", "label"),
    [
        (1000.0, 1000.0, UNCHANGED),
        (1000.0, 1004.9, UNCHANGED),
        (1000.0, 995.1, UNCHANGED),
        (1000.0, 1005.1, CHANGED),
        (1000.0, 994.0, CHANGED),
        (0.0, 5.0, CHANGED),
    ],
)
def test_a_count_changes_beyond_half_a_percent(a, b, label):
    assert count_verdict(a, b).label == label


def test_the_counter_adds_one_count_beside_every_timing_sweep():
    for chosen in PLANS.values():
        counted = with_counter(chosen, "instructions")
        timing = [sweep for sweep in chosen.sweeps if sweep.measurer == "timing"]
        added = [sweep for sweep in counted.sweeps if sweep.measurer == "instructions"]
        assert len(added) == len(timing) and len(counted.sweeps) == len(chosen.sweeps) + len(timing)
        for timed, count in zip(timing, added):
            assert (count.workload, count.dataset, count.strategies, count.sizes, count.variants) == (
                timed.workload,
                timed.dataset,
                timed.strategies,
                timed.sizes,
                timed.variants,
            )
            assert count.repeats == 1 and "pyperf" not in count.params
            assert {k: v for k, v in timed.params.items() if k != "pyperf"} == count.params
        assert [s for s in counted.sweeps if s.measurer != "instructions"] == list(chosen.sweeps)
    with pytest.raises(ValueError, match="unknown counter"):
        with_counter(PLANS["smoke"], "cycles")


def test_a_counted_plan_plans_valid_jobs_and_is_not_the_default_run():
    chosen = with_counter(PLANS["smoke"], "instructions")
    here = current()
    datasets = {spec.key: Path(f"{spec.key}.sqlite") for spec in chosen.datasets}
    jobs, _ = runner.plan(chosen, [here], datasets)  # every job passes the catalogue's check
    assert any(job.measurer == "instructions" for job in jobs)
    assert not lifecycle.is_default(with_counter(PLANS[lifecycle.DEFAULT_PLAN], "instructions"), [here])


def test_where_valgrind_is_missing_the_jobs_are_skipped_with_the_reason():
    chosen = with_counter(PLANS["smoke"], "instructions")
    here = current()
    reason = "valgrind not found on PATH: its jobs are skipped with a note (apt-get install valgrind; ...)"
    without = PythonRuntime(
        here.tag, here.executable, here.environment, here.strategies, {"instructions": [False, reason]}
    )
    datasets = {spec.key: Path(f"{spec.key}.sqlite") for spec in chosen.datasets}
    jobs, notes = runner.plan(chosen, [without], datasets)
    assert jobs and not [job for job in jobs if job.measurer == "instructions"]
    skipped = [note for note in notes if "(instructions " in note]
    assert skipped and all(note.endswith(reason) for note in skipped)


def test_availability_names_what_is_missing_and_how_to_install_it(monkeypatch):
    entry = MEASURERS["instructions"]
    assert entry.planned_only_where_available and entry.comparison == "counts"
    monkeypatch.setenv("PATH", "")
    available, reason = entry.availability()
    assert not available and "valgrind, setarch not found on PATH" in reason and "apt-get install valgrind" in reason
    elsewhere = Measurer("m", "", (), implementations=("pypy",), without_it="skipped")
    assert elsewhere.availability() == (False, f"it does not measure {sys.implementation.name}: skipped")
    assert not MEASURERS["timing"].planned_only_where_available  # memray's and scalene's degrade instead


@pytest.mark.integration
def test_without_valgrind_the_job_says_why_and_counts_nothing(dataset, tmp_path):
    job_path, out = tmp_path / "job.json", tmp_path / "out.json"
    spec = {"id": "j", "measurer": "instructions", "strategy": "fixed", "workload": "hydrate_all"}
    job_path.write_text(json.dumps({**spec, "dataset": str(dataset), "size": 50, "params": {}}))
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}  # python, but no valgrind
    command = [sys.executable, "-m", "harness.measure.instructions", "--job", str(job_path), "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    assert result["figures"] == [] and "apt-get install valgrind" in result["extra"]["skipped"]


def test_a_bad_job_is_one_line_and_exit_2(dataset, tmp_path, capsys):
    job_path = tmp_path / "job.json"
    spec = {"id": "j", "measurer": "instructions", "strategy": "fixed", "workload": "hydrate_all"}
    job_path.write_text(json.dumps({**spec, "dataset": str(dataset), "size": 50, "params": {"rounds": 0}}))
    assert instructions.main(["--job", str(job_path), "--out", str(tmp_path / "out.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "rounds" in err and not (tmp_path / "out.json").exists()


def test_counter_is_refused_with_resume(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["bench", "--resume", "nowhere", "--counter", "instructions"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "it takes no --counter" in err
    assert not list(tmp_path.iterdir())


def test_a_callgrind_part_gives_its_total(tmp_path):
    part = tmp_path / "callgrind.out.3"
    part.write_text("# callgrind format\nevents: Ir\nsummary: 120\nfn=(1) f\n1 120\ntotals: 120\n")
    assert instructions.part_total(part) == 120
    (empty := tmp_path / "empty").write_text("events: Ir\n")
    with pytest.raises(OSError, match="holds no total"):
        instructions.part_total(empty)
    per = {f.metric: f.value for f in instructions.figures_from(100, 2100, 2, 10, "row")}
    assert per == {"instructions_per_call": 1000.0, "instructions_per_row": 100.0}


@pytest.mark.parametrize("measured", [100, 99])
def test_a_measured_region_no_larger_than_its_calibration_gives_no_count(measured):
    with pytest.raises(ValueError, match="no more than the calibration"):
        instructions.figures_from(100, measured, 2, 10, "row")


def test_sweep_params_of_a_counted_plan_are_the_workloads_own():
    sweep = Sweep("timing", "access", "reference", ("spread",), (10,), {"iterations": 5, "pyperf": {"values": 1}})
    counted = with_counter(PLANS["smoke"].__class__("p", "", (), (sweep,), 1.0), "instructions")
    assert counted.sweeps[1].params == {"iterations": 5}


def _notebook_html(run: Path) -> str:
    from test_notebooks import html_of

    from harness.analysis.report import execute_notebook

    notebook, error = execute_notebook("counts", run)
    assert error is None, error
    return html_of(notebook)


def _count_result(run: Path, strategy: str, per_call: float) -> None:
    """An instructions result for one of a noisy run's access timings (1,000 reads per call)."""
    from fake_runs import UNITS, write_job

    job = Job(
        f"cp311-instructions-access-reference-{strategy}-5000",
        "instructions",
        strategy,
        "access",
        "/data/reference-s11-m5000.sqlite",
        5000,
        interpreter="cp311",
    )
    write_job(run, job, instructions.figures_from(0, int(per_call * 3), 3, UNITS, "read"), {"rounds": 3})
    manifest = results.load_manifest(run)
    manifest["jobs"].append(job.to_dict())
    results.write_tidy(run, manifest)
    files.write_json(run / "manifest.json", manifest)


@pytest.mark.integration
@pytest.mark.requires("jupytext", "nbclient", "ipykernel", "pandas")
def test_the_report_shows_counts_beside_the_timing_or_says_there_are_none(tmp_path):
    from fake_runs import noisy_run

    run = noisy_run(tmp_path, seed=1, benchmarks=2)
    assert "No instruction counts in this run (harness bench --counter instructions)." in _notebook_html(run)
    _count_result(run, "s0", 450_000.0)
    _count_result(run, "s1", 300_000.0)
    html = _notebook_html(run)
    assert "instructions per read" in html and "wall-clock ns per read (median)" in html
    cells = re.findall(r"<td>([^<]*)</td>", html)
    rows = [cells[at : at + 7] for at in range(0, len(cells), 7)]
    assert [row[1] for row in rows] == ["s1", "s0"] and [row[4:6] for row in rows] == [["300", "1.00"], ["450", "1.50"]]
    assert all(row[6] != "—" for row in rows)  # the timing median beside each count
    assert "No instruction counts" not in html
