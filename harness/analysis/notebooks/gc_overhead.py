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
# ## GC overhead
# Share of wall time the cyclic GC took while each strategy rebuilt every message (`hydrate_all`, GC
# enabled), split per generation; the maximum pause per generation; how many GC-tracked objects each
# strategy leaves per message (a `· open-map` bar: the rebuild then reads every tool part's input
# once, so what a lazy strategy's memo keeps is in its GC); and the controls — the same rebuild with
# the GC disabled and after `gc.freeze()` — beside it. Seed (CPython 3.11.7, 50k infos): ~65 % GC
# for most strategies, 85–90 % of it in generation 2. Every figure is the median over the processes
# that measured it; error bars are the 95 % interval of the mean over them.

# %% tags=["parameters"]
run_dir = "results/latest"

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from harness.analysis.display import interval_note, interval_table, locate_run, measurements, note, show_table
from harness.analysis.plots import INTERVAL_LABEL, bar_labeller, grouped_bars, interval_bars, interval_wide, save_figure
from harness.analysis.selection import largest_each, select, with_gc_mode
from harness.metrics import (
    GC_COLLECTIONS,
    GC_GENERATION_S,
    GC_MAX_PAUSE_S,
    GC_S,
    GENERATIONS,
    TRACKED_PER_MESSAGE,
    WALL_S,
)

BY = ("interpreter", "strategy")
run_path = locate_run(run_dir)
tidy, gcprobe = measurements(
    run_path, "gcprobe", "This run has no gcprobe measurements: GC share, pauses and controls are missing."
)
gcprobe = with_gc_mode(gcprobe)
label = bar_labeller(tidy)


def relabel(wide, errors, name):
    """A wide table and its per-column error bars with the columns renamed by ``name``."""
    return wide.rename(columns=name), {name(column): bars for column, bars in errors.items()}


# %% [markdown]
# ### GC share of wall time
# Per process, each generation's GC seconds over the wall time; the bars stack the generations'
# medians over processes (scaled so that they add up to the median GC share) on the mutator's share.
# The error bar, at the border between mutator and GC, is the GC share's 95 % interval over processes.

# %%
for workload in ("hydrate_all", "run_loop"):
    rows = gcprobe[(gcprobe["workload"] == workload) & (gcprobe["gc_mode"] == "enabled")]
    if rows.empty:
        if not gcprobe.empty:
            note(f"No GC-enabled gcprobe measurement of {workload} in this run.")
        continue
    rows = largest_each(rows, BY)
    per_process = rows.pivot_table(index=[*BY, "job"], columns="metric", values="value", aggfunc="median")
    if WALL_S.name not in per_process.columns:
        note(f"The {workload} gcprobe rows carry no wall time.")
        continue
    generations = [g for g in GENERATIONS if GC_GENERATION_S[g].name in per_process.columns]
    wall = per_process[WALL_S.name]
    if generations:
        gc_total = per_process[[GC_GENERATION_S[g].name for g in generations]].sum(axis=1)
    else:
        gc_total = per_process.get(GC_S.name, 0 * wall)
    shares = (gc_total / wall * 100).rename("value").reset_index()
    total, yerr = interval_bars(shares, BY, sort=True)
    order = total.index
    parts = {"mutator (not GC)": (100 - total).clip(lower=0)}
    if generations:
        split = pd.DataFrame({g: per_process[GC_GENERATION_S[g].name] / wall * 100 for g in generations})
        split = split.groupby(list(BY)).median().reindex(order)
        summed = split.sum(axis=1)
        for g in generations:
            parts[f"GC gen {g}"] = (split[g] * total / summed).where(summed > 0, 0.0)
    fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(order) + 2), 4))
    x = np.arange(len(order))
    bottom = np.zeros(len(order))
    colors = ["#cfd8dc", "#ffcc80", "#ff9800", "#d84315"]
    for (name, values), color in zip(parts.items(), colors):
        values = values.reindex(order).fillna(0).to_numpy()
        ax.bar(x, values, bottom=bottom, label=name, color=color)
        bottom += values
    border = parts["mutator (not GC)"].to_numpy()
    ax.errorbar(x, border, yerr=yerr[::-1], fmt="none", ecolor="black", capsize=4)  # share up = border down
    for i, share in enumerate(total.to_numpy()):
        ax.text(i, 101, f"{share:.0f}%", ha="center", va="bottom", fontsize="small")
    ax.set_xticks(x)
    ax.set_xticklabels([label(*key) for key in order], rotation=30, ha="right")
    ax.set_ylim(0, 112)
    ax.set_ylabel(f"share of wall time (%; {INTERVAL_LABEL})")
    size = rows["size"].dropna()
    ax.set_title(f"GC share of wall time, {workload}" + (f", {int(size.max()):,} messages" if len(size) else ""))
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    save_figure(fig, run_path, f"gc-share-{workload}")
    interval_note(shares, BY)
    table = interval_table(shares, BY, median="GC share (%)")
    medians = per_process.groupby(list(BY)).median()
    extra = [WALL_S.name, GC_S.name] + [GC_COLLECTIONS[g].name for g in generations]
    extra = [column for column in extra if column in medians.columns]
    table = table.merge(medians[extra].reset_index(), on=list(BY), how="left")
    show_table(table.set_index(list(BY)).reindex(order).reset_index())

# %% [markdown]
# ### Pauses
# The longest single collection per generation (GC enabled, rebuild).

# %%
PAUSES = {GC_MAX_PAUSE_S[g].name: f"generation {g}" for g in GENERATIONS}
pauses = gcprobe[(gcprobe["gc_mode"] == "enabled") & gcprobe["metric"].isin(list(PAUSES))]
if pauses.empty:
    note("No per-generation pause figures in this run.")
for workload, rows in pauses.groupby("workload", sort=True):
    rows = largest_each(rows, (*BY, "metric"))
    wide, errors = interval_wide(rows, BY, "metric", scale=1000)
    wide = wide.reindex(columns=sorted(wide.columns))
    wide, errors = relabel(wide, errors, PAUSES.get)
    fig, ax = grouped_bars(
        wide,
        f"max pause (ms; {INTERVAL_LABEL})",
        f"Longest GC pause per generation, {workload}",
        labels=[label(*key) for key in wide.index],
        errors=errors,
    )
    save_figure(fig, run_path, f"gc-pauses-{workload}")
    interval_note(rows, (*BY, "metric"))

# %% [markdown]
# ### Tracked objects per message
# GC-tracked objects each message leaves alive (gcprobe, and the census where present).

# %%
tracked = select(tidy, metric=TRACKED_PER_MESSAGE.name)
if tracked.empty:
    note("No tracked-objects figure in this run.")
else:
    tracked = with_gc_mode(tracked)
    tracked = tracked[(tracked["measurer"] != "gcprobe") | (tracked["gc_mode"] == "enabled")]
    tracked = tracked.assign(source=tracked["measurer"] + " " + tracked["dataset"].astype(str))
    tracked = largest_each(tracked, (*BY, "source"))
    wide, errors = interval_wide(tracked, BY, "source")
    fig, ax = grouped_bars(
        wide,
        f"tracked objects per message ({INTERVAL_LABEL})",
        "Tracked objects per message",
        labels=[label(*key) for key in wide.index],
        errors=errors,
    )
    save_figure(fig, run_path, "gc-tracked")
    interval_note(tracked, (*BY, "source"))

# %% [markdown]
# ### Controls: GC disabled and `gc.freeze()`
# Wall time of the same rebuild with the GC enabled, disabled, and after `gc.freeze()`.

# %%
walls = gcprobe[(gcprobe["metric"] == WALL_S.name) & (gcprobe["workload"] == "hydrate_all")]
if walls.empty or walls["gc_mode"].nunique() < 2:
    note("This run has no GC control (disabled / freeze) beside a GC-enabled rebuild.")
else:
    walls = largest_each(walls, (*BY, "gc_mode"))
    wide, errors = interval_wide(walls, BY, "gc_mode")
    wide = wide.reindex(columns=[m for m in ("enabled", "disabled", "freeze") if m in wide.columns])
    shown, shown_errors = relabel(wide, errors, lambda mode: f"GC {mode}")
    fig, ax = grouped_bars(
        shown,
        f"wall time (s; {INTERVAL_LABEL})",
        "Rebuild wall time: GC enabled vs controls",
        labels=[label(*key) for key in wide.index],
        errors=shown_errors,
    )
    save_figure(fig, run_path, "gc-controls")
    interval_note(walls, (*BY, "gc_mode"))
    show_table(shown.rename(columns=lambda column: f"{column} (s)").rename_axis(columns=None).reset_index())
    missing = [m for m in ("disabled", "freeze") if m not in wide.columns]
    if missing:
        note(f"Control(s) not in this run: {', '.join(missing)}.")
