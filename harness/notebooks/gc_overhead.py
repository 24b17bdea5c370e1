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
# Share of wall time the cyclic GC took while each strategy rebuilt every message (`hydrate_all`,
# GC enabled), split per generation; the maximum pause per generation; how many GC-tracked objects
# each strategy leaves per message; and the controls — the same rebuild with the GC disabled and
# after `gc.freeze()` — beside it. Seed (CPython 3.11.7, 50k infos): ~65 % GC for most strategies,
# 85–90 % of it in generation 2.

# %% tags=["parameters"]
run_dir = "results/latest"

# %%
import matplotlib.pyplot as plt
import numpy as np

from harness.display import bar_labeller, grouped_bars, locate_run, measurements, note, save_figure, show_table
from harness.findings import select, with_gc_mode

run_dir = locate_run(run_dir)
tidy, gcprobe = measurements(
    run_dir, "gcprobe", "This run has no gcprobe measurements: GC share, pauses and controls are missing."
)
gcprobe = with_gc_mode(gcprobe)
label = bar_labeller(tidy)

# %%
for workload in ("hydrate_all", "run_loop"):
    rows = gcprobe[(gcprobe["workload"] == workload) & (gcprobe["gc_mode"] == "enabled")]
    if rows.empty:
        if not gcprobe.empty:
            note(f"No GC-enabled gcprobe measurement of {workload} in this run.")
        continue
    wide = rows.pivot_table(index=["interpreter", "strategy"], columns="metric", values="value", aggfunc="median")
    if "wall_s" not in wide.columns:
        note(f"The {workload} gcprobe rows carry no wall time.")
        continue
    generations = [g for g in range(3) if f"gc{g}_s" in wide.columns]
    wall = wide["wall_s"]
    gc_total = wide[[f"gc{g}_s" for g in generations]].sum(axis=1) if generations else wide.get("gc_s", 0 * wall)
    parts = {"mutator (not GC)": (wall - gc_total).clip(lower=0) / wall * 100}
    for g in generations:
        parts[f"GC gen {g}"] = wide[f"gc{g}_s"] / wall * 100
    order = (gc_total / wall).sort_values().index
    fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(order) + 2), 4))
    x = np.arange(len(order))
    bottom = np.zeros(len(order))
    colors = ["#cfd8dc", "#ffcc80", "#ff9800", "#d84315"]
    for (name, values), color in zip(parts.items(), colors):
        values = values.reindex(order).fillna(0).to_numpy()
        ax.bar(x, values, bottom=bottom, label=name, color=color)
        bottom += values
    for i, key in enumerate(order):
        ax.text(i, 101, f"{gc_total[key] / wall[key]:.0%}", ha="center", va="bottom", fontsize="small")
    ax.set_xticks(x)
    ax.set_xticklabels([label(*key) for key in order], rotation=30, ha="right")
    ax.set_ylim(0, 112)
    ax.set_ylabel("share of wall time (%)")
    size = rows["size"].dropna()
    ax.set_title(f"GC share of wall time, {workload}" + (f", {int(size.max()):,} messages" if len(size) else ""))
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    save_figure(fig, run_dir, f"gc-share-{workload}")
    shown = (
        wide[
            [
                c
                for c in ["wall_s", "gc_s", "gc_share"] + [f"gc{g}_collections" for g in generations]
                if c in wide.columns
            ]
        ]
        .reindex(order)
        .reset_index()
    )
    show_table(shown)

# %% [markdown]
# ### Pauses
# The longest single collection per generation (GC enabled, rebuild).

# %%
pauses = gcprobe[(gcprobe["gc_mode"] == "enabled") & gcprobe["metric"].str.match(r"gc\d_max_pause_s")]
if pauses.empty:
    note("No per-generation pause figures in this run.")
for workload, rows in pauses.groupby("workload", sort=True):
    wide = rows.pivot_table(index=["interpreter", "strategy"], columns="metric", values="value", aggfunc="median")
    wide = wide.reindex(columns=sorted(wide.columns)) * 1000
    fig, ax = grouped_bars(
        wide.rename(columns=lambda metric: f"generation {metric[2]}"),
        "max pause (ms)",
        f"Longest GC pause per generation, {workload}",
        labels=[label(*key) for key in wide.index],
    )
    save_figure(fig, run_dir, f"gc-pauses-{workload}")

# %% [markdown]
# ### Tracked objects per message
# GC-tracked objects each message leaves alive (gcprobe, and the census where present).

# %%
tracked = select(tidy, metric="tracked_per_message")
if tracked.empty:
    note("No tracked-objects figure in this run.")
else:
    tracked = with_gc_mode(tracked)
    tracked = tracked[(tracked["measurer"] != "gcprobe") | (tracked["gc_mode"] == "enabled")]
    tracked = tracked.assign(source=tracked["measurer"] + " " + tracked["dataset"].astype(str))
    wide = tracked.pivot_table(index=["interpreter", "strategy"], columns="source", values="value", aggfunc="median")
    fig, ax = grouped_bars(
        wide,
        "GC-tracked objects per message",
        "Tracked objects per message",
        labels=[label(*key) for key in wide.index],
    )
    save_figure(fig, run_dir, "gc-tracked")

# %% [markdown]
# ### Controls: GC disabled and `gc.freeze()`
# Wall time of the same rebuild with the GC enabled, disabled, and after `gc.freeze()`.

# %%
walls = gcprobe[(gcprobe["metric"] == "wall_s") & (gcprobe["workload"] == "hydrate_all")]
if walls.empty or walls["gc_mode"].nunique() < 2:
    note("This run has no GC control (disabled / freeze) beside a GC-enabled rebuild.")
else:
    wide = walls.pivot_table(index=["interpreter", "strategy"], columns="gc_mode", values="value", aggfunc="median")
    wide = wide.reindex(columns=[m for m in ("enabled", "disabled", "freeze") if m in wide.columns])
    fig, ax = grouped_bars(
        wide.rename(columns=lambda mode: f"GC {mode}"),
        "wall time (s)",
        "Rebuild wall time: GC enabled vs controls",
        labels=[label(*key) for key in wide.index],
    )
    save_figure(fig, run_dir, "gc-controls")
    show_table(wide.reset_index())
    missing = [m for m in ("disabled", "freeze") if m not in wide.columns]
    if missing:
        note(f"Control(s) not in this run: {', '.join(missing)}.")
