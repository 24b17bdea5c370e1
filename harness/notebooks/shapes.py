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
# ## Shapes
# How many distinct object shapes each strategy produces: distinct key *sets* and distinct ordered
# key tuples (*key orders*), for message infos and parts, beside the seed's JavaScriptCore figures
# (opencode PR #29029, 5,000 reference messages: info 47 → 2, part 16 → 5, spread → fixed). In
# CPython a dict has no hidden class, so these counts only matter where the objects are instances
# (key-sharing) or on PyPy (maps); the second figure shows whether CPython kept instances compact.

# %% tags=["parameters"]
run_dir = "results/latest"

# %%
import matplotlib.pyplot as plt
import numpy as np

from harness.display import load_frame, note, save_figure, setup_plots, show_table
from harness.findings import SEED_SHAPES, select

setup_plots()
tidy = load_frame(run_dir)
census = select(tidy, "census")
SHAPE_METRICS = ["info_key_sets", "info_key_orders", "part_key_sets", "part_key_orders"]
if census.empty:
    note("This run has no census measurements: shape counts are missing.")

# %%
shapes = census[census["metric"].isin(SHAPE_METRICS)]
if not census.empty and shapes.empty:
    note("The census rows of this run carry no key-set / key-order counts.")
for dataset, rows in shapes.groupby("dataset", sort=True):
    table = rows.pivot_table(index="strategy", columns="metric", values="value", aggfunc="median")
    table = table.reindex(columns=[m for m in SHAPE_METRICS if m in table.columns])
    size = rows["size"].dropna()
    messages = f"{int(size.max()):,} messages" if len(size) else "? messages"
    seed = {
        "seed JSC spread": {"info_key_sets": SEED_SHAPES["info"][0], "part_key_sets": SEED_SHAPES["part"][0]},
        "seed JSC fixed": {"info_key_sets": SEED_SHAPES["info"][1], "part_key_sets": SEED_SHAPES["part"][1]},
    }
    shown = table.copy()
    if str(dataset).startswith("reference"):
        for name, values in seed.items():
            shown.loc[name] = [values.get(metric, np.nan) for metric in shown.columns]
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(shown) + 2), 4))
    width = 0.8 / max(1, len(shown.columns))
    x = np.arange(len(shown))
    for i, metric in enumerate(shown.columns):
        bars = ax.bar(x + i * width, shown[metric].fillna(0), width, label=metric.replace("_", " "))
        for j, name in enumerate(shown.index):
            if str(name).startswith("seed JSC"):
                bars[j].set_hatch("//")
    ax.set_xticks(x + width * (len(shown.columns) - 1) / 2)
    ax.set_xticklabels([str(name) for name in shown.index], rotation=30, ha="right")
    ax.set_ylabel("distinct shapes (count)")
    ax.set_title(f"Shapes per strategy, {dataset} ({messages})")
    ax.legend(fontsize="small")
    save_figure(fig, run_dir, f"shapes-{dataset}")
    show_table(shown.reset_index(), floatfmt="{:,.0f}")
    if str(dataset).startswith("reference"):
        note(
            f"Hatched bars are the seed's JavaScriptCore key-set figures (5,000 messages); this dataset has {messages}."
        )

# %% [markdown]
# ### CPython compact layout
# Share of objects with an instance `__dict__` that kept CPython's shared-key / inline-values layout
# (1 = every instance compact). Strategies whose objects have no instance dict (dicts, slots,
# Structs) have no figure.

# %%
layout = select(tidy, "census", metric="compact_layout_share")
if layout.empty:
    note("No compact-layout figure in this run (no CPython strategy with instance dicts was censused).")
else:
    table = layout.pivot_table(index="strategy", columns="interpreter", values="value", aggfunc="median")
    fig, ax = plt.subplots(figsize=(max(5, 1.2 * len(table) + 2), 3.5))
    width = 0.8 / max(1, len(table.columns))
    x = np.arange(len(table))
    for i, interpreter in enumerate(table.columns):
        ax.bar(x + i * width, table[interpreter].fillna(0) * 100, width, label=str(interpreter))
    ax.set_xticks(x + width * (len(table.columns) - 1) / 2)
    ax.set_xticklabels([str(name) for name in table.index], rotation=30, ha="right")
    ax.set_ylim(0, 105)
    ax.set_ylabel("compact instances (%)")
    ax.set_title("CPython key-sharing / inline values per strategy")
    ax.legend(fontsize="small")
    save_figure(fig, run_dir, "compact-layout")
    show_table((table * 100).reset_index(), floatfmt="{:.1f}%")
