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
# ## Across interpreters
# The headline figures side by side for every interpreter of the run (CPython versions, PyPy).

# %% tags=["parameters"]
run_dir = "results/latest"

# %%
import matplotlib.pyplot as plt
import numpy as np

from harness.display import load_frame, note, save_figure, setup_plots, show_table
from harness.findings import select
from harness.summary import HEADLINES

setup_plots()
tidy = load_frame(run_dir)
interpreters = sorted(tidy["interpreter"].dropna().astype(str).unique())
if len(interpreters) < 2:
    note(
        f"This run has {len(interpreters)} interpreter ({', '.join(interpreters) or 'none'}); a comparison "
        "across interpreters needs a run with several (harness bench --python 3.11,3.13,pypy3)."
    )

# %%
if len(interpreters) >= 2:
    shown = 0
    for title, (measurer, workload, metric, dataset, mode) in HEADLINES.items():
        rows = select(tidy, measurer, workload, metric, dataset=dataset, mode=mode)
        if rows["interpreter"].nunique() < 2:
            continue
        wide = rows.pivot_table(index="strategy", columns="interpreter", values="value", aggfunc="median")
        fig, ax = plt.subplots(figsize=(max(6, 1.0 * len(wide) + 2), 4))
        width = 0.8 / len(wide.columns)
        x = np.arange(len(wide))
        for i, interpreter in enumerate(wide.columns):
            ax.bar(x + i * width, wide[interpreter].fillna(0), width, label=str(interpreter))
        ax.set_xticks(x + width * (len(wide.columns) - 1) / 2)
        ax.set_xticklabels([str(name) for name in wide.index], rotation=30, ha="right")
        unit = rows["unit"].dropna().astype(str).iloc[0] if rows["unit"].notna().any() else ""
        ax.set_ylabel(f"{metric.replace('_', ' ')} ({unit})")
        ax.set_title(f"{title} across interpreters")
        ax.legend(fontsize="small")
        save_figure(fig, run_dir, f"interpreters-{metric}-{workload}")
        show_table(wide.reset_index())
        shown += 1
    if not shown:
        note("No headline figure was measured on more than one interpreter in this run.")
