"""Compare two runs: B/A per figure both runs have, with a verdict that does not cry wolf.

A figure is matched on (interpreter, strategy, workload, measurer, variant, dataset, size, metric)
(a job's per-call figure only where no per-read / row / message figure restates it); the
variant is the job's GC mode and workload variant (tidy columns ``gc_mode`` and ``variant``). A
figure measured in several processes (one job each) is their median, and its pyperf benchmark the
runs of all of them. How a figure is judged is its measurer's ``comparison`` in the catalogue:
timings through their pyperf JSON (``timing/<job>.json``: enough samples, pyperf's t-test, a
threshold; ``harness.analysis.verdict``), census counts exactly, instruction counts by a 0.5 % threshold, the
rest untested; but a figure whose two sides ran beside clearly different other work (``harness.runs.machine``)
gets "machine state differed" instead of any verdict but an exact one or a count's (neither moves with
load). A pyperf file is used only when it is the file its job's result recorded
(``harness.runs.integrity.verify_result``: the result verifies, and lists the file with its size and
sha256); a figure with any other is "unverified": no verdict, and left out of the geometric mean.
Runs from different environments are refused with the keys that differ, except package versions no
measured job imported (its result's ``environment.imports``): those are notes, since they cannot have
moved a figure. Rows are shown changed first, then those whose verdict leaves the question open
(``NOT_ESTABLISHED``), then the rest. Driver side: needs pandas.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Optional, Set, Tuple

from harness import terminal
from harness.analysis.display import read_manifest
from harness.analysis.verdict import (
    CHANGED,
    MACHINE_DIFFERED,
    NO_DATA,
    NOT_COMPARABLE,
    NOT_ENOUGH,
    THRESHOLD,
    UNCHANGED,
    UNTESTED,
    UNVERIFIED,
    Verdict,
    count_verdict,
    exact_verdict,
    timing_verdict,
)
from harness.measure.catalogue import MEASURERS
from harness.metrics import INSTRUCTIONS_PER, INSTRUCTIONS_PER_CALL, NS_PER, SECONDS_PER_CALL
from harness.protocol.environment import differences
from harness.protocol.job import Job, seal_holds
from harness.runs import machine, results
from harness.runs.integrity import verify_result
from harness.runs.results import RunError
from harness.runs.suite import load_benchmark, merged, pyperf_json
from harness.terminal import text, visible

KEY = ("interpreter", "strategy", "workload", "measurer", "variant", "dataset", "size", "metric")
#: A per-call figure and the per-read / row / message figures that restate it (the same pyperf
#: benchmark or callgrind count, over a constant number of units): compare shows a job's per-call
#: figure only when its workload has no unit.
RESTATED = {
    SECONDS_PER_CALL.name: frozenset(metric.name for metric in NS_PER.values()),
    INSTRUCTIONS_PER_CALL.name: frozenset(metric.name for metric in INSTRUCTIONS_PER.values()),
}
#: The figures of a timing benchmark, one of which compare shows per job.
TIMING_FIGURES = frozenset({SECONDS_PER_CALL.name, *RESTATED[SECONDS_PER_CALL.name]})
#: Verdicts that leave open whether a figure moved: shown after the changed figures, before the rest.
NOT_ESTABLISHED = (NOT_ENOUGH, MACHINE_DIFFERED, UNVERIFIED, NO_DATA)
#: The order rows are shown in, by verdict.
VERDICT_ORDER = (CHANGED, *NOT_ESTABLISHED, UNCHANGED, UNTESTED)
#: Which rows a table shows: the changed ones, those and the not established ones, or every row.
ONLY_CHANGED, OPEN, ALL = "changed", "open", "all"
_SHOWN_LABELS = {ONLY_CHANGED: (CHANGED,), OPEN: (CHANGED, *NOT_ESTABLISHED), ALL: VERDICT_ORDER}


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
        """B/A of every timing benchmark both runs have (one row each: ``RESTATED``), unless its
        pyperf files are unverified."""
        return [
            row.ratio
            for row in self.rows
            if row.measurer == "timing"
            and row.metric in TIMING_FIGURES
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


@dataclass(frozen=True)
class Mismatch:
    """How two runs' environments differ: why they are not comparable (None when they are), and
    the differences that cannot have moved a figure."""

    refusal: Optional[str] = None
    notes: Tuple[str, ...] = ()


def fingerprint_mismatch(run_a: Path, a: Dict[str, Any], run_b: Path, b: Dict[str, Any]) -> Mismatch:
    """Whether two runs' environments (manifests ``a`` and ``b``) are comparable. With the same
    interpreters the run fingerprints decide; otherwise those of the interpreters both runs have. Of
    an interpreter whose fingerprint differs, the interpreter build, the CPU and the packages a
    measured job of either run imported on it (``imported``) refuse; other packages are notes."""
    if a.get("fingerprint") == b.get("fingerprint"):
        return Mismatch()
    envs_a, envs_b = a.get("interpreters", {}), b.get("interpreters", {})
    differing = [
        tag
        for tag in sorted(set(envs_a) & set(envs_b))
        if envs_a[tag].get("fingerprint") != envs_b[tag].get("fingerprint")
    ]
    if not differing:
        if set(envs_a) != set(envs_b):
            return Mismatch()
        return Mismatch(f"environment fingerprints differ ({a.get('fingerprint')} vs {b.get('fingerprint')})")
    reasons, notes = [], []
    for tag in differing:
        found = differences(envs_a[tag], envs_b[tag])
        if not found:
            reasons.append(f"{tag}: fingerprint {envs_a[tag].get('fingerprint')} vs {envs_b[tag].get('fingerprint')}")
            continue
        imports_a, imports_b = imported(run_a, a, tag), imported(run_b, b, tag)
        used = None if imports_a is None or imports_b is None else imports_a | imports_b
        refused = [item for item in found if item.package is None or used is None or item.package in used]
        notes += [f"{tag}: {item} differs, but no measured job imports it" for item in found if item not in refused]
        if refused:
            reasons.append(f"{tag}: {', '.join(map(str, refused))}")
    return Mismatch(f"environments differ ({'; '.join(reasons)})" if reasons else None, tuple(notes))


def imported(run_dir: Path, manifest: Dict[str, Any], tag: str) -> Optional[FrozenSet[str]]:
    """The packages the run's measured jobs on interpreter ``tag`` imported (``environment.imports``
    of every ok result); None when one of them does not say (an older harness, the JS runner), or
    its result's seal does not hold: then every package counts as imported."""
    found: Set[str] = set()
    for job in results.planned_jobs(manifest):
        if job.interpreter not in (tag, None):
            continue
        try:
            data = (Path(run_dir) / "jobs" / f"{job.id}.json").read_bytes()
            result = json.loads(data)
        except (OSError, ValueError):
            continue  # no result: the job measured nothing
        if not isinstance(result, dict) or result.get("status") != "ok":
            continue
        environment = result.get("environment")
        names = environment.get("imports") if isinstance(environment, dict) else None
        if not seal_holds(data) or not isinstance(names, list):
            return None
        found.update(map(str, names))
    return frozenset(found)


def _keyed(frame: Any) -> Any:
    """One row per figure: the median of its processes' values, with its jobs and the other work
    beside each (``harness.runs.machine``); a per-call figure a per-unit one restates is left out."""
    frame = _unrestated(frame).copy()
    workload_variant = frame["variant"].astype("string").fillna("") if "variant" in frame else ""
    frame["variant"] = (frame["gc_mode"].fillna("").astype(str) + " " + workload_variant).str.strip()
    grouped = frame.groupby(list(KEY), dropna=False, sort=True)
    return grouped.agg(
        value=("value", "median"),
        unit=("unit", "last"),
        jobs=("job", lambda jobs: tuple(jobs)),
        others=("other_cores", lambda others: tuple(others)),
    ).reset_index()


def _unrestated(frame: Any) -> Any:
    """The tidy rows but the per-call figures of jobs that also have a per-unit figure (``RESTATED``)."""
    restated = frame["job"].isin(())  # no row yet
    for per_call, per_unit in RESTATED.items():
        restating = set(frame.loc[frame["metric"].isin(list(per_unit)), "job"])
        restated |= (frame["metric"] == per_call) & frame["job"].isin(restating)
    return frame[~restated]


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
    """Exact figures by equality, instruction counts by ``COUNT_THRESHOLD``; timings "unverified" when a
    pyperf file is not the one its job recorded; the others "machine state differed" when the two sides'
    jobs ran beside clearly different other work (``harness.runs.machine``), else by their measurer's
    comparison."""
    measurer = MEASURERS.get(entry.measurer)
    how = measurer.comparison if measurer else UNTESTED
    if how == "exact":
        return exact_verdict(a, b)
    if how == "counts":
        return count_verdict(a, b)
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
#: The terminal's columns: the figure's six in one, folded to fit.
TERMINAL_HEADERS = ("figure", "A", "B", "B/A", "verdict")
#: Narrowest the folded columns (figure, verdict) get, however narrow the terminal.
MIN_FOLDED_WIDTH = 12


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
        compact(row.a),
        compact(row.b),
        ratio,
        str(row.verdict),
    )


def compact(value: float) -> str:
    """A figure in a few characters: whole from 1,000 to 999,999 (``10003``, not ``1e+04``), else four
    significant digits."""
    return f"{value:.0f}" if 1000 <= abs(value) < 1e6 else f"{value:.4g}"


def _rank(row: Row) -> int:
    label = row.verdict.label
    return VERDICT_ORDER.index(label) if label in VERDICT_ORDER else len(VERDICT_ORDER)


def shown(comparison: Comparison, show: str = ALL) -> List[Row]:
    """The rows ``show`` (``ONLY_CHANGED``, ``OPEN`` or ``ALL``) selects, in ``VERDICT_ORDER``: changed
    first, then the not established ones (the figures' own order within each verdict)."""
    labels = _SHOWN_LABELS[show]
    return sorted((row for row in comparison.rows if row.verdict.label in labels or show == ALL), key=_rank)


def hidden(comparison: Comparison, show: str) -> Optional[str]:
    """How many rows ``show`` leaves out, of which verdicts, and how to see them; None when none."""
    left_out = len(comparison.rows) - len(shown(comparison, show))
    if not left_out:
        return None
    kept = _SHOWN_LABELS[show]
    counts = [
        f"{comparison.count(label)} {label}" for label in VERDICT_ORDER if label not in kept and comparison.count(label)
    ]
    return (
        f"{left_out} rows not shown ({', '.join(counts)}): --all shows every row, "
        "--markdown prints them all as a markdown table"
    )


def markdown(comparison: Comparison, title: str, show: str = ALL) -> str:
    lines = [f"**{visible(title)}**", "", "| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for row in shown(comparison, show):
        lines.append("| " + " | ".join(visible(cell).replace("|", "\\|") for cell in cells(row)) + " |")
    return "\n".join(lines)


def rich_table(comparison: Comparison, title: str, show: str, console: Any) -> Any:
    """The rows ``show`` selects, one section per verdict, as wide as ``console``: the figure
    (interpreter · strategy · workload · measurer [variant] · size · metric) and the verdict folded,
    A, B and B/A never wrapped; on a console too narrow for those columns, one folded column (the
    figure, then A, B and B/A, then the verdict). Every cell is a rich ``Text``
    (``harness.terminal.text``): ``gcprobe [enabled]`` is shown, not read as markup."""
    from rich.text import Text

    rows = [(row, cells(row)) for row in shown(comparison, show)]
    widest = [max((found[index] for _, found in rows), key=len, default="") for index in range(6, 9)]
    probe = _columns("")  # the narrowest the columns can be: numbers whole, folded ones MIN_FOLDED_WIDTH
    probe.add_row(text("x" * MIN_FOLDED_WIDTH), *map(text, widest), text("x" * MIN_FOLDED_WIDTH))
    narrow = _narrowest(console, probe) > console.width
    table = _stacked(title) if narrow else _columns(title)
    previous = None
    for row, found in rows:
        if previous is not None and row.verdict.label != previous:
            table.add_section()
        figure = " · ".join(found[:6])
        if narrow:
            lines = (figure, f"A {found[6]}  B {found[7]}  B/A {found[8]}", found[9])
            shown_cells = [Text("\n").join(map(text, lines))]
        else:
            shown_cells = list(map(text, (figure, *found[6:])))
        table.add_row(*shown_cells, style="bold" if row.verdict.label == CHANGED else None)
        previous = row.verdict.label
    return table


def _columns(title: str) -> Any:
    """The comparison's table: the figure, A, B, B/A, the verdict."""
    table = terminal.table(title=text(title), title_justify="left")
    for header in TERMINAL_HEADERS:
        if header in ("A", "B", "B/A"):
            table.add_column(header, justify="right", no_wrap=True)
        else:
            table.add_column(header, overflow="fold", min_width=MIN_FOLDED_WIDTH)
    return table


def _stacked(title: str) -> Any:
    """The comparison's table in one column, for a console too narrow for ``_columns``."""
    table = terminal.table(title=text(title), title_justify="left", show_lines=True)
    table.add_column("figure; A, B, B/A; verdict", overflow="fold")
    return table


def _narrowest(console: Any, table: Any) -> int:
    """The fewest columns ``table`` takes on ``console`` without cutting a cell."""
    from rich.measure import Measurement

    return Measurement.get(console, console.options.update_width(10**6), table).minimum
