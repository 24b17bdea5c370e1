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
import numpy as np

from harness.analysis.display import locate_run, measurements, note, show_table
from harness.analysis.findings import SEED_MESSAGES, SEED_SHAPES
from harness.analysis.plots import grouped_bars, save_figure
from harness.analysis.selection import select
from harness.metrics import COMPACT_LAYOUT_SHARE, KEY_ORDERS, KEY_SETS

run_path = locate_run(run_dir)
tidy, census = measurements(run_path, "census", "This run has no census measurements: shape counts are missing.")
SHAPE_METRICS = [family[role].name for role in ("info", "part") for family in (KEY_SETS, KEY_ORDERS)]
#: The seed's JavaScriptCore key-set figures, shown beside the reference data's own.
SEED = {
    f"seed JSC {name}": {KEY_SETS[role].name: SEED_SHAPES[role][index] for role in ("info", "part")}
    for index, name in enumerate(("spread", "fixed"))
}

# %%
shapes = census[census["metric"].isin(SHAPE_METRICS)]
if not census.empty and shapes.empty:
    note("The census rows of this run carry no key-set / key-order counts.")
for dataset, rows in shapes.groupby("dataset", sort=True):
    table = rows.pivot_table(index="strategy", columns="metric", values="value", aggfunc="median")
    table = table.reindex(columns=[m for m in SHAPE_METRICS if m in table.columns])
    size = rows["size"].dropna()
    messages = f"{int(size.max()):,} messages" if len(size) else "? messages"
    shown = table.copy()
    reference = set(rows["origin"].astype("string").fillna("")) == {"reference"}  # the seed's own kind of data
    if reference:
        for name, values in SEED.items():
            shown.loc[name] = [values.get(metric, np.nan) for metric in shown.columns]
    fig, ax = grouped_bars(
        shown.rename(columns=lambda metric: metric.replace("_", " ")),
        "distinct shapes (count)",
        f"Shapes per strategy, {dataset} ({messages})",
        hatch=lambda name: "//" if name in SEED else None,
        per_group=1.1,
    )
    save_figure(fig, run_path, f"shapes-{dataset}")
    show_table(shown.rename_axis(columns=None).reset_index())
    if reference:
        note(
            f"Hatched bars are the seed's JavaScriptCore key-set figures ({SEED_MESSAGES:,} messages); "
            f"this dataset has {messages}."
        )

# %% [markdown]
# ### CPython compact layout
# Share of objects with an instance `__dict__` that kept CPython's shared-key / inline-values layout
# (1 = every instance compact). Strategies whose objects have no instance dict (dicts, slots,
# Structs) have no figure.

# %%
layout = select(tidy, "census", metric=COMPACT_LAYOUT_SHARE.name)
if layout.empty:
    note("No compact-layout figure in this run (no CPython strategy with instance dicts was censused).")
else:
    table = layout.pivot_table(index="strategy", columns="interpreter", values="value", aggfunc="median")
    fig, ax = grouped_bars(
        table * 100,
        "compact instances (%)",
        "CPython key-sharing / inline values per strategy",
        per_group=1.2,
        min_width=5,
        height=3.5,
    )
    ax.set_ylim(0, 105)
    save_figure(fig, run_path, "compact-layout")
    show_table(table.reset_index(), show=COMPACT_LAYOUT_SHARE.show)
