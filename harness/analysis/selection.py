"""Picking figures out of a run's tidy table: the helpers the findings, the answer and the notebooks share.

Rows are chosen by what they are — measurer, workload, metric, GC mode, workload variant, the
dataset's origin (``reference``, ``realistic``, ``opencode-import``, ``rows``) and the
interpreter's implementation — each its own column, never by parsing a name. A figure measured in
several processes has one row per process (``harness.runs.results.FIGURE_KEY`` groups them);
``per_process`` gathers them for an interval, ``medians`` summarises them. Driver side: pandas.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Union

from harness.measure.catalogue import GC_MODE_MEASURERS, MEASURERS

#: Origins of data shaped like an application's own (everything but the seed's reference rows).
REAL_DATA = ("realistic", "opencode-import", "rows")

Origins = Union[str, Sequence[str], None]


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
    origin: Origins = None,
    mode: Optional[str] = None,
    variant: Optional[str] = "",
    implementation: Optional[str] = None,
) -> Any:
    """Rows of one measurer / workload / metric; ``origin`` one dataset origin or several, ``mode``
    a GC mode, ``variant`` the workload variant (default: the workload as it always ran; None:
    every variant, which the caller must then tell apart), ``implementation`` e.g. ``JSC``."""
    mask = frame["value"].notna()
    if variant is not None:
        mask &= frame["variant"].astype("string").fillna("") == variant if "variant" in frame else variant == ""
    if measurer is not None:
        mask &= frame["measurer"] == measurer
    if workload is not None:
        mask &= frame["workload"] == workload
    if metric is not None:
        mask &= frame["metric"] == metric
    if origin is not None:
        wanted = (origin,) if isinstance(origin, str) else tuple(origin)
        mask &= frame["origin"].astype("string").fillna("").isin(wanted)
    if mode is not None:
        mask &= with_gc_mode(frame)["gc_mode"] == mode
    if implementation is not None:
        mask &= frame["implementation"].astype(str) == implementation
    return frame[mask]


def largest(rows: Any) -> Any:
    """The rows of the largest size among them (one figure's processes, not several sizes pooled)."""
    if rows.empty:
        return rows
    return rows[rows["size"] == rows["size"].max()]


def largest_each(rows: Any, by: Sequence[str]) -> Any:
    """The rows of each group's largest size: one figure's processes per group, never several sizes
    pooled into one median or interval."""
    if rows.empty:
        return rows
    largest = rows.groupby(list(by), dropna=False)["size"].transform("max")
    return rows[(rows["size"] == largest) | largest.isna()]


def real_data(rows: Any) -> Any:
    """The rows on data shaped like an application's own (``REAL_DATA``) when there are any, else all
    of them (a run on the reference rows alone still answers, on those)."""
    real = rows[rows["origin"].astype("string").fillna("").isin(REAL_DATA)]
    return real if not real.empty else rows


def medians(frame: Any, by: tuple = ("interpreter", "strategy")) -> Dict[tuple, float]:
    """Median value per group (several jobs of one group — processes, or sizes — are pooled)."""
    if frame.empty:
        return {}
    grouped = frame.groupby(list(by), dropna=False)["value"].median()
    return {key if isinstance(key, tuple) else (key,): float(value) for key, value in grouped.items()}


def per_process(frame: Any, by: tuple = ("interpreter", "strategy")) -> Dict[tuple, List[float]]:
    """The values of each group, one per process (select one size first: sizes are not pooled here)."""
    if frame.empty:
        return {}
    grouped = frame.groupby(list(by), dropna=False)["value"].apply(list)
    return {key if isinstance(key, tuple) else (key,): [float(v) for v in values] for key, values in grouped.items()}


def implementations(frame: Any) -> Dict[str, str]:
    """Each interpreter's implementation (``CPython``, ``PyPy``, ``JSC``), from its own column."""
    if frame.empty:
        return {}
    pairs = frame[["interpreter", "implementation"]].drop_duplicates()
    return {str(interpreter): str(kind) for interpreter, kind in pairs.itertuples(index=False)}


def missing_measurers(frame: Any) -> List[str]:
    """Measurers of the catalogue without a figure in the frame."""
    present = set(frame["measurer"].astype(str)) if len(frame) else set()
    return [name for name in MEASURERS if name not in present]
