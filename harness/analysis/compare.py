"""Compare two runs: B/A per figure both runs have, with a verdict that does not cry wolf.

A figure is matched on (interpreter, strategy, workload, measurer, variant, dataset, size, metric); the
variant is the job's GC mode and workload variant (tidy columns ``gc_mode`` and ``variant``). A
figure measured in several processes (one job each) is their median, and its pyperf benchmark the
runs of all of them. How a figure is judged is its measurer's ``comparison`` in the catalogue:
timings through their pyperf JSON (``timing/<job>.json``: enough samples, pyperf's t-test, a
threshold; ``harness.analysis.verdict``), census counts exactly, the rest untested; but a figure whose two
sides ran beside clearly different other work (``harness.runs.machine``) gets "machine state differed" instead
of any verdict but an exact one. A pyperf file is used only when it is the file its job's result
recorded (``harness.runs.integrity.verify_result``: the result verifies, and lists the file with its size
and sha256); a figure with any other is "unverified": no verdict, and left out of the geometric mean.
Runs from different environments are refused with the keys that differ. Driver side: needs pandas.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from harness.analysis.display import read_manifest
from harness.analysis.verdict import (
    CHANGED,
    MACHINE_DIFFERED,
    NOT_COMPARABLE,
    NOT_ENOUGH,
    THRESHOLD,
    UNCHANGED,
    UNTESTED,
    UNVERIFIED,
    Verdict,
    exact_verdict,
    timing_verdict,
)
from harness.measure.catalogue import MEASURERS
from harness.metrics import SECONDS_PER_CALL
from harness.protocol.environment import differences
from harness.protocol.job import Job
from harness.runs import machine, results
from harness.runs.integrity import verify_result
from harness.runs.results import RunError
from harness.runs.suite import load_benchmark, merged, pyperf_json
from harness.terminal import text, visible

KEY = ("interpreter", "strategy", "workload", "measurer", "variant", "dataset", "size", "metric")


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
    verdict: Verdict


@dataclass(frozen=True)
class Comparison:
    rows: List[Row]
    only_a: int  # figures present in A only
    only_b: int
    threshold: float = THRESHOLD

    def count(self, *labels: str) -> int:
        return sum(row.verdict.label in labels for row in self.rows)

    def timing_ratios(self) -> List[float]:
        """B/A of every timing benchmark both runs have (one per job: seconds per call), unless
        its pyperf files are unverified."""
        return [
            row.ratio
            for row in self.rows
            if row.measurer == "timing"
            and row.metric == SECONDS_PER_CALL.name
            and row.ratio
            and row.ratio > 0
            and row.verdict.label != UNVERIFIED
        ]

    def summary(self) -> str:
        """Changed / unchanged / not comparable, and the geometric mean of the timing ratios."""
        parts = [f"{self.count(label)} {label}" for label in NOT_COMPARABLE if self.count(label)]
        text = (
            f"{self.count(CHANGED)} changed, {self.count(UNCHANGED)} unchanged, "
            f"{self.count(*NOT_COMPARABLE)} not comparable" + (f" ({', '.join(parts)})" if parts else "")
        )
        ratios = self.timing_ratios()
        if ratios:
            mean = math.exp(sum(math.log(ratio) for ratio in ratios) / len(ratios))
            text += f"; geometric mean of timing B/A {mean:.3f} over {len(ratios)} benchmarks"
        return text + f"; threshold {self.threshold:.2f}x"

    def advice(self) -> Optional[str]:
        """How to get the samples a comparison lacked, when some did."""
        if not self.count(NOT_ENOUGH):
            return None
        return (
            f"{self.count(NOT_ENOUGH)} timing figures lack samples for a verdict at {self.threshold:.2f}x: "
            "runs with more pyperf processes per benchmark support them (harness bench --plan full runs 6)"
        )


def load_run(run_dir: Path) -> Tuple[Dict[str, Any], Any]:
    """A run's manifest and tidy table; RunError in one line when it is not a run directory, or its
    table is missing, unreadable or not the one the run wrote."""
    manifest = read_manifest(run_dir)
    if not (Path(run_dir) / "tidy.csv").is_file():
        raise RunError(
            f"{run_dir} has no tidy.csv (status {manifest.get('status')}); "
            f"finish it with  harness bench --resume {run_dir}"
        )
    return manifest, results.load_tidy(run_dir)


def fingerprint_mismatch(a: Dict[str, Any], b: Dict[str, Any]) -> Optional[str]:
    """Why two runs' environments are not comparable (the keys that differ), or None. With the same
    interpreters the run fingerprints decide; otherwise those of the interpreters both runs have."""
    if a.get("fingerprint") == b.get("fingerprint"):
        return None
    envs_a, envs_b = a.get("interpreters", {}), b.get("interpreters", {})
    differing = [
        tag
        for tag in sorted(set(envs_a) & set(envs_b))
        if envs_a[tag].get("fingerprint") != envs_b[tag].get("fingerprint")
    ]
    if not differing:
        if set(envs_a) != set(envs_b):
            return None
        return f"environment fingerprints differ ({a.get('fingerprint')} vs {b.get('fingerprint')})"
    reasons = []
    for tag in differing:
        found = differences(envs_a[tag], envs_b[tag])
        hashes = f"fingerprint {envs_a[tag].get('fingerprint')} vs {envs_b[tag].get('fingerprint')}"
        reasons.append(f"{tag}: {', '.join(found) if found else hashes}")
    return f"environments differ ({'; '.join(reasons)})"


def _keyed(frame: Any) -> Any:
    """One row per figure: the median of its processes' values, with its jobs and the other work
    beside each (``harness.runs.machine``)."""
    frame = frame.copy()
    workload_variant = frame["variant"].astype("string").fillna("") if "variant" in frame else ""
    frame["variant"] = (frame["gc_mode"].fillna("").astype(str) + " " + workload_variant).str.strip()
    grouped = frame.groupby(list(KEY), dropna=False, sort=True)
    return grouped.agg(
        value=("value", "median"),
        unit=("unit", "last"),
        jobs=("job", lambda jobs: tuple(jobs)),
        others=("other_cores", lambda others: tuple(others)),
    ).reset_index()


def compare_runs(run_a: Path, run_b: Path, tidy_a: Any, tidy_b: Any, threshold: float = THRESHOLD) -> Comparison:
    """Every figure in both tables, with B/A and its verdict (files read afresh on every call)."""
    for cached in (_benchmark, _planned, _pyperf_verified):
        cached.cache_clear()
    left, right = _keyed(tidy_a), _keyed(tidy_b)
    merged = left.merge(right, on=list(KEY), suffixes=("_a", "_b"), how="outer", indicator=True)
    both = merged[merged["_merge"] == "both"].sort_values(list(KEY))
    cores = machine.states(run_a).get("cores")
    rows = []
    for entry in both.itertuples():
        a, b = float(entry.value_a), float(entry.value_b)
        ratio = _ratio(a, b)
        differed = machine.differed(entry.others_a, entry.others_b, cores)
        verdict = _verdict(entry, a, b, ratio, (Path(run_a), Path(run_b)), threshold, differed)
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
                ratio,
                verdict,
            )
        )
    only_a, only_b = (int((merged["_merge"] == side).sum()) for side in ("left_only", "right_only"))
    return Comparison(rows, only_a, only_b, threshold)


def _verdict(
    entry: Any,
    a: float,
    b: float,
    ratio: Optional[float],
    runs: Tuple[Path, Path],
    threshold: float,
    differed: Optional[str],
) -> Verdict:
    """Exact figures by equality; timings "unverified" when a pyperf file is not the one its job
    recorded; the others "machine state differed" when the two sides' jobs ran beside clearly
    different other work (``harness.runs.machine``), else by their measurer's comparison."""
    measurer = MEASURERS.get(entry.measurer)
    how = measurer.comparison if measurer else UNTESTED
    if how == "exact":
        return exact_verdict(a, b)
    if how == "pyperf":
        sides = zip("AB", runs, (entry.jobs_a, entry.jobs_b))
        unverified = [side for side, run, jobs in sides if not all(_pyperf_verified(run, job) for job in jobs)]
        if unverified:
            return Verdict(UNVERIFIED, f"{' and '.join(unverified)}: a pyperf file is not the one its job recorded")
    if differed:
        return Verdict(MACHINE_DIFFERED, differed)
    if how == "pyperf":
        return timing_verdict(_benchmark(runs[0], entry.jobs_a), _benchmark(runs[1], entry.jobs_b), ratio, threshold)
    return Verdict(UNTESTED)


def _ratio(a: float, b: float) -> Optional[float]:
    if a == 0 or math.isnan(a) or math.isnan(b):
        return 1.0 if a == b == 0 else None
    return b / a


@functools.cache
def _benchmark(run_dir: Path, jobs: Tuple[str, ...]) -> Any:
    """A timing figure's pyperf Benchmark, its jobs' (processes') runs merged; None without pyperf data."""
    return merged(load_benchmark(run_dir, job) for job in jobs)


@functools.cache
def _planned(run_dir: Path) -> Tuple[Dict[str, Job], int]:
    """A run's planned jobs by id, and the oldest result version its results may have."""
    manifest = results.load_manifest(run_dir)
    return {job.id: job for job in results.planned_jobs(manifest)}, results.oldest_result(manifest)


@functools.cache
def _pyperf_verified(run_dir: Path, job_id: str) -> bool:
    """Whether the pyperf file ``load_benchmark`` reads for a job (if any) is the one the job's
    result recorded: the result verifies (``verify_result``, which checks the size and sha256 of
    every file it lists) and lists that very file. A result of a version that lists no files
    (made by an older harness) is checked as far as it can be."""
    jobs, oldest = _planned(run_dir)
    if job_id not in jobs:
        return False
    found = verify_result(run_dir, jobs[job_id], oldest)
    if found.status != "ok":
        return False
    used, result = pyperf_json(run_dir, job_id), found.result or {}
    listed = (result.get("artifacts") or {}).get("pyperf_json")
    if used is None or "artifacts" not in result:
        return True
    return isinstance(listed, dict) and (Path(run_dir) / "jobs" / listed["path"]).resolve() == used.resolve()


# --- rendering -----------------------------------------------------------------------------------

HEADERS = ("interpreter", "strategy", "workload", "measurer", "size", "metric", "A", "B", "B/A", "verdict")


def cells(row: Row) -> Tuple[str, ...]:
    """A row as text cells, the same for the terminal and markdown (each renderer escapes them)."""
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
        str(row.verdict),
    )


def shown(comparison: Comparison, only_changed: bool) -> List[Row]:
    return [row for row in comparison.rows if row.verdict.label == CHANGED or not only_changed]


def markdown(comparison: Comparison, title: str, only_changed: bool = False) -> str:
    lines = [f"**{visible(title)}**", "", "| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for row in shown(comparison, only_changed):
        lines.append("| " + " | ".join(visible(cell).replace("|", "\\|") for cell in cells(row)) + " |")
    return "\n".join(lines)


def rich_table(comparison: Comparison, title: str, only_changed: bool = False) -> Any:
    """One section per job; the job's columns are shown on its first row only. Every cell is a
    rich ``Text`` (``harness.terminal.text``): ``gcprobe [enabled]`` is shown, not read as markup."""
    from rich.table import Table

    table = Table(title=text(title), title_justify="left")
    for header in HEADERS:  # names are never wrapped: the verdict, the last column, wraps instead
        right = header in ("size", "A", "B", "B/A")
        table.add_column(header, justify="right" if right else "left", no_wrap=header != "verdict")
    previous: Tuple[str, ...] = ()
    for row in shown(comparison, only_changed):
        row_cells = cells(row)
        job = row_cells[:5]
        if previous and job != previous:
            table.add_section()
        style = "bold" if row.verdict.label == CHANGED else None
        table.add_row(*map(text, ("",) * 5 if job == previous else job), *map(text, row_cells[5:]), style=style)
        previous = job
    return table
