"""What the end of a run prints: the headline figures per interpreter and strategy (a terminal table
of 100 columns), then the report's answer and findings in the report's own words.

One table per interpreter (its name in the title), one row per strategy, short two-line headers,
each figure the median of its processes. Access is shown raw and net of the loop's arithmetic
(``net_reads``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from rich import box
from rich.console import Console
from rich.table import Table

from harness.metrics import GC_SHARE, KEY_SETS, NS_PER_READ, NS_PER_ROW, PEAK_BYTES_PER_MESSAGE, Metric
from harness.numbers import MISSING, Show, count, short, whole_pct
from harness.strategy_names import ACCESS_CONTROL
from harness.terminal import text

#: The widest the table may be (the end of ``harness bench`` prints it).
WIDTH = 100
RAW_ACCESS, NET_ACCESS = "access ns/read", "net ns/read"


@dataclass(frozen=True)
class Headline:
    """A column of the table: one figure (``origin``: of data of that origin only; ``mode``: of that
    GC mode only) and how the terminal writes it, shorter than the report does."""

    measurer: str
    workload: str
    metric: Metric
    origin: Optional[str] = None
    mode: Optional[str] = None
    show: Show = short


HEADLINES: Dict[str, Headline] = {
    "info shapes (ref)": Headline("census", "hydrate_all", KEY_SETS["info"], "reference", show=count),
    RAW_ACCESS: Headline("timing", "access", NS_PER_READ),
    "hydrate ns/row": Headline("timing", "hydrate_all", NS_PER_ROW),
    "GC share rebuild": Headline("gcprobe", "hydrate_all", GC_SHARE, mode="enabled", show=whole_pct),
    "GC share loop": Headline("gcprobe", "run_loop", GC_SHARE, show=whole_pct),
    "peak B/msg": Headline("memory", "hydrate_all", PEAK_BYTES_PER_MESSAGE),
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


def headline_values(frame: Any) -> Dict[str, Dict[Tuple[str, str], float]]:
    """Per column title, the figure of each (interpreter, strategy) of a tidy table: the median of
    its processes, of the workload as it always ran (no variant)."""
    from harness.analysis.selection import medians, select

    columns = {
        title: medians(select(frame, h.measurer, h.workload, h.metric.name, origin=h.origin, mode=h.mode))
        for title, h in HEADLINES.items()
    }
    columns[NET_ACCESS] = net_reads(columns[RAW_ACCESS])
    return columns


def headline_rows(frame: Any) -> List[Dict[str, str]]:
    """One row per (interpreter, strategy) with the headline figures, formatted."""
    shows = {title: headline.show for title, headline in HEADLINES.items()}
    shows[NET_ACCESS] = shows[RAW_ACCESS]
    table: Dict[Tuple[str, str], Dict[str, str]] = {}
    for title, values in headline_values(frame).items():
        for (interpreter, strategy), value in values.items():
            entry = table.setdefault((interpreter, strategy), {"interpreter": interpreter, "strategy": strategy})
            entry[title] = shows[title](value)
    return [table[key] for key in sorted(table)]


def summary_tables(frame: Any) -> List[Table]:
    """One table per interpreter; columns in HEADLINES order, the net access beside the raw one."""
    rows = headline_rows(frame)
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
                table.add_row(text(row["strategy"]), *(row.get(title, MISSING) for title in titles))
        tables.append(table)
    return tables


def print_summary(run_dir: Path, console: Optional[Console] = None) -> None:
    """The headline tables of a run's tidy table (``results.load_tidy``), then the answer and the
    findings (``print_conclusions``); a note instead where the analysis extra (pandas) is not installed."""
    if console is None:
        console = Console(width=min(Console().width, WIDTH) if Console().is_terminal else WIDTH)
    try:
        from harness.runs.results import load_tidy

        frame = load_tidy(run_dir)
    except ImportError as error:
        console.print(text(f"(figures, answer and findings: install shape-harness[analysis]; {error.name} is missing)"))
        return
    for table in summary_tables(frame):
        console.print(table)
    replayed = frame["workload"] == "serve"
    if not replayed.any() or (frame.loc[~replayed, "measurer"] != "census").any():  # beside a replay, a census
        print_conclusions(frame, console)  # answers nothing of its own
    if replayed.any():
        print_incident(run_dir, console)


def print_conclusions(frame: Any, console: Console) -> None:
    """The report's answer and one line per finding, worded as in the report (intervals, "not
    established")."""
    from harness.analysis.answer import answers
    from harness.analysis.findings import review

    found = answers(frame)
    console.print(text("Answer"), style="bold")
    for answer in found:
        console.print(text(answer.text))
    if not found:
        console.print(text("No answer: the run has no GC-enabled rebuild of spread beside another strategy."))
    console.print(text("Findings"), style="bold")
    for finding in review(frame).found:
        console.print(text(f"- {finding.title}: {finding.text}"))


def print_incident(run_dir: Path, console: Console) -> None:
    """The incident replay's answer, in the report's words (``harness.analysis.incident.verdict``)."""
    from harness.analysis.incident import serve_jobs, verdict

    jobs = serve_jobs(run_dir)
    measured = jobs[jobs["gc_mode"] == "enabled"]
    console.print(text("The incident, replayed"), style="bold")
    if measured.empty:
        console.print(text("No serve process ran with its collector enabled: nothing to answer."))
        return
    for sentence in verdict(measured):  # the base inferred, the roles given, inside
        console.print(text(sentence))
