"""The metric registry: every figure a measurer reports, with its unit, which way is better and how
it is written.

A measurer (Python: ``harness.measure``; JavaScriptCore: ``harness/jsc/measure``) reports figures by
name; the tidy table is built only of registered names (``harness.runs.results``: an unregistered one
is an error naming it), and the analysis picks figures by the constants here, never by a name
typed again. ``better`` is ``LOWER``, ``HIGHER`` or None (neither: context such as the history
size or the RSS before a rebuild); ``show`` writes a value (``harness.numbers``: one format per
unit). A family of names (per GC generation, per object group, per workload unit) is a mapping
from its member to the metric.

The agent loop's growth figures (``*_per_1k_history``) are the least-squares slope of its
iterations' times over the history in thousands of messages: ``fit``, the one line fit.

Importable on Python 3.9 and PyPy (the measured side may use it); imports nothing of the harness
but ``harness.numbers``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Sequence, Tuple

from harness import numbers
from harness.numbers import Show

LOWER, HIGHER = "lower", "higher"
#: The GC generations of CPython's collector (PyPy's probe maps its minor / step / major onto them).
GENERATIONS = (0, 1, 2)
#: The object groups a census counts: top-level infos and parts, nested schema objects, data-keyed records.
GROUPS = ("info", "part", "nested", "record")
#: What a call of a workload processes (``harness.workloads.catalogue.Workload.unit``).
WORKLOAD_UNITS = ("read", "row", "message")
#: How a unit is written unless a metric says otherwise.
UNIT_FORMATS: Dict[str, Show] = {
    "s": numbers.seconds,
    "ns": numbers.ns,
    "ratio": numbers.pct,
    "count": numbers.count,
    "objects": numbers.decimal,
    "cells": numbers.count,
    "messages": numbers.count,
    "bytes": numbers.bytes_,
    "rows/s": numbers.count,
    "%": numbers.percent,
    "MB/s": numbers.decimal,
    "instructions": numbers.decimal,
}


@dataclass(frozen=True)
class Metric:
    """One figure name: its unit as the measurers report it, which way is better, how it is written."""

    name: str
    unit: str
    better: Optional[str]
    show: Show
    about: str


METRICS: Dict[str, Metric] = {}


def _metric(name: str, unit: str, better: Optional[str], about: str, show: Optional[Show] = None) -> Metric:
    if name in METRICS:
        raise ValueError(f"metric {name!r} is registered twice")
    METRICS[name] = Metric(name, unit, better, show or UNIT_FORMATS[unit], about)
    return METRICS[name]


def fit(xs: Sequence[float], ys: Sequence[float]) -> Optional[Tuple[float, float]]:
    """The least-squares line through the points: (slope, intercept); None where the xs do not vary."""
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if not spread:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / spread
    return slope, mean_y - slope * mean_x


#: The least growth of the history, as a share of it, that an agent loop's slope is fit over: over less
#: it measures the iterations' jitter (ten messages appended to a 50,000-message history say nothing
#: about how an iteration grows).
SLOPE_SPAN = 0.1


def loop_slope(history: Sequence[float], values: Sequence[float]) -> Optional[Tuple[float, float]]:
    """The line of agent-loop iterations' ``values`` over thousands of messages of their ``history``:
    (per 1k, intercept), or None when the histories span less than ``SLOPE_SPAN`` of the smallest.
    Callers leave out each process's first iteration, which pays what a process pays once (a kept
    history's cold build, a cache's first fill)."""
    if len(history) < 2 or max(history) - min(history) < SLOPE_SPAN * min(history):
        return None
    return fit([size / 1000 for size in history], list(values))


# --- timing (pyperf; JSC: its own timer) -----------------------------------------------------------
SECONDS_PER_CALL = _metric("seconds_per_call", "s", LOWER, "median seconds of one workload call")
NS_PER = {
    unit: _metric(f"ns_per_{unit}", "ns", LOWER, f"nanoseconds per {unit} (a call's median over its {unit}s)")
    for unit in WORKLOAD_UNITS
}
NS_PER_READ, NS_PER_ROW = NS_PER["read"], NS_PER["row"]

# --- gcprobe: the collector during rebuilds and the agent loop --------------------------------------
WALL_S = _metric("wall_s", "s", LOWER, "wall time of the measured calls, collections included")
GC_S = _metric("gc_s", "s", LOWER, "seconds spent in collections")
GC_SHARE = _metric("gc_share", "ratio", LOWER, "share of the wall time spent in collections")
ROWS_PER_S = _metric("rows_per_s", "rows/s", HIGHER, "stored rows built per second, GC included")
TRACKED_PER_MESSAGE = _metric("tracked_per_message", "objects", LOWER, "objects the cyclic GC tracks per message")
GC_COLLECTIONS = {g: _metric(f"gc{g}_collections", "count", LOWER, f"generation-{g} collections") for g in GENERATIONS}
GC_GENERATION_S = {g: _metric(f"gc{g}_s", "s", LOWER, f"seconds in generation-{g} collections") for g in GENERATIONS}
GC_MAX_PAUSE_S = {
    g: _metric(f"gc{g}_max_pause_s", "s", LOWER, f"the longest generation-{g} collection") for g in GENERATIONS
}
GC_COLLECTED = {
    g: _metric(f"gc{g}_collected", "objects", None, f"objects generation-{g} collections freed") for g in GENERATIONS
}
LOOP_SLOPE = _metric(
    "seconds_per_iteration_per_1k_history",
    "s",
    LOWER,
    "growth of an agent-loop iteration per 1,000 messages of history (slope)",
    numbers.ms_of_seconds,
)
LOOP_GC_SLOPE = _metric(
    "gc_seconds_per_iteration_per_1k_history",
    "s",
    LOWER,
    "growth of an iteration's GC seconds per 1,000 messages of history (slope)",
    numbers.ms_of_seconds,
)
LAST_ITERATION_S = _metric(
    "last_iteration_s", "s", LOWER, "the loop's last iteration, at the largest history", numbers.ms_of_seconds
)
LAST_ITERATION_GC_S = _metric(
    "last_iteration_gc_s", "s", LOWER, "GC seconds of the loop's last iteration", numbers.ms_of_seconds
)
LARGEST_HISTORY = _metric("largest_history", "messages", None, "the history of the loop's last iteration")
# JavaScriptCore's GC log and threads
CPU_S = _metric("cpu_s", "s", LOWER, "CPU seconds of the process over the measured calls")
THREAD_CPU_S = {
    thread: _metric(f"{thread}_thread_cpu_s", "s", None, f"CPU seconds of the {thread} thread(s)")
    for thread in ("main", "gc", "jit")
}
JSC_GC = {
    name: _metric(name, unit, LOWER, about)
    for name, unit, about in (
        ("gc_pause_s", "s", "seconds the mutator was stopped for collections"),
        ("gc_epilogue_s", "s", "seconds in collection epilogues"),
        ("gc_sweep_s", "s", "seconds sweeping"),
        ("gc_cycle_s", "s", "seconds of whole collection cycles"),
        ("gc_pauses", "count", "collection pauses"),
        ("gc_max_pause_s", "s", "the longest pause"),
        ("eden_collections", "count", "eden (young) collections"),
        ("full_collections", "count", "full collections"),
        ("eden_pause_s", "s", "seconds paused in eden collections"),
        ("full_pause_s", "s", "seconds paused in full collections"),
    )
}
HEAP_BEFORE_BYTES = _metric("heap_before_bytes", "bytes", None, "heap size before the measured calls")
HEAP_AFTER_BYTES = _metric("heap_after_bytes", "bytes", None, "heap size after the measured calls")

# --- memory: memray (CPython), heap statistics (JSC), RSS (everywhere) ------------------------------
PEAK_BYTES = _metric("peak_bytes", "bytes", LOWER, "peak memory of the measured calls")
PEAK_BYTES_PER_MESSAGE = _metric("peak_bytes_per_message", "bytes", LOWER, "peak memory per message")
ALLOCATIONS = _metric("allocations", "count", LOWER, "allocations made")
ALLOCATED_BYTES = _metric("allocated_bytes", "bytes", LOWER, "bytes allocated")
RETAINED_BYTES = _metric("retained_bytes", "bytes", LOWER, "bytes still allocated when tracking stopped")
RETAINED_BYTES_PER_MESSAGE = _metric("retained_bytes_per_message", "bytes", LOWER, "retained bytes per message")
RSS_BEFORE_BYTES = _metric("rss_before_bytes", "bytes", None, "resident set size before the calls")
RSS_AFTER_BYTES = _metric("rss_after_bytes", "bytes", None, "resident set size after the calls")
RSS_GROWTH_BYTES = _metric("rss_growth_bytes", "bytes", LOWER, "resident set size the calls added")
RSS_GROWTH_BYTES_PER_MESSAGE = _metric("rss_growth_bytes_per_message", "bytes", LOWER, "RSS growth per message")
MAX_RSS_BYTES = _metric("max_rss_bytes", "bytes", LOWER, "the process's largest resident set size")
JSC_MEMORY = {
    name: _metric(name, unit, better, about)
    for name, unit, better, about in (
        ("retained_heap_bytes", "bytes", LOWER, "heap bytes the calls left alive"),
        ("retained_heap_bytes_per_message", "bytes", LOWER, "retained heap bytes per message"),
        ("retained_extra_bytes", "bytes", LOWER, "extra memory (outside the heap) the calls left alive"),
        ("retained_extra_bytes_per_message", "bytes", LOWER, "retained extra bytes per message"),
        ("retained_cells", "cells", LOWER, "heap cells the calls left alive"),
        ("retained_cells_per_message", "cells", LOWER, "retained heap cells per message"),
        ("heap_at_end_bytes", "bytes", None, "heap size at the end of the calls, before collecting"),
        ("allocator_peak_bytes", "bytes", LOWER, "the allocator's peak"),
    )
}

# --- census: shapes, classes, layout, tracked objects, bytes ----------------------------------------
KEY_SETS = {
    group: _metric(f"{group}_key_sets", "count", LOWER, f"distinct key sets of {group} objects") for group in GROUPS
}
KEY_ORDERS = {
    group: _metric(f"{group}_key_orders", "count", LOWER, f"distinct key orders of {group} objects") for group in GROUPS
}
CLASSES = {
    role: _metric(f"{role}_classes", "count", None, f"distinct classes of {role} objects") for role in ("info", "part")
}
TOP_LEVEL_TRACKED_SHARE = _metric("top_level_tracked_share", "ratio", LOWER, "share of infos and parts the GC tracks")
DEEP_BYTES_PER_MESSAGE = _metric(
    "deep_bytes_per_message", "bytes", LOWER, "bytes reachable from the objects, per message"
)
PINNED_ROW_BYTES_PER_MESSAGE = _metric(
    "pinned_row_bytes_per_message", "bytes", LOWER, "bytes of row text the objects keep alive, per message"
)
COMPACT_LAYOUT_SHARE = _metric(
    "compact_layout_share", "ratio", HIGHER, "share of instances that kept CPython's shared-key / inline layout"
)
# JavaScriptCore's Structures (heap snapshot) and key prefixes
STRUCTURES = {
    group: _metric(f"{group}_structures", "count", LOWER, f"distinct Structures of {group} objects") for group in GROUPS
}
CHAIN_STRUCTURES = {
    group: _metric(
        f"{group}_chain_structures", "count", LOWER, f"Structures {group} objects keep alive, chains included"
    )
    for group in GROUPS
}
ALL_CHAIN_STRUCTURES = _metric(
    "chain_structures", "count", LOWER, "Structures every group keeps alive, chains included"
)
KEY_PREFIXES = {
    group: _metric(f"{group}_key_prefixes", "count", LOWER, f"distinct key prefixes of {group} objects")
    for group in GROUPS
}
STRUCTURES_ADDED = {
    name: _metric(name, "count", LOWER, about)
    for name, about in (
        ("info_structures_added_top", "live Structures the top level of infos added"),
        ("info_structures_added_nested", "live Structures the nested values of infos added"),
        ("part_structures_added_top", "live Structures the top level of parts added"),
        ("part_structures_added_nested", "live Structures the nested values of parts added"),
        ("structures_added", "live Structures the four phases added"),
    )
}
HEAP_CELLS_PER_MESSAGE = _metric("heap_cells_per_message", "cells", LOWER, "heap cells the objects make, per message")

# --- serve: the long-lived process replay (gcprobe / serve) ----------------------------------------
ELAPSED_S = _metric("elapsed_s", "s", None, "wall time of the serve window, idle gaps between iterations included")
ITERATION_S = _metric("iteration_s", "s", LOWER, "median wall time of one serve iteration")
CPU_UTILISATION = _metric(
    "cpu_utilisation", "ratio", LOWER, "process CPU seconds over the window's elapsed seconds (1 = one core busy)"
)
GC_IDLE_S = _metric("gc_idle_s", "s", LOWER, "seconds of collections between serve iterations")
GC_CPU_SHARE = _metric(
    "gc_cpu_share", "ratio", LOWER, "collections (in and between iterations) over the main thread's CPU seconds"
)
LAG_S = _metric("lag_s", "s", LOWER, "how far behind its schedule the serve loop's last iteration started")
PEAK_HEAP_BYTES = _metric("peak_heap_bytes", "bytes", LOWER, "the largest heap size seen after an iteration")
PEAK_RSS_BYTES = _metric("peak_rss_bytes", "bytes", LOWER, "the largest resident set size seen after an iteration")
#: A serve result's per-iteration record (``extra.iterations``), in this order: every runtime's keys,
#: then JavaScriptCore's heap size and live Structures, or CPython's GC-tracked objects.
SERVE_ITERATION = (
    "round",
    "session",
    "history",
    "kept",
    "seconds",
    "cpu_seconds",
    "gc_seconds",
    "gc_idle_seconds",
    "idle_seconds",
    "rss_bytes",
)
SERVE_ITERATION_JSC = ("heap_bytes", "structures")
SERVE_ITERATION_CPYTHON = ("tracked_objects",)
#: What the heap holds at the serve loop's peak (after its last iteration, a full collection run first):
#: JavaScriptCore's cell counts by class (the seed's heap-snapshot figures) and CPython's tracked objects.
HEAP_COUNTS = {
    name: _metric(name, unit, LOWER, about)
    for name, unit, about in (
        ("structures", "cells", "live Structures (hidden classes) in the heap"),
        ("plain_objects", "cells", "live plain objects (class Object) in the heap"),
        ("closures", "cells", "live function closures (class Function) in the heap"),
        ("lexical_environments", "cells", "live lexical environments (class JSLexicalEnvironment) in the heap"),
        ("tracked_objects", "objects", "objects the cyclic GC tracks"),
        ("tracked_functions", "objects", "function objects the cyclic GC tracks"),
        ("tracked_cells", "objects", "closure cells the cyclic GC tracks"),
        ("tracked_dicts", "objects", "dicts the cyclic GC tracks"),
    )
}

# --- scalene: the line profile ---------------------------------------------------------------------
SECONDS_PER_ROUND = _metric("seconds_per_round", "s", LOWER, "wall time of one profiled call (with scalene)")
PROFILE_ELAPSED_S = _metric("profile_elapsed_s", "s", None, "seconds the profile spans")
MAX_FOOTPRINT_BYTES = _metric("max_footprint_bytes", "bytes", LOWER, "the profile's largest memory footprint")
CPU_PERCENT = {
    where: _metric(f"cpu_{where}_percent", "%", None, f"share of the profile's CPU time in {where} code")
    for where in ("python", "native", "system")
}
COPY_MB_PER_S = _metric("copy_mb_per_s", "MB/s", LOWER, "memory copied per second")

# --- instructions: callgrind's count of the measured calls (deterministic) --------------------------
INSTRUCTIONS_PER_CALL = _metric(
    "instructions_per_call", "instructions", LOWER, "instructions one workload call executes (callgrind)"
)
INSTRUCTIONS_PER = {
    unit: _metric(
        f"instructions_per_{unit}", "instructions", LOWER, f"instructions per {unit} (a call's count over its {unit}s)"
    )
    for unit in WORKLOAD_UNITS
}
