"""The report: notebooks executed on the saved smoke run, rendered offline, escaped, honest about gaps."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbclient")
pytest.importorskip("pandas")

from harness.analysis.display import load_frame  # noqa: E402
from harness.analysis.report import build_report, completeness_line, external_urls  # noqa: E402
from harness.protocol.job import Job  # noqa: E402
from harness.runs import (
    files,
    results,  # noqa: E402
)

FIXTURE = Path(__file__).parent / "data" / "smoke-run"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


def copy_fixture(tmp_path: Path, name: str = "run") -> Path:
    run = tmp_path / name
    shutil.copytree(FIXTURE, run)
    return run


def drop_measurer(run: Path, measurer: str) -> None:
    """Remove every trace of one measurer's results (tidy rows and job results), as if it never ran."""
    frame = results.load_tidy(run)
    frame[frame["measurer"] != measurer].to_csv(run / "tidy.csv", index=False)
    for path in (run / "jobs").glob(f"*-{measurer}-*.json"):
        if not path.name.endswith(".job.json"):
            path.unlink()


def hostile_copy(tmp_path: Path) -> Path:
    """The fixture with markup in strategy, dataset and interpreter names (tidy, jobs and manifest)."""
    run = copy_fixture(tmp_path, "hostile")
    frame = results.load_tidy(run)
    frame["strategy"] = frame["strategy"].replace({"slots": SCRIPT})
    frame["interpreter"] = frame["interpreter"].replace({"CPython 3.11.7": f"CPython 3.11.7{IMG}"})
    frame["dataset"] = frame["dataset"].str.replace("realistic", f"realistic{SCRIPT}", regex=False)
    frame.to_csv(run / "tidy.csv", index=False)
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["interpreters"]["cp311"]["interpreter"]["version"] = f"3.11.7{IMG}"
    manifest["interpreters"]["cp311"]["machine"]["cpu_model"] = SCRIPT
    manifest["profile"] = IMG
    for key in manifest["datasets"]:
        manifest["datasets"][key]["path"] += SCRIPT
    (run / "manifest.json").write_text(json.dumps(manifest))
    for path in (run / "jobs").glob("*memory*.json"):
        result = json.loads(path.read_text())
        (result.get("job", result))["strategy"] = SCRIPT
        path.write_text(json.dumps(result))
    return run


def body_text(page: str) -> str:
    """The visible text of the <main> part, tags removed."""
    main = page.split("<main>", 1)[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).strip()


@pytest.mark.integration
def test_report_on_the_fixture_is_offline_complete_and_has_every_section(tmp_path, capsys):
    run = copy_fixture(tmp_path)
    path = build_report(run)
    assert path == run / "report.html"
    page = path.read_text(encoding="utf-8")
    assert external_urls(page) == []
    assert not re.search(r"<(script|link|img)\b[^>]*\b(src|href)\s*=\s*[\"']?\s*(https?:)?//", page, re.I)
    assert "mathjax" not in page.lower() and "require.js" not in page.lower()
    images = re.findall(r"<img\b[^>]*>", page)
    assert len(images) >= 5 and all('src="data:image/png;base64,' in image for image in images)
    text = body_text(page)
    assert text.startswith("shape-harness report:")
    assert "Complete run: 10 of 10 jobs ok." in text
    answer = text.index(
        "Answer On CPython 3.11.7, rebuilding 400 messages of realistic-s11-m400-k1-pda0eaee8.sqlite: nothing here "
        "beats spread — the run rebuilt no strategy beside spread."
    )
    assert answer < text.index("The answer names, per interpreter, the strategy with the lowest median rebuild time")
    assert text.index("interpreter strategy read path GC share GC s rows/s × floor peak B/msg loop ms") < text.index(
        "Findings"
    )  # the report opens with the answer, its rule and its table
    assert "The run records no machine state (other work, load, CPU time) for its jobs." in text  # no machine.json
    assert "Not in this run: JavaScriptCore Structures (needs a census on JavaScriptCore (Bun))" in text
    for heading in (
        "Findings",
        "Environment",
        "Shapes",
        "GC overhead",
        "Memory",
        "Access time and growth",
        "Across interpreters",
    ):
        assert heading in text
    assert "failed to execute" not in text and "Traceback" not in page
    assert "3.11.7 (main" in text and "AMD EPYC" in text and "1c9c8a115242" in text  # exact build, CPU, fingerprint
    assert "Spread vs fixed key sets on the reference dataset: info 40 → 2" in text
    assert "one interpreter" in text or "has 1 interpreter" in text
    figures = {p.name for p in (run / "figures").iterdir()}
    assert {"gc-controls.svg", "gc-controls.png", "timing-access.svg", "run-loop-growth.png"} <= figures
    err = capsys.readouterr().err
    assert "executing notebook shapes" in err and "executing notebook interpreters" in err
    assert not list((FIXTURE).glob("report.html")) and not (FIXTURE / "figures").exists()


@pytest.mark.integration
def test_a_run_without_a_measurer_says_what_is_missing(tmp_path):
    run = copy_fixture(tmp_path)
    drop_measurer(run, "memory")
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["status"] = "interrupted"
    (run / "manifest.json").write_text(json.dumps(manifest))
    text = body_text(build_report(run).read_text(encoding="utf-8"))
    first = text.split("Findings", 1)[0]
    assert "Incomplete run (status interrupted): 1 of 10 jobs lack a result (0 failed, 1 missing)" in first
    assert "measurers with missing jobs: memory" in first
    assert "This run has no memory measurements" in text
    assert "No memray flamegraph files" in text
    assert "failed to execute" not in text


def test_completeness_line_counts_failed_jobs_and_absent_measurers(tmp_path):
    run = copy_fixture(tmp_path)
    drop_measurer(run, "timing")
    job = "cp311-timing-access-spread-300"
    failed = results.failure_record(
        Job.from_dict(json.loads((run / "jobs" / f"{job}.job.json").read_text())), 1, "boom", "crashed"
    )
    files.write_json(run / "jobs" / f"{job}.json", failed)
    incomplete, line = completeness_line(run, results.load_manifest(run), load_frame(run))
    assert incomplete
    assert line == (
        "Incomplete run (status complete): 2 of 10 jobs lack a result (1 failed, 1 missing); "
        "measurers with missing jobs: timing."
    )


@pytest.mark.integration
def test_every_name_from_the_data_is_escaped(tmp_path):
    run = hostile_copy(tmp_path)
    page = build_report(run).read_text(encoding="utf-8")
    assert SCRIPT not in page and "<img src=x" not in page and "onerror=alert(1)>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&gt;&lt;img src=x onerror=alert(1)&gt;" in page  # the quote may stay literal in text
    assert "failed to execute" not in page
    assert external_urls(page) == []


def test_report_command_on_a_non_run_directory_exits_2_with_one_line(tmp_path):
    for target in (tmp_path, tmp_path / "absent"):
        done = subprocess.run([sys.executable, "-m", "harness", "report", str(target)], capture_output=True, text=True)
        assert done.returncode == 2
        assert done.stdout == ""
        assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("harness report: error:")


@pytest.mark.slow
def test_a_run_with_no_results_at_all_still_reports(tmp_path):
    run = copy_fixture(tmp_path)
    (run / "tidy.csv").write_text(",".join(results.TIDY_COLUMNS) + "\n")
    for path in (run / "jobs").glob("*.json"):
        if not path.name.endswith(".job.json"):
            path.unlink()
    text = body_text(build_report(run).read_text(encoding="utf-8"))
    assert "10 of 10 jobs lack a result" in text.split("Findings", 1)[0]
    assert "This run has no data any finding rests on." in text
    for sentence in (
        "no census measurements",
        "no gcprobe measurements",
        "no memory measurements",
        "no timing measurements",
        "no run_loop measurements",
    ):
        assert sentence in text
    assert "failed to execute" not in text


@pytest.mark.requires("matplotlib")
def test_grouped_bars_draws_one_bar_per_cell_side_by_side_with_hatched_groups():
    import matplotlib.pyplot as plt
    import pandas as pd

    from harness.analysis.plots import grouped_bars

    wide = pd.DataFrame({"a": [1.0, None, 3.0], "b": [4.0, 5.0, 6.0]}, index=["x", "seed y", "z"])
    fig, ax = grouped_bars(wide, "count", "Title", hatch=lambda name: "//" if name.startswith("seed") else None)
    try:
        bars = [bar for container in ax.containers for bar in container]
        assert [bar.get_height() for bar in bars] == [1.0, 0.0, 3.0, 4.0, 5.0, 6.0]  # missing value drawn as 0
        assert [round(bar.get_x() + bar.get_width() / 2, 6) for bar in bars] == [0, 1, 2, 0.4, 1.4, 2.4]
        assert [bar.get_hatch() for bar in bars] == [None, "//", None, None, "//", None]
        assert list(ax.get_xticks()) == pytest.approx([0.2, 1.2, 2.2])  # centred under each group
        assert [tick.get_text() for tick in ax.get_xticklabels()] == ["x", "seed y", "z"]
        assert [text.get_text() for text in ax.get_legend().get_texts()] == ["a", "b"]
        assert (ax.get_ylabel(), ax.get_title()) == ("count", "Title")
    finally:
        plt.close(fig)
    fig, ax = grouped_bars(wide[["b"]], "v", "t", labels=["1", "2", "3"], legend=False, color="#123456")
    try:
        assert ax.get_legend() is None
        assert [tick.get_text() for tick in ax.get_xticklabels()] == ["1", "2", "3"]
        assert [bar.get_width() for bar in ax.containers[0]] == pytest.approx([0.8] * 3)
    finally:
        plt.close(fig)


def test_the_header_warns_of_a_busy_machine_and_shows_a_failed_finding(tmp_path, monkeypatch):
    from harness.analysis import findings
    from harness.analysis.report import header_html
    from harness.runs import machine

    run = copy_fixture(tmp_path)
    for job in results.load_manifest(run)["jobs"]:
        machine.record(
            run, job["id"] if isinstance(job, dict) else job, {"other_cores": 1.2, "load_end": 3.2, "cpu_share": 0.61}
        )

    def broken(frame):
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(findings, "FINDERS", (*findings.FINDERS, findings.Finder("x", "Broken", "x", broken)))
    page = header_html(run, results.load_manifest(run), load_frame(run))
    assert "Warning: the machine was busy during this run: the median job had other work on 1.20 of" in page
    assert "load average 3.20; the job on a CPU 61% of its wall time." in page
    assert '<p class="harness-incomplete">Could not be computed: ZeroDivisionError: float division by zero.</p>' in page
