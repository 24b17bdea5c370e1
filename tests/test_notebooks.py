"""Notebooks outside the report: the README's jupytext + nbconvert route, and a run_dir that is not a run."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.analysis.display import locate_run
from harness.runs import files
from harness.runs.results import RunError

pytestmark = pytest.mark.requires("jupytext", "nbconvert", "ipykernel", "pandas", "matplotlib")

FIXTURE = Path(__file__).parent / "data" / "smoke-run"
NOTEBOOK = Path(__file__).parents[1] / "harness" / "analysis" / "notebooks" / "shapes.py"
BIN = Path(sys.executable).parent


def html_of(notebook) -> str:
    """The HTML a notebook's cells displayed, joined."""
    return "".join(
        str(output.get("data", {}).get("text/html", ""))
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )


@pytest.fixture
def project(tmp_path):
    """A project-like folder: results/latest -> a smoke run, and a copy of one notebook in notebooks/."""
    run = tmp_path / "results" / "20250101T000000Z-abcdef"
    shutil.copytree(FIXTURE, run)
    (tmp_path / "results" / "latest").symlink_to(run.name)
    (tmp_path / "notebooks").mkdir()
    shutil.copy(NOTEBOOK, tmp_path / "notebooks" / NOTEBOOK.name)
    return tmp_path


def test_locate_run_looks_up_from_the_working_directory(project, monkeypatch):
    expected = (project / "results" / "latest").resolve()
    for where in (project, project / "notebooks"):
        monkeypatch.chdir(where)
        assert locate_run("results/latest") == expected
    assert locate_run(project / "results" / "latest") == expected


def test_locate_run_names_every_path_it_tried(project, monkeypatch, tmp_path):
    monkeypatch.chdir(project / "notebooks")
    with pytest.raises(RunError) as error:
        locate_run("results/nowhere")
    message = str(error.value)
    assert "results/nowhere" in message and str(project / "notebooks" / "results" / "nowhere") in message
    (project / "empty").mkdir()
    with pytest.raises(RunError, match="holds no run"):
        locate_run(project / "empty")


def _execute(notebook: Path, cwd: Path) -> subprocess.CompletedProcess:
    converted = subprocess.run(
        [str(BIN / "jupytext"), "--to", "ipynb", notebook.name], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert converted.returncode == 0, converted.stderr
    return subprocess.run(
        [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--execute", notebook.with_suffix(".ipynb").name],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.integration
def test_readme_route_renders_the_run(project):
    """jupytext then nbconvert --execute, in the notebook's folder: the kernel finds results/latest."""
    done = _execute(project / "notebooks" / NOTEBOOK.name, project / "notebooks")
    assert done.returncode == 0, done.stderr[-2000:]
    page = (project / "notebooks" / "shapes.html").read_text(encoding="utf-8")
    assert "<p>This run has no census measurements" not in page  # the note a missing run used to give
    figures = (project / "results" / "latest" / "figures").glob("*.svg")
    assert any(path.name.startswith("shapes") for path in figures)  # drawn from the run, saved into it


@pytest.mark.integration
def test_readme_route_fails_loudly_without_a_run(project):
    shutil.rmtree(project / "results")
    done = _execute(project / "notebooks" / NOTEBOOK.name, project / "notebooks")
    assert done.returncode != 0
    assert "holds no run" in done.stderr and "results/latest" in done.stderr


def _scalene_result(run: Path) -> None:
    """A scalene job result in the run, made by the measurer's own summary of a small profile."""
    from harness.measure.scalene import summary
    from harness.protocol.job import Job, job_sha256, write_result
    from harness.runs import results

    kernel = "/x/harness/strategies/_kernel.py[attributes, getattr for none]"
    line = {"lineno": 6, "line": "cost = o.cost", "n_cpu_percent_python": 40.0, "n_cpu_percent_c": 5.0}
    decoder = {"lineno": 353, "line": "obj, end = self.scan_once(s, idx)", "n_cpu_percent_c": 50.0, "n_copy_mb_s": 3.5}
    profile = {
        "elapsed_time_sec": 1.5,
        "files": {kernel: {"lines": [line]}, "/usr/lib/python3.11/json/decoder.py": {"lines": [decoder]}},
    }
    found = summary(profile)
    job = Job(
        "cp311-scalene-access-reference-slots-300",
        "scalene",
        "slots",
        "access",
        "/d/reference-s11-m300.sqlite",
        300,
        params={"rounds": 5},
        interpreter="cp311",
    )
    job_path = run / "jobs" / f"{job.id}.job.json"
    files.write_json(job_path, job.to_dict())
    extra = {"scalene": "2.4.0", "top_lines": found["top_lines"]}
    job_hash = job_sha256(job_path.read_text(encoding="utf-8"))
    write_result(run / "jobs" / f"{job.id}.json", job, job_hash, found["figures"], 0.0, extra)
    manifest = results.load_manifest(run)
    manifest["jobs"].append(job.to_dict())
    results.write_tidy(run, manifest)
    files.write_json(run / "manifest.json", manifest)


@pytest.mark.integration
def test_profiles_notebook_shows_the_split_of_each_line(tmp_path):
    from fake_runs import noisy_run

    from harness.analysis.report import execute_notebook

    run = noisy_run(tmp_path, seed=1, benchmarks=2)
    _scalene_result(run)
    notebook, error = execute_notebook("profiles", run)
    assert error is None
    html = html_of(notebook)
    for text in ("Python %", "native %", "copy MB/s", "_kernel.py[attributes", "json/decoder.py", "cost = o.cost"):
        assert text in html
    assert (run / "figures" / "scalene-split-access.svg").is_file()


def _memory_results(run: Path, extras: dict) -> None:
    """A memory job result in the run per strategy, its ``extra`` naming the files given (templates of
    names in ``memory/``, ``{job}`` the job's id, as the runner places a capture: ``memory/<job>.bin``)."""
    from fake_runs import write_job

    from harness.metrics import PEAK_BYTES, PEAK_BYTES_PER_MESSAGE
    from harness.protocol.job import Figure, Job
    from harness.runs import results

    manifest = results.load_manifest(run)
    for strategy, extra in extras.items():
        job = Job(
            f"cp311-memory-hydrate_all-realistic-{strategy}-2000",
            "memory",
            strategy,
            "hydrate_all",
            "/d/realistic-s11-m5000.sqlite",
            2000,
            interpreter="cp311",
        )
        figures = [Figure(PEAK_BYTES.name, 2e6, "bytes"), Figure(PEAK_BYTES_PER_MESSAGE.name, 1e3, "bytes")]
        write_job(
            run, job, figures, {key: str(run / "memory" / name.format(job=job.id)) for key, name in extra.items()}
        )
        manifest["jobs"].append(job.to_dict())
    results.write_tidy(run, manifest)
    files.write_json(run / "manifest.json", manifest)


@pytest.mark.integration
def test_memory_notebook_finds_flamegraphs_however_they_were_rendered(tmp_path):
    """The measurer's own (recorded in the result), one rendered later with -o <job>.flamegraph.html, one
    under memray's default name memray-flamegraph-<job>.html; a job with only its capture has none."""
    from fake_runs import noisy_run

    from harness.analysis.report import execute_notebook

    run = noisy_run(tmp_path, seed=1, benchmarks=1)
    capture, recorded = "{job}.bin", "{job}.flamegraph.html"
    rendered = {"spread": recorded, "fixed": recorded, "slots": "memray-flamegraph-{job}.html"}
    _memory_results(
        run,
        {
            "spread": {"capture": capture, "flamegraph": recorded},
            "fixed": {"capture": capture},
            "slots": {"capture": capture},
            "msgspec": {"capture": capture},
        },
    )
    paths = {
        strategy: "memory/" + name.format(job=f"cp311-memory-hydrate_all-realistic-{strategy}-2000")
        for strategy, name in rendered.items()
    }
    for path in paths.values():
        (run / path).write_text("<html></html>", encoding="utf-8")
    notebook, error = execute_notebook("memory", run)
    assert error is None
    html = html_of(notebook)
    for strategy, path in paths.items():
        assert f'<li>{strategy}: <a href="{path}">' in html
    assert "<li>msgspec:" not in html and "No memray flamegraph files" not in html


def test_a_figure_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    """save_figure writes each file through a temporary: a savefig that fails half-way leaves the
    previous figure (or none), never a cut one under the figure's name."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from harness.analysis.plots import save_figure

    fig = plt.figure()
    fig.gca().plot([1, 2], [3, 4])
    save_figure(fig, tmp_path, "growth")
    saved = {path.name: path.read_bytes() for path in (tmp_path / "figures").iterdir()}
    assert set(saved) == {"growth.svg", "growth.png"} and saved["growth.png"].startswith(b"\x89PNG")

    def cut_short(self, target, **options):
        Path(target).write_bytes(b"<svg")  # what a full disk or a kill leaves behind
        raise OSError(28, "No space left on device")

    fig = plt.figure()
    monkeypatch.setattr(type(fig), "savefig", cut_short)
    with pytest.raises(OSError):
        save_figure(fig, tmp_path, "growth")
    assert {path.name: path.read_bytes() for path in (tmp_path / "figures").iterdir()} == saved


@pytest.mark.integration
def test_history_notebook_plots_runs_of_the_same_environment_only_from_two_on(tmp_path):
    """One run: no history yet. A second of the same fingerprint (an earlier commit): the plot of
    both, in commit order; a run of another fingerprint stays out."""
    from fake_runs import noisy_run

    from harness.analysis.report import execute_notebook
    from harness.runs import results

    def dated(seed: int, commit: str, day: int, fingerprint: str = "") -> Path:
        run = noisy_run(tmp_path, seed=seed, benchmarks=2)
        manifest = results.load_manifest(run)
        manifest["git"] = {"commit": commit * 40, "committed": f"2026-01-0{day}T00:00:00+00:00", "dirty": False}
        manifest["started"] = "2026-06-01T00:00:00+00:00"
        if fingerprint:
            manifest["interpreters"]["cp311"]["fingerprint"] = fingerprint
        files.write_json(run / "manifest.json", manifest)
        return run

    latest = dated(1, "b", 2)
    dated(3, "c", 1, fingerprint="0ther0ther00")
    notebook, error = execute_notebook("history", latest)
    assert error is None
    assert "No history yet: 1 complete run(s)" in html_of(notebook)
    assert not (latest / "figures" / "history.svg").exists()
    dated(2, "a", 1)
    notebook, error = execute_notebook("history", latest)
    assert error is None
    html = html_of(notebook)
    assert "No history yet" not in html and html.index("aaaaaaa") < html.index("bbbbbbb") and "ccccccc" not in html
    assert (latest / "figures" / "history.svg").is_file()
