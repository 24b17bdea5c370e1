"""The question per runtime, from a run's tidy table: one table per question (driver side, pandas).

- ``shapes_by_place``: how many shapes the objects of realistic data (generated or imported) have, and where: top-level
  infos and parts, nested schema objects, data-keyed records (``harness.schema.RECORD_PATHS``).
  Every runtime's census counts distinct key orders (what a hidden-class engine tells apart; the
  same data gives the same counts on CPython and PyPy); on JavaScriptCore the census also counts the
  Structures JSC made, exactly (heap snapshot): distinct, and with their transition chains.
- ``fix_removes``: the same places, spread → fixed, and the share the fix removes.
- ``costs``: what it costs, spread vs fixed: access time per read (the seed's 200 × 7 loop), GC share
  of the rebuild loop, and the agent loop's growth per 1k messages of history.
- ``read_site``: ns per read at one site as a function of the shapes it meets, per runtime and
  object kind, with the steepest step of each line (where the cliff is).

Each table holds only what the run measured; a runtime or figure the run lacks is left out.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from harness.analysis.selection import REAL_DATA, Origins, medians, select
from harness.metrics import (
    ALL_CHAIN_STRUCTURES,
    CHAIN_STRUCTURES,
    GC_SHARE,
    KEY_ORDERS,
    LOOP_GC_SLOPE,
    LOOP_SLOPE,
    NS_PER_READ,
    STRUCTURES,
    Metric,
)

#: (label, unit, the census family counted per object group, the family's union or None: the sum).
PLACES: Tuple[Tuple[str, str, Dict[str, Metric], Optional[Metric]], ...] = (
    ("key orders", "distinct key orders", KEY_ORDERS, None),
    ("Structures", "distinct JSC Structures", STRUCTURES, None),
    ("Structures with chains", "JSC Structures kept alive (transition chains)", CHAIN_STRUCTURES, ALL_CHAIN_STRUCTURES),
)
#: The places, as the object groups of a census family they sum: top-level infos and parts, nested, records.
PLACE_COLUMNS = {"top-level": ("info", "part"), "nested schema objects": ("nested",), "data-keyed records": ("record",)}
KIND_LABELS = {"spread": "dict", "instance-dict": "instance dict", "slots": "__slots__ class"}


def kind_label(implementation: str, strategy: str) -> str:
    """The object kind of a read_site line: JSC's ``spread`` objects are plain objects."""
    if implementation == "JSC":
        return "plain object"
    return KIND_LABELS.get(strategy, strategy)


def _census(frame: Any, origin: Origins) -> Dict[Tuple[str, str, str], float]:
    """Median census figure per (interpreter, strategy, metric) on data of an origin."""
    return medians(select(frame, "census", origin=origin), ("interpreter", "strategy", "metric"))


def _places(values: Dict[Tuple[str, str, str], float], interpreter: str, strategy: str) -> List[Dict[str, Any]]:
    rows = []
    for label, unit, family, union in PLACES:
        wanted = [metric.name for metric in family.values()] + ([union.name] if union else [])
        if any((interpreter, strategy, metric) not in values for metric in wanted):
            continue
        counts = {
            place: sum(values[(interpreter, strategy, family[group].name)] for group in groups)
            for place, groups in PLACE_COLUMNS.items()
        }
        total = values[(interpreter, strategy, union.name)] if union else sum(counts.values())
        rows.append({"counted": label, "unit": unit, **counts, "all": total})
    return rows


def _interpreters(values: Dict[tuple, float]) -> List[str]:
    return sorted({key[0] for key in values})


def shapes_by_place(frame: Any, origin: Origins = REAL_DATA) -> Any:
    """Question 1: spread objects' shapes per runtime and place."""
    import pandas as pd

    values = _census(frame, origin)
    rows = [
        {"runtime": interpreter, **row}
        for interpreter in _interpreters(values)
        for row in _places(values, interpreter, "spread")
    ]
    return pd.DataFrame(rows, columns=["runtime", "counted", "unit", *PLACE_COLUMNS, "all"])


def fix_removes(frame: Any, origin: Origins = REAL_DATA) -> Any:
    """Question 2: per runtime and place, spread → fixed and the share the fix removes."""
    import pandas as pd

    values = _census(frame, origin)
    rows = []
    for interpreter in _interpreters(values):
        spread = {row["counted"]: row for row in _places(values, interpreter, "spread")}
        fixed = {row["counted"]: row for row in _places(values, interpreter, "fixed")}
        for counted in (label for label in spread if label in fixed):
            for place in (*PLACE_COLUMNS, "all"):
                before, after = spread[counted][place], fixed[counted][place]
                rows.append(
                    {
                        "runtime": interpreter,
                        "counted": counted,
                        "place": place,
                        "spread": before,
                        "fixed": after,
                        "removed": (before - after) / before if before else 0.0,
                    }
                )
    return pd.DataFrame(rows, columns=["runtime", "counted", "place", "spread", "fixed", "removed"])


#: Question 3's figures: column -> (measurer, workload, metric, dataset origins, GC mode).
COSTS: Dict[str, Tuple[str, str, Metric, Origins, Optional[str]]] = {
    "access ns/read": ("timing", "access", NS_PER_READ, "reference", None),
    "GC share of rebuild": ("gcprobe", "hydrate_all", GC_SHARE, REAL_DATA, "enabled"),
    "loop ms/iteration per 1k history": ("gcprobe", "run_loop", LOOP_SLOPE, None, None),
    "loop GC ms/iteration per 1k history": ("gcprobe", "run_loop", LOOP_GC_SLOPE, None, None),
}


def costs(frame: Any) -> Any:
    """Question 3: per runtime and figure (``COSTS``: its metric's unit), spread, fixed and spread / fixed."""
    import pandas as pd

    rows = []
    for column, (measurer, workload, metric, origin, mode) in COSTS.items():
        values = medians(select(frame, measurer, workload, metric.name, origin=origin, mode=mode))
        for interpreter in _interpreters(values):
            spread, fixed = values.get((interpreter, "spread")), values.get((interpreter, "fixed"))
            if spread is None or fixed is None:
                continue
            rows.append(
                {
                    "runtime": interpreter,
                    "figure": column,
                    "spread": spread,
                    "fixed": fixed,
                    "spread / fixed": spread / fixed if fixed else float("nan"),
                }
            )
    return pd.DataFrame(rows, columns=["runtime", "figure", "spread", "fixed", "spread / fixed"])


def read_site(frame: Any) -> Any:
    """ns per read (median) by shapes (rows) and (runtime, object kind) (columns)."""
    rows = select(frame, "timing", "read_site", NS_PER_READ.name).copy()
    if rows.empty:
        return rows
    rows["line"] = [
        f"{i} · {kind_label(kind, s)}"
        for i, kind, s in zip(rows["interpreter"], rows["implementation"], rows["strategy"])
    ]
    return rows.pivot_table(index="size", columns="line", values="value", aggfunc="median").sort_index()


def steepest_steps(wide: Any) -> Any:
    """Per line of ``read_site``: the consecutive shape counts with the largest rise in time per read."""
    import pandas as pd

    rows = []
    for line in wide.columns:
        series = wide[line].dropna()
        if len(series) < 2:
            continue
        ratios = series.to_numpy()[1:] / series.to_numpy()[:-1]
        at = int(ratios.argmax())
        sizes = series.index.to_numpy()
        rows.append(
            {
                "line": line,
                "1 shape ns": series.iloc[0],
                "most shapes ns": series.iloc[-1],
                "steepest step": f"{sizes[at]} → {sizes[at + 1]} shapes",
                "× at the step": ratios[at],
            }
        )
    return pd.DataFrame(rows, columns=["line", "1 shape ns", "most shapes ns", "steepest step", "× at the step"])
