"""What the end of a run prints, per interpreter: its headline figures, the fastest agent loop of
each read path and the report's answer (in the report's words); then the findings. Every table fits
the console it is printed on (the terminal's width, ``WIDTH`` at most), and the sentences wrap
within it.

The headline table has a row per strategy (spread first, the most figures next, the controls last)
and a column per figure the interpreter has, each the median of its processes, under a short
two-line header; access is shown raw and net of the loop's arithmetic (``net_reads``). The loop
table gives, per read path (full, cache-aware, incremental), the strategy whose iteration at the
largest history is fastest (``read_path_winners``, over ``harness.analysis.answer.loop_figures``),
its time per iteration and that over spread's full read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from statistics import median
from typing import Any, Dict, List, Optional, Sequence, Tuple

from rich.console import Console
from rich.table import Table
from rich.text import Text

from harness.analysis.answer import BASELINE, answers, loop_figures
from harness.metrics import (
    GC_SHARE,
    KEY_SETS,
    LARGEST_HISTORY,
    NS_PER_READ,
    NS_PER_ROW,
    PEAK_BYTES_PER_MESSAGE,
    Metric,
)
from harness.numbers import MISSING, Show, count, short, times, whole_pct
from harness.strategy_names import ACCESS_CONTROL, CONTROLS
from harness.terminal import fitted, table, text
from harness.uncertainty import compare, span
from harness.workloads.catalogue import READ_PATHS

#: The widest the tables may be (the end of ``harness bench`` prints them), narrower on a narrower terminal.
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
#: What a table's title says of each column it explains, when the table has that column.
EXPLAINED = {
    "info shapes (ref)": "info shapes of the reference data",
    NET_ACCESS: f"net = access - {ACCESS_CONTROL}",
    "GC share rebuild": "GC share of wall time",
    "GC share loop": "GC share of wall time",
}
LOOP_TITLE = (
    "{interpreter}: the agent loop at a {history}-message history, the fastest strategy per read path (medians; "
    "against spread's full read with the 95 % interval of the ratio)"
)
#: The agent-loop table's columns: the read path and its fastest strategy, then the figures.
LOOP_HEADERS = ("read path", "fastest strategy", "ms per\niteration", f"× {BASELINE} · full\n[95 % CI]")
#: The fewest columns a strategy name is given before the figures are (a longer name folds).
NAME_WIDTH = 12


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


def _order(row: Dict[str, str]) -> tuple:
    """Spread (the baseline) first, then the strategies with the most figures, the controls last."""
    figures = sum(title in row for title in HEADERS)
    return (row["strategy"] != BASELINE, row["strategy"] in CONTROLS, -figures, row["strategy"])


def headline_titles(rows: List[Dict[str, str]]) -> List[str]:
    """The figures any of ``rows`` has, in HEADLINES order with the net access beside the raw one."""
    order = [title for title in HEADLINES for title in ((title, NET_ACCESS) if title == RAW_ACCESS else (title,))]
    return [title for title in order if any(title in row for row in rows)]


def headline_table(rows: List[Dict[str, str]], titles: Sequence[str]) -> Table:
    """One interpreter's headline figures: a row per strategy (``_order``; a rule above the
    controls), a column per figure of ``titles`` (of ``headline_titles``)."""
    found = table()
    found.add_column("strategy", min_width=NAME_WIDTH, overflow="fold")
    for title in titles:
        found.add_column(HEADERS[title], justify="right", no_wrap=True)
    ordered = sorted(rows, key=_order)
    for row, after in zip(ordered, [*ordered[1:], None]):
        controls_next = after is not None and after["strategy"] in CONTROLS and row["strategy"] not in CONTROLS
        cells = (text(row.get(title, MISSING)) for title in titles)
        found.add_row(text(row["strategy"]), *cells, end_section=controls_next)  # a rule above the controls
    return found


def _headline_part(rows: List[Dict[str, str]], titles: List[str], chosen: Sequence[int]) -> Table:
    """``headline_table`` of the figures ``titles`` at the indices ``chosen``."""
    return headline_table(rows, [titles[index] for index in chosen])


@dataclass(frozen=True)
class Winner:
    """The fastest agent-loop iteration of one read path on one interpreter (``loop_figures``)."""

    read_path: str
    strategy: str
    seconds: List[float]


def at_largest_history(
    loops: Dict[Tuple[str, str], Dict[str, Any]],
) -> Tuple[float, Dict[Tuple[str, str], List[float]]]:
    """The largest history the agent loops of one interpreter (``loop_figures``) reached, and the
    per-process seconds of an iteration at that history per (strategy, read path)."""
    timed = {key: entry for key, entry in loops.items() if entry.get("seconds")}
    if not timed:
        return math.nan, {}
    history = max(entry["history"] for entry in timed.values())
    return history, {
        (name, path or "full"): e["seconds"] for (name, path), e in timed.items() if e["history"] == history
    }


def read_path_winners(at: Dict[Tuple[str, str], List[float]]) -> List[Winner]:
    """Per read path (``READ_PATHS`` order), the strategy whose iteration (``at_largest_history``)
    has the lowest median."""
    winners = []
    for path in READ_PATHS:
        fastest = min((key for key in at if key[1] == path), key=lambda key: (median(at[key]), key), default=None)
        if fastest is not None:
            winners.append(Winner(path, fastest[0], at[fastest]))
    return winners


def _against(seconds: List[float], baseline: List[float]) -> str:
    """An iteration's time over spread's full read: ``0.16× [0.14–0.18]`` (the 95 % interval of the
    ratio, where each side has processes enough for one)."""
    ratio = compare(seconds, baseline)
    if ratio.kind != "ratio":  # a time of zero: no ratio to give
        return MISSING
    if not ratio.enough or ratio.low is None or ratio.high is None:
        return times(ratio.value)
    return f"{times(ratio.value)} [{span(ratio.low, ratio.high, lambda value: f'{value:.2f}')}]"


def loop_table(loops: Dict[Tuple[str, str], Dict[str, Any]]) -> Tuple[float, List[List[str]]]:
    """The largest history of one interpreter's agent loops and the rows of their
    ``read_path_winners`` (none without a loop): read path, strategy, ms per iteration and, when the
    run has spread's full read, the ratio to it (``LOOP_HEADERS``)."""
    history, at = at_largest_history(loops)
    baseline = at.get((BASELINE, "full"))
    rows = []
    for winner in read_path_winners(at):
        cells = [winner.read_path, winner.strategy, short(median(winner.seconds) * 1000)]
        if baseline:
            itself = (winner.strategy, winner.read_path) == (BASELINE, "full")
            cells.append("itself" if itself else _against(winner.seconds, baseline))
        rows.append(cells)
    return history, rows


def _loop_part(rows: List[List[str]], chosen: Sequence[int]) -> Table:
    """The agent-loop winners (``loop_table``) with the figure columns at the indices ``chosen``."""
    found = table()
    found.add_column(LOOP_HEADERS[0], no_wrap=True)
    found.add_column(LOOP_HEADERS[1], min_width=NAME_WIDTH, overflow="fold")
    for index in chosen:
        found.add_column(LOOP_HEADERS[2 + index], justify="right", no_wrap=True)
    for cells in rows:
        found.add_row(*(text(cell) for cell in [*cells[:2], *(cells[2 + index] for index in chosen)]))
    return found


def print_summary(run_dir: Path, console: Optional[Console] = None) -> None:
    """Per interpreter, the headline table, the fastest agent loop per read path and the report's
    answer; then the findings (the run's tidy table, ``results.load_tidy``); a note instead where
    the analysis extra (pandas) is not installed. The default console is the terminal's width
    (``COLUMNS`` when set, 80 when piped), ``WIDTH`` at most."""
    if console is None:
        console = Console(width=min(Console().width, WIDTH))
    try:
        from harness.runs.results import load_tidy

        frame = load_tidy(run_dir)
    except ImportError as error:
        console.print(text(f"(figures, answer and findings: install shape-harness[analysis]; {error.name} is missing)"))
        return
    replayed = frame["workload"] == "serve"
    # beside a replay, a census answers nothing of its own
    concluded = not replayed.any() or (frame.loc[~replayed, "measurer"] != "census").any()
    found = {answer.interpreter: answer for answer in answers(frame)} if concluded else {}
    rows = headline_rows(frame)
    loops = loop_figures(frame)
    for interpreter in sorted({row["interpreter"] for row in rows} | set(loops) | set(found)):
        own = [row for row in rows if row["interpreter"] == interpreter]
        if own:
            titles = headline_titles(own)
            said = dict.fromkeys(EXPLAINED[title] for title in titles if title in EXPLAINED)
            console.print(text("; ".join([f"{interpreter}: medians", *said])))
            for part in fitted(console, partial(_headline_part, own, titles), len(titles)):
                console.print(part)
        history, winners = loop_table(loops.get(interpreter, {}))
        if winners:
            console.print(text(LOOP_TITLE.format(interpreter=interpreter, history=LARGEST_HISTORY.show(history))))
            for part in fitted(console, partial(_loop_part, winners), len(winners[0]) - 2):
                console.print(part)
        if interpreter in found:
            console.print(Text.assemble(("Answer: ", "bold"), text(found[interpreter].text)))
            console.print()
    if concluded:
        if not found:
            console.print(text("No answer: the run has no GC-enabled rebuild of spread beside another strategy."))
        print_findings(frame, console)
    if replayed.any():
        print_incident(run_dir, console)


def print_findings(frame: Any, console: Console) -> None:
    """One line per finding, worded as in the report (intervals, "not established")."""
    from harness.analysis.findings import review

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
