"""Run directories of timing jobs whose pyperf values come from a noise model, not a benchmark.

``noisy_run`` writes what a timing run leaves (manifest, job results, ``timing/<job>.json``) with
values drawn from a known distribution: per benchmark a true time; per worker process an offset
(process-to-process noise, what pyperf's sample-size rule looks at); per value a smaller jitter.
The tidy table and the suite are then written by the harness's own code, as after a real run.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Dict, List

import pyperf

from harness import results
from harness.measure.timing import figures_from

FINGERPRINT = "feedfacecafe"
UNITS = 1000  # reads per call


def _benchmark(
    name: str, true_seconds: float, processes: int, values: int, noise: Dict[str, float], rng
) -> pyperf.Benchmark:
    runs = []
    for _ in range(processes):
        offset = rng.gauss(1.0, noise["process"])
        drawn = [true_seconds * offset * rng.gauss(1.0, noise["value"]) for _ in range(values)]
        metadata = {"name": name, "unit": "second", "loops": 1, "harness_units": UNITS, "harness_unit": "read"}
        runs.append(pyperf.Run(drawn, warmups=None, metadata=metadata, collect_metadata=False))
    return pyperf.Benchmark(runs)


def noisy_run(
    root: Path,
    seed: int,
    benchmarks: int = 30,
    processes: int = 8,
    values: int = 3,
    shift: float = 1.0,
    noise: Dict[str, float] = None,
) -> Path:
    """A complete run directory of ``benchmarks`` access timings, every true time times ``shift``."""
    noise = noise or {"process": 0.02, "value": 0.01}
    rng = random.Random(seed)
    run_dir = results.new_run_dir(root)
    environment = {"interpreter": {"implementation": "CPython", "version": "3.11.7"}, "fingerprint": FINGERPRINT}
    jobs: List[dict] = []
    for index in range(benchmarks):
        job = {
            "id": f"cp311-timing-access-reference-s{index}-5000",
            "measurer": "timing",
            "strategy": f"s{index}",
            "workload": "access",
            "dataset": "/data/reference-s11-m5000.sqlite",
            "size": 5000,
            "params": {},
            "interpreter": "cp311",
        }
        true_seconds = 0.01 * (1 + index / 10) * shift
        bench = _benchmark(f"access[s{index}]", true_seconds, processes, values, noise, rng)
        bench.dump(str(run_dir / "timing" / f"{job['id']}.json"))
        figures = [vars(figure) for figure in figures_from(bench, UNITS, "read")]
        result = {"status": "ok", "job": job, "environment": environment, "figures": figures, "extra": {}}
        results.write_json(run_dir / "jobs" / f"{job['id']}.json", result)
        jobs.append(job)
    manifest = {
        "schema_version": results.SCHEMA_VERSION,
        "plan": "fake",
        "status": "complete",
        "fingerprint": FINGERPRINT,
        "interpreters": {"cp311": environment},
        "jobs": jobs,
    }
    results.write_json(run_dir / "manifest.json", manifest)
    results.write_tidy(run_dir)
    return run_dir
