"""One pyperf benchmark suite per run: every timing job's benchmark in ``timing/suite.json``.

pyperformance's users compare two runs with ``python -m pyperf compare_to A.json B.json --table``;
a suite file lets them do that with two runs of this harness. Benchmarks are matched by name, so
a timing benchmark's name says what was measured and nothing about the run: workload, strategy,
dataset, size and workload parameters (``harness.measure.timing.benchmark_name``), never the
interpreter or the time. A run on several interpreters would hold the same name once per
interpreter, so it gets one suite per interpreter instead, ``timing/suite-<tag>.json`` (compare
two of them to compare the interpreters). A benchmark measured in several interleaved processes
(one job each) is one benchmark of the suite with every process's run (``merged``). The per-job
files ``timing/<job>.json`` stay as pyperf wrote them; the suites are rebuilt from them whenever
the tidy table is.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

from harness.atomic import write_text
from harness.runs.files import read_json

SUITE = "suite.json"


def pyperf_json(run_dir: Path, job: str) -> Optional[Path]:
    """pyperf's JSON of a timing job: ``timing/<job>.json``, else the result's ``extra.pyperf_json``."""
    path = Path(run_dir) / "timing" / f"{job}.json"
    if path.is_file():
        return path
    result = read_json(Path(run_dir) / "jobs" / f"{job}.json") or {}
    named = (result.get("extra") or {}).get("pyperf_json")
    return Path(named) if named and Path(named).is_file() else None


def load_benchmark(run_dir: Path, job: str) -> Optional[Any]:
    """A timing job's pyperf Benchmark, or None when it has no readable pyperf file."""
    import pyperf

    path = pyperf_json(run_dir, job)
    if path is None:
        return None
    try:
        return pyperf.Benchmark.load(str(path))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def merged(benchmarks: Iterable[Any]) -> Optional[Any]:
    """One benchmark holding the runs (worker processes) of every given one, in order; None when
    none is given. They must share a name: the repeats of one figure."""
    import pyperf

    found = [bench for bench in benchmarks if bench is not None]
    if not found:
        return None
    joined = pyperf.Benchmark(found[0].get_runs())
    for bench in found[1:]:
        joined.add_runs(bench)
    return joined


def figure_benchmarks(run_dir: Path, results: Iterable[Dict[str, Any]]) -> Dict[str, List[Any]]:
    """Each timing figure's pyperf benchmark (its jobs' runs merged), by interpreter tag, in job order."""
    found: Dict[str, Dict[str, List[Any]]] = {}
    for result in results:
        job = result.get("job") or {}
        if result.get("status") != "ok" or job.get("measurer") != "timing":
            continue
        bench = load_benchmark(run_dir, job["id"])
        if bench is None:
            continue
        tag = str(job.get("interpreter") or "default")
        found.setdefault(tag, {}).setdefault(bench.get_name(), []).append(bench)
    return {tag: [merged(parts) for parts in named.values()] for tag, named in found.items()}


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
    """(Re)write the run's suite file(s) from its timing results, each atomically, then remove the
    suites of an earlier writing that are no longer written; the paths written."""
    directory = Path(run_dir) / "timing"
    grouped = figure_benchmarks(run_dir, results)
    written = []
    for tag, benchmarks in sorted(grouped.items()):
        path = directory / (SUITE if len(grouped) == 1 else f"suite-{tag}.json")
        write_text(path, suite_text(benchmarks))
        written.append(path)
    for stale in set(directory.glob("suite*.json")) - set(written):
        stale.unlink()
    return written
