"""The metric registry: every figure each measurer (Python and JavaScriptCore) reports is registered,
and every registered metric is one a measurer reports; the tidy table refuses a figure it lacks;
the one line fit; the number formats."""

import json
import math
import subprocess
import sys
from pathlib import Path

import pyperf
import pytest
from fake_runs import fake_manifest, write_job
from hypothesis import given, settings
from hypothesis import strategies as st

from harness import metrics, numbers
from harness.generate import generate
from harness.measure import instructions
from harness.measure.timing import figures_from
from harness.protocol.job import Figure, Job
from harness.runs import files, results
from harness.runtime import bun_install as bun
from harness.store import write_dataset
from harness.workloads.catalogue import WORKLOADS

#: (measurer, workload, strategy, size, params, extra arguments) of one small job each.
PYTHON_JOBS = (
    ("census", "hydrate_all", "instance-dict", 100, {}, ()),
    ("timing", "access", "slots", 100, {"iterations": 2}, ("--debug-single-value", "--quiet")),
    ("gcprobe", "hydrate_all", "spread", 100, {"rounds": 2}, ()),
    ("gcprobe", "run_loop", "spread", 50, {"rounds": 3, "growth": 25}, ()),
    ("gcprobe", "serve", "spread", 40, {"rounds": 2, "sessions": 1, "growth": 5}, ()),
    ("memory", "hydrate_all", "spread", 100, {"flamegraph": False}, ()),
)
JS_JOBS = (
    ("census", "hydrate_all", "spread", {}),
    ("timing", "access", "fixed", {"pyperf": {"values": 2, "warmups": 1}, "iterations": 2}),
    ("timing", "hydrate_all", "fixed", {"pyperf": {"values": 2, "warmups": 1}}),
    ("timing", "page", "fixed", {"pyperf": {"values": 2, "warmups": 1}}),
    ("gcprobe", "hydrate_all", "spread", {"rounds": 2}),
    ("gcprobe", "run_loop", "spread", {"rounds": 3, "growth": 20}),
    ("gcprobe", "serve", "spread", {"rounds": 2, "sessions": 1, "growth": 5}),
    ("memory", "hydrate_all", "spread", {}),
)


def reported(result_path):
    """The figure names of a job's result."""
    return {figure["metric"] for figure in json.loads(result_path.read_text())["figures"]}


def run_python(tmp_path, dataset, measurer, workload, strategy, size, params, extra):
    job = {"id": "j", "measurer": measurer, "strategy": strategy, "workload": workload, "dataset": str(dataset)}
    path, out = tmp_path / f"{measurer}-{workload}.job.json", tmp_path / f"{measurer}-{workload}.json"
    path.write_text(json.dumps({**job, "size": size, "params": params}))
    command = [sys.executable, "-m", f"harness.measure.{measurer}", "--job", str(path), "--out", str(out), *extra]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module")
def python_figures(dataset, tmp_path_factory):
    """Every figure name the Python measurers report on a small dataset, timing's for every workload unit."""
    tmp_path = tmp_path_factory.mktemp("measured")
    found = set()
    for measurer, workload, strategy, size, params, extra in PYTHON_JOBS:
        found |= reported(run_python(tmp_path, dataset, measurer, workload, strategy, size, params, extra))
    run = pyperf.Run(
        [0.1, 0.2], warmups=None, metadata={"name": "b", "unit": "second", "loops": 1}, collect_metadata=False
    )
    for unit in {workload.unit for workload in WORKLOADS.values()}:
        found |= {figure.metric for figure in figures_from(pyperf.Benchmark([run]), 10, unit)}
        found |= {figure.metric for figure in instructions.figures_from(100, 2100, 2, 10, unit)}  # callgrind's
    return found


@pytest.fixture(scope="module")
def scalene_figures(dataset, tmp_path_factory):
    """The figure names of a scalene job and of the profiled target it runs."""
    pytest.importorskip("scalene")
    tmp_path = tmp_path_factory.mktemp("profiled")
    out = run_python(tmp_path, dataset, "scalene", "hydrate_all", "spread", 400, {"rounds": 5, "min_seconds": 0}, ())
    return reported(out) | reported(Path(json.loads(out.read_text())["extra"]["target_result"]))


@pytest.fixture(scope="module")
def js_figures(bun_exe, tmp_path_factory):
    """Every figure name the JavaScriptCore measurers report (Bun), on small datasets."""
    tmp_path = tmp_path_factory.mktemp("jsc")
    reference, realistic = tmp_path / "ref.sqlite", tmp_path / "real.sqlite"
    write_dataset(reference, generate("reference", 11, 120))
    write_dataset(realistic, generate("realistic", 11, 400, sessions=1))
    found = set()
    for index, (measurer, workload, strategy, params) in enumerate(JS_JOBS):
        dataset = realistic if workload in ("run_loop", "serve") else reference
        job = {"id": f"j{index}", "measurer": measurer, "strategy": strategy, "workload": workload}
        path, out = tmp_path / f"j{index}.job.json", tmp_path / f"j{index}.json"
        path.write_text(json.dumps({**job, "dataset": str(dataset), "size": 100, "params": params}))
        command = [bun_exe, str(bun.JOB_SCRIPT), "--job", str(path), "--out", str(out)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        found |= reported(out)
    return found


@pytest.mark.integration
def test_every_figure_the_python_measurers_report_is_registered(python_figures):
    assert python_figures and sorted(python_figures - set(metrics.METRICS)) == []


@pytest.mark.slow
def test_every_figure_scalene_reports_is_registered(scalene_figures):
    assert {"cpu_python_percent", "seconds_per_round"} <= scalene_figures
    assert sorted(scalene_figures - set(metrics.METRICS)) == []


@pytest.mark.slow
def test_every_figure_the_javascriptcore_measurers_report_is_registered(js_figures):
    assert js_figures and sorted(js_figures - set(metrics.METRICS)) == []


@pytest.mark.slow
def test_every_registered_metric_is_one_a_measurer_reports(python_figures, scalene_figures, js_figures):
    assert sorted(set(metrics.METRICS) - python_figures - scalene_figures - js_figures) == []


def test_every_metric_has_a_unit_a_direction_and_a_format():
    for name, metric in metrics.METRICS.items():
        assert metric.name == name and metric.unit in metrics.UNIT_FORMATS and metric.about
        assert metric.better in (metrics.LOWER, metrics.HIGHER, None)
        assert isinstance(metric.show(1234.5), str)
    assert metrics.GC_SHARE.show(0.3) == "30.0%" and metrics.LOOP_SLOPE.show(0.0503) == "50.3 ms"
    assert metrics.ROWS_PER_S.better == metrics.HIGHER and metrics.LARGEST_HISTORY.better is None


def test_the_tidy_table_refuses_a_figure_the_registry_lacks(tmp_path):
    run_dir = results.new_run_dir(tmp_path)
    job = Job("cp311-gcprobe-hydrate_all-spread-100", "gcprobe", "spread", "hydrate_all", "/d.sqlite", 100)
    write_job(run_dir, job, [Figure("wall_s", 0.5, "s", 2), Figure("wall_seconds\x1b[2J", 0.5, "s", 2)])
    manifest = fake_manifest(run_dir, [job])
    with pytest.raises(files.RunError) as raised:
        results.write_tidy(run_dir, manifest)
    message = str(raised.value)
    assert f"job {job.id} reports figure 'wall_seconds\\x1b[2J'" in message and "registered metric" in message
    assert "\n" not in message and "\x1b" not in message
    assert not (run_dir / "tidy.csv").exists() and "tidy" not in manifest  # no table that reads as complete


def test_fit_is_the_least_squares_line():
    assert metrics.fit([1, 2, 3, 4], [3, 5, 7, 9]) == pytest.approx((2.0, 1.0))
    assert metrics.fit([5, 5], [1, 2]) is None and metrics.fit([7], [1]) is None
    assert metrics.fit([0, 1, 2], [0.1, 0.2, 0.3]) == pytest.approx((0.1, 0.1))


@settings(deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 10**6), st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)),
        min_size=2,
        max_size=30,
    )
)
def test_fit_agrees_with_numpy(points):
    np = pytest.importorskip("numpy")
    xs, ys = [float(x) for x, _ in points], [y for _, y in points]
    found = metrics.fit(xs, ys)
    if len(set(xs)) < 2:
        assert found is None
    else:
        slope, intercept = np.polyfit(xs, ys, 1)
        assert found == pytest.approx((slope, intercept), rel=1e-6, abs=1e-6 * (1 + abs(intercept)))


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        ([1.0, 2.0, 1234.0], ["1", "2", "1,234"]),  # whole numbers: no decimals
        ([0.0123, 0.02, math.nan], ["0.0123", "0.0200", "—"]),  # three significant digits of the median
        ([123.456, 200.0], ["123", "200"]),
        ([0.0, 0.0], ["0", "0"]),
        ([1e-9, 2e-9], ["0.000000", "0.000000"]),  # at most six decimals
    ],
)
def test_a_table_column_has_one_format(values, shown):
    show = numbers.column_format(values)
    assert [show(value) for value in values] == shown


def test_plain_numbers_and_missing_figures():
    assert [numbers.plain_number(value) for value in (2000.0, 0.5, 1e15)] == ["2,000", "0.5", "1e+15"]
    assert numbers.maybe(numbers.bytes_, None) == "—" and numbers.maybe(numbers.bytes_, 3141.2) == "3,141 B"
    assert numbers.short(99.94) == "99.9" and numbers.short(100.5) == "100" and numbers.whole_pct(0.424) == "42%"
