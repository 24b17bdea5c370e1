"""A figure over commits (asv's idea): every complete run of one or more results roots, grouped by
environment and ordered by the date of the commit that was measured.

Runs are comparable only within one environment: a run joins a group per interpreter it measured,
keyed by that interpreter's fingerprint (manifest ``interpreters[tag].fingerprint``), so two
fingerprints never share a line. Within a group the runs are ordered by the committer date of their
commit (manifest ``git.committed``; for a run made before the harness recorded it, the commit is
looked up in the repository at hand, and failing that the run's start time stands in, with a note),
then by start time. A run that is not complete, or whose manifest or tidy table does not verify
(``harness.analysis.compare.load_run``), is left out with a note.

A line is one figure of one strategy (the figure as ``harness compare`` matches it: workload,
measurer, GC mode and variant, dataset, size, metric). Each step compares a run with the previous
run of its group through ``harness.analysis.compare.compare_runs`` and takes that figure's verdict,
so a step is judged exactly as ``harness compare`` judges the two runs (timings by pyperf's samples,
t-test and threshold, census counts exactly, every measurer by its catalogue's comparison). A value
is the median of the figure's processes. Driver side: pandas (and matplotlib for ``plot``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from harness import terminal
from harness.analysis.compare import compact, compare_runs, load_run
from harness.analysis.summary import HEADLINES
from harness.analysis.verdict import CHANGED, Verdict
from harness.protocol.environment import label as environment_label
from harness.runs.checkout import git
from harness.runs.files import RunError
from harness.terminal import text, visible

#: The figure of a line, without its strategy: (workload, measurer, variant, dataset, size, metric).
FIGURE = ("workload", "measurer", "variant", "dataset", "size", "metric")
#: What a step shows when it has nothing to compare with (the first run of a group, or a run
#: whose predecessor lacks the figure).
NO_STEP = "—"


@dataclass(frozen=True)
class Run:
    """A complete, verified run: where it is, its manifest and tidy table, and when its commit was
    made (``dated_by``: ``commit`` or, when the commit's date is unknown, ``start``)."""

    directory: Path
    manifest: Dict[str, Any]
    tidy: Any
    date: datetime
    dated_by: str

    @property
    def commit(self) -> Optional[str]:
        return (self.manifest.get("git") or {}).get("commit")

    @property
    def dirty(self) -> Optional[bool]:
        return (self.manifest.get("git") or {}).get("dirty")

    @property
    def short_commit(self) -> str:
        return (self.commit or "unknown")[:7]

    @property
    def dirty_text(self) -> str:
        """Whether the checkout had uncommitted changes: yes, no, or ? when git could not tell."""
        return "?" if self.dirty is None else "yes" if self.dirty else "no"

    @property
    def started(self) -> str:
        return str(self.manifest.get("started") or "")


@dataclass(frozen=True)
class Step:
    """One run's value of a line, and how it compares with the previous run of its group (None:
    nothing to compare with)."""

    run: Run
    value: float
    ratio: Optional[float] = None
    verdict: Optional[Verdict] = None


@dataclass(frozen=True)
class Line:
    """One figure of one strategy over the runs of a group that have it."""

    strategy: str
    figure: Tuple[Any, ...]  # FIGURE's values
    unit: str
    steps: List[Step]


@dataclass
class Group:
    """The runs of one environment: an interpreter tag and its fingerprint."""

    tag: str
    fingerprint: str
    interpreter: str
    runs: List[Run]
    lines: List[Line] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.tag} ({self.interpreter}, fingerprint {self.fingerprint})"


# --- reading runs --------------------------------------------------------------------------------


def run_directories(roots: Sequence[Path]) -> List[Path]:
    """Every directory with a manifest in the results roots (the ``latest`` links left out, a run
    reached from two roots counted once), in name order per root."""
    found: Dict[Path, Path] = {}
    for root in roots:
        for path in sorted(Path(root).iterdir()):
            if path.is_dir() and not path.is_symlink() and (path / "manifest.json").is_file():
                found.setdefault(path.resolve(), path)
    return list(found.values())


def load_runs(directories: Iterable[Path], repository: Optional[Path] = None) -> Tuple[List[Run], List[str]]:
    """The complete runs among ``directories`` whose manifest and tidy table verify, each dated
    (``commit_date``, commits looked up in ``repository`` when their date was not recorded); and a
    note for every run left out or dated by its start."""
    runs, notes = [], []
    for directory in directories:
        try:
            manifest, tidy = _complete_run(directory)
        except RunError as error:
            notes.append(f"skipping {visible(directory)}: {visible(error)}")
            continue
        date, dated_by, note = commit_date(manifest, repository)
        if date is None:
            notes.append(f"skipping {visible(directory)}: {note}")
            continue
        if note:
            notes.append(f"{visible(directory)}: {note}")
        runs.append(Run(Path(directory), manifest, tidy, date, dated_by))
    return runs, notes


def _complete_run(directory: Path) -> Tuple[Dict[str, Any], Any]:
    """A run's manifest and verified tidy table; RunError when it is not complete or does not verify."""
    from harness.analysis.display import read_manifest

    status = read_manifest(directory).get("status")
    if status != "complete":
        raise RunError(f"its status is {status}")
    return load_run(directory)


def commit_date(manifest: Dict[str, Any], repository: Optional[Path]) -> Tuple[Optional[datetime], str, str]:
    """When a run's commit was made: (date, ``commit`` or ``start``, a note or ""). The manifest's
    ``git.committed``; else the commit's committer date in ``repository``; else the run's start
    (said in the note). (None, "", why) when not even the start time is readable."""
    git = manifest.get("git") or {}
    commit = git.get("commit")
    recorded = _parsed(git.get("committed")) or _parsed(_git_date(commit, repository))
    if recorded is not None:
        return recorded, "commit", ""
    started = _parsed(manifest.get("started"))
    if started is None:
        return None, "", f"neither its commit's date nor its start time is known (started {manifest.get('started')!r})"
    why = "records no commit" if not commit else f"commit {commit[:12]} is not in this repository"
    return started, "start", f"{why}; ordered by its start time"


def _git_date(commit: Optional[str], repository: Optional[Path]) -> Optional[str]:
    """The committer date (ISO 8601) of ``commit`` in ``repository``, or None."""
    if not commit or repository is None:
        return None
    return git("show", "-s", "--format=%cI", f"{commit}^{{commit}}", "--", cwd=repository)


def _parsed(value: Any) -> Optional[datetime]:
    """An ISO 8601 time with its offset, or None (naive times are refused: they cannot be ordered
    against the others)."""
    if not isinstance(value, str):
        return None
    try:
        found = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return found if found.tzinfo is not None else None


# --- choosing figures ----------------------------------------------------------------------------


def default_measurer(measurer: Optional[str]) -> str:
    """The measurer whose headline figures ``harness history`` shows when no figure is named: timing."""
    return measurer or "timing"


def chooser(
    figure: Optional[str] = None,
    strategy: Optional[str] = None,
    workload: Optional[str] = None,
    measurer: Optional[str] = None,
) -> Callable[[Any], Any]:
    """The rows of a tidy table a history shows: those of metric ``figure`` (every variant), or
    without one the headline figures (``harness.analysis.summary.HEADLINES``); narrowed to a
    strategy, workload and measurer (None: every one)."""
    import pandas as pd

    from harness.analysis.selection import select

    def choose(frame: Any) -> Any:
        if figure is not None:
            rows = select(frame, measurer, workload, figure, variant=None)
        else:
            parts = [
                select(frame, h.measurer, h.workload, h.metric.name, origin=h.origin, mode=h.mode)
                for h in HEADLINES.values()
                if measurer in (None, h.measurer) and workload in (None, h.workload)
            ]
            rows = pd.concat(parts) if parts else frame.iloc[0:0]
        return rows if strategy is None else rows[rows["strategy"] == strategy]

    return choose


# --- histories -----------------------------------------------------------------------------------


def groups(runs: Sequence[Run]) -> List[Group]:
    """The runs per environment (interpreter tag and fingerprint), each group's runs in commit
    order (then start order); groups by tag and fingerprint."""
    found: Dict[Tuple[str, str], Group] = {}
    for run in runs:
        for tag, environment in sorted((run.manifest.get("interpreters") or {}).items()):
            fingerprint = str(environment.get("fingerprint") or "unknown")
            try:
                interpreter = environment_label(environment)
            except (KeyError, TypeError):
                interpreter = tag
            found.setdefault((tag, fingerprint), Group(tag, fingerprint, interpreter, [])).runs.append(run)
    for group in found.values():
        group.runs.sort(key=lambda run: (run.date, run.started))
    return [found[key] for key in sorted(found)]


def interpreter_rows(run: Run, tag: str, interpreter: str) -> Any:
    """The rows of a run's tidy table measured on interpreter ``tag`` (by the ``interpreter_tag``
    column; a table older than that column by the interpreter's name)."""
    tidy = run.tidy
    tags = tidy["interpreter_tag"].astype("string").fillna("")
    if (tags != "").any():
        return tidy[tags == tag]
    return tidy[tidy["interpreter"].astype(str) == interpreter]


def _with_figure_variant(rows: Any) -> Any:
    """Rows with ``variant`` as ``harness compare`` matches it: the GC mode and the workload variant."""
    rows = rows.copy()
    workload_variant = rows["variant"].astype("string").fillna("")
    rows["variant"] = (rows["gc_mode"].fillna("").astype(str) + " " + workload_variant).str.strip()
    return rows


def history(runs: Sequence[Run], choose: Callable[[Any], Any]) -> List[Group]:
    """Every group (``groups``) with its lines: the figures ``choose`` picks, each run's median,
    and per step the verdict ``compare_runs`` gives the run against the previous run of its group
    (per dataset, so that figures of two datasets are never matched). Groups with no line are left out."""
    found = []
    for group in groups(runs):
        chosen = [choose(interpreter_rows(run, group.tag, group.interpreter)) for run in group.runs]
        medians = [_medians(rows) for rows in chosen]
        verdicts: List[Dict[Tuple[Any, ...], Tuple[Optional[float], Verdict]]] = [{}]
        for index in range(1, len(group.runs)):
            verdicts.append(_step_verdicts(group.runs[index - 1], group.runs[index], chosen[index - 1], chosen[index]))
        keys = sorted({key for values in medians for key in values}, key=lambda key: (key[1:], key[0]))
        for key in keys:
            steps = [
                Step(run, values[key][0], *verdicts[index].get(key, (None, None)))
                for index, (run, values) in enumerate(zip(group.runs, medians))
                if key in values
            ]
            unit = next(values[key][1] for values in medians if key in values)
            group.lines.append(Line(key[0], key[1:], unit, steps))
        if group.lines:
            found.append(group)
    return found


def _medians(rows: Any) -> Dict[Tuple[Any, ...], Tuple[float, str]]:
    """Per (strategy, *FIGURE): the median of the figure's processes and its unit."""
    if rows.empty:
        return {}
    grouped = _with_figure_variant(rows).groupby(["strategy", *FIGURE], dropna=False, sort=True)
    summary = grouped.agg(value=("value", "median"), unit=("unit", "last"))
    return {
        (key[0], *key[1:5], int(key[5]), key[6]): (float(entry.value), str(entry.unit))
        for key, entry in zip(summary.index, summary.itertuples())
    }


def _step_verdicts(
    previous: Run, run: Run, previous_rows: Any, rows: Any
) -> Dict[Tuple[Any, ...], Tuple[Optional[float], Verdict]]:
    """B/A and verdict of every figure both runs' rows have (keyed as ``_medians``), by ``compare_runs``."""
    found: Dict[Tuple[Any, ...], Tuple[Optional[float], Verdict]] = {}
    shared = set(previous_rows["dataset"].astype(str)) & set(rows["dataset"].astype(str))
    for dataset in sorted(shared):
        a = previous_rows[previous_rows["dataset"].astype(str) == dataset]
        b = rows[rows["dataset"].astype(str) == dataset]
        for row in compare_runs(previous.directory, run.directory, a, b).rows:
            key = (row.strategy, row.workload, row.measurer, row.variant, dataset, row.size, row.metric)
            found[key] = (row.ratio, row.verdict)
    return found


# --- rendering -----------------------------------------------------------------------------------


def panels(found: Sequence[Group]) -> List[Tuple[Group, Tuple[Any, ...], List[Line]]]:
    """Per group, per figure: its lines (one per strategy), the baseline strategy's first."""
    from harness.analysis.answer import BASELINE

    out = []
    for group in found:
        figures: Dict[Tuple[Any, ...], List[Line]] = {}
        for line in group.lines:
            figures.setdefault(line.figure, []).append(line)
        for figure, lines in figures.items():
            out.append((group, figure, sorted(lines, key=lambda line: (line.strategy != BASELINE, line.strategy))))
    return out


def figure_title(figure: Tuple[Any, ...], unit: str) -> str:
    """A figure in words: ``ns_per_read (ns) · timing · access · reference-s11-m5000.sqlite · 5000``."""
    workload, measurer, variant, dataset, size, metric = figure
    measured = f"{measurer} [{variant}]" if variant else measurer
    shown_unit = f" ({unit})" if unit and unit not in ("count", "nan") else ""
    return f"{metric}{shown_unit} · {measured} · {workload} · {dataset} · {size}"


def step_cells(step: Step, full: bool) -> Tuple[str, ...]:
    """A step as text: commit, date, dirty, value, B/A, verdict (its reasons too when ``full``)."""
    date = step.run.date.date().isoformat() + ("" if step.run.dated_by == "commit" else " (run)")
    ratio = NO_STEP if step.ratio is None else f"{step.ratio:.3f}"
    verdict = NO_STEP if step.verdict is None else str(step.verdict) if full else step.verdict.label
    return (step.run.short_commit, date, step.run.dirty_text, compact(step.value), ratio, verdict)


STEP_HEADERS = ("commit", "date", "dirty", "value", "B/A", "verdict")
#: The columns that name a row (with the strategy before them); ``fitted`` moves the others, the
#: step's figures, into a table of their own when they would not fit beside them.
NAMED = 3
#: The fewest columns a strategy name is given (a longer one folds).
NAME_WIDTH = 12


def _panel_table(lines: Sequence[Line], chosen: Sequence[int]) -> Any:
    """A figure's lines as one table, a section per strategy (named on its first row): commit, date,
    dirty and the step columns at the indices ``chosen`` (of value, B/A, verdict); a changed step bold."""
    found = terminal.table()
    found.add_column("strategy", min_width=NAME_WIDTH, overflow="fold")
    for header in STEP_HEADERS[:NAMED]:
        found.add_column(header, no_wrap=True)
    for index in chosen:
        found.add_column(STEP_HEADERS[NAMED + index], justify="left" if index == 2 else "right", no_wrap=True)
    for number, line in enumerate(lines):
        for first, step in zip([True] + [False] * len(line.steps), line.steps):
            cells = step_cells(step, full=False)
            changed = step.verdict is not None and step.verdict.label == CHANGED
            found.add_row(
                text(line.strategy if first else ""),
                *(text(cell) for cell in (*cells[:NAMED], *(cells[NAMED + index] for index in chosen))),
                style="bold" if changed else None,
                end_section=number < len(lines) - 1 and step is line.steps[-1],
            )
    return found


def print_history(found: Sequence[Group], console: Any) -> None:
    """Per group and figure a heading and a table of its lines, fitting ``console``."""
    for group, figure, lines in panels(found):
        console.print(text(f"{group.title}: {figure_title(figure, lines[0].unit)}"), style="bold")
        for part in terminal.fitted(console, partial(_panel_table, lines), len(STEP_HEADERS) - NAMED):
            console.print(part)
        console.print()


def markdown(found: Sequence[Group]) -> str:
    """Per group and figure a heading and one markdown table of every strategy's steps."""
    headers = ("strategy", *STEP_HEADERS)
    out = []
    for group, figure, lines in panels(found):
        out += [f"**{visible(group.title)}: {visible(figure_title(figure, lines[0].unit))}**", ""]
        out += ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        for line in lines:
            for step in line.steps:
                cells = (line.strategy, *step_cells(step, full=True))
                out.append("| " + " | ".join(visible(cell).replace("|", "\\|") for cell in cells) + " |")
        out.append("")
    return "\n".join(out).rstrip("\n")


def changed_steps(found: Sequence[Group]) -> int:
    """How many steps of every line were called changed."""
    return sum(
        step.verdict is not None and step.verdict.label == CHANGED
        for group in found
        for line in group.lines
        for step in line.steps
    )


def draw(found: Sequence[Group]) -> Any:
    """A matplotlib figure: a panel per group and figure, the runs of the group along x (commit
    order, labelled by short hash), a line per strategy, each step called changed ringed in red."""
    import matplotlib.pyplot as plt

    from harness.analysis.plots import setup_plots

    setup_plots()
    shown = panels(found)
    fig, axes = plt.subplots(len(shown), 1, figsize=(10, 4 * len(shown)), squeeze=False)
    for ax, (group, figure, lines) in zip(axes[:, 0], shown):
        position = {id(run): index for index, run in enumerate(group.runs)}
        for line in lines:
            xs = [position[id(step.run)] for step in line.steps]
            ax.plot(xs, [step.value for step in line.steps], marker="o", markersize=3, label=line.strategy)
            changed = [
                (x, step.value) for x, step in zip(xs, line.steps) if step.verdict and step.verdict.label == CHANGED
            ]
            if changed:
                ax.scatter(*zip(*changed), s=120, facecolors="none", edgecolors="red", linewidths=1.5, zorder=3)
        values = [step.value for line in lines for step in line.steps if step.value > 0 and math.isfinite(step.value)]
        if values and max(values) / min(values) > 20:
            ax.set_yscale("log")
        ax.set_xticks(range(len(group.runs)), [run.short_commit + ("+" if run.dirty else "") for run in group.runs])
        ax.tick_params(axis="x", labelrotation=45)
        ax.set_title(f"{group.title}\n{figure_title(figure, lines[0].unit)}", fontsize="medium")
        ax.set_xlabel("commit (in commit-date order; + uncommitted changes; red ring: step called changed)")
        ax.legend(fontsize="small", ncol=2)
    return fig


def write_plot(found: Sequence[Group], path: Path) -> None:
    """``draw`` saved as SVG at ``path``, written whole or not at all (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from harness.atomic import atomic_path

    fig = draw(found)
    try:
        with atomic_path(path) as temporary:
            fig.savefig(temporary, format="svg")
    finally:
        plt.close(fig)
