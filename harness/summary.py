"""The headline figures of a run, per interpreter and strategy, as a terminal table."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from rich.console import Console
from rich.table import Table

from harness.terminal import text

# column title -> (measurer, workload, metric, dataset prefix or None, gc_mode or None)
HEADLINES: Dict[str, Tuple[str, str, str, Optional[str], Optional[str]]] = {
    "info shapes (ref)": ("census", "hydrate_all", "info_key_sets", "reference", None),
    "access ns/read": ("timing", "access", "ns_per_read", None, None),
    "hydrate ns/row": ("timing", "hydrate_all", "ns_per_row", None, None),
    "GC share (rebuild)": ("gcprobe", "hydrate_all", "gc_share", None, "enabled"),
    "GC share (loop)": ("gcprobe", "run_loop", "gc_share", None, None),
    "peak bytes/msg": ("memory", "hydrate_all", "peak_bytes_per_message", None, None),
}


def headline_rows(run_dir: Path) -> List[Dict[str, str]]:
    """One row per (interpreter, strategy) with the headline figures found in tidy.csv."""
    table: Dict[Tuple[str, str], Dict[str, str]] = {}
    with open(Path(run_dir) / "tidy.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for title, (measurer, workload, metric, dataset, mode) in HEADLINES.items():
                if (row["measurer"], row["workload"], row["metric"]) != (measurer, workload, metric):
                    continue
                if dataset and not row["dataset"].startswith(dataset):
                    continue
                if mode and row.get("gc_mode") != mode:
                    continue
                if row.get("variant"):  # headlines are of the workloads as they always ran
                    continue
                entry = table.setdefault(
                    (row["interpreter"], row["strategy"]),
                    {"interpreter": row["interpreter"], "strategy": row["strategy"]},
                )
                entry[title] = _format(float(row["value"]), metric)
    return [table[key] for key in sorted(table)]


def _format(value: float, metric: str) -> str:
    if metric.endswith("share"):
        return f"{value:.0%}"
    if metric.endswith("sets"):
        return f"{value:.0f}"
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def print_summary(run_dir: Path, console: Optional[Console] = None) -> None:
    rows = headline_rows(run_dir)
    table = Table(title="headline figures (medians; details in the report)")
    columns = ["interpreter", "strategy"] + [title for title in HEADLINES if any(title in row for row in rows)]
    for column in columns:
        table.add_column(column, justify="left" if column in ("interpreter", "strategy") else "right")
    for row in rows:
        table.add_row(*(text(row.get(column, "—")) for column in columns))
    if console is None:
        console = Console()
        if not console.is_terminal:  # piped or logged: do not squeeze the table into 80 columns
            console = Console(width=160)
    console.print(table)
