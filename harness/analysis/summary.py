"""What the end of a run prints: the headline figures per interpreter and strategy (a terminal table
of 100 columns), then the report's answer and findings in the report's own words.

One table per interpreter (its name in the title), one row per strategy, short two-line headers,
each figure the median of its processes. Access is shown raw and net of the loop's arithmetic
(``net_reads``).
"""

from __future__ import annotations

import csv
import statistics
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from rich import box
from rich.console import Console
from rich.table import Table

from harness.terminal import text

#: The widest the table may be (the end of ``harness bench`` prints it).
WIDTH = 100
#: The control whose access loop reads nothing (``harness.strategies.floor_access``).
ACCESS_CONTROL = "floor-access"
RAW_ACCESS, NET_ACCESS = "access ns/read", "net ns/read"

# column title -> (measurer, workload, metric, dataset origin or None, gc_mode or None)
HEADLINES: Dict[str, Tuple[str, str, str, Optional[str], Optional[str]]] = {
    "info shapes (ref)": ("census", "hydrate_all", "info_key_sets", "reference", None),
    RAW_ACCESS: ("timing", "access", "ns_per_read", None, None),
    "hydrate ns/row": ("timing", "hydrate_all", "ns_per_row", None, None),
    "GC share rebuild": ("gcprobe", "hydrate_all", "gc_share", None, "enabled"),
    "GC share loop": ("gcprobe", "run_loop", "gc_share", None, None),
    "peak B/msg": ("memory", "hydrate_all", "peak_bytes_per_message", None, None),
}


#: Two-line terminal headers, short enough for WIDTH with the longest strategy names.
HEADERS = {
    "info shapes (ref)": "info\nshapes",
    RAW_ACCESS: "access\nns/read",
    NET_ACCESS: "net\nns/read",
    "hydrate ns/row": "hydrate\nns/row",
    "GC share rebuild": "GC\nrebuild",
    "GC share loop": "GC\nloop",
    "peak B/msg": "peak\nB/msg",
}
TITLE = "{interpreter}: medians; info shapes of the reference data; net = access - {control}; GC share of wall time"


def net_reads(raw: Dict[Tuple[str, str], float]) -> Dict[Tuple[str, str], float]:
    """ns per read net of the loop's arithmetic: each (interpreter, strategy)'s raw figure minus the
    ``floor-access`` control's on the same interpreter; nothing for interpreters without the control."""
    floors = {interpreter: value for (interpreter, strategy), value in raw.items() if strategy == ACCESS_CONTROL}
    return {
        (interpreter, strategy): value - floors[interpreter]
        for (interpreter, strategy), value in raw.items()
        if interpreter in floors and strategy != ACCESS_CONTROL
    }


def headline_values(run_dir: Path) -> Dict[str, Dict[Tuple[str, str], float]]:
    """Per column title, the figure of each (interpreter, strategy) found in tidy.csv: the median
    of its processes."""
    found: Dict[str, Dict[Tuple[str, str], List[float]]] = {title: {} for title in HEADLINES}
    with open(Path(run_dir) / "tidy.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for title, (measurer, workload, metric, origin, mode) in HEADLINES.items():
                if (row["measurer"], row["workload"], row["metric"]) != (measurer, workload, metric):
                    continue
                if origin and row.get("origin") != origin:
                    continue
                if mode and row.get("gc_mode") != mode:
                    continue
                if row.get("variant"):  # headlines are of the workloads as they always ran
                    continue
                found[title].setdefault((row["interpreter"], row["strategy"]), []).append(float(row["value"]))
    columns = {title: {key: statistics.median(values) for key, values in own.items()} for title, own in found.items()}
    columns[NET_ACCESS] = net_reads(columns[RAW_ACCESS])
    return columns


def headline_rows(run_dir: Path) -> List[Dict[str, str]]:
    """One row per (interpreter, strategy) with the headline figures, formatted."""
    columns = headline_values(run_dir)
    metrics = {title: spec[2] for title, spec in HEADLINES.items()}
    metrics[NET_ACCESS] = metrics[RAW_ACCESS]
    table: Dict[Tuple[str, str], Dict[str, str]] = {}
    for title, values in columns.items():
        for (interpreter, strategy), value in values.items():
            entry = table.setdefault((interpreter, strategy), {"interpreter": interpreter, "strategy": strategy})
            entry[title] = _format(value, metrics[title])
    return [table[key] for key in sorted(table)]


def _format(value: float, metric: str) -> str:
    if metric.endswith("share"):
        return f"{value:.0%}"
    if metric.endswith("sets"):
        return f"{value:.0f}"
    return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"


def summary_tables(run_dir: Path) -> List[Table]:
    """One table per interpreter; columns in HEADLINES order, the net access beside the raw one."""
    rows = headline_rows(run_dir)
    order = [title for title in HEADLINES for title in ((title, NET_ACCESS) if title == RAW_ACCESS else (title,))]
    titles = [title for title in order if any(title in row for row in rows)]
    tables = []
    for interpreter in sorted({row["interpreter"] for row in rows}):
        table = Table(
            title=text(TITLE.format(interpreter=interpreter, control=ACCESS_CONTROL)),
            box=box.SIMPLE_HEAD,
            title_justify="left",
        )
        table.add_column("strategy", overflow="fold")
        for title in titles:
            table.add_column(HEADERS[title], justify="right", no_wrap=True)
        for row in rows:
            if row["interpreter"] == interpreter:
                table.add_row(text(row["strategy"]), *(row.get(title, "—") for title in titles))
        tables.append(table)
    return tables


def print_summary(run_dir: Path, console: Optional[Console] = None) -> None:
    """The headline tables, then the answer and the findings (``print_conclusions``)."""
    if console is None:
        console = Console(width=min(Console().width, WIDTH) if Console().is_terminal else WIDTH)
    for table in summary_tables(run_dir):
        console.print(table)
    print_conclusions(run_dir, console)


def print_conclusions(run_dir: Path, console: Console) -> None:
    """The report's answer and one line per finding, worded as in the report (intervals, "not
    established"); a note instead where the analysis extra (pandas) is not installed."""
    try:
        from harness.analysis.answer import answers
        from harness.analysis.findings import review
        from harness.results import load_tidy

        frame = load_tidy(run_dir)
    except ImportError as error:
        console.print(text(f"(answer and findings: install shape-harness[analysis]; {error.name} is missing)"))
        return
    found = answers(frame)
    console.print(text("Answer"), style="bold")
    for answer in found:
        console.print(text(answer.text))
    if not found:
        console.print(text("No answer: the run has no GC-enabled rebuild of spread beside another strategy."))
    console.print(text("Findings"), style="bold")
    for finding in review(frame).found:
        console.print(text(f"- {finding.title}: {finding.text}"))
