"""``harness compare``: two smoke runs, B/A per shared figure, fingerprints, pyperf significance."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main
from harness.compare import significance

pyperf = pytest.importorskip("pyperf")
pytest.importorskip("pandas")


def _bench(root: Path, cwd: Path) -> Path:
    done = subprocess.run(
        [sys.executable, "-m", "harness", "bench", "--profile", "smoke", "--no-report", "--out", str(root)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return (root / "latest").resolve()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two smoke runs of the same code on the running interpreter (datasets generated in a tmp dir)."""
    work = tmp_path_factory.mktemp("compare")
    return _bench(work / "a", work), _bench(work / "b", work)


def _copy(run: Path, tmp_path: Path) -> Path:
    target = tmp_path / run.name
    shutil.copytree(run, target, symlinks=True)
    return target


def _markdown_rows(text: str):
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    return [dict(zip(header, (cell.strip() for cell in line.strip("|").split("|")))) for line in lines[1:]]


def test_compare_prints_a_table(runs, capsys):
    assert main(["compare", str(runs[0]), str(runs[1])]) == 0
    out = capsys.readouterr().out
    assert "B/A" in out and "significance" in out
    assert "ns_per_read" in out and "info_key_sets" in out


def test_markdown_ratios_are_plausible(runs, capsys):
    assert main(["compare", str(runs[0]), str(runs[1]), "--markdown"]) == 0
    rows = _markdown_rows(capsys.readouterr().out)
    assert rows and set(rows[0]) >= {"interpreter", "strategy", "workload", "size", "metric", "B/A"}
    census = [row for row in rows if row["measurer"] == "census"]
    assert census and all(row["B/A"] == "1.000" for row in census)  # deterministic figures
    timing = [row for row in rows if row["measurer"] == "timing"]
    assert {row["metric"].split(" ")[0] for row in timing} >= {"ns_per_read", "seconds_per_call"}
    for row in timing:
        assert 0.2 < float(row["B/A"]) < 5
        assert row["significance"]  # smoke keeps one value per timing: pyperf cannot test it
    variants = {row["measurer"] for row in rows if row["measurer"].startswith("gcprobe")}
    assert {"gcprobe [enabled]", "gcprobe [disabled]"} <= variants  # GC controls are not merged


def test_fingerprint_mismatch_needs_force(runs, tmp_path, capsys):
    other = _copy(runs[1], tmp_path)
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["fingerprint"] = "0123456789ab"
    for info in manifest["interpreters"].values():
        info["fingerprint"] = "0123456789ab"
    (other / "manifest.json").write_text(json.dumps(manifest))
    assert main(["compare", str(runs[0]), str(other)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "fingerprints differ" in err and "--force" in err
    assert main(["compare", str(runs[0]), str(other), "--force"]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("warning: environment fingerprints differ")
    assert "ns_per_read" in captured.out


def test_not_a_run_dir_is_a_usage_error(runs, tmp_path, capsys):
    assert main(["compare", str(tmp_path), str(runs[1])]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "is not a harness run directory" in err


def test_runs_with_nothing_in_common(runs, tmp_path, capsys):
    other = _copy(runs[1], tmp_path)
    header = (other / "tidy.csv").read_text().splitlines()[0]
    (other / "tidy.csv").write_text(header + "\n")
    manifest = json.loads((other / "manifest.json").read_text())  # a table without rows, as the run wrote it
    manifest["tidy"]["sha256"] = hashlib.sha256((header + "\n").encode()).hexdigest()
    (other / "manifest.json").write_text(json.dumps(manifest))
    assert main(["compare", str(runs[0]), str(other)]) == 0
    assert "nothing in common" in capsys.readouterr().out


def _pyperf_file(path: Path, values) -> Path:
    metadata = {"name": "access", "unit": "second"}
    run = pyperf.Run(values, warmups=None, metadata=metadata, collect_metadata=False)
    pyperf.Benchmark([run]).dump(str(path))
    return path


def test_significance_is_pyperfs_verdict(tmp_path):
    base = _pyperf_file(tmp_path / "a.json", [1.00, 1.01, 0.99, 1.00, 1.02, 0.98])
    same = _pyperf_file(tmp_path / "b.json", [1.01, 0.99, 1.00, 1.02, 0.98, 1.00])
    slower = _pyperf_file(tmp_path / "c.json", [1.50, 1.52, 1.49, 1.51, 1.50, 1.48])
    assert significance(base, same).startswith("not significant (t=")
    assert significance(base, slower).startswith("significant (t=")
    one = _pyperf_file(tmp_path / "d.json", [1.0])
    assert significance(one, one) == "untested (1 value each)"
    assert significance(base, None) == "no pyperf data"
