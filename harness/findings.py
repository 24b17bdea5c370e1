"""Findings: short statements generated from a run's numbers (driver side, needs pandas).

Each finding is a sentence plus the numbers it rests on. A finding whose data the run lacks is
omitted, never guessed. The same selection helpers serve the notebooks, which read only the tidy
table (``harness.results.load_tidy``) and the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from harness.measure.catalogue import GC_MODE_MEASURERS, MEASURERS

# The seed's JavaScriptCore figures (opencode PR #29029, 5,000 reference messages): spread -> fixed.
SEED_SHAPES = {"info": (47, 2), "part": (16, 5)}
SEED_MESSAGES = 5000


@dataclass(frozen=True)
class Finding:
    key: str
    text: str
    numbers: Dict[str, str] = field(default_factory=dict)


#: A finder: the finding a run's tidy frame (and manifest) supports, or None.
Finder = Callable[[Any, Dict[str, Any]], Optional[Finding]]


# ---------------------------------------------------------------- selection helpers (notebooks too)


def with_gc_mode(frame: Any) -> Any:
    """The frame with every gcprobe / memory row's GC mode filled in (``enabled`` when unset)."""
    frame = frame.copy()
    if "gc_mode" not in frame:
        frame["gc_mode"] = ""
    frame["gc_mode"] = frame["gc_mode"].fillna("").astype(str)
    frame.loc[frame["measurer"].isin(GC_MODE_MEASURERS) & (frame["gc_mode"] == ""), "gc_mode"] = "enabled"
    return frame


def select(
    frame: Any,
    measurer: Optional[str] = None,
    workload: Optional[str] = None,
    metric: Optional[str] = None,
    dataset: Optional[str] = None,
    mode: Optional[str] = None,
    variant: Optional[str] = "",
) -> Any:
    """Rows of one measurer / workload / metric; ``dataset`` is a name prefix, ``mode`` a GC mode,
    ``variant`` the workload variant (default: the workload as it always ran; None: every variant,
    which the caller must then tell apart)."""
    mask = frame["value"].notna()
    if variant is not None:
        mask &= frame["variant"].astype("string").fillna("") == variant if "variant" in frame else variant == ""
    if measurer is not None:
        mask &= frame["measurer"] == measurer
    if workload is not None:
        mask &= frame["workload"] == workload
    if metric is not None:
        mask &= frame["metric"] == metric
    if dataset is not None:
        mask &= frame["dataset"].astype(str).str.startswith(dataset)
    if mode is not None:
        mask &= with_gc_mode(frame)["gc_mode"] == mode
    return frame[mask]


def medians(frame: Any, by: tuple = ("interpreter", "strategy")) -> Dict[tuple, float]:
    """Median value per group (several jobs of one group, e.g. sizes, are pooled)."""
    if frame.empty:
        return {}
    grouped = frame.groupby(list(by), dropna=False)["value"].median()
    return {key if isinstance(key, tuple) else (key,): float(value) for key, value in grouped.items()}


def missing_measurers(frame: Any) -> List[str]:
    """Measurers of the catalogue without a figure in the frame."""
    present = set(frame["measurer"].astype(str)) if len(frame) else set()
    return [name for name in MEASURERS if name not in present]


def is_cpython(interpreter: str) -> bool:
    return str(interpreter).startswith("CPython")


def _n(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def _pct(value: float) -> str:
    return f"{value:.1%}"


def _joined(key: str, heading: str, parts: List[str], numbers: Dict[str, str]) -> Optional[Finding]:
    """The finding "heading: part; part.", or None when the run's data gave no part."""
    if not parts:
        return None
    return Finding(key, f"{heading}: " + "; ".join(parts) + ".", numbers)


# ---------------------------------------------------------------- the findings


def shape_counts(frame: Any, manifest: Dict[str, Any]) -> Optional[Finding]:
    rows = select(frame, "census", metric=None, dataset="reference")
    found = {}
    for role in ("info", "part"):
        values = medians(select(rows, metric=f"{role}_key_sets"), ("strategy",))
        if ("spread",) not in values or ("fixed",) not in values:
            return None
        found[role] = (int(values[("spread",)]), int(values[("fixed",)]))
    sizes = sorted({int(size) for size in select(rows, metric="info_key_sets")["size"].dropna()})
    match = found == SEED_SHAPES
    size_text = ", ".join(f"{size:,}" for size in sizes) or "?"
    if match:
        verdict = "exactly the seed's JavaScriptCore figures (47 → 2, 16 → 5)"
    elif sizes == [SEED_MESSAGES]:
        verdict = "which does NOT match the seed's 47 → 2 and 16 → 5"
    else:
        verdict = (
            f"not the seed's 47 → 2 / 16 → 5, which are for {SEED_MESSAGES:,} messages "
            f"(this run's reference dataset has {size_text})"
        )
    text = (
        f"Spread vs fixed key sets on the reference dataset: info {found['info'][0]} → {found['info'][1]}, "
        f"part {found['part'][0]} → {found['part'][1]}, {verdict}."
    )
    return Finding(
        "shapes",
        text,
        {
            "info spread→fixed": f"{found['info'][0]} → {found['info'][1]}",
            "part spread→fixed": f"{found['part'][0]} → {found['part'][1]}",
            "messages": size_text,
            "seed": "47 → 2, 16 → 5",
        },
    )


def key_order_access(frame: Any, manifest: Dict[str, Any]) -> Optional[Finding]:
    """Key order alone (``spread-filled`` vs ``fixed``: same keys, same reads, only the order
    varies) and the spread code as written (``spread``: varied keys, ``.get`` reads)."""
    rows = select(frame, "timing", "access", "ns_per_read")
    values = medians(rows)
    mads = medians(rows.assign(value=rows["mad"]))
    parts, numbers = [], {}
    for interpreter in sorted({key[0] for key in values if is_cpython(key[0])}):
        fixed = values.get((interpreter, "fixed"))
        if fixed is None:
            continue
        for name, what in (
            ("spread-filled", "key order alone (spread-filled: same keys and reads as fixed)"),
            ("spread", "the spread code as written (varied keys, .get reads)"),
        ):
            other = values.get((interpreter, name))
            if other is None:
                continue
            noise = max(mads.get((interpreter, name)) or 0.0, mads.get((interpreter, "fixed")) or 0.0)
            same = abs(other - fixed) <= max(noise * 2, 0.05 * fixed)
            verdict = (
                f"within the noise (2 × MAD {_n(noise)} ns): no measurable cost"
                if same
                else f"beyond the noise (MAD {_n(noise)} ns)"
            )
            parts.append(
                f"on {interpreter}, {what} read at {_n(other)} ns vs fixed {_n(fixed)} ns "
                f"({other / fixed:.2f}×), {verdict}"
            )
            numbers[f"{interpreter} {name} / fixed ns/read"] = f"{_n(other)} / {_n(fixed)}"
    return _joined("key_order", "Dict key order and access time", parts, numbers)


def key_sharing(frame: Any, manifest: Dict[str, Any]) -> Optional[Finding]:
    values = medians(select(frame, "census", metric="compact_layout_share"))
    parts, numbers = [], {}
    for interpreter in sorted({key[0] for key in values}):
        shares = {name: values.get((interpreter, name)) for name in ("instance-dict", "dataclass")}
        if all(share is None for share in shares.values()):
            continue
        held = [f"{name} {_pct(share)}" for name, share in shares.items() if share is not None]
        instance = shares["instance-dict"]
        verdict = (
            ""
            if instance is None
            else " — instance key-sharing held"
            if instance >= 0.99
            else " — instance key-sharing broke for some objects"
            if instance > 0
            else " — instance key-sharing broke (every instance has its own dict)"
        )
        parts.append(f"{interpreter}: compact layout {', '.join(held)}{verdict}")
        for name, share in shares.items():
            if share is not None:
                numbers[f"{interpreter} {name}"] = _pct(share)
    return _joined("key_sharing", "CPython key-sharing / inline values", parts, numbers)


def gc_controls(frame: Any, manifest: Dict[str, Any]) -> Optional[Finding]:
    rows = select(frame, "gcprobe", "hydrate_all", "wall_s")
    values = medians(with_gc_mode(rows), ("interpreter", "strategy", "gc_mode"))
    parts, numbers = [], {}
    for interpreter, strategy, mode in sorted(values):
        if mode == "enabled":
            continue
        enabled = values.get((interpreter, strategy, "enabled"))
        if not enabled:
            continue
        controlled = values[(interpreter, strategy, mode)]
        label = "gc.freeze()" if mode == "freeze" else "GC disabled"
        parts.append(
            f"{strategy} on {interpreter} with {label} took {controlled / enabled:.0%} of the GC-enabled wall time"
        )
        numbers[f"{interpreter} {strategy} {mode} / enabled (s)"] = f"{controlled:.4g} / {enabled:.4g}"
    return _joined("gc_controls", "GC controls", parts, numbers)


def growth_slopes(frame: Any, manifest: Dict[str, Any]) -> Optional[Finding]:
    values = medians(select(frame, "gcprobe", "run_loop", "seconds_per_iteration_per_1k_history"))
    parts, numbers = [], {}
    for interpreter, strategy in sorted(values):
        if not strategy.startswith("cached:"):
            continue
        base = strategy.split(":", 1)[1]
        if (interpreter, base) not in values:
            continue
        cached, uncached = values[(interpreter, strategy)], values[(interpreter, base)]
        parts.append(
            f"{base} on {interpreter} grows {uncached * 1000:.2f} ms per iteration per 1k messages "
            f"of history uncached, {cached * 1000:.2f} ms cached"
        )
        numbers[f"{interpreter} {base} uncached / cached (ms per 1k)"] = f"{uncached * 1000:.2f} / {cached * 1000:.2f}"
    return _joined("growth", "run_loop growth", parts, numbers)


def _controls() -> set:
    """Names of the registered controls (floors): never the "lowest" strategy of a finding."""
    from harness.strategies import all_strategies

    return {name for name, strategy in all_strategies().items() if strategy.control}


def _lowest_per_interpreter(
    values: Dict[tuple, float], show: Callable[[float], str], says: str, versus: Callable[[float, float], str]
) -> Tuple[List[str], Dict[str, str]]:
    """Per interpreter with at least two strategies: the lowest one, compared with spread.

    ``show`` formats a value, ``says`` words the lowest (``{}`` stands for its shown value) and
    ``versus(lowest, spread)`` the comparison with spread, added when spread is not the lowest.
    """
    parts, numbers = [], {}
    for interpreter in sorted({key[0] for key in values}):
        own = {key[1]: value for key, value in values.items() if key[0] == interpreter}
        if len(own) < 2:
            continue
        best = min(sorted(own), key=own.get)
        text = f"on {interpreter} {best} {says.format(show(own[best]))}"
        if "spread" in own and best != "spread":
            text += versus(own[best], own["spread"])
        parts.append(text)
        numbers[f"{interpreter} {best}"] = show(own[best])
        if "spread" in own:
            numbers[f"{interpreter} spread"] = show(own["spread"])
    return parts, numbers


def lowest_finder(
    key: str,
    heading: str,
    query: Dict[str, str],
    show: Callable[[float], str],
    says: str,
    versus: Optional[Callable[[float, float], str]] = None,
) -> Finder:
    """A finder naming, per interpreter, the strategy with the lowest median of the rows
    ``select(frame, **query)`` picks (see ``_lowest_per_interpreter``); ``versus`` defaults to
    "vs spread <shown value>"."""

    def against_spread(lowest: float, spread: float) -> str:
        return f" vs spread {show(spread)}"

    def finder(frame: Any, manifest: Dict[str, Any]) -> Optional[Finding]:
        values = {key: value for key, value in medians(select(frame, **query)).items() if key[1] not in _controls()}
        parts, numbers = _lowest_per_interpreter(values, show, says, versus or against_spread)
        return _joined(key, heading, parts, numbers)

    finder.__name__ = finder.__qualname__ = key
    return finder


best_access = lowest_finder(
    "best_access",
    "Fastest 200×7 access",
    {"measurer": "timing", "workload": "access", "metric": "ns_per_read"},
    lambda value: f"{_n(value)} ns",
    "at {}/read",
    lambda lowest, spread: f" ({spread / lowest:.2f}× faster than spread, {_n(spread)} ns)",
)
gc_lowest = lowest_finder(
    "gc_lowest",
    "GC share",
    {"measurer": "gcprobe", "workload": "hydrate_all", "metric": "gc_share", "mode": "enabled"},
    _pct,
    "had the lowest GC share in the rebuild loop, {}",
)
lowest_memory = lowest_finder(
    "memory",
    "Lowest peak memory per message",
    {"measurer": "memory", "workload": "hydrate_all", "metric": "peak_bytes_per_message"},
    lambda value: f"{_n(value, 0)} B",
    "at {}/message",
)


def pypy(frame: Any, manifest: Dict[str, Any]) -> Optional[Finding]:
    rows = frame[frame["implementation"].astype(str) == "PyPy"]
    if rows.empty:
        return None
    values = medians(select(rows, "timing", "access", "ns_per_read"))
    if not values:
        return Finding("pypy", "PyPy ran in this run but produced no access timings.", {"PyPy figures": str(len(rows))})
    own = {key[1]: value for key, value in values.items()}
    text = "On PyPy (real hidden classes): " + ", ".join(
        f"{name} {_n(value)} ns/read" for name, value in sorted(own.items())
    )
    if "spread" in own and "fixed" in own and own["fixed"]:
        text += f"; spread costs {own['spread'] / own['fixed']:.1f}× fixed"
    return Finding("pypy", text + ".", {name: f"{_n(value)} ns" for name, value in sorted(own.items())})


def jsc_structures(frame: Any, manifest: Dict[str, Any]) -> Optional[Finding]:
    """JavaScriptCore's own Structure counts (heap snapshot), reference and realistic, spread → fixed."""
    from harness.runtimes import fix_removes

    values = medians(select(frame, "census", dataset="reference"), ("interpreter", "strategy", "metric"))
    removed = fix_removes(frame)
    parts, numbers = [], {}
    for interpreter in sorted({key[0] for key in values if str(key[0]).startswith("JSC")}):
        pairs = {
            role: [values.get((interpreter, name, f"{role}_structures")) for name in ("spread", "fixed")]
            for role in ("info", "part")
        }
        if any(None in pair for pair in pairs.values()):
            continue
        text = (
            f"on {interpreter} the reference dataset's infos had {pairs['info'][0]:.0f} → {pairs['info'][1]:.0f} "
            f"Structures and its parts {pairs['part'][0]:.0f} → {pairs['part'][1]:.0f} (spread → fixed)"
        )
        own = removed[(removed["runtime"] == interpreter) & (removed["counted"] == "Structures")]
        left = own.set_index("place")["fixed"].to_dict() if not own.empty else {}
        if left.get("all"):
            below = left["nested schema objects"] + left["data-keyed records"]
            text += (
                f"; on realistic data fixed objects still have {left['all']:.0f} distinct Structures, "
                f"{below:.0f} of them below the top level ({left['data-keyed records']:.0f} in data-keyed records)"
            )
        parts.append(text)
        numbers[f"{interpreter} info / part"] = f"{pairs['info'][0]:.0f} → {pairs['info'][1]:.0f} / " + (
            f"{pairs['part'][0]:.0f} → {pairs['part'][1]:.0f}"
        )
    if parts:
        numbers["seed (published)"] = "47 → 2 / 16 → 5"
    return _joined("jsc_structures", "JavaScriptCore Structures, measured", parts, numbers)


def read_site_cliff(frame: Any, manifest: Dict[str, Any]) -> Optional[Finding]:
    """Where time per read jumps as one read site meets more shapes, per runtime and object kind."""
    from harness.runtimes import read_site, steepest_steps

    wide = read_site(frame)
    if wide.empty:
        return None
    steps = steepest_steps(wide)
    parts = []
    for _, row in steps.iterrows():
        most = int(wide[row["line"]].dropna().index.max())
        text = f"{row['line']}: {row['1 shape ns']:.1f} ns/read at 1 shape, {row['most shapes ns']:.1f} at {most}"
        rise = row["× at the step"]
        parts.append(text + (f", steepest rise {row['steepest step']} (×{rise:.2f})" if rise > 1 else ", no rise"))
    numbers = {row["line"]: row["steepest step"] for _, row in steps.iterrows()}
    return _joined("read_site", "Read-site polymorphism", parts, numbers)


FINDERS: List[Finder] = [
    shape_counts,
    key_order_access,
    key_sharing,
    best_access,
    gc_lowest,
    gc_controls,
    growth_slopes,
    lowest_memory,
    pypy,
    jsc_structures,
    read_site_cliff,
]


def findings(frame: Any, manifest: Optional[Dict[str, Any]] = None) -> List[Finding]:
    """Every finding the run's numbers support, in a fixed order."""
    manifest = manifest or {}
    found = []
    for finder in FINDERS:
        try:
            result = finder(frame, manifest)
        except (KeyError, ValueError, TypeError, ZeroDivisionError):
            result = None  # malformed data: omit the finding rather than fail the report
        if result is not None:
            found.append(result)
    return found
