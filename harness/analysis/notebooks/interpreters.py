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
from harness.analysis.display import interval_note, load_frame, locate_run, note, show_table
from harness.analysis.plots import INTERVAL_LABEL, grouped_bars, interval_wide, save_figure, setup_plots
from harness.analysis.selection import largest_each, select
from harness.analysis.summary import HEADLINES

run_path = locate_run(run_dir)
setup_plots()
tidy = load_frame(run_path)
interpreters = sorted(tidy["interpreter"].dropna().astype(str).unique())
if len(interpreters) < 2:
    note(
        f"This run has {len(interpreters)} interpreter ({', '.join(interpreters) or 'none'}); a comparison "
        "across interpreters needs a run with several (harness bench --python 3.11,3.13,pypy3)."
    )

# %% [markdown]
# Each bar is the median over the processes that measured the figure, its error bar the 95 % interval
# of the mean over them.

# %%
if len(interpreters) >= 2:
    shown = 0
    for title, headline in HEADLINES.items():
        metric = headline.metric
        rows = select(
            tidy, headline.measurer, headline.workload, metric.name, origin=headline.origin, mode=headline.mode
        )
        if rows["interpreter"].nunique() < 2:
            continue
        rows = largest_each(rows, ("strategy", "interpreter"))
        wide, errors = interval_wide(rows, ("strategy",), "interpreter")
        fig, ax = grouped_bars(
            wide,
            f"{metric.name.replace('_', ' ')} ({metric.unit}; {INTERVAL_LABEL})",
            f"{title} across interpreters",
            per_group=1.0,
            errors=errors,
        )
        save_figure(fig, run_path, f"interpreters-{metric.name}-{headline.workload}")
        interval_note(rows, ("strategy", "interpreter"))
        show_table(wide.rename_axis(columns=None).reset_index())
        shown += 1
    if not shown:
        note("No headline figure was measured on more than one interpreter in this run.")
