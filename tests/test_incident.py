"""The incident replay's analysis, on a fabricated run of serve results with known GC shares.

The run: JavaScriptCore (Bun) and CPython, a base configuration, three configurations that each move
one factor from it and one "largest" that moves three at once; spread and fixed at every
configuration, cached:fixed at the base and the largest; two processes each, every iteration
recorded. Each process's GC share is set (``SHARES``), so every figure the analysis draws is known.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any, Dict, List

import pytest

pd = pytest.importorskip("pandas")

from fake_runs import FINGERPRINT, noisy_run, write_job  # noqa: E402

from harness.analysis.incident import (  # noqa: E402
    SEED_HEAP,
    SEED_ROW,
    factor_effects,
    heap_comparison,
    infer_base,
    largest,
    serve_iterations,
    serve_jobs,
    spiral,
    strongest_factors,
    verdict,
    with_roles,
)
from harness.metrics import METRICS  # noqa: E402
from harness.protocol.job import Figure, Job, sealed  # noqa: E402
from harness.runs import files, results  # noqa: E402

ROUNDS, SECONDS = 8, 0.1
JSC = {"implementation": "JSC", "version": "Bun 1.4.5", "sys_version": "Bun 1.4.5 (JavaScriptCore)"}
PATHS = {"serve-paths2000": 2000, "serve-paths24": None}
#: name -> (dataset, history, serve params); the base leaves retain_mb and framework to their defaults.
CONFIGS = {
    "base": ("serve-paths2000", 2000, {"sessions": 4}),
    "history": ("serve-paths2000", 4000, {"sessions": 4}),
    "sessions": ("serve-paths2000", 2000, {"sessions": 8}),
    "paths": ("serve-paths24", 2000, {"sessions": 4}),
    "largest": ("serve-paths2000", 4000, {"sessions": 8, "retain_mb": 64}),
}
HELD = {"growth": 10, "rate": 2.0, "fanout": 1000}
#: The median GC share of each (runtime, builder, configuration); fixed 5 %, cached:fixed 2 % throughout.
SHARES = {
    ("JSC", "spread"): {"base": 0.30, "history": 0.40, "sessions": 0.351, "paths": 0.349, "largest": 0.50},
    ("CPython", "spread"): {"base": 0.10, "history": 0.15, "sessions": 0.12, "paths": 0.10, "largest": 0.20},
}


def share(runtime: str, strategy: str, config: str) -> float:
    return SHARES.get((runtime, strategy), {}).get(config, 0.05 if strategy == "fixed" else 0.02)


def figures(runtime: str, strategy: str, config: str, gc_share: float) -> List[Figure]:
    """A process's window figures: its GC share, CPU, iteration time, peak and heap counts at peak."""
    _, history, params = CONFIGS[config]
    scale = history / 2000 * params["sessions"] / 4 * (1 + params.get("retain_mb", 0) / 64)
    wall = ROUNDS * SECONDS
    values: Dict[str, float] = {
        "gc_share": gc_share,
        "gc_s": gc_share * wall,
        "gc_cpu_share": gc_share * 0.9,
        "cpu_utilisation": 0.2 + gc_share * 2,
        "iteration_s": SECONDS,
        "wall_s": wall,
        "elapsed_s": ROUNDS / HELD["rate"],
        "peak_rss_bytes": 1e8 * scale,
    }
    spread = 10 if strategy == "spread" else 1
    if runtime == "JSC":
        values.update(
            structures=2000 * spread * scale,
            plain_objects=50_000 * scale,
            closures=9000 * scale,
            lexical_environments=7000 * scale,
            peak_heap_bytes=5e7 * scale,
        )
    else:
        values.update(
            tracked_objects=80_000 * scale * spread,
            tracked_functions=3000 * scale,
            tracked_cells=1000 * scale,
            tracked_dicts=40_000 * scale,
        )
    return [Figure(name, float(value), METRICS[name].unit) for name, value in values.items()]


def iterations(runtime: str, config: str, gc_share: float) -> List[Dict[str, Any]]:
    """Per-iteration records whose GC shares alternate 1 point either side of ``gc_share``."""
    _, history, params = CONFIGS[config]
    found = []
    for j in range(ROUNDS):
        record = {
            "round": j,
            "session": j % params["sessions"],
            "history": history + 10 * (1 + j // params["sessions"]),
            "kept": history,
            "seconds": SECONDS,
            "cpu_seconds": SECONDS,
            "gc_seconds": (gc_share + (0.01 if j % 2 else -0.01)) * SECONDS,
            "gc_idle_seconds": 0.0,
            "idle_seconds": 0.4,
            "rss_bytes": 1e8,
        }
        record.update({"heap_bytes": 5e7, "structures": 2000} if runtime == "JSC" else {"tracked_objects": 80_000})
        found.append(record)
    return found


def jsc_result(path: Path) -> None:
    """Rewrite a result as the JS runner's: its environment names Bun's JavaScriptCore (sealed again)."""
    result = json.loads(path.read_text(encoding="utf-8"))
    result["environment"]["interpreter"].update(JSC)
    path.write_bytes(sealed(result))


def serve_run(root: Path) -> Path:
    """A complete run directory of serve results on both runtimes (module docstring)."""
    run_dir = results.new_run_dir(root)
    jobs = []
    for tag, runtime in (("bun14", "JSC"), ("cp311", "CPython")):
        for config, (dataset, history, params) in CONFIGS.items():
            builders = ("spread", "fixed") + (("cached:fixed",) if config in ("base", "largest") else ())
            for strategy in builders:
                for repeat, offset in ((1, -0.002), (2, 0.002)):
                    job = Job(
                        f"{tag}-gcprobe-serve-{strategy.replace(':', '_')}-{config}-r{repeat}",
                        "gcprobe",
                        strategy,
                        "serve",
                        f"/data/{dataset}.sqlite",
                        history,
                        params={"rounds": ROUNDS, **params, **HELD},
                        interpreter=tag,
                    )
                    gc_share = share(runtime, strategy, config) + offset
                    extra = {"iterations": iterations(runtime, config, gc_share)}
                    write_job(run_dir, job, figures(runtime, strategy, config, gc_share), extra)
                    if runtime == "JSC":
                        jsc_result(run_dir / "jobs" / f"{job.id}.json")
                    jobs.append(job)
    environment = json.loads((run_dir / "jobs" / f"{jobs[-1].id}.json").read_text(encoding="utf-8"))["environment"]
    jsc = {**environment, "interpreter": {**environment["interpreter"], **JSC}}
    manifest = {
        "schema_version": results.SCHEMA_VERSION,
        "plan": "incident",
        "status": "complete",
        "fingerprint": FINGERPRINT,
        "interpreters": {"bun14": jsc, "cp311": environment},
        "datasets": {
            key: {
                "path": f"/data/{key}.sqlite",
                "sha256": "0" * 64,
                "spec": {"profile": "realistic", "overrides": {"session_paths": paths} if paths else {}},
            }
            for key, paths in PATHS.items()
        },
        "jobs": [job.to_dict() for job in jobs],
    }
    results.write_tidy(run_dir, manifest)
    files.write_json(run_dir / "manifest.json", manifest)
    return run_dir


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    return serve_run(tmp_path_factory.mktemp("incident"))


@pytest.fixture(scope="module")
def jobs(run):
    return serve_jobs(run)


BASE = {"session_paths": 2000, "history": 2000, "sessions": 4, "retain_mb": 0, "framework": 0, **HELD}


def test_every_serve_result_is_a_row_with_its_factors_and_window_figures(run, jobs):
    assert len(jobs) == 2 * 2 * (5 * 2 + 2)
    assert set(jobs["interpreter"]) == {"JSC Bun 1.4.5", f"CPython {platform.python_version()}"}
    assert set(jobs["implementation"]) == {"JSC", "CPython"}
    base = jobs[jobs["job"] == "bun14-gcprobe-serve-spread-base-r1"].iloc[0]
    assert (base["retain_mb"], base["framework"], base["growth"], base["rate"]) == (0, 0, 10, 2.0)  # defaults filled
    assert set(jobs["session_paths"]) == {2000, 24}  # 24: the profile's own, where the dataset sets none
    assert base["gc_share"] == pytest.approx(0.298) and base["structures"] == pytest.approx(20_000)
    cpython = jobs[jobs["implementation"] == "CPython"]
    assert cpython["structures"].isna().all() and cpython["tracked_objects"].notna().all()
    found = serve_iterations(run)
    assert len(found) == len(jobs) * ROUNDS and found["round"].max() == ROUNDS - 1
    first = found[found["job"] == base["job"]].iloc[0]
    assert first["gc_iteration_share"] == pytest.approx(0.288)
    assert found.loc[found["implementation"] == "CPython", "heap_bytes"].isna().all()


def test_the_base_is_the_configuration_the_others_move_one_factor_from(jobs):
    assert infer_base(jobs) == BASE
    roles = with_roles(jobs, BASE).drop_duplicates("configuration").set_index("configuration")["role"]
    assert roles.to_dict() == {
        "base": "base",
        "history=4,000": "history",
        "sessions=8": "sessions",
        "session_paths=24": "session_paths",
        "history=4,000, sessions=8, retain_mb=64": "combined",
    }
    with pytest.raises(ValueError, match="no serve results"):
        infer_base(jobs.iloc[:0])


def test_a_tie_for_the_base_goes_to_the_smallest_configuration_and_a_held_parameter_moved_is_a_factor(jobs):
    at_base = with_roles(jobs, BASE)
    at_base = at_base[at_base["role"] == "base"]
    pair = pd.concat([at_base.assign(history=4000), at_base])
    assert infer_base(pair)["history"] == 2000  # each is the other's one neighbour
    faster = with_roles(pd.concat([at_base, at_base.assign(rate=4.0)]), BASE)
    assert set(zip(faster["role"], faster["configuration"])) == {("base", "base"), ("rate", "rate=4")}


def test_an_effect_is_the_known_difference_with_its_interval_and_a_combined_config_counts_for_none(run, jobs):
    effects = factor_effects(jobs, serve_iterations(run), BASE)
    assert set(effects["factor"]) == {"history", "sessions", "session_paths"}  # retain_mb moved only combined
    key = effects.set_index(["interpreter", "strategy", "factor", "level"])
    history = key.loc[("JSC Bun 1.4.5", "spread", "history", 4000)]
    assert history["processes"] == 2 and history["iterations"] == 2 * ROUNDS  # the largest's processes not pooled
    assert history["effect_pp"] == pytest.approx(10.0)
    assert 0 < history["effect_low_pp"] < 10.0 < history["effect_high_pp"]
    assert history["gc_share"] == pytest.approx(0.40) and history["gc_share_low"] < 0.40 < history["gc_share_high"]
    assert history["process_shares"] == pytest.approx((0.398, 0.402))
    fixed = key.loc[("JSC Bun 1.4.5", "fixed", "history", 4000)]
    assert fixed["effect_pp"] == pytest.approx(0.0, abs=1e-9) and fixed["effect_low_pp"] < 0 < fixed["effect_high_pp"]
    at_base = key.loc[("JSC Bun 1.4.5", "spread", "history", 2000)]
    assert at_base["is_base"] and at_base["effect_pp"] != at_base["effect_pp"]  # NaN: the base is no effect
    strongest = strongest_factors(effects).set_index(["interpreter", "strategy"])
    assert strongest.loc[("JSC Bun 1.4.5", "spread"), "factor"] == "history"


def test_a_spiral_starts_at_the_seeds_35_percent(jobs):
    hot = spiral(jobs, BASE)
    spiralling = set(zip(hot["interpreter"], hot["strategy"], hot["configuration"]))
    assert spiralling == {
        ("JSC Bun 1.4.5", "spread", "history=4,000"),
        ("JSC Bun 1.4.5", "spread", "sessions=8"),  # 35.1 %
        ("JSC Bun 1.4.5", "spread", "history=4,000, sessions=8, retain_mb=64"),
    }  # session_paths=24's 34.9 % is not one, and nothing on CPython is
    rows = hot.set_index(["configuration", "against"])
    at_largest = rows.loc[("history=4,000, sessions=8, retain_mb=64", "cached:fixed")]
    assert at_largest["gc_share_removed_pp"] == pytest.approx(48.0)
    assert at_largest["structures_ratio"] == pytest.approx(0.1)
    assert at_largest["cpu_utilisation"] == pytest.approx(1.2) and at_largest["against_cpu_utilisation"] == 0.24
    absent = rows.loc[("sessions=8", "cached:fixed")]  # the row cache ran at the base and the largest only
    assert absent["against_gc_share"] != absent["against_gc_share"]


def test_without_a_spiral_the_answer_names_the_largest_configuration_and_the_highest_share(jobs):
    sentences = verdict(jobs, BASE)
    assert len(sentences) == 2
    cpython = next(text for text in sentences if text.startswith("On CPython"))
    largest_one = "history=4,000, sessions=8, retain_mb=64"
    assert f"no configuration up to the largest measured ({largest_one}: peak RSS 0.7 GiB) makes spread pass" in cpython
    assert f"the highest measured is 20.0% (spread at {largest_one})" in cpython
    assert "The factor that came closest: history (history=4,000, spread: 15.0%)." in cpython
    jsc = next(text for text in sentences if text.startswith("On JSC"))
    assert jsc == (
        "On JSC Bun 1.4.5, spread passes the seed's 35.0% GC share in 3 of 5 configurations; the highest is 50.0%"
        f" (spread at {largest_one}). At the base: spread 30.0%, the fix 5.0%, the fix with its row cache 2.0%."
    )


def test_the_end_of_a_bench_prints_the_replays_answer_and_no_rebuild_answer(run):
    from rich.console import Console

    from harness.analysis.summary import print_summary

    console = Console(record=True, width=400)
    print_summary(run, console)
    printed = console.export_text()
    assert "The incident, replayed" in printed and "On JSC Bun 1.4.5, spread passes" in printed
    assert "No answer" not in printed and "Findings" not in printed


def test_the_heap_comparison_is_taken_at_the_largest_peak_beside_the_seed(jobs):
    peaks = largest(jobs, BASE).set_index("interpreter")
    assert set(peaks["configuration"]) == {"history=4,000, sessions=8, retain_mb=64"}
    heap = heap_comparison(jobs, BASE)
    assert set(heap["configuration"]) == {"history=4,000, sessions=8, retain_mb=64", "production"}
    assert list(heap["interpreter"])[-1] == SEED_ROW
    assert heap.iloc[-1][list(SEED_HEAP)].to_dict() == SEED_HEAP
    spread = heap[(heap["interpreter"] == "JSC Bun 1.4.5") & (heap["strategy"] == "spread")].iloc[0]
    assert spread["structures"] == pytest.approx(160_000) and spread["processes"] == 2


def _html(notebook) -> str:
    return "".join(
        str(output.get("data", {}).get("text/html", "")) + str(output.get("text", ""))
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )


@pytest.mark.integration
@pytest.mark.requires("nbclient", "ipykernel", "matplotlib")
def test_the_notebook_runs_on_the_replay_and_on_a_run_without_it(run, tmp_path):
    from jupyter_client.utils import run_sync

    from harness.analysis.report import NOTEBOOKS, execute_notebook, shared_kernel

    names = [name for name, _ in NOTEBOOKS]
    assert names.index("incident") == names.index("gc_overhead") + 1
    kernel = shared_kernel()
    try:
        notebook, error = execute_notebook("incident", run, kernel)
        assert error is None
        page = _html(notebook)
        for text in ("in 3 of 5 configurations", "history=4,000, sessions=8, retain_mb=64", "No HTTP or SSE"):
            assert text in page
        assert "This run has no serve results" not in page and "Traceback" not in page
        drawn = {path.name for path in (run / "figures").glob("incident-*.svg")}
        assert {"incident-gc-over-time.svg", "incident-gc-per-factor.svg"} <= drawn
        empty = noisy_run(tmp_path, seed=1, benchmarks=1)
        notebook, error = execute_notebook("incident", empty, kernel)
        assert error is None
        page = _html(notebook)
        assert page.count("<p>") == 1 and "This run has no serve results (gcprobe)" in page
    finally:
        if kernel.has_kernel:
            run_sync(kernel.shutdown_kernel)(now=True)


def test_a_result_names_its_runtime_as_the_tidy_table_does(run, jobs):
    tidy = results.load_tidy(run)
    assert set(tidy["interpreter"]) == set(jobs["interpreter"])
