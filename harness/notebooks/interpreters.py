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
from harness.display import grouped_bars, load_frame, locate_run, note, save_figure, setup_plots, show_table
from harness.findings import select
from harness.summary import HEADLINES

run_dir = locate_run(run_dir)
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
        unit = rows["unit"].dropna().astype(str).iloc[0] if rows["unit"].notna().any() else ""
        fig, ax = grouped_bars(
            wide, f"{metric.replace('_', ' ')} ({unit})", f"{title} across interpreters", per_group=1.0
        )
        save_figure(fig, run_dir, f"interpreters-{metric}-{workload}")
        show_table(wide.reset_index())
        shown += 1
    if not shown:
        note("No headline figure was measured on more than one interpreter in this run.")
