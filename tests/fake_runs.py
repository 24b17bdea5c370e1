"""Run directories of timing jobs whose pyperf values come from a noise model, not a benchmark.

``noisy_run`` writes what a timing run leaves (manifest, job results, ``timing/<job>.json``) with
values drawn from a known distribution: per benchmark a true time; per worker process an offset
(process-to-process noise, what pyperf's sample-size rule looks at); per value a smaller jitter.
The tidy table and the suite are then written by the harness's own code, as after a real run.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any, Dict, List, Optional

import pyperf

from harness.measure.timing import figures_from
from harness.protocol.job import Figure, Job, job_sha256, write_result
from harness.runs import files, results

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
    noise: Optional[Dict[str, float]] = None,
    shifted: Optional[int] = None,
) -> Path:
    """A complete run directory of ``benchmarks`` access timings, the true time of the first
    ``shifted`` of them (default: all) times ``shift``.
    Job files and results are written as the runner and the timing measurer write them (hashes,
    artifacts), so the run verifies like a measured one."""
    noise = noise or {"process": 0.02, "value": 0.01}
    rng = random.Random(seed)
    run_dir = results.new_run_dir(root)
    jobs: List[Job] = []
    for index in range(benchmarks):
        job = Job(
            f"cp311-timing-access-reference-s{index}-5000",
            "timing",
            f"s{index}",
            "access",
            "/data/reference-s11-m5000.sqlite",
            5000,
            interpreter="cp311",
        )
        true_seconds = 0.01 * (1 + index / 10) * (shift if shifted is None or index < shifted else 1.0)
        bench = _benchmark(f"access[s{index}]", true_seconds, processes, values, noise, rng)
        pyperf_path = run_dir / "timing" / f"{job.id}.json"
        bench.dump(str(pyperf_path))
        write_job(run_dir, job, figures_from(bench, UNITS, "read"), {"pyperf_json": str(pyperf_path)}, pyperf_path)
        jobs.append(job)
    manifest = fake_manifest(run_dir, jobs)
    results.write_tidy(run_dir, manifest)
    files.write_json(run_dir / "manifest.json", manifest)
    return run_dir


def write_job(
    run_dir: Path,
    job: Job,
    figures: List[Figure],
    extra: Optional[Dict[str, Any]] = None,
    pyperf: Optional[Path] = None,
) -> None:
    """A job file and its result reporting ``figures``, as the runner and a measurer write them."""
    job_path = run_dir / "jobs" / f"{job.id}.job.json"
    files.write_json(job_path, job.to_dict())
    job_hash = job_sha256(job_path.read_text(encoding="utf-8"))
    artifacts = {"pyperf_json": pyperf} if pyperf else {}
    write_result(run_dir / "jobs" / f"{job.id}.json", job, job_hash, figures, 0.0, extra or {}, artifacts)


def fake_manifest(run_dir: Path, jobs: List[Job]) -> Dict[str, Any]:
    """The manifest of a complete run of ``jobs`` (their results written), on the last one's interpreter."""
    environment = json.loads((run_dir / "jobs" / f"{jobs[-1].id}.json").read_text(encoding="utf-8"))["environment"]
    return {
        "schema_version": results.SCHEMA_VERSION,
        "plan": "fake",
        "status": "complete",
        "fingerprint": FINGERPRINT,
        "interpreters": {"cp311": environment},
        "jobs": [job.to_dict() for job in jobs],
    }
