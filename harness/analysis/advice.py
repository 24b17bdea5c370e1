"""``harness advise``: a short plan built for one dataset, and the plain answer read from its run.

The plan (``advice_plan``) measures rebuilding the dataset's messages (``hydrate_all``) with the
style an application most likely has (``spread``: ``{**data, "id": ...}``) and the strategies that
remove its cost — fixed key lists, ``__slots__`` classes, msgspec Structs with ``gc=False``, and
the lazy variants that keep open maps undecoded — each available one: the shapes (census), the
time per row (pyperf), the collector's share of a rebuild with its GC-off control (gcprobe) and
the peak bytes (memray). Sizes are capped so that a 50k-row dataset takes minutes.

The answer (``answer``) is read from the run's tidy table: the shapes the data makes, what the
spread style costs in GC and memory, and the strategy the report's rule picks (``harness.analysis.answer``:
the fastest rebuild with the collector on, GC included, among those that remove at least half of
spread's GC time), with its figures beside spread's — or that nothing here beats spread, and why.
Jobs that failed (a strategy that cannot build these rows) are named with the last line of
their error.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Tuple

from harness.analysis.answer import RULE, Choice, choose
from harness.metrics import (
    GC_COLLECTIONS,
    GC_S,
    GC_SHARE,
    GENERATIONS,
    KEY_ORDERS,
    KEY_SETS,
    NS_PER_ROW,
    PEAK_BYTES_PER_MESSAGE,
    TRACKED_PER_MESSAGE,
    WALL_S,
    Metric,
)
from harness.numbers import maybe, times, whole_pct

if TYPE_CHECKING:
    from harness.runs.plans import Plan

#: What an application most likely does today, then what may replace it (those available run).
BASELINE = "spread"
CANDIDATES: Tuple[str, ...] = ("fixed", "slots", "msgspec-nogc", "msgspec-lazy", "slots-lazy")
#: Messages rebuilt per job, at most: all of them for shapes and GC, fewer for timing and memory.
CENSUS_CAP, GC_CAP, TIMING_CAP, MEMORY_CAP = 20000, 20000, 5000, 5000
#: Messages one GC probe process rebuilds (rounds of its size, 2 to 50): a small dataset is rebuilt
#: more often, so that its collections are counted over more than a few milliseconds.
GC_WORK = 20000
#: Fresh processes per timing and GC figure, interleaved across the strategies (intervals need two
#: per side; three keep one odd process from deciding a median).
REPEATS = 3
DATASET_KEY = "yours"


def advice_plan(messages: int) -> Plan:
    """The advise plan for a dataset of ``messages`` messages (key ``DATASET_KEY``)."""
    from harness.runs.plans import GC_CONTROLS, Plan, Sweep, pyperf_params

    everyone = (BASELINE, *CANDIDATES)

    def size(cap: int) -> Tuple[int, ...]:
        return (max(1, min(messages, cap)),)

    rounds = max(2, min(50, -(-GC_WORK // size(GC_CAP)[0])))

    return Plan(
        "advise",
        "census, hydration timing, GC probe with its GC-off control and memory of one dataset",
        datasets=(),
        sweeps=(
            Sweep("census", "hydrate_all", DATASET_KEY, everyone, size(CENSUS_CAP)),
            Sweep("timing", "hydrate_all", DATASET_KEY, everyone, size(TIMING_CAP), pyperf_params(3), repeats=REPEATS),
            Sweep(
                "gcprobe",
                "hydrate_all",
                DATASET_KEY,
                everyone,
                size(GC_CAP),
                {"rounds": rounds},
                GC_CONTROLS,
                repeats=REPEATS,
            ),
            Sweep("memory", "hydrate_all", DATASET_KEY, everyone, size(MEMORY_CAP), {"flamegraph": False}),
        ),
        timeout=600,
        duration="minutes",
    )


class Figures:
    """The run's figures by (measurer, strategy, GC mode, metric): one value per process, read from
    its tidy table (``results.load_tidy``). The GC mode tells gcprobe's rebuilds with the collector
    on and off apart; other measurers' figures have none here."""

    def __init__(self, run_dir: Path) -> None:
        from harness.runs.results import load_tidy

        frame = load_tidy(run_dir)
        frame = frame[frame["value"].notna()]
        modes = frame["gc_mode"].fillna("").where(frame["measurer"] == "gcprobe", "")
        grouped = frame.assign(gc_mode=modes).groupby(["measurer", "strategy", "gc_mode", "metric"], sort=False)
        self.values: Dict[Tuple[str, str, str, str], List[float]] = {
            (str(measurer), str(strategy), str(mode), str(metric)): [float(value) for value in values]
            for (measurer, strategy, mode, metric), values in grouped["value"]
        }
        self.interpreter = str(frame["interpreter"].iloc[-1]) if len(frame) else ""

    def all(self, measurer: str, strategy: str, metric: Metric, gc_mode: str = "") -> List[float]:
        """Every process's value of a figure (empty when the run lacks it)."""
        return self.values.get((measurer, strategy, gc_mode, metric.name), [])

    def get(self, measurer: str, strategy: str, metric: Metric, gc_mode: str = "") -> Optional[float]:
        """A figure's median over its processes, or None."""
        found = self.all(measurer, strategy, metric, gc_mode)
        return statistics.median(found) if found else None


def failures(run_dir: Path) -> Dict[str, str]:
    """Per strategy, why its first failed job failed (the last line of its error)."""
    found: Dict[str, str] = {}
    for path in sorted((Path(run_dir) / "jobs").glob("*.json")):
        if path.name.endswith(".job.json"):
            continue
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if record.get("status") != "failed":
            continue
        lines = [line for line in (record.get("stderr_tail") or "").splitlines() if line.strip()]
        strategy = record.get("job", {}).get("strategy", "?")
        found.setdefault(strategy, lines[-1].strip() if lines else record.get("reason", "failed"))
    return found


def _ratio(value: Optional[float], base: Optional[float]) -> str:
    return f"{times(value / base)} spread's" if value is not None and base else "no figure for spread"


def choice(figures: Figures) -> Choice:
    """The answer's rule (``harness.analysis.answer.RULE``) over the baseline and the candidates' GC-enabled
    rebuilds."""
    names = (BASELINE, *CANDIDATES)
    walls = {name: figures.all("gcprobe", name, WALL_S, "enabled") for name in names}
    gc_seconds = {name: figures.all("gcprobe", name, GC_S, "enabled") for name in names}
    return choose({k: v for k, v in walls.items() if v}, {k: v for k, v in gc_seconds.items() if v})


def shapes_paragraph(figures: Figures, parts: bool = True) -> str:
    """The shapes spread and fixed key lists make (parts left out for rows that have none)."""

    def counted(strategy: str, metric: Metric) -> str:
        return maybe(metric.show, figures.get("census", strategy, metric))

    made = (
        f"{counted(BASELINE, KEY_SETS['info'])} distinct key sets ({counted(BASELINE, KEY_ORDERS['info'])} key orders)"
    )
    fixed = counted("fixed", KEY_SETS["info"])
    if parts:
        made += (
            f" and your parts {counted(BASELINE, KEY_SETS['part'])} ({counted(BASELINE, KEY_ORDERS['part'])} orders)"
        )
        fixed += f" and {counted('fixed', KEY_SETS['part'])}"
    return (
        f"Shapes: built the spread way your messages make {made}; fixed key lists make that {fixed}. "
        f"Below the top level: {counted(BASELINE, KEY_ORDERS['nested'])} key orders of nested objects and "
        f"{counted(BASELINE, KEY_ORDERS['record'])} of records keyed by data."
    )


def cost_lines(figures: Figures, name: str, base: Optional[str] = None) -> List[str]:
    """GC, time and memory of one strategy (ratios to ``base`` when given)."""
    get = figures.get
    on, off = get("gcprobe", name, WALL_S, "enabled"), get("gcprobe", name, WALL_S, "disabled")
    share = get("gcprobe", name, GC_SHARE, "enabled")
    counts = [get("gcprobe", name, GC_COLLECTIONS[generation], "enabled") for generation in GENERATIONS]
    collections = None if None in counts else sum(counts)  # type: ignore[arg-type]
    peak, row = get("memory", name, PEAK_BYTES_PER_MESSAGE), get("timing", name, NS_PER_ROW)
    tracked = get("census", name, TRACKED_PER_MESSAGE)

    def versus(value: Optional[float], metric: Metric, measurer: str, mode: str = "") -> str:
        return f" ({_ratio(value, get(measurer, base, metric, mode))})" if base else ""

    lines = [
        f"  rebuild, collector on: {maybe(WALL_S.show, on)}{versus(on, WALL_S, 'gcprobe', 'enabled')}; "
        f"collector off: {maybe(WALL_S.show, off)}; GC share {maybe(whole_pct, share)}"
        + (f", {collections:.0f} collections" if collections is not None else ""),
        f"  peak memory: {maybe(PEAK_BYTES_PER_MESSAGE.show, peak)} per message"
        f"{versus(peak, PEAK_BYTES_PER_MESSAGE, 'memory')}; "
        f"GC-tracked objects per message: {maybe(TRACKED_PER_MESSAGE.show, tracked)}",
        f"  hydration: {maybe(NS_PER_ROW.show, row)} per row{versus(row, NS_PER_ROW, 'timing')}",
    ]
    return lines


def answer(run_dir: Path, manifest: Dict[str, Any], code: Optional[str] = None) -> str:
    """The plain answer of an advise run."""
    figures = Figures(run_dir)
    dataset = next(iter(manifest["datasets"].values()))
    sizes = {job["measurer"]: job["size"] for job in manifest["jobs"]}
    rounds = next((job["params"].get("rounds") for job in manifest["jobs"] if job["measurer"] == "gcprobe"), 0)
    lines = [
        f"Your data: {dataset['messages']:,} messages and {dataset['parts']:,} parts in {dataset['path']}, "
        f"measured on {figures.interpreter} (a GC probe rebuilds {sizes.get('gcprobe', 0):,} messages "
        f"{rounds} times; the times below are of all {rounds} rebuilds, medians over "
        f"{len(figures.all('gcprobe', BASELINE, WALL_S, 'enabled'))} processes).",
        shapes_paragraph(figures, bool(dataset["parts"])),
        "What the spread style ({**data, 'id': …}, what your code most likely does) costs:",
        *cost_lines(figures, BASELINE),
    ]
    failed = failures(run_dir)
    picked = choice(figures)
    if picked.strategy is None:
        lines.append(f"Nothing here beats spread: {picked.reason}.")
    else:
        lines.append(f"What removes most of it on this interpreter: {picked.strategy}")
        lines += cost_lines(figures, picked.strategy, BASELINE)
    found = {name: figures.get("gcprobe", name, WALL_S, "enabled") for name in CANDIDATES if name != picked.strategy}
    walls = {name: wall for name, wall in found.items() if wall}
    timed = sorted(walls, key=walls.__getitem__)
    if timed:
        shown = ", ".join(f"{name} {WALL_S.show(walls[name])}" for name in timed)
        lines.append(f"  the others, rebuild with the collector on: {shown}")
    lines.append(f"(The rule: {RULE})")
    for name, reason in failed.items():
        lines.append(f"Could not measure {name} on this data: {reason}")
    if code:
        lines += ["", code.rstrip()]
    return "\n".join(lines) + "\n"


#: The generated code style that adopts each strategy (``harness.schemas.codegen``): the msgspec
#: ones their Structs; the others ``__slots__`` classes, the nearest plain-Python form.
CODE_STYLES = {"msgspec-nogc": "msgspec", "msgspec-lazy": "msgspec-lazy", "msgspec-lazy-memo": "msgspec-lazy-memo"}


def code_for(manifest: Mapping[str, Any], best: Optional[str], schema_file: Optional[Path] = None) -> str:
    """The source to adopt ``best`` for the dataset's schema (an edited ``schema_file``, else
    opencode's unless the manifest records another), with a first comment saying what it is."""
    from harness.schemas.codegen import python_source
    from harness.schemas.stored import schema_of

    schema = schema_of(manifest, schema_file)
    style = CODE_STYLES.get(best or "", "slots")
    intro = f"# The code to adopt {best or 'a fixed shape'}: {style} classes generated for your data's schema"
    if best == "slots-lazy":
        intro += " (slots-lazy also keeps each open map as its JSON text until read)"
    return f"{intro}.\n{python_source(schema, style)}"
