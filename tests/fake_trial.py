"""Complete run directories whose figures come from a noise model: the test suite's noise trial.

``trial_run`` writes what a quick run leaves — job files, verified results of every measurer the
answer and the findings read (census, timing with pyperf files, gcprobe rebuilds with their GC-off
controls and agent loops per read path, memory, read-site sweeps, PyPy and JavaScriptCore figures),
``machine.json``, the manifest — and lets the harness's own code write the tidy table and suite.

The model: each figure has a true value (``TRUTH``); each process draws it times a process-to-process
factor (``noise``) times the machine's slowdown at the moment the job ran. Jobs run in the order the
runner plans (``runner.interleave``, seeded) unless ``interleaved=False``, which runs every process
of one strategy before the next strategy's — the design the trial shows wrong. A ``busy`` machine
has one busy core beside the job for the whole run (other work on a core) and gets busier as the run
goes on: the slowdown climbs from 1 at the first job to 1 + ``drift`` at the last.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pyperf

from harness.measure.timing import benchmark_name, figures_from
from harness.protocol.job import Figure, Job, job_sha256, sealed, write_result
from harness.runs import files, machine, results, runner

FINGERPRINT = "feedfacecafe"
REPEATS = 3
UNITS = 1000  # reads, rows or messages per timed call
DATASETS = {
    "reference": ("/data/reference-s11-m5000.sqlite", "reference"),
    "realistic": ("/data/realistic-s11-m5000.sqlite", "realistic"),
    "growth": ("/data/realistic-s11-m7000-k1.sqlite", "realistic"),
}
INTERPRETERS = {"cp311": ("CPython", "3.11.7"), "pp39": ("PyPy", "3.9.16"), "bun1": ("JSC", "Bun 1.4.5")}
PYPERF = {"pyperf": {"processes": 1, "values": 3, "warmups": 1, "loops": 1}}

#: (tag, measurer, workload, dataset, params, size) -> {strategy: {metric: true value}}.
Cell = Tuple[str, str, str, str, Tuple[Tuple[str, Any], ...], int]


def _gc(wall: float, gc: float, rows: float = 10000.0) -> Dict[str, float]:
    return {"wall_s": wall, "gc_s": gc, "gc_share": gc / wall, "rows_per_s": rows / wall}


def _loop(slope: float, last: float) -> Dict[str, float]:
    return {"seconds_per_iteration_per_1k_history": slope, "last_iteration_s": last, "largest_history": 6000}


TRUTH: Dict[Cell, Dict[str, Dict[str, float]]] = {
    ("cp311", "census", "hydrate_all", "reference", (), 5000): {
        "spread": {"info_key_sets": 47, "part_key_sets": 16},
        "fixed": {"info_key_sets": 2, "part_key_sets": 5},
        "instance-dict": {"compact_layout_share": 0.99},
        "dataclass": {"compact_layout_share": 1.0},
    },
    ("cp311", "census", "hydrate_all", "realistic", (), 2000): {
        "msgspec-lazy": {"pinned_row_bytes_per_message": 1650, "deep_bytes_per_message": 4110},
    },
    ("cp311", "timing", "access", "reference", (("iterations", 20),), 5000): {
        "spread": {"ns": 38.0},
        "spread-filled": {"ns": 30.5},
        "slots": {"ns": 25.0},
        "msgspec": {"ns": 24.0},
        "floor-access": {"ns": 18.0},
        "fixed": {"ns": 30.0},
    },
    ("cp311", "timing", "access", "realistic", (("iterations", 20), ("reads", "open-map")), 2000): {
        "msgspec-nogc": {"ns": 80.0},
        "msgspec-lazy": {"ns": 600.0},
    },
    ("cp311", "timing", "read_site", "reference", (("passes", 50),), 1): {
        "spread": {"ns": 40.0},
        "slots": {"ns": 20.0},
    },
    ("cp311", "timing", "read_site", "reference", (("passes", 50),), 16): {
        "spread": {"ns": 41.0},
        "slots": {"ns": 30.0},
    },
    ("cp311", "timing", "read_site", "reference", (("passes", 50),), 256): {
        "spread": {"ns": 40.5},
        "slots": {"ns": 45.0},
    },
    ("cp311", "gcprobe", "hydrate_all", "realistic", (("rounds", 2), ("gc_mode", "enabled")), 5000): {
        "spread": _gc(0.50, 0.15),
        "fixed": _gc(0.45, 0.12),
        "slots": _gc(0.55, 0.20),
        "msgspec-nogc": _gc(0.35, 0.03),
        "msgspec-lazy": _gc(0.09, 0.0),
        "floor-json": _gc(0.40, 0.12),
    },
    ("cp311", "gcprobe", "hydrate_all", "realistic", (("rounds", 2), ("gc_mode", "disabled")), 5000): {
        "spread": _gc(0.32, 0.0),
        "fixed": _gc(0.31, 0.0),
    },
    ("cp311", "gcprobe", "run_loop", "growth", (("rounds", 5), ("growth", 1000), ("read_path", "full")), 1000): {
        "spread": _loop(0.050, 0.30),
        "fixed": _loop(0.055, 0.33),
        "cached:fixed": _loop(0.030, 0.20),
    },
    ("cp311", "gcprobe", "run_loop", "growth", (("rounds", 5), ("growth", 1000), ("read_path", "cache-aware")), 1000): {
        "cached:msgspec-lazy": _loop(0.004, 0.08),
    },
    ("cp311", "gcprobe", "run_loop", "growth", (("rounds", 5), ("growth", 1000), ("read_path", "incremental")), 1000): {
        "msgspec-lazy": _loop(0.001, 0.02),
    },
    ("cp311", "memory", "hydrate_all", "realistic", (("flamegraph", False),), 2000): {
        "spread": {"peak_bytes_per_message": 10145},
        "fixed": {"peak_bytes_per_message": 9029},
        "msgspec-lazy": {"peak_bytes_per_message": 3141},
    },
    ("pp39", "timing", "access", "reference", (("iterations", 20),), 5000): {
        "spread": {"ns": 400.0},
        "fixed": {"ns": 3.0},
    },
    ("pp39", "gcprobe", "hydrate_all", "realistic", (("rounds", 2), ("gc_mode", "enabled")), 5000): {
        "spread": _gc(0.40, 0.20),
        "fixed": _gc(0.42, 0.21),
        "slots": _gc(0.38, 0.19),
    },
    ("bun1", "census", "hydrate_all", "reference", (), 5000): {
        "spread": {"info_structures": 47, "part_structures": 16},
        "fixed": {"info_structures": 2, "part_structures": 5},
    },
}
#: Figures measured once per cell: exact counts do not repeat.
ONCE = {"census"}


def _environment(tag: str, base: Dict[str, Any]) -> Dict[str, Any]:
    implementation, version = INTERPRETERS[tag]
    interpreter = {**base["interpreter"], "implementation": implementation, "version": version}
    return {**base, "interpreter": interpreter, "fingerprint": f"{FINGERPRINT[:8]}{tag[:4]:0<4}"}


def _jobs(seed: int, interleaved: bool) -> List[Job]:
    """Every cell's jobs in the order they run: interleaved per (tag, measurer, workload, dataset)
    group as the runner plans them, or one strategy's processes after another's."""
    groups: Dict[tuple, List[Tuple[Job, int]]] = {}
    for (tag, measurer, workload, dataset, params, size), strategies in TRUTH.items():
        for strategy in strategies:
            variant = "-".join(str(value) for _, value in params)
            job = Job(
                f"{tag}-{measurer}-{workload}-{dataset}-{strategy.replace(':', '_')}-{size}-{variant}".rstrip("-"),
                measurer,
                strategy,
                workload,
                DATASETS[dataset][0],
                size,
                params={**dict(params), **(PYPERF if measurer == "timing" else {})},
                interpreter=tag,
            )
            repeats = 1 if measurer in ONCE else REPEATS
            groups.setdefault((tag, measurer, workload, dataset), []).append((job, repeats))
    ordered: List[Job] = []
    for position, cells in enumerate(groups.values()):
        if interleaved:
            ordered += runner.interleave(cells, random.Random(f"{seed}:{position}"))
        else:
            ordered += [
                job for cell, repeats in cells for job in runner.interleave([(cell, repeats)], random.Random(0))
            ]
    return ordered


def _truth(job: Job) -> Dict[str, float]:
    params = tuple((key, value) for key, value in job.params.items() if key != "pyperf")
    dataset = next(key for key, (path, _) in DATASETS.items() if path == job.dataset)
    return TRUTH[(job.interpreter, job.measurer, job.workload, dataset, params, job.size)][job.strategy]


def _figures(job: Job, factor: float, rng: random.Random, noise: float) -> Tuple[List[Figure], Optional[Any]]:
    """A job's figures (and its pyperf benchmark for timing) with this process's draw."""
    truth = _truth(job)
    if job.measurer == "census":
        return [Figure(metric, value, "count") for metric, value in truth.items()], None
    draw = factor * rng.gauss(1.0, noise)
    if job.measurer == "timing":
        seconds = truth["ns"] * UNITS / 1e9 * draw
        values = [seconds * rng.gauss(1.0, noise / 3) for _ in range(3)]
        metadata = {"name": benchmark_name(job), "unit": "second", "loops": 1}
        bench = pyperf.Benchmark([pyperf.Run(values, warmups=None, metadata=metadata, collect_metadata=False)])
        return figures_from(bench, UNITS, "read"), bench
    found = []
    for metric, value in truth.items():
        slowed = metric in ("wall_s", "gc_s", "last_iteration_s", "seconds_per_iteration_per_1k_history")
        scale = draw if slowed else 1.0 / draw if metric == "rows_per_s" else 1.0
        found.append(Figure(metric, value * scale, "s"))
    return found, None


def trial_run(
    root: Path,
    seed: int,
    busy: bool = False,
    interleaved: bool = True,
    drift: float = 1.5,
    noise: float = 0.01,
    slower: Optional[Dict[str, float]] = None,
) -> Path:
    """A complete, verifying run directory of the noise model (module docstring); ``slower`` makes
    the named strategies' measured times that factor larger (a real regression)."""
    rng = random.Random(seed)
    run_dir = results.new_run_dir(root)
    jobs = _jobs(seed, interleaved)
    environments: Dict[str, Dict[str, Any]] = {}
    for index, job in enumerate(jobs):
        slowdown = (1 + drift * index / len(jobs) if busy else 1.0) * (slower or {}).get(job.strategy, 1.0)
        job_path = run_dir / "jobs" / f"{job.id}.job.json"
        files.write_json(job_path, job.to_dict())
        figures, bench = _figures(job, slowdown, rng, noise)
        artifacts = {}
        if bench is not None:
            pyperf_path = run_dir / "timing" / f"{job.id}.json"
            bench.dump(str(pyperf_path))
            artifacts = {"pyperf_json": pyperf_path}
        out = run_dir / "jobs" / f"{job.id}.json"
        result = write_result(out, job, job_sha256(job_path.read_text(encoding="utf-8")), figures, 0.0, None, artifacts)
        result["environment"] = environments.setdefault(
            job.interpreter, _environment(job.interpreter, result["environment"])
        )
        out.write_bytes(sealed(result))
        other = (1.0 if busy else 0.0) + rng.uniform(0.0, 0.1)
        state = {"other_cores": other, "load_end": 0.5 + other, "cpu_share": 0.97, "wall_s": 1.0, "cpu_s": 0.97}
        machine.record(run_dir, job.id, state)
    manifest = {
        "schema_version": results.SCHEMA_VERSION,
        "plan": "fake",
        "status": "complete",
        "fingerprint": FINGERPRINT,
        "interpreters": environments,
        "datasets": {key: {"path": path, "origin": origin} for key, (path, origin) in DATASETS.items()},
        "jobs": [job.to_dict() for job in jobs],
    }
    results.write_tidy(run_dir, manifest)
    files.write_json(run_dir / "manifest.json", manifest)
    return run_dir
