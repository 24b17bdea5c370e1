"""``harness compare``: a smoke run and its copy, B/A per shared figure, verdicts, which environment
differences refuse and which are notes, the table's width and order; the pyperf suite."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from runs import copy_run

from harness.analysis.compare import TERMINAL_HEADERS
from harness.cli import main
from harness.protocol.environment import fingerprint
from harness.protocol.job import sealed
from harness.runs import files, results

pyperf = pytest.importorskip("pyperf")
pytest.importorskip("pandas")


@pytest.fixture(scope="module")
def runs(smoke_run, tmp_path_factory):
    """The shared smoke run and a copy of it: two runs of the same code on the running interpreter."""
    _, run = smoke_run
    return run, copy_run(run, tmp_path_factory.mktemp("compare"))


def _with_packages(run: Path, **versions: str) -> None:
    """Record other versions of some packages in every interpreter of a run's manifest, as if it had
    been run with them installed (fingerprints and plan digest to match)."""
    manifest = json.loads((run / "manifest.json").read_text())
    for info in manifest["interpreters"].values():
        info["packages"].update(versions)
        info["fingerprint"] = fingerprint(info)
    manifest["fingerprint"] = results.run_fingerprint(list(manifest["interpreters"].values()))
    manifest["plan_sha256"] = results.plan_digest(manifest)
    (run / "manifest.json").write_text(json.dumps(manifest))


def _imports(run: Path) -> set:
    """Every package some job of the run recorded as imported."""
    return {name for result in results.job_results(run) for name in result["environment"]["imports"]}


def _markdown_rows(text: str):
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    return [dict(zip(header, (cell.strip() for cell in line.strip("|").split("|")))) for line in lines[1:]]


@pytest.mark.integration
def test_compare_prints_a_table(runs, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # a row on one line
    assert main(["compare", str(runs[0]), str(runs[1]), "--all"]) == 0
    out = capsys.readouterr().out
    assert "B/A" in out and "verdict" in out
    assert "ns_per_read" in out and "info_key_sets" in out
    # the GC mode is text, not rich markup: GC-on and GC-off rows are told apart on the terminal too
    assert "gcprobe [enabled]" in out and "gcprobe [disabled]" in out
    summary = [line for line in out.splitlines() if " changed, " in line]
    assert len(summary) == 1 and "not comparable" in summary[0] and "geometric mean of timing B/A" in summary[0]


def test_markdown_gives_each_figure_its_ratio_and_a_verdict_that_needs_samples(runs, capsys):
    assert main(["compare", str(runs[0]), str(runs[1]), "--markdown"]) == 0
    rows = _markdown_rows(capsys.readouterr().out)
    assert rows and set(rows[0]) >= {"interpreter", "strategy", "workload", "size", "metric", "B/A"}
    census = [row for row in rows if row["measurer"] == "census"]
    assert census and all(row["B/A"] == "1.000" for row in census)  # deterministic figures
    timing = [row for row in rows if row["measurer"] == "timing"]
    assert "ns_per_read" in {row["metric"].split(" ")[0] for row in timing}
    figures = [tuple(row[key] for key in ("interpreter", "strategy", "workload", "size")) for row in timing]
    assert len(figures) == len(set(figures))  # a benchmark once: seconds per call is its ns per read restated
    for row in timing:  # B/A is B over A as the table prints them (no claim about its size: the machine is shared)
        # B/A is printed to 3 decimals, A and B to 4 significant digits
        assert float(row["B/A"]) == pytest.approx(float(row["B"]) / float(row["A"]), rel=2e-3, abs=5e-4)
    single = [row for row in timing if row["workload"] == "read_site"]  # one process each: never a verdict
    assert single and all(
        row["verdict"].startswith(("not enough samples (A: 1 process, 2 needed", "machine state differed"))
        for row in single
    )
    variants = {row["measurer"] for row in rows if row["measurer"].startswith("gcprobe")}
    assert {"gcprobe [enabled]", "gcprobe [disabled]"} <= variants  # GC controls are not merged


def test_a_figure_of_several_processes_is_their_median_and_their_merged_pyperf_runs(runs):
    from harness.analysis.compare import compare_runs

    tidy = results.load_tidy(runs[0])
    comparison = compare_runs(runs[0], runs[0], tidy, tidy)
    access = [
        row for row in comparison.rows if (row.workload, row.metric, row.variant) == ("access", "ns_per_read", "")
    ]
    processes = tidy[(tidy["workload"] == "access") & (tidy["metric"] == "ns_per_read") & (tidy["variant"] == "")]
    for row in access:
        own = processes[processes["strategy"] == row.strategy]["value"]
        assert len(own) == 2 and row.a == pytest.approx(own.median())
        assert row.verdict.label != "not enough samples" or "A: 2 processes" in row.verdict.detail


def test_compare_says_the_machine_state_differed_instead_of_a_verdict(runs, tmp_path, capsys):
    from harness.runs import machine

    quiet, busy = copy_run(runs[0], tmp_path / "a"), copy_run(runs[1], tmp_path / "b")
    for run, other_cores in ((quiet, 0.0), (busy, 1.5)):  # nothing, then a core and a half, beside every job
        state = machine.states(run)  # (set on both: the machine the tests run on may itself be busy)
        for job in state["jobs"].values():
            job["other_cores"] = other_cores
        files.write_json(run / machine.STATE_FILE, state)
        manifest = results.load_manifest(run)
        results.write_tidy(run, manifest)  # the table carries each job's load
        files.write_json(run / "manifest.json", manifest)
    assert main(["compare", str(quiet), str(busy), "--markdown"]) == 0
    rows = _markdown_rows(capsys.readouterr().out)
    measured = [row for row in rows if row["measurer"] != "census"]
    assert measured and all(row["verdict"].startswith("machine state differed (other work on ") for row in measured)
    assert all(row["verdict"].startswith("unchanged (exact") for row in rows if row["measurer"] == "census")


def test_fingerprint_mismatch_names_what_differs_and_needs_force(runs, tmp_path, capsys):
    other = copy_run(runs[1], tmp_path)
    manifest = json.loads((other / "manifest.json").read_text())
    for info in manifest["interpreters"].values():
        before = info["packages"]["pyperf"]
        info["packages"]["pyperf"] = "0.1"
        info["machine"]["cpu_model"] = "Another CPU"
        info["fingerprint"] = fingerprint(info)
    manifest["fingerprint"] = "0123456789ab"
    manifest["plan_sha256"] = results.plan_digest(manifest)  # as if it had been run there
    (other / "manifest.json").write_text(json.dumps(manifest))
    assert main(["compare", str(runs[0]), str(other)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--force" in err
    assert "cpu_model " in err and "-> Another CPU" in err and f"packages/pyperf {before} -> 0.1" in err
    assert main(["compare", str(runs[0]), str(other), "--force", "--markdown"]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("warning: environments differ (cp")
    assert "ns_per_read" in captured.out


def test_a_package_no_measured_job_imported_is_a_note_not_a_refusal(runs, tmp_path, capsys):
    assert "pyperf" in _imports(runs[0]) and "scalene" not in _imports(runs[0]) | _imports(runs[1])
    other = copy_run(runs[1], tmp_path)
    before = results.load_manifest(other)["interpreters"]
    _with_packages(other, scalene="0.0.1")
    assert main(["compare", str(runs[0]), str(other), "--all"]) == 0
    captured = capsys.readouterr()
    notes = captured.err.strip().splitlines()
    assert notes == [
        f"note: {tag}: packages/scalene {info['packages']['scalene']} -> 0.0.1 differs, but no measured job imports it"
        for tag, info in sorted(before.items())
    ]
    assert "ns_per_read" in captured.out


def test_a_package_a_measured_job_imported_is_refused_by_name(runs, tmp_path, capsys):
    other = copy_run(runs[1], tmp_path)
    before = next(iter(results.load_manifest(other)["interpreters"].values()))["packages"]["pyperf"]
    _with_packages(other, pyperf="0.1", scalene="0.0.1")
    assert main(["compare", str(runs[0]), str(other)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "error: environments differ (cp" in err
    assert f"packages/pyperf {before} -> 0.1" in err and "scalene" not in err


def test_a_run_whose_results_do_not_say_what_they_imported_refuses_every_package(runs, tmp_path, capsys):
    old = copy_run(runs[1], tmp_path)
    for path in (old / "jobs").glob("*.json"):
        result = json.loads(path.read_text())
        if "environment" in result and not path.name.endswith(".job.json"):
            del result["environment"]["imports"]  # as an older harness wrote it, sealed all the same
            path.write_bytes(sealed(result))
    assert results.completeness(old, results.load_manifest(old))["ok"] == len(results.load_manifest(old)["jobs"])
    _with_packages(old, scalene="0.0.1")
    assert main(["compare", str(runs[0]), str(old)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "packages/scalene" in err and "--force" in err


def test_only_changed_shows_only_changed_rows(tmp_path, capsys):
    from fake_runs import noisy_run

    base = noisy_run(tmp_path / "a", seed=5, benchmarks=6)
    three_slower = noisy_run(tmp_path / "b", seed=6, benchmarks=6, shift=1.3, shifted=3)
    assert main(["compare", str(base), str(three_slower), "--markdown", "--only-changed"]) == 0
    out = capsys.readouterr().out
    shown = _markdown_rows(out)
    assert sorted(row["strategy"] for row in shown) == ["s0", "s1", "s2"]  # each benchmark once
    assert all(row["verdict"].startswith("changed (slower, t=") for row in shown)
    assert "3 changed, 3 unchanged, 0 not comparable" in out
    assert main(["compare", str(base), str(base), "--only-changed"]) == 0
    assert "no figure changed" in capsys.readouterr().out


def test_a_pyperf_file_its_job_did_not_record_is_unverified_never_a_verdict(tmp_path, capsys):
    from fake_runs import noisy_run

    base = noisy_run(tmp_path / "a", seed=5, benchmarks=6)
    same = noisy_run(tmp_path / "b", seed=6, benchmarks=6)
    slower = noisy_run(tmp_path / "c", seed=6, benchmarks=6, shift=1.5, shifted=1)
    job = "cp311-timing-access-reference-s0-5000"  # B's file of s0 swapped for one 1.5x slower
    shutil.copyfile(slower / "timing" / f"{job}.json", same / "timing" / f"{job}.json")
    assert main(["compare", str(base), str(same), "--markdown"]) == 0
    out = capsys.readouterr().out
    rows = _markdown_rows(out)
    swapped = [row for row in rows if row["strategy"] == "s0"]
    assert swapped and all(
        row["verdict"] == "unverified (B: a pyperf file is not the one its job recorded)" for row in swapped
    )
    assert all(row["verdict"].startswith("unchanged") for row in rows if row["strategy"] != "s0")
    assert "(1 unverified)" in out and "geometric mean of timing B/A" in out and "over 5 benchmarks" in out


def test_threshold_must_be_a_factor_above_one(runs, capsys):
    assert main(["compare", str(runs[0]), str(runs[1]), "--threshold", "0.9"]) == 2
    assert "factor above 1" in capsys.readouterr().err


@pytest.mark.integration
def test_suite_lets_pyperf_compare_two_runs(runs):
    suites = [run / "timing" / "suite.json" for run in runs]
    names = [{bench.get_name() for bench in pyperf.BenchmarkSuite.load(str(path))} for path in suites]
    manifest = results.load_manifest(runs[0])
    timing = [job for job in manifest["jobs"] if job["measurer"] == "timing"]
    repeats = results.repeat_numbers(results.planned_jobs(manifest))
    first = [job for job in timing if repeats[job["id"]] == 1]  # a figure's processes are one benchmark
    assert names[0] == names[1] and len(names[0]) == len(first) > 1 and len(timing) > len(first)
    suite = pyperf.BenchmarkSuite.load(str(suites[0]))
    assert {len(bench.get_runs()) for bench in suite.get_benchmarks()} >= {2}  # the repeats' runs merged
    stems = {Path(job["dataset"]).stem for job in timing}
    assert all(any(stem in name for stem in stems) and "cp311" not in name for name in names[0])  # data, not run
    done = subprocess.run(
        [sys.executable, "-m", "pyperf", "compare_to", *map(str, suites), "--table"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "no benchmark in common" not in done.stdout + done.stderr
    assert all(name in done.stdout for name in names[0])


def test_not_a_run_dir_is_a_usage_error(runs, tmp_path, capsys):
    assert main(["compare", str(tmp_path), str(runs[1])]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "is not a harness run directory" in err


def test_runs_with_nothing_in_common(runs, tmp_path, capsys):
    other = copy_run(runs[1], tmp_path)
    header = (other / "tidy.csv").read_text().splitlines()[0]
    (other / "tidy.csv").write_text(header + "\n")
    manifest = json.loads((other / "manifest.json").read_text())  # a table without rows, as the run wrote it
    manifest["tidy"]["sha256"] = hashlib.sha256((header + "\n").encode()).hexdigest()
    (other / "manifest.json").write_text(json.dumps(manifest))
    assert main(["compare", str(runs[0]), str(other)]) == 0
    assert "nothing in common" in capsys.readouterr().out


def test_figures_of_two_datasets_of_one_size_are_never_merged(tmp_path):
    from tidy_frames import figure, frame

    from harness.analysis.compare import compare_runs

    tidy = frame(
        figure("census", "hydrate_all", "spread", "info_key_sets", 47, dataset="reference-s11-m5000.sqlite"),
        figure("census", "hydrate_all", "spread", "info_key_sets", 90, dataset="mine.sqlite"),
    )
    rows = compare_runs(tmp_path, tmp_path, tidy, tidy).rows
    assert sorted((row.a, row.verdict.label) for row in rows) == [(47.0, "unchanged"), (90.0, "unchanged")]


def _lines_and_header(out: str, width: int):
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= width and "…" not in out  # nothing cut
    return lines


@pytest.mark.parametrize("width", [80, 100, 200])
def test_every_line_fits_the_width_and_every_number_is_whole(runs, capsys, monkeypatch, width):
    monkeypatch.setenv("COLUMNS", str(width))  # piped: rich's width is COLUMNS
    assert main(["compare", str(runs[0]), str(runs[1]), "--markdown"]) == 0
    rows = _markdown_rows(capsys.readouterr().out)
    assert main(["compare", str(runs[0]), str(runs[1]), "--all"]) == 0
    lines = _lines_and_header(capsys.readouterr().out, width)
    assert [line.split() for line in lines].count(list(TERMINAL_HEADERS)) == 1  # every header, in full
    out = "\n".join(lines)  # no cell of A, B or B/A is wrapped or cut
    assert all(f" {row[column]} " in out for row in rows for column in ("A", "B", "B/A"))


def test_a_terminal_too_narrow_for_the_columns_gets_one_column(runs, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    assert main(["compare", str(runs[0]), str(runs[1]), "--all"]) == 0
    lines = _lines_and_header(capsys.readouterr().out, 40)
    assert any(line.strip() == "figure; A, B, B/A; verdict" for line in lines)
    assert any(line.strip().startswith("A ") and " B/A " in line for line in lines)


def _shown(out: str):
    """(strategy, verdict) of every table row of a noisy run's comparison, in order."""
    found = []
    for line in out.splitlines():
        if " · access · " in line:
            figure, _, rest = line.strip().partition("  ")
            verdict = rest.split()[3]
            found.append((figure.split(" · ")[1], verdict))
    return found


def test_changed_rows_come_first_then_those_left_open_and_all_shows_the_rest(tmp_path, capsys, monkeypatch):
    from fake_runs import noisy_run

    monkeypatch.setenv("COLUMNS", "250")  # a row on one line
    base = noisy_run(tmp_path / "a", seed=5, benchmarks=6)
    three_slower = noisy_run(tmp_path / "b", seed=6, benchmarks=6, shift=1.3, shifted=3)
    other = noisy_run(tmp_path / "c", seed=7, benchmarks=6)
    job = "cp311-timing-access-reference-s5-5000"  # B's file of s5 is not the one its job recorded
    shutil.copyfile(other / "timing" / f"{job}.json", three_slower / "timing" / f"{job}.json")
    assert main(["compare", str(base), str(three_slower)]) == 0
    out = capsys.readouterr().out
    changed = [("s0", "changed"), ("s1", "changed"), ("s2", "changed")]
    assert _shown(out) == [*changed, ("s5", "unverified")]
    assert "2 rows not shown (2 unchanged): --all shows every row" in out
    assert main(["compare", str(base), str(three_slower), "--all"]) == 0
    out = capsys.readouterr().out
    shown = _shown(out)
    assert shown[:4] == [*changed, ("s5", "unverified")]
    assert sorted(shown[4:]) == [("s3", "unchanged"), ("s4", "unchanged")]
    assert "not shown" not in out
    assert main(["compare", str(base), str(three_slower), "--markdown"]) == 0
    assert len(_markdown_rows(capsys.readouterr().out)) == 6  # a file: every row, a benchmark once


def test_only_changed_and_all_do_not_go_together(runs, capsys):
    assert main(["compare", str(runs[0]), str(runs[1]), "--all", "--only-changed"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err
