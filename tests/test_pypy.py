"""PyPy on a fresh machine: its virtual environment made the way ``harness bench --python pypy3``
makes one (into a folder of the test's own), then the smoke plan on it. Every job is ok — a
figure PyPy cannot give is named in its result with the reason — or skipped when the run is
planned, with the reason; none fails. Needs ``pypy3`` (README: ``apt-get install pypy3 pypy3-dev``)
and the package index; a minute or two."""

import json
import os
import shutil
import subprocess

import pytest
from runs import bench, latest

from harness.runs import results

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("pypy3") is None, reason="no pypy3 (apt-get install pypy3 pypy3-dev)"),
]


def test_the_smoke_plan_runs_on_pypy(tmp_path):
    venvs = tmp_path / "venvs"
    done = bench(tmp_path, "--python", "pypy3", env={**os.environ, "HARNESS_VENVS": str(venvs)})
    assert done.returncode == 0, done.stderr[-4000:]
    run = latest(tmp_path / "results")
    manifest = results.load_manifest(run)
    assert manifest["status"] == "complete" and [*manifest["interpreters"]] == ["pp39"]
    assert all(": skipped " in note and note.split("): ", 1)[1] for note in manifest["notes"])
    found = {job["id"]: json.loads((run / "jobs" / f"{job['id']}.json").read_text()) for job in manifest["jobs"]}
    assert {result["status"] for result in found.values()} == {"ok"}
    measurers = {job["measurer"] for job in manifest["jobs"]}
    assert measurers == {"census", "timing", "gcprobe", "memory"}
    for result in found.values():
        extra, metrics = result["extra"], {figure["metric"] for figure in result["figures"]}
        if result["job"]["measurer"] == "census":
            assert set(extra["unavailable"]) == {
                "tracked_per_message",
                "deep_bytes_per_message",
                "pinned_row_bytes_per_message",
                "top_level_tracked_share",
            }
            assert all(extra["unavailable"].values()) and not metrics & set(extra["unavailable"])
        if result["job"]["measurer"] == "memory":
            assert "memray does not run on pypy" in extra["note"] and "max_rss_bytes" in metrics
    (python,) = venvs.glob("pp39-*/bin/python")
    job = next(job for job in manifest["jobs"] if job["measurer"] == "census")
    scalene = tmp_path / "scalene.job.json"
    scalene.write_text(json.dumps({**job, "id": "scalene", "measurer": "scalene", "params": {"min_seconds": 0}}))
    done = subprocess.run(
        [python, "-m", "harness.measure.scalene", "--job", scalene, "--out", tmp_path / "scalene.json"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    skipped = json.loads((tmp_path / "scalene.json").read_text())
    assert skipped["figures"] == [] and "does not run on pypy" in skipped["extra"]["skipped"]
