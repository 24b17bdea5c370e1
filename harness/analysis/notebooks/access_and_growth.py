# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# ## Access time and growth
# The seed's access loop: a number of iterations (the note below gives this run's) over every message
# info, each reading the seed's properties in each strategy's own read syntax — median ns per read
# over the figure's processes, with the 95 % interval of the mean over them as error bars. The loop
# also adds `len(o.role)` and floats per read; the `floor-access` control does the same arithmetic on
# values already in locals, so the plot shows each strategy's figure net of it (the read's own cost)
# and the table both the raw and the net figure. Beside it the `open-map` variant: one read of an open
# map (`len(state.input)` of every tool part), which a lazy strategy pays a decode for. Then the agent
# loop (`run_loop`): time per iteration as the session history grows, per strategy and read path —
# `full` (opencode at PR #29029; with a row cache a hit still parses the row), `cache-aware` (row data
# read only for cache misses), `incremental` (the history kept between iterations, only new or
# updated rows read).

# %% tags=["parameters"]
run_dir = "results/latest"

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from harness.analysis.display import (
    interval_note,
    interval_table,
    interval_text,
    locate_run,
    measurements,
    note,
    planned_values,
    show_table,
)
from harness.analysis.plots import (
    INTERVAL_LABEL,
    bar_labeller,
    grouped_bars,
    interval_bars,
    log_view,
    plain_log_axis,
    save_figure,
)
from harness.analysis.selection import largest_each
from harness.analysis.summary import net_reads
from harness.analysis.verdict import THRESHOLD, run_samples
from harness.metrics import NS_PER_READ, NS_PER_ROW, SECONDS_PER_CALL, loop_slope
from harness.numbers import column_format, plain_number
from harness.runs import results
from harness.schema import ACCESS_PROPERTIES
from harness.strategy_names import ACCESS_CONTROL
from harness.uncertainty import Estimate

BY = ("interpreter", "strategy")


def history_plot(ax, ylabel, title, medians):
    """Label a plot of times against history size (log scale, plain numbers: the read paths differ
    by decades), kept on the plotted ``medians``."""
    ax.set_xlabel("history (messages)")
    ax.set_ylabel(ylabel)
    ax.set_yscale("log")
    plain_log_axis(ax, "y")
    log_view(ax, medians)
    ax.set_title(title)
    ax.legend(fontsize="small")


run_path = locate_run(run_dir)
tidy, timing = measurements(
    run_path, "timing", "This run has no timing measurements (pyperf): access and hydration times are missing."
)
label = bar_labeller(tidy)
ITERATIONS = planned_values(run_path, "timing", "access", "iterations")


def iterations(variant=""):
    """``20 iterations`` (``5 or 20 iterations``): the access jobs of one variant, as the run planned them."""
    return f"{' or '.join(ITERATIONS.get(variant, [])) or '?'} iterations"


if ITERATIONS:
    note(
        f"This run's access loop: {iterations()} × {len(ACCESS_PROPERTIES)} properties "
        f"({', '.join(ACCESS_PROPERTIES)}) of every message info"
        + "".join(f"; {variant}: {iterations(variant)}" for variant in sorted(ITERATIONS) if variant)
        + "."
    )

# %%
for figure, workload, variant, metric, unit, title in (
    (
        "timing-access",
        "access",
        "",
        NS_PER_READ.name,
        "ns per read",
        f"access ({iterations()} × {len(ACCESS_PROPERTIES)} properties): time per property read",
    ),
    (
        "timing-access-open-map",
        "access",
        "reads=open-map",
        NS_PER_READ.name,
        "ns per read",
        "open-map access: one tool input read (lazy strategies decode it)",
    ),
    ("timing-hydrate_all", "hydrate_all", "", NS_PER_ROW.name, "ns per row", "hydration: time per stored row"),
):
    rows = timing[
        (timing["workload"] == workload)
        & (timing["metric"] == metric)
        & (timing["variant"].astype("string").fillna("") == variant)
    ]
    if rows.empty:
        if not timing.empty:
            note(f"No {workload} {variant} timing ({metric}) in this run.")
        continue
    rows = largest_each(rows, BY)
    medians, yerr = interval_bars(rows, BY)
    errors = pd.DataFrame(yerr.T, index=medians.index, columns=["below", "above"])
    table = interval_table(rows, BY, median=f"median {metric}")
    plotted, ylabel = medians, f"{unit} ({INTERVAL_LABEL})"
    if workload == "access" and not variant:  # the control reads nothing of an open map
        net = pd.Series(net_reads(medians.to_dict()), dtype=float)
        if net.empty:
            note(f"No {ACCESS_CONTROL} control in this run: the plot shows the raw figure (reads plus arithmetic).")
        else:
            plotted = net.rename_axis(list(BY))
            table["net of arithmetic"] = [net.get(key, np.nan) for key in zip(*(table[c] for c in BY))]
            ylabel = f"ns per read − {ACCESS_CONTROL} ({INTERVAL_LABEL})"
            title = f"access ({iterations()} × {len(ACCESS_PROPERTIES)} properties): per read, net of the arithmetic"
            note(
                f"Net bars: each strategy's median minus the {ACCESS_CONTROL} median; the error bar is the "
                "strategy's own interval (the control's is in the table)."
            )
    plotted = plotted.sort_values()
    shown = errors.reindex(plotted.index)
    shown["below"] = np.minimum(shown["below"], plotted.clip(lower=0))  # a bar does not go below the axis
    fig, ax = grouped_bars(
        plotted.to_frame(),
        ylabel,
        title,
        labels=[label(*key) for key in plotted.index],
        legend=False,
        yerr=shown.to_numpy().T,
        capsize=4,
        color="#26a69a",
    )
    save_figure(fig, run_path, figure)
    interval_note(rows, BY)
    show_table(table)

# %% [markdown]
# ### What comparisons these samples support
# `harness compare` calls a timing changed only when each run has enough pyperf processes for a
# verdict at its threshold (1.10×): the 95 % interval of the mean over processes within ±5 %.
# The table gives, per timing benchmark, the processes it ran, the spread of their means and how many
# processes that spread needs; a benchmark marked *not enough samples* cannot be called changed
# against another run however far apart the two are.

# %%
supported = pd.DataFrame(run_samples(run_path))
if not supported.empty:
    verdict = f"verdict at {THRESHOLD:.2f}x"  # the column run_samples names after its threshold
    lacking = supported[supported[verdict] != "supported"]
    note(
        f"{len(supported) - len(lacking)} of {len(supported)} timing benchmarks have enough samples for a verdict"
        + (
            f"; not: {', '.join(sorted(set(lacking['workload'] + ' ' + lacking['strategy'])))}."
            if len(lacking)
            else "."
        )
    )
    show_table(supported)

# %% [markdown]
# ### `run_loop` growth
# Each iteration appends messages, then reads the history through its read path (full: every page
# down to the compaction boundary re-read and rebuilt; the growth data has no boundary). Each point is
# the median over the processes that ran the same loop (one per repeat), with the 95 % interval of the
# mean over them as error bars. Slope = milliseconds per iteration per 1,000 messages of history
# (least squares through the medians, each process's first iteration left out: there a kept history
# is built cold; no slope where the histories span less than a tenth), with the interval of the
# processes' own slopes beside it.
# Line style: full solid, cache-aware dashed, incremental dash-dotted; dotted = fit; a hollow point:
# the processes' first iterations (not in the line or the fit).


# %%
def loop_steps(run_path):
    """One row per iteration of every ok run_loop job of the run that ran with the GC enabled
    (``extra.iterations``; a GC control would be another curve)."""
    steps = []
    for result in results.job_results(Path(run_path)):
        job = result.get("job", {})
        if result.get("status") != "ok" or job.get("workload") != "run_loop":
            continue
        if (job.get("params") or {}).get("gc_mode", "enabled") != "enabled":
            continue
        interpreter = result.get("environment", {}).get("interpreter", {})
        for place, step in enumerate((result.get("extra") or {}).get("iterations") or []):
            if isinstance(step, dict) and "history" in step and "seconds" in step:
                steps.append(
                    {
                        "first": place == 0,
                        "interpreter": f"{interpreter.get('implementation', '?')} {interpreter.get('version', '?')}",
                        "strategy": str(job.get("strategy", "?")),
                        "read path": str((job.get("params") or {}).get("read_path", "full")),
                        "job": str(job.get("id", "?")),
                        "history": float(step["history"]),
                        "value": float(step["seconds"]) * 1000,
                        "gc_ms": float(step.get("gc_seconds") or 0.0) * 1000,
                    }
                )
    return pd.DataFrame(steps)


def slope_per_1k(rows):
    """``metrics.loop_slope`` of iterations (the processes' first left out) through their median
    ms at each history: (slope, intercept), NaN for both where it fits no line."""
    medians = rows[~rows["first"]].groupby("history")["value"].median()
    found = loop_slope(list(medians.index), list(medians))
    return (np.nan, np.nan) if found is None else found


LINE = ["interpreter", "strategy", "read path"]
curves = loop_steps(run_path)
if curves.empty:
    note("This run has no run_loop measurements: growth per iteration is missing.")
else:
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    slopes = []
    styles = {"full": "-", "cache-aware": "--", "incremental": "-."}
    for (interpreter, strategy, path), rows in curves.groupby(LINE, sort=True):
        medians, yerr = interval_bars(rows[~rows["first"]], ("history",))
        line = ax.errorbar(
            medians.index,
            medians.to_numpy(),
            yerr=yerr,
            fmt="o" + styles.get(path, "-"),
            capsize=3,
            label=label(interpreter, f"{strategy} · {path}").replace("\n", " "),
        )
        cold = rows[rows["first"]].groupby("history")["value"].median()
        ax.plot(cold.index, cold.to_numpy(), "o", mfc="none", color=line.lines[0].get_color())
        slope, intercept = slope_per_1k(rows)
        if slope == slope:
            xs = np.array([medians.index.min(), medians.index.max()])
            ax.plot(xs, intercept + slope * xs / 1000, ":", color=line.lines[0].get_color(), alpha=0.6)
        per_job = rows.groupby("job")
        sums = per_job[["value", "gc_ms"]].sum()
        slopes.append(
            {
                "interpreter": interpreter,
                "strategy": strategy,
                "read path": path,
                "iterations": int(per_job.size().median()),
                "ms per iteration per 1k history": slope,
                "own": Estimate.of([slope_per_1k(job)[0] for _, job in per_job]),
                "GC share (%)": Estimate.of(sums["gc_ms"] / sums["value"].clip(lower=1e-12) * 100).median,
            }
        )
    history_plot(
        ax,
        f"time per iteration (ms; {INTERVAL_LABEL})",
        "run_loop: time per iteration vs history",
        curves.groupby([*LINE, "history"])["value"].median(),
    )
    save_figure(fig, run_path, "run-loop-growth")
    interval_note(curves, (*LINE, "history"))
    slopes = pd.DataFrame(slopes)
    show = column_format(slopes["ms per iteration per 1k history"])
    slopes.insert(5, "per-process slopes, 95 % interval", [interval_text(own, show) for own in slopes["own"]])
    slopes.insert(5, "processes", [own.n for own in slopes.pop("own")])
    show_table(slopes)

# %% [markdown]
# ### One loop read per read path
# `run_loop` timed by pyperf with no growth: one read of an unchanged history of each size (the
# steady state of a loop that appends a few messages per iteration), median over processes with the
# 95 % interval of the mean as error bars.

# %%
reads = timing[(timing["workload"] == "run_loop") & (timing["metric"] == SECONDS_PER_CALL.name)]
if reads.empty:
    note("This run has no timed run_loop reads.")
else:
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for (interpreter, strategy, variant, path), rows in reads.groupby([*BY, "variant", "read_path"], sort=True):
        medians, yerr = interval_bars(rows, ("size",), scale=1000)
        named = f"{strategy} · {path}" if path and not variant else strategy  # a variant names its read path
        ax.errorbar(
            medians.index,
            medians.to_numpy(),
            yerr=yerr,
            fmt="o-",
            capsize=3,
            label=label(interpreter, named).replace("\n", " "),
        )
    ax.set_xticks(sorted(reads["size"].dropna().unique()))
    ax.xaxis.set_major_formatter(FuncFormatter(plain_number))
    history_plot(
        ax,
        f"one loop read (ms; {INTERVAL_LABEL})",
        "run_loop read time vs history, per strategy · read path",
        reads.groupby([*BY, "variant", "read_path", "size"])["value"].median() * 1000,
    )
    save_figure(fig, run_path, "run-loop-reads")
    interval_note(reads, (*BY, "size"))
    wide = reads.pivot_table(index=list(BY), columns="size", values="value", aggfunc="median") * 1000
    show_table(wide.rename(columns=lambda size: f"{size:,} messages (ms)").reset_index())
