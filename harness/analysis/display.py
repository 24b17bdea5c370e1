"""Display helpers shared by the notebooks and the report: the run a notebook reads, escaping,
notes and tables (the plots are ``harness.analysis.plots``).

Every string that comes from a run's data or metadata goes through ``esc`` (or pandas'
``to_html(escape=True)``) before it reaches HTML. Tables print every float column in one format
chosen from its magnitude (``show_table``); a figure of several processes is shown as its median
with the 95 % interval of the mean (``interval_table``, ``interval_note``).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from harness.analysis.plots import estimates, setup_plots
from harness.numbers import MISSING, Show, column_format
from harness.runs import files, results
from harness.uncertainty import Estimate, span


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def locate_run(run_dir: Any) -> Path:
    """The run directory a notebook's ``run_dir`` names, absolute. A relative path is looked up from
    the working directory and then from each of its parents, since a notebook's kernel runs in the
    notebook's own folder while ``results/latest`` is relative to the project root. RunError naming
    every path tried when none of them holds a run (a readable ``manifest.json``)."""
    given = Path(str(run_dir)).expanduser()
    here = Path.cwd()
    tried = [given] if given.is_absolute() else [folder / given for folder in (here, *here.parents)]
    for candidate in tried:
        if (candidate / "manifest.json").is_file():
            results.load_manifest(candidate)  # RunError when it is not a run this harness reads
            return candidate.resolve()
    raise files.RunError(
        f"run_dir {str(run_dir)!r} holds no run (no manifest.json); tried {', '.join(str(path) for path in tried)}"
    )


def read_manifest(run_dir: Path) -> Dict[str, Any]:
    """A run's manifest (``results.load_manifest``); RunError in one line first when ``run_dir`` is
    not a directory, or its manifest.json or tidy.csv is there but is no regular file (a directory
    cannot be read, and a FIFO would block the read for ever)."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise files.RunError(f"{run_dir} is not a directory")
    for name in ("manifest.json", "tidy.csv"):
        path = run_dir / name
        if (path.exists() or path.is_symlink()) and not path.is_file():
            raise files.RunError(f"{path} is not a regular file")
    return results.load_manifest(run_dir)


def load_frame(run_dir: Path) -> Any:
    """The tidy table (``results.load_tidy``), or an empty one with the tidy columns when the run has not
    written one yet (no tidy.csv, and none recorded in its manifest); RunError when ``run_dir``
    holds no run at all (a notebook then fails, naming it, instead of showing an empty page) or a
    table it recorded is missing or unreadable."""
    import pandas as pd

    if not (Path(run_dir) / "manifest.json").is_file():
        raise files.RunError(f"run_dir {str(run_dir)!r} holds no run (no manifest.json); see display.locate_run")
    manifest = read_manifest(run_dir)
    if not (Path(run_dir) / "tidy.csv").exists() and "tidy" not in manifest:
        return pd.DataFrame(
            {column: pd.Series(dtype=results.TIDY_TYPES.get(column, "object")) for column in results.TIDY_COLUMNS}
        )
    return results.load_tidy(run_dir)


def with_variant_labels(frame: Any) -> Any:
    """The frame with each row's workload variant folded into its strategy label
    (``msgspec-lazy · incremental``), so that charts keyed by strategy keep variants apart; the
    ``variant`` column stays for filtering."""
    if "variant" not in frame or frame.empty:
        return frame
    variant = frame["variant"].astype("string").fillna("")
    values = variant.str.replace(r"[A-Za-z_]+=", "", regex=True).str.replace(",", ", ")
    frame = frame.copy()
    strategy = frame["strategy"].astype(str)
    frame["strategy"] = strategy.where(variant == "", strategy + " · " + values)
    return frame


def measurements(run_dir: Any, measurer: str, missing: str) -> Tuple[Any, Any]:
    """A notebook's start: plot defaults set, then the run's tidy table (workload variants folded
    into the strategy labels, ``with_variant_labels``) and its rows of one measurer; when the run
    has none of them, the sentence ``missing`` is shown."""
    from harness.analysis.selection import select

    setup_plots()
    tidy = with_variant_labels(load_frame(run_dir))
    rows = select(tidy, measurer, variant=None)
    if rows.empty:
        note(missing)
    return tidy, rows


def planned_values(run_dir: Any, measurer: str, workload: str, name: str) -> Dict[str, List[str]]:
    """Per workload variant (``""``: the workload as it always ran), the values of the workload
    parameter ``name`` that the run's planned jobs of ``measurer`` used (their default when unset),
    from the manifest; whole numbers sorted as numbers."""
    from harness.measure.catalogue import workload_param, workload_variant

    found: Dict[str, set] = {}
    for job in results.load_manifest(Path(run_dir)).get("jobs", []):
        if not isinstance(job, dict) or job.get("measurer") != measurer or job.get("workload") != workload:
            continue
        params = job.get("params") or {}
        value = workload_param(workload, params, name)
        if value:
            found.setdefault(workload_variant(workload, params), set()).add(value)
    order = lambda value: (0, int(value), "") if value.isdigit() else (1, 0, value)  # noqa: E731
    return {variant: sorted(values, key=order) for variant, values in found.items()}


def skipped_notes(run_dir: Any, measurer: str, what: str) -> None:
    """A note per distinct reason the run's jobs of ``measurer`` were skipped (their result's
    ``extra.skipped``: scalene or valgrind missing), ``what`` naming them: ``"scalene jobs"``."""
    reasons = set()
    for result in results.job_results(Path(run_dir)):
        skipped = (result.get("extra") or {}).get("skipped")
        if result.get("job", {}).get("measurer") == measurer and skipped:
            reasons.add(str(skipped))
    for reason in sorted(reasons):
        note(f"{what} skipped: {reason}.")


def note(text: str) -> None:
    """A short sentence in the notebook output, HTML-escaped."""
    from IPython.display import HTML, display

    display(HTML(f"<p>{esc(text)}</p>"))


def show_table(frame: Any, index: bool = False, show: Optional[Show] = None) -> None:
    """A pandas table, every cell HTML-escaped. Each float column is printed in one format: the one
    ``numbers.column_format`` chooses from the column's values, or ``show`` (a metric's, e.g.
    ``metrics.COMPACT_LAYOUT_SHARE.show``) for every float column when given."""
    from IPython.display import HTML, display
    from pandas import isna
    from pandas.api.types import is_float_dtype, is_integer_dtype

    formatters: List[Optional[Callable[[Any], str]]] = []
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if is_float_dtype(column.dtype):
            formatters.append(show or column_format(column))
        elif is_integer_dtype(column.dtype):
            formatters.append(lambda value: MISSING if isna(value) else str(value))
        else:
            formatters.append(None)
    display(HTML(frame.to_html(escape=True, index=index, na_rep=MISSING, formatters=formatters)))


def link(href: str, text: str) -> str:
    """An HTML link to a relative file, escaped."""
    from urllib.parse import quote

    return f'<a href="{esc(quote(href))}">{esc(text)}</a>'


def process_counts(rows: Any, by: Sequence[str]) -> List[int]:
    """How many processes (rows) each group of ``by`` has."""
    if rows.empty:
        return []
    return [int(count) for count in rows.groupby(list(by), dropna=False).size()]


def interval_caption(rows: Any, by: Sequence[str]) -> str:
    """What the error bars of a plot of ``rows`` grouped by ``by`` are, and which figures have none."""
    counts = process_counts(rows, by)
    if not counts:
        return ""
    if max(counts) < 2:
        return "Each figure here was measured in one process: no error bars (an interval needs two)."
    several = [count for count in counts if count >= 2]
    span = f"{min(several)}" if min(several) == max(several) else f"{min(several)}–{max(several)}"
    text = f"Median over processes; error bar: 95 % interval of the mean over {span} processes per figure"
    single = len(counts) - len(several)
    if single:
        text += f"; {single} figure{'s' if single > 1 else ''} measured in one process ha{'ve' if single > 1 else 's'}"
        text += " no error bar"
    return text + "."


def interval_note(rows: Any, by: Sequence[str]) -> None:
    """``note`` the ``interval_caption`` of a plot."""
    caption = interval_caption(rows, by)
    if caption:
        note(caption)


def interval_text(estimate: Estimate, show: Callable[[float], str]) -> str:
    """The 95 % interval of the mean (``uncertainty.span``), ``—`` below two processes."""
    bounds = estimate.interval
    return MISSING if bounds is None else span(bounds[0], bounds[1], show)


def interval_table(rows: Any, by: Sequence[str], scale: float = 1.0, median: str = "median") -> Any:
    """A table of the figures of ``rows`` per group of ``by``: the group's columns, the median over
    its processes (column ``median``), the 95 % interval of the mean as ``low–high`` in the median's
    number format (``numbers.column_format``; ``—`` for one process) and the number of processes."""
    import pandas as pd

    found = estimates(rows, by, scale)
    show = column_format([estimate.median for estimate in found.values()])
    table = [
        {
            **dict(zip(by, key)),
            median: estimate.median,
            "95 % interval of the mean": interval_text(estimate, show),
            "processes": estimate.n,
        }
        for key, estimate in found.items()
    ]
    return pd.DataFrame(table, columns=[*by, median, "95 % interval of the mean", "processes"])
