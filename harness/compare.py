"""Compare two runs: B/A per figure both runs have, with pyperf's significance test for timings.

A figure is matched on (interpreter, strategy, workload, measurer, variant, size, metric); the
variant is the job's GC mode and workload variant (tidy columns ``gc_mode`` and ``variant``). For a timing job both runs
keep pyperf's own JSON (``timing/<job>.json``); whether A and B differ is decided the way
``python -m pyperf compare_to`` decides it (``pyperf._compare.CompareResult``: Student's two-sample
t-test at 95 %), not re-derived here. Driver side: needs pandas (the ``analysis`` extra).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from harness import results
from harness.results import RunError
from harness.terminal import text, visible

KEY = ("interpreter", "strategy", "workload", "measurer", "variant", "size", "metric")


@dataclass(frozen=True)
class Row:
    interpreter: str
    strategy: str
    workload: str
    measurer: str
    variant: str
    size: int
    metric: str
    unit: str
    a: float
    b: float
    ratio: Optional[float]  # B / A; None when A is 0
    significance: str  # timing only: pyperf's verdict, else ""


@dataclass(frozen=True)
class Comparison:
    rows: List[Row]
    only_a: int  # figures present in A only
    only_b: int


def load_run(run_dir: Path) -> Tuple[Dict[str, Any], Any]:
    """A run's manifest and tidy table; RunError when it is not a run directory or has no table."""
    manifest = results.load_manifest(run_dir)
    if not (Path(run_dir) / "tidy.csv").is_file():
        raise RunError(
            f"{run_dir} has no tidy.csv (status {manifest.get('status')}); "
            f"finish it with  harness bench --resume {run_dir}"
        )
    return manifest, results.load_tidy(run_dir)


def fingerprint_mismatch(a: Dict[str, Any], b: Dict[str, Any]) -> Optional[str]:
    """Why two runs' environments are not comparable, or None. With the same interpreters the run
    fingerprints decide; otherwise those of the interpreters both runs have."""
    if a.get("fingerprint") == b.get("fingerprint"):
        return None
    shared_a, shared_b = a.get("interpreters", {}), b.get("interpreters", {})
    if set(shared_a) != set(shared_b):
        differing = [
            tag
            for tag in sorted(set(shared_a) & set(shared_b))
            if shared_a[tag].get("fingerprint") != shared_b[tag].get("fingerprint")
        ]
        if not differing:
            return None
        return f"interpreter {', '.join(differing)} ran in different environments"
    return f"environment fingerprints differ ({a.get('fingerprint')} vs {b.get('fingerprint')})"


def _keyed(frame: Any) -> Any:
    frame = frame.copy()
    workload_variant = frame["variant"].astype("string").fillna("") if "variant" in frame else ""
    frame["variant"] = (frame["gc_mode"].fillna("").astype(str) + " " + workload_variant).str.strip()
    return frame.drop_duplicates(subset=list(KEY), keep="last")


def compare_runs(run_a: Path, run_b: Path, tidy_a: Any, tidy_b: Any) -> Comparison:
    """Every figure in both tables, with B/A and (for timing) pyperf's significance verdict."""
    left, right = _keyed(tidy_a), _keyed(tidy_b)
    merged = left.merge(right, on=list(KEY), suffixes=("_a", "_b"), how="outer", indicator=True)
    both = merged[merged["_merge"] == "both"].sort_values(list(KEY))
    rows = []
    for entry in both.itertuples():
        a, b = float(entry.value_a), float(entry.value_b)
        timing = entry.measurer == "timing"
        significance = _significance(run_a, run_b, entry.job_a, entry.job_b) if timing else ""
        rows.append(
            Row(
                entry.interpreter,
                entry.strategy,
                entry.workload,
                entry.measurer,
                entry.variant,
                int(entry.size),
                entry.metric,
                str(entry.unit_b),
                a,
                b,
                _ratio(a, b),
                significance,
            )
        )
    return Comparison(rows, int((merged["_merge"] == "left_only").sum()), int((merged["_merge"] == "right_only").sum()))


def _ratio(a: float, b: float) -> Optional[float]:
    if a == 0 or math.isnan(a) or math.isnan(b):
        return 1.0 if a == b == 0 else None
    return b / a


def _pyperf_json(run_dir: Path, job: str) -> Optional[Path]:
    """pyperf's JSON of a timing job: ``timing/<job>.json``, else the result's ``extra.pyperf_json``."""
    path = Path(run_dir) / "timing" / f"{job}.json"
    if path.is_file():
        return path
    result = results.read_json(Path(run_dir) / "jobs" / f"{job}.json") or {}
    named = (result.get("extra") or {}).get("pyperf_json")
    return Path(named) if named and Path(named).is_file() else None


@functools.cache
def _significance(run_a: Path, run_b: Path, job_a: str, job_b: str) -> str:
    """One verdict per pair of timing jobs (a job has several figures)."""
    return significance(_pyperf_json(run_a, job_a), _pyperf_json(run_b, job_b))


def significance(path_a: Optional[Path], path_b: Optional[Path]) -> str:
    """pyperf's verdict on two benchmark files, as ``python -m pyperf compare_to`` reaches it."""
    import pyperf
    from pyperf._compare import CompareData, CompareResult

    if path_a is None or path_b is None:
        return "no pyperf data"
    try:
        bench_a, bench_b = pyperf.Benchmark.load(str(path_a)), pyperf.Benchmark.load(str(path_b))
    except (OSError, ValueError, TypeError, KeyError) as error:
        return f"unreadable pyperf data ({error})"
    result = CompareResult(CompareData("A", bench_a), CompareData("B", bench_b))
    if result.t_score is None:  # pyperf calls one value against one value "significant"; say what it is
        count = min(bench_a.get_nvalue(), bench_b.get_nvalue())
        return "untested (1 value each)" if count == 1 else "untested"
    return f"{'significant' if result.significant else 'not significant'} (t={result.t_score:.2f})"


# --- rendering -----------------------------------------------------------------------------------

HEADERS = ("interpreter", "strategy", "workload", "measurer", "size", "metric", "A", "B", "B/A", "significance")


def cells(row: Row) -> Tuple[str, ...]:
    measurer = f"{row.measurer} [{row.variant}]" if row.variant else row.measurer
    metric = f"{row.metric} ({row.unit})" if row.unit and row.unit not in ("count", "nan") else row.metric
    ratio = "—" if row.ratio is None else f"{row.ratio:.3f}"
    return (
        row.interpreter,
        row.strategy,
        row.workload,
        measurer,
        str(row.size),
        metric,
        f"{row.a:.4g}",
        f"{row.b:.4g}",
        ratio,
        row.significance,
    )


def markdown(comparison: Comparison, title: str) -> str:
    lines = [f"**{title}**", "", "| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for row in comparison.rows:
        lines.append("| " + " | ".join(visible(cell).replace("|", "\\|") for cell in cells(row)) + " |")
    return "\n".join(lines)


def rich_table(comparison: Comparison, title: str) -> Any:
    """One section per job; the job's columns are shown on its first row only."""
    from rich.table import Table

    table = Table(title=text(title), title_justify="left")
    for header in HEADERS:
        table.add_column(header, justify="right" if header in ("size", "A", "B", "B/A") else "left")
    previous: Tuple[str, ...] = ()
    for row in comparison.rows:
        row_cells = cells(row)
        job = row_cells[:5]
        if previous and job != previous:
            table.add_section()
        table.add_row(*map(text, ("",) * 5 if job == previous else job), *map(text, row_cells[5:]))
        previous = job
    return table
