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
# The seed's access loop: 200 iterations × 7 properties (role, cost, summary, finish, error, variant,
# structured) over every message info, in each strategy's own read syntax — median ns per read over
# pyperf processes, with the spread (median absolute deviation) as error bars. The loop also adds
# `len(o.role)` and floats per read; the `floor-access` control does the same arithmetic on values
# already in locals, so the plot shows each strategy's figure net of it (the read's own cost) and
# the table both the raw and the net figure. Beside it the `open-map` variant: one read of an open
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

from harness import results
from harness.display import bar_labeller, grouped_bars, locate_run, measurements, note, save_figure, show_table
from harness.summary import ACCESS_CONTROL, net_reads
from harness.verdict import run_samples


def history_plot(ax, ylabel, title):
    """Label a plot of times against history size (log scale: the read paths differ by decades)."""
    ax.set_xlabel("history (messages)")
    ax.set_ylabel(ylabel)
    ax.set_yscale("log")
    ax.set_title(title)
    ax.legend(fontsize="small")


run_dir = locate_run(run_dir)
tidy, timing = measurements(
    run_dir, "timing", "This run has no timing measurements (pyperf): access and hydration times are missing."
)
label = bar_labeller(tidy)

# %%
for workload, variant, metric, title in (
    ("access", "", "ns_per_read", "200×7 access: time per property read"),
    ("access", "reads=open-map", "ns_per_read", "open-map access: one tool input read (lazy strategies decode it)"),
    ("hydrate_all", "", "ns_per_row", "hydration: time per stored row"),
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
    grouped = rows.groupby(["interpreter", "strategy"]).agg(value=("value", "median"), mad=("mad", "median"))
    plotted, ylabel = grouped["value"], f"{metric.replace('_', ' ')} (ns; error bar = MAD)"
    if workload == "access" and not variant:  # the control reads nothing of an open map
        net = pd.Series(net_reads(grouped["value"].to_dict()), dtype=float)
        if net.empty:
            note(f"No {ACCESS_CONTROL} control in this run: the plot shows the raw figure (reads plus arithmetic).")
        else:
            grouped["net of arithmetic"] = net
            plotted = grouped["net of arithmetic"].dropna()
            ylabel = f"ns per read − {ACCESS_CONTROL} (error bar = MAD)"
            title = "200×7 access: time per property read, net of the loop's arithmetic"
    plotted = plotted.sort_values()
    fig, ax = grouped_bars(
        plotted.to_frame(),
        ylabel,
        title,
        labels=[label(*key) for key in plotted.index],
        legend=False,
        yerr=grouped["mad"].reindex(plotted.index).fillna(0).to_numpy(),
        capsize=4,
        color="#26a69a",
    )
    save_figure(fig, run_dir, f"timing-{workload}" + (f"-{variant.split('=')[-1]}" if variant else ""))
    show_table(grouped.rename(columns={"value": f"median {metric}", "mad": "MAD"}).reset_index())

# %% [markdown]
# ### What comparisons these samples support
# `harness compare` calls a timing changed only when each run has enough pyperf processes for a
# verdict at its threshold (1.10×): the 95 % interval of the mean over processes within ±5 %.
# The table gives, per timing benchmark, the processes it ran, the spread of their means and how many
# processes that spread needs; a benchmark marked *not enough samples* cannot be called changed
# against another run however far apart the two are.

# %%
supported = pd.DataFrame(run_samples(run_dir))
if not supported.empty:
    verdict = [column for column in supported.columns if column.startswith("verdict at")][0]
    lacking = supported[supported[verdict] != "supported"]
    note(
        f"{len(supported) - len(lacking)} of {len(supported)} timing benchmarks have enough samples for a verdict"
        + (
            f"; not: {', '.join(sorted(set(lacking['workload'] + ' ' + lacking['strategy'])))}."
            if len(lacking)
            else "."
        )
    )
    show_table(supported, floatfmt="{:,.3g}")

# %% [markdown]
# ### `run_loop` growth
# Each iteration appends messages, then reads the history through its read path (full: every page
# down to the compaction boundary re-read and rebuilt; the growth data has no boundary). Slope =
# seconds per iteration per 1,000 messages of history (least squares).
# Line style: full solid, cache-aware dashed, incremental dash-dotted; dotted = fit.

# %%
curves = []
for result in results.job_results(Path(run_dir)):
    job = result.get("job", {})
    if result.get("status") != "ok" or job.get("workload") != "run_loop":
        continue
    interpreter = result.get("environment", {}).get("interpreter", {})
    name = f"{interpreter.get('implementation', '?')} {interpreter.get('version', '?')}"
    path = str((job.get("params") or {}).get("read_path", "full"))
    for step in (result.get("extra") or {}).get("iterations") or []:
        if isinstance(step, dict) and "history" in step and "seconds" in step:
            curves.append(
                {
                    "interpreter": name,
                    "strategy": str(job.get("strategy", "?")),
                    "read path": path,
                    "history": float(step["history"]),
                    "seconds": float(step["seconds"]),
                    "gc_seconds": float(step.get("gc_seconds") or 0.0),
                }
            )
curves = pd.DataFrame(curves)
if curves.empty:
    note("This run has no run_loop measurements: growth per iteration is missing.")
else:
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    slopes = []
    styles = {"full": "-", "cache-aware": "--", "incremental": "-."}
    for (interpreter, strategy, path), rows in curves.groupby(["interpreter", "strategy", "read path"], sort=True):
        rows = rows.sort_values("history")
        (line,) = ax.plot(
            rows["history"],
            rows["seconds"] * 1000,
            styles.get(path, "-"),
            marker="o",
            label=label(interpreter, f"{strategy} · {path}").replace("\n", " "),
        )
        slope = np.nan
        if rows["history"].nunique() >= 2:
            slope, intercept = np.polyfit(rows["history"] / 1000, rows["seconds"], 1)
            xs = np.array([rows["history"].min(), rows["history"].max()])
            ax.plot(xs, (intercept + slope * xs / 1000) * 1000, ":", color=line.get_color(), alpha=0.6)
        slopes.append(
            {
                "interpreter": interpreter,
                "strategy": strategy,
                "read path": path,
                "iterations": len(rows),
                "ms per iteration per 1k history": slope * 1000,
                "GC share": rows["gc_seconds"].sum() / max(rows["seconds"].sum(), 1e-12),
            }
        )
    history_plot(ax, "time per iteration (ms)", "run_loop: time per iteration vs history, per read path")
    save_figure(fig, run_dir, "run-loop-growth")
    show_table(pd.DataFrame(slopes), floatfmt="{:,.3g}")

# %% [markdown]
# ### One loop read per read path
# `run_loop` timed by pyperf with no growth: one read of an unchanged history of each size (the
# steady state of a loop that appends a few messages per iteration), median over processes.

# %%
reads = timing[(timing["workload"] == "run_loop") & (timing["metric"] == "seconds_per_call")]
if reads.empty:
    note("This run has no timed run_loop reads.")
else:
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for strategy, rows in reads.groupby("strategy", sort=True):
        points = rows.groupby("size")["value"].median()
        ax.plot(points.index, points.to_numpy() * 1000, marker="o", label=strategy)
    history_plot(ax, "one loop read (ms)", "run_loop read time vs history, per strategy · read path")
    save_figure(fig, run_dir, "run-loop-reads")
    show_table(reads.pivot_table(index="strategy", columns="size", values="value", aggfunc="median") * 1000)
