"""Display helpers shared by the notebooks and the report: escaping, tables, bar charts, saved figures.

Every string that comes from a run's data or metadata goes through ``esc`` (or pandas'
``to_html(escape=True)``) before it reaches HTML.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any, Callable, Optional, Sequence, Tuple

from harness import results


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
    raise results.RunError(
        f"run_dir {str(run_dir)!r} holds no run (no manifest.json); tried {', '.join(str(path) for path in tried)}"
    )


def load_frame(run_dir: Path) -> Any:
    """The tidy table, or an empty one with the tidy columns when the run has none yet; RunError
    when ``run_dir`` holds no run at all (a notebook then fails, naming it, instead of showing an
    empty page)."""
    import pandas as pd

    if not (Path(run_dir) / "manifest.json").is_file():
        raise results.RunError(f"run_dir {str(run_dir)!r} holds no run (no manifest.json); see display.locate_run")
    if not (Path(run_dir) / "tidy.csv").is_file():
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
    from harness.findings import select

    setup_plots()
    tidy = with_variant_labels(load_frame(run_dir))
    rows = select(tidy, measurer, variant=None)
    if rows.empty:
        note(missing)
    return tidy, rows


def setup_plots() -> None:
    """Readable defaults; never interpret ``$...$`` in labels that come from data."""
    import matplotlib

    matplotlib.rcParams.update(
        {
            "text.parse_math": False,
            "figure.dpi": 100,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "figure.autolayout": True,
            "svg.fonttype": "none",
        }
    )


def note(text: str) -> None:
    """A short sentence in the notebook output, HTML-escaped."""
    from IPython.display import HTML, display

    display(HTML(f"<p>{esc(text)}</p>"))


def show_table(frame: Any, index: bool = False, floatfmt: str = "{:,.4g}") -> None:
    """A pandas table, every cell HTML-escaped."""
    from IPython.display import HTML, display

    display(
        HTML(frame.to_html(escape=True, index=index, na_rep="—", float_format=lambda value: floatfmt.format(value)))
    )


def save_figure(fig: Any, run_dir: Any, name: str) -> None:
    """Save a figure as SVG and PNG into ``RUN_DIR/figures/``, show the saved PNG inline (at the
    figure's size: not drawn a third time), close it."""
    import matplotlib.pyplot as plt

    out = Path(run_dir) / "figures"
    out.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    fig.savefig(out / f"{safe}.svg")
    fig.savefig(out / f"{safe}.png", dpi=120)
    try:
        from IPython.display import Image, display

        display(Image(filename=str(out / f"{safe}.png"), width=round(fig.get_figwidth() * 100)))
    except ImportError:
        pass
    plt.close(fig)


def link(href: str, text: str) -> str:
    """An HTML link to a relative file, escaped."""
    from urllib.parse import quote

    return f'<a href="{esc(quote(href))}">{esc(text)}</a>'


def bar_labeller(frame: Any) -> Any:
    """``label(interpreter, strategy)`` for bar charts: the strategy, with the interpreter added
    on a second line only when the run measured several interpreters."""
    several = frame["interpreter"].nunique() > 1

    def label(interpreter: Any, strategy: Any) -> str:
        return f"{strategy}\n{interpreter}" if several else str(strategy)

    return label


def grouped_bars(
    wide: Any,
    ylabel: str,
    title: str,
    labels: Optional[Sequence[str]] = None,
    legend: bool = True,
    hatch: Optional[Callable[[Any], Optional[str]]] = None,
    per_group: float = 0.9,
    min_width: float = 6,
    height: float = 4,
    **bar_options: Any,
) -> Tuple[Any, Any]:
    """A bar chart of a wide table: one group of bars per row (``wide.index``), one bar per column
    in each group, side by side; missing values are drawn as 0.

    ``labels`` names the groups under the axis (default ``str`` of each index entry), the legend
    names the columns (``str`` of each). ``hatch(index_entry)`` may return a hatch pattern for
    every bar of that group. The figure is ``per_group`` inches wide per group (at least
    ``min_width``) and ``height`` tall; ``bar_options`` (``color``, ``yerr``, ``capsize`` …) go to
    every ``ax.bar`` call. Returns ``(fig, ax)`` for further touches before ``save_figure``.
    """
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(max(min_width, per_group * len(wide) + 2), height))
    width = 0.8 / max(1, len(wide.columns))
    x = np.arange(len(wide))
    for i, column in enumerate(wide.columns):
        bars = ax.bar(x + i * width, wide[column].fillna(0), width, label=str(column), **bar_options)
        if hatch is not None:
            for bar, key in zip(bars, wide.index):
                pattern = hatch(key)
                if pattern:
                    bar.set_hatch(pattern)
    ax.set_xticks(x + width * (len(wide.columns) - 1) / 2)
    ax.set_xticklabels([str(key) for key in wide.index] if labels is None else list(labels), rotation=30, ha="right")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if legend:
        ax.legend(fontsize="small")
    return fig, ax
