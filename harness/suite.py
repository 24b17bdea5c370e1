"""One pyperf benchmark suite per run: every timing job's benchmark in ``timing/suite.json``.

pyperformance's users compare two runs with ``python -m pyperf compare_to A.json B.json --table``;
a suite file lets them do that with two runs of this harness. Benchmarks are matched by name, so
a timing benchmark's name says what was measured and nothing about the run: workload, strategy,
dataset, size and workload parameters (``harness.measure.timing.benchmark_name``), never the
interpreter or the time. A run on several interpreters would hold the same name once per
interpreter, so it gets one suite per interpreter instead, ``timing/suite-<tag>.json`` (compare
two of them to compare the interpreters). The per-job files ``timing/<job>.json`` stay as pyperf
wrote them; the suites are rebuilt from them whenever the tidy table is.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

from harness.atomic import write_text

SUITE = "suite.json"


def pyperf_json(run_dir: Path, job: str) -> Optional[Path]:
    """pyperf's JSON of a timing job: ``timing/<job>.json``, else the result's ``extra.pyperf_json``."""
    from harness.results import read_json

    path = Path(run_dir) / "timing" / f"{job}.json"
    if path.is_file():
        return path
    result = read_json(Path(run_dir) / "jobs" / f"{job}.json") or {}
    named = (result.get("extra") or {}).get("pyperf_json")
    return Path(named) if named and Path(named).is_file() else None


def _benchmarks(run_dir: Path, results: Iterable[Dict[str, Any]]) -> Dict[str, List[Any]]:
    """Each ok timing job's pyperf benchmark, by interpreter tag, in job order."""
    import pyperf

    found: Dict[str, List[Any]] = {}
    for result in results:
        job = result.get("job") or {}
        if result.get("status") != "ok" or job.get("measurer") != "timing":
            continue
        path = pyperf_json(run_dir, job["id"])
        if path is None:
            continue
        try:
            bench = pyperf.Benchmark.load(str(path))
        except (OSError, ValueError, TypeError, KeyError):
            continue
        found.setdefault(str(job.get("interpreter") or "default"), []).append(bench)
    return found


def suite_text(benchmarks: List[Any]) -> str:
    """pyperf's JSON of a suite of benchmarks; a name already in it is left out with a warning."""
    import pyperf

    suite = pyperf.BenchmarkSuite([benchmarks[0]])
    for bench in benchmarks[1:]:
        try:
            suite.add_benchmark(bench)
        except ValueError as error:
            print(f"warning: {SUITE}: {error}; kept the first", file=sys.stderr)
    buffer = io.StringIO()
    suite.dump(buffer)
    return buffer.getvalue()


def write_suites(run_dir: Path, results: Iterable[Dict[str, Any]]) -> List[Path]:
    """(Re)write the run's suite file(s) from its timing results; the paths written."""
    directory = Path(run_dir) / "timing"
    for stale in directory.glob("suite*.json"):
        stale.unlink()
    grouped = _benchmarks(run_dir, results)
    written = []
    for tag, benchmarks in sorted(grouped.items()):
        path = directory / (SUITE if len(grouped) == 1 else f"suite-{tag}.json")
        write_text(path, suite_text(benchmarks))
        written.append(path)
    return written
