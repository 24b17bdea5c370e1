"""The answer table the report opens with: per strategy × read path, what rebuilding the history and
running the agent loop cost on this run's data (driver side, needs pandas).

Columns, each "—" where the run lacks the figure (medians over the jobs behind a cell):

- ``GC share`` / ``GC s``: the rebuild (gcprobe ``hydrate_all``, GC enabled) on the largest realistic
  dataset: share of the wall time spent in collections, and those seconds over all rounds.
- ``rows/s × floor``: rows that rebuild built per second (GC included) over ``floor-json``'s
  (``json.loads`` alone) in the same kind of job.
- ``peak B/msg``: peak bytes per message of one rebuild (memory ``hydrate_all``).
- ``loop ms``: one agent-loop read of the history at the largest size measured (timing ``run_loop``
  with no growth: the steady state of a loop that appends a few messages per iteration); ``history``
  is that size.
- ``slope ms/1k``: how that time grows per 1,000 messages of history — a least-squares fit over the
  timed sizes when there are several, else gcprobe's growth curve.

The rebuild columns of ``cached:<name>`` are ``<name>``'s (the rebuild of a cached strategy would
measure cache hits). ``read path`` comes from the job's workload variant (``full`` by default); it
is "—" for a strategy the run measured only rebuilding.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from harness.findings import Finding, _joined, medians, select

COLUMNS = (
    "interpreter",
    "strategy",
    "read path",
    "GC share",
    "GC s",
    "rows/s × floor",
    "peak B/msg",
    "loop ms",
    "history",
    "slope ms/1k",
)
FLOOR = "floor-json"
CACHED = "cached:"
NO_LOOP = "—"  # the read path of a strategy measured only rebuilding


def read_path(variant: Any) -> str:
    """The read path a tidy ``variant`` names (``full`` when it names none)."""
    for item in (variant if isinstance(variant, str) else "").split(","):
        name, _, value = item.partition("=")
        if name == "read_path":
            return value
    return "full"


def base_strategy(strategy: str) -> str:
    return strategy[len(CACHED) :] if strategy.startswith(CACHED) else strategy


def _largest(rows: Any, dataset: Optional[str] = None) -> Any:
    """The rows of the largest size (of datasets starting with ``dataset``)."""
    if dataset is not None:
        rows = rows[rows["dataset"].astype(str).str.startswith(dataset)]
    if rows.empty:
        return rows
    return rows[rows["size"] == rows["size"].max()]


def rebuild_figures(frame: Any) -> Dict[Tuple[str, str], Dict[str, float]]:
    """(interpreter, strategy) -> GC share, GC s, rows/s × floor, peak B/msg of the rebuild."""
    found: Dict[Tuple[str, str], Dict[str, float]] = {}

    def put(values: Dict[tuple, float], column: str) -> None:
        for (interpreter, strategy), value in values.items():
            found.setdefault((interpreter, strategy), {})[column] = value

    gcprobe = _largest(select(frame, "gcprobe", "hydrate_all", mode="enabled"), "realistic")
    put(medians(gcprobe[gcprobe["metric"] == "gc_share"]), "GC share")
    put(medians(gcprobe[gcprobe["metric"] == "gc_s"]), "GC s")
    rates = medians(gcprobe[gcprobe["metric"] == "rows_per_s"])
    for (interpreter, strategy), rate in rates.items():
        floor = rates.get((interpreter, FLOOR))
        if floor:
            found.setdefault((interpreter, strategy), {})["rows/s × floor"] = rate / floor
    memory = _largest(select(frame, "memory", "hydrate_all", "peak_bytes_per_message"), "realistic")
    put(medians(memory), "peak B/msg")
    return found


def _slope(points: Any) -> Optional[float]:
    """Seconds per 1,000 messages of history, fitted over (size, seconds) points of several sizes."""
    import numpy as np

    if points["size"].nunique() < 2:
        return None
    slope, _ = np.polyfit(points["size"].astype(float) / 1000, points["value"].astype(float), 1)
    return float(slope)


def loop_figures(frame: Any) -> Dict[Tuple[str, str, str], Dict[str, float]]:
    """(interpreter, strategy, read path) -> loop ms and history at the largest size, slope ms/1k."""
    rows = select(frame, "timing", "run_loop", "seconds_per_call", variant=None)
    rows = rows.assign(path=rows["variant"].map(read_path))
    found: Dict[Tuple[str, str, str], Dict[str, float]] = {}
    for (interpreter, strategy, path), own in rows.groupby(["interpreter", "strategy", "path"], sort=True):
        largest = own[own["size"] == own["size"].max()]
        entry = {"loop ms": float(largest["value"].median()) * 1000, "history": float(largest["size"].max())}
        slope = _slope(own.groupby("size", as_index=False)["value"].median())
        if slope is not None:
            entry["slope ms/1k"] = slope * 1000
        found[(str(interpreter), str(strategy), str(path))] = entry
    curves = select(frame, "gcprobe", "run_loop", "seconds_per_iteration_per_1k_history", variant=None)
    curves = curves.assign(path=curves["variant"].map(read_path))
    for key, value in medians(curves, ("interpreter", "strategy", "path")).items():
        entry = found.setdefault((str(key[0]), str(key[1]), str(key[2])), {})
        entry.setdefault("slope ms/1k", value * 1000)
    return found


def answer_rows(frame: Any) -> List[Dict[str, Any]]:
    """The answer table's rows (COLUMNS, numbers unformatted), fastest loop first, then least GC."""
    rebuild, loop = rebuild_figures(frame), loop_figures(frame)
    looped = {(interpreter, strategy) for interpreter, strategy, _ in loop}
    keys = set(loop) | {
        (interpreter, strategy, NO_LOOP)
        for interpreter, strategy in rebuild
        if strategy != FLOOR and (interpreter, strategy) not in looped
    }
    rows = []
    for interpreter, strategy, path in keys:
        row: Dict[str, Any] = {"interpreter": interpreter, "strategy": strategy, "read path": path}
        row.update(rebuild.get((interpreter, base_strategy(strategy)), {}))
        row.update(loop.get((interpreter, strategy, path), {}))
        rows.append(row)

    def order(row: Dict[str, Any]) -> tuple:
        inf = float("inf")
        return (row["interpreter"], row.get("loop ms", inf), row.get("GC s", inf), row["strategy"], row["read path"])

    return sorted(rows, key=order)


def formatted(row: Dict[str, Any]) -> Dict[str, str]:
    """A row's numbers as the table shows them ("—" for a missing one)."""
    shown = {
        "GC share": lambda v: f"{v:.1%}",
        "GC s": lambda v: f"{v:.3g}",
        "rows/s × floor": lambda v: f"{v:.2f}×",
        "peak B/msg": lambda v: f"{v:,.0f}",
        "loop ms": lambda v: f"{v:,.3g}",
        "history": lambda v: f"{v:,.0f}",
        "slope ms/1k": lambda v: f"{v:.3g}",
    }
    return {
        column: shown[column](row[column]) if column in shown and column in row else str(row.get(column, "—"))
        for column in COLUMNS
    }


def _open_map_price(frame: Any, interpreter: str, strategy: str) -> Optional[str]:
    """What reading an open map costs ``strategy`` against the fastest other strategy (access open-map)."""
    values = medians(select(frame, "timing", "access", "ns_per_read", variant="reads=open-map"))
    own = values.get((interpreter, strategy))
    others = {key[1]: value for key, value in values.items() if key[0] == interpreter and key[1] != strategy}
    if own is None or not others:
        return None
    fastest = min(others, key=others.get)
    return (
        f"reading an open map (a tool input) costs {own:,.0f} ns against {others[fastest]:,.0f} ns "
        f"with {fastest} ({own / others[fastest]:.1f}×)"
    )


def _memory_price(frame: Any, interpreter: str, strategy: str) -> Optional[str]:
    census = _largest(select(frame, "census", "hydrate_all"), "realistic")
    values = medians(census[census["metric"] == "pinned_row_bytes_per_message"])
    deep = medians(census[census["metric"] == "deep_bytes_per_message"])
    pinned = values.get((interpreter, strategy))
    if pinned is None:
        return None
    text = f"its objects keep {pinned:,.0f} B of row text per message alive"
    if (interpreter, strategy) in deep:
        text += f" beside {deep[(interpreter, strategy)]:,.0f} B of their own"
    return text


def answer_finding(frame: Any) -> Optional[Finding]:
    """The combination that makes the cost go away on each interpreter — the fastest loop read, or the
    least GC in the rebuild without loop data — with its numbers against spread on the full path,
    and what it costs."""
    parts, numbers = [], {}
    rows = answer_rows(frame)
    for interpreter in sorted({row["interpreter"] for row in rows}):
        own = [row for row in rows if row["interpreter"] == interpreter]
        timed = [row for row in own if "loop ms" in row]
        best = timed[0] if timed else min(own, key=lambda row: row.get("GC s", float("inf")))
        spread = next(
            (r for r in own if r["strategy"] == "spread" and r["read path"] in ("full", NO_LOOP) and r is not best), {}
        )
        said = [f"on {interpreter}, {best['strategy']}"]
        if best["read path"] != NO_LOOP:
            said[0] += f" with the {best['read path']} read path"
        if "loop ms" in best:
            said.append(f"takes {best['loop ms']:,.3g} ms per loop read of {best['history']:,.0f} messages")
            if spread.get("loop ms"):
                said[-1] += f" ({spread['loop ms'] / best['loop ms']:,.0f}× less than spread with the full read)"
        if "slope ms/1k" in best and spread.get("slope ms/1k"):
            said.append(
                f"grows {best['slope ms/1k']:.3g} ms per 1k messages of history "
                f"({best['slope ms/1k'] / spread['slope ms/1k']:.1%} of spread's)"
            )
        if "GC s" in best:
            text = f"spends {best['GC s']:.3g} s ({best['GC share']:.1%}) in GC rebuilding the history"
            if spread.get("GC s"):
                text += f", {spread['GC s'] / best['GC s']:,.0f}× less than spread"
            if "rows/s × floor" in best:
                text += f", at {best['rows/s × floor']:.2f}× the json.loads floor's rows/s"
            said.append(text)
        price = [p for p in (_open_map_price(frame, interpreter, base_strategy(best["strategy"])),) if p]
        price += [p for p in (_memory_price(frame, interpreter, base_strategy(best["strategy"])),) if p]
        if "peak B/msg" in best and spread.get("peak B/msg"):
            price.append(f"peak {best['peak B/msg']:,.0f} B per message (spread {spread['peak B/msg']:,.0f})")
        sentence = said[0] + (" " + ", ".join(said[1:]) if len(said) > 1 else "")
        parts.append(sentence + ("; the price: " + "; ".join(price) if price else ""))
        numbers.update({f"{interpreter} {best['strategy']} {best['read path']}": formatted(best)["loop ms"]})
    return _joined("answer", "What makes the cost go away", parts, numbers)
