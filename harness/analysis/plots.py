"""Plots shared by the notebooks: defaults, saved figures, bar charts, error bars, log axes.

A figure is measured in several fresh processes, one tidy row each; a plot shows its median over
them with error bars from the 95 % interval of the mean (``harness.uncertainty.Estimate``:
``estimates``, ``interval_bars``, ``interval_wide``). Log axes print plain numbers
(``plain_log_axis``): ``setup_plots`` turns mathtext off, so matplotlib's own log labels would
show raw ``$\\mathdefault{…}$``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from harness.atomic import atomic_path
from harness.numbers import plain_number
from harness.uncertainty import Estimate


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


def save_figure(fig: Any, run_dir: Any, name: str) -> None:
    """Save a figure as SVG and PNG into ``RUN_DIR/figures/``, show the saved PNG inline (at the
    figure's size: not drawn a third time), close it."""
    import matplotlib.pyplot as plt

    out = Path(run_dir) / "figures"
    out.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    for suffix, options in (("svg", {}), ("png", {"dpi": 120})):
        with atomic_path(out / f"{safe}.{suffix}") as temporary:  # a cut file never passes for a figure
            fig.savefig(temporary, format=suffix, **options)
    try:
        from IPython.display import Image, display

        display(Image(filename=str(out / f"{safe}.png"), width=round(fig.get_figwidth() * 100)))
    except ImportError:
        pass
    plt.close(fig)


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
    errors: Optional[Mapping[Any, Any]] = None,
    **bar_options: Any,
) -> Tuple[Any, Any]:
    """A bar chart of a wide table: one group of bars per row (``wide.index``), one bar per column
    in each group, side by side; missing values are drawn as 0.

    ``labels`` names the groups under the axis (default ``str`` of each index entry), the legend
    names the columns (``str`` of each). ``hatch(index_entry)`` may return a hatch pattern for
    every bar of that group. The figure is ``per_group`` inches wide per group (at least
    ``min_width``) and ``height`` tall; ``bar_options`` (``color``, ``yerr``, ``capsize`` …) go to
    every ``ax.bar`` call. ``errors`` gives each column its own error bars (``column -> yerr`` in
    ``wide.index`` order: N values, or a 2×N array as ``interval_wide`` returns; a column without
    an entry has none). Returns ``(fig, ax)`` for further touches before ``save_figure``.
    """
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(max(min_width, per_group * len(wide) + 2), height))
    width = 0.8 / max(1, len(wide.columns))
    x = np.arange(len(wide))
    if errors is not None:
        bar_options.setdefault("capsize", 3)
    for i, column in enumerate(wide.columns):
        own = dict(bar_options)
        if errors is not None and errors.get(column) is not None:
            own["yerr"] = errors[column]
        bars = ax.bar(x + i * width, wide[column].fillna(0), width, label=str(column), **own)
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


#: What a plotted figure is, for axis labels: the median over its processes, error bar 95 % CI.
INTERVAL_LABEL = "median, 95 % CI"


def estimates(rows: Any, by: Sequence[str], scale: float = 1.0) -> Dict[tuple, Estimate]:
    """Each group's figure over its processes (one tidy row per process), its values times
    ``scale``; keys are tuples in the order of ``by``, sorted. Select one size first: rows of
    different sizes are different figures."""
    if rows.empty:
        return {}
    grouped = rows.groupby(list(by), dropna=False, sort=True)["value"]
    return {
        key if isinstance(key, tuple) else (key,): Estimate.of([float(value) * scale for value in values])
        for key, values in grouped
    }


def error_bar(estimate: Estimate, floor: Optional[float] = 0.0) -> Tuple[float, float]:
    """How far below and above the median the 95 % interval of the mean reaches, its lower end
    clipped at ``floor`` (0: a bar does not go below the axis; None: not clipped); NaN for a figure
    of one process (matplotlib then draws no error bar). The mean's interval need not contain the
    median: a side it does not reach is 0."""
    bounds = estimate.interval
    if bounds is None:
        return math.nan, math.nan
    low, high = bounds
    if floor is not None:
        low = max(low, floor)
    return max(estimate.median - low, 0.0), max(high - estimate.median, 0.0)


def interval_bars(
    rows: Any, by: Sequence[str], scale: float = 1.0, floor: Optional[float] = 0.0, sort: bool = False
) -> Tuple[Any, Any]:
    """Per group of ``by``: the median over its processes (a Series indexed by the groups) and the
    error bars as ``ax.bar`` / ``ax.errorbar`` take them (a 2×N array: below, above; ``error_bar``:
    NaN for a group of one process).
    ``sort``: ordered by median, smallest first; else by group."""
    import numpy as np
    import pandas as pd

    found = estimates(rows, by, scale)
    keys = list(found)
    if sort:
        keys.sort(key=lambda key: found[key].median)
    if len(by) == 1:
        index = pd.Index([key[0] for key in keys], name=by[0])
    elif keys:
        index = pd.MultiIndex.from_tuples(keys, names=list(by))
    else:
        index = pd.MultiIndex.from_arrays([[] for _ in by], names=list(by))
    medians = pd.Series([found[key].median for key in keys], index=index, dtype=float)
    yerr = np.array([error_bar(found[key], floor) for key in keys], dtype=float).reshape(-1, 2).T
    return medians, yerr


def interval_wide(
    rows: Any, index: Sequence[str], column: str, scale: float = 1.0, floor: Optional[float] = 0.0
) -> Tuple[Any, Dict[Any, Any]]:
    """``interval_bars`` as a wide table: the medians with one row per group of ``index`` and one
    column per value of ``column`` (missing: NaN), and per column its 2×N error bars in the table's
    row order (what ``grouped_bars(errors=...)`` takes; NaN, drawn as none, where a cell is missing
    or has one process)."""
    import numpy as np
    import pandas as pd

    medians, yerr = interval_bars(rows, (*index, column), scale, floor)
    if medians.empty:
        return pd.DataFrame(), {}
    wide = medians.unstack(column)
    below, above = (pd.Series(side, index=medians.index).unstack(column).reindex_like(wide) for side in yerr)
    errors = {name: np.vstack([below[name].to_numpy(), above[name].to_numpy()]) for name in wide.columns}
    return wide, errors


def plain_log_ticks(vmin: float, vmax: float) -> List[float]:
    """Major ticks of a log axis from ``vmin`` to ``vmax``: 1, 2, 5 × 10^k; only 10^k (every few
    decades) when that puts more than ten on the axis; every 1…9 × 10^k — the minor positions,
    labelled — when 1, 2, 5 puts fewer than three (an axis spanning about a decade or less); evenly
    spaced plain numbers when even those put fewer than two (a narrow range, e.g. 47–49)."""
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    vmin, vmax = sorted((vmin, vmax))
    low, high = math.floor(math.log10(vmin)), math.ceil(math.log10(vmax))

    def ticks(multiples: Sequence[float], every: int = 1) -> List[float]:
        return [m * 10.0**e for e in range(low, high + 1) if (e - low) % every == 0 for m in multiples]

    def inside(found: List[float]) -> int:
        return sum(vmin <= tick <= vmax for tick in found)

    found = ticks((1, 2, 5))
    if inside(found) > 10:
        every = 1
        while inside(ticks((1,), every)) > 10:
            every += 1
        return ticks((1,), every)
    if inside(found) < 3:
        found = ticks(range(1, 10))
    if inside(found) < 2:
        linear = MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]).tick_values(vmin, vmax)
        found = [float(tick) for tick in np.asarray(linear) if tick > 0]
    return found


def plain_log_axis(ax: Any, which: str = "y") -> None:
    """Make a log axis (``which``: ``"x"``, ``"y"`` or ``"both"``) print plain numbers: major ticks
    from ``plain_log_ticks`` (recomputed whenever the limits change) labelled ``numbers.plain_number``,
    unlabelled minor ticks at 2…9 × 10^k. ``setup_plots`` turns mathtext off, so matplotlib's own
    log labels would show as raw ``$\\mathdefault{…}$``; the axis must already be log-scaled."""
    import numpy as np
    from matplotlib.ticker import FuncFormatter, Locator, LogLocator, NullFormatter

    class PlainLogLocator(Locator):
        def __call__(self) -> Any:
            if self.axis is None:
                return np.array([])
            vmin, vmax = self.axis.get_view_interval()
            return self.tick_values(vmin, vmax)

        def tick_values(self, vmin: float, vmax: float) -> Any:
            if vmin <= 0 or vmax <= 0:
                positive = self.axis.get_minpos() if self.axis is not None else 1.0
                vmin, vmax = max(vmin, positive), max(vmax, positive)
            if not (np.isfinite(vmin) and np.isfinite(vmax)) or vmin == vmax:
                return np.array([vmin]) if np.isfinite(vmin) and vmin > 0 else np.array([])
            return np.array(plain_log_ticks(vmin, vmax))

    axes = {"x": [ax.xaxis], "y": [ax.yaxis], "both": [ax.xaxis, ax.yaxis]}[which]
    for axis in axes:
        axis.set_major_locator(PlainLogLocator())
        axis.set_major_formatter(FuncFormatter(plain_number))
        axis.set_minor_locator(LogLocator(subs=[float(sub) for sub in range(2, 10)]))
        axis.set_minor_formatter(NullFormatter())


def log_view(ax: Any, values: Sequence[float], room: float = 3.0) -> None:
    """Keep a log y axis on the plotted medians ``values``: no lower than their smallest divided
    by ``room`` and no higher than their largest times ``room``, so that one wide interval (its
    error bar then runs off the edge) does not squash every line into a corner."""
    positive = [float(value) for value in values if value == value and value > 0]
    if not positive:
        return
    low, high = ax.get_ylim()
    ax.set_ylim(max(low, min(positive) / room), min(high, max(positive) * room))
