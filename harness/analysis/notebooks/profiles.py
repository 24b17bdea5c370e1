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
# ## Line profiles (scalene)
# Where the hot paths spend their time, line by line: scalene over the measured calls only (not the
# loading), for hydration and for the access loop. Each line's CPU share is split into time in
# Python bytecode, in native code (C: the JSON scanner, msgspec, dict building) and in the system,
# with the memory it copies (memcpy volume, MB/s) and allocates. Percentages are of one profile's CPU
# time; compare lines within a profile, and use the timing section for time across strategies.

# %% tags=["parameters"]
run_dir = "results/latest"

# %%
from pathlib import Path

import pandas as pd

from harness.analysis.display import interval_note, locate_run, measurements, note, show_table, skipped_notes
from harness.analysis.line_profiles import LINE_COLUMNS, short_path
from harness.analysis.plots import INTERVAL_LABEL, bar_labeller, grouped_bars, interval_wide, save_figure
from harness.analysis.selection import largest_each
from harness.metrics import CPU_PERCENT
from harness.runs import results

run_path = locate_run(run_dir)
tidy, profiles = measurements(
    run_path, "scalene", "This run has no scalene profiles (the full plan runs them where scalene is installed)."
)
label = bar_labeller(tidy)

# %%
skipped_notes(run_path, "scalene", "scalene jobs")

SPLIT = {
    CPU_PERCENT[where].name: label
    for where, label in (("python", "Python"), ("native", "native"), ("system", "system"))
}
for workload, rows in profiles[profiles["metric"].isin(list(SPLIT))].groupby("workload", sort=True):
    rows = largest_each(rows, ("interpreter", "strategy", "metric"))
    wide, errors = interval_wide(rows, ("interpreter", "strategy"), "metric")
    wide = wide.reindex(columns=[metric for metric in SPLIT if metric in wide.columns]).rename(columns=SPLIT)
    fig, ax = grouped_bars(
        wide,
        f"share of the profile's CPU time (%; {INTERVAL_LABEL})",
        f"{workload}: CPU time in Python, native code and the system (scalene)",
        labels=[label(*key) for key in wide.index],
        errors={SPLIT[metric]: bars for metric, bars in errors.items() if metric in SPLIT},
    )
    save_figure(fig, run_path, f"scalene-split-{workload}")
    interval_note(rows, ("interpreter", "strategy", "metric"))

# %% [markdown]
# ### The hottest lines of each profile
# Files are shown relative to the harness or the standard library; `_kernel.py[...]` is a strategy's
# generated access loop.


# %%
shown = 0
for result in results.job_results(Path(run_path)):
    job = result.get("job", {})
    lines = (result.get("extra") or {}).get("top_lines") or []
    if job.get("measurer") != "scalene" or result.get("status") != "ok" or not lines:
        continue
    table = pd.DataFrame(lines)
    table["file"] = table["file"].astype(str).map(short_path)
    shown_columns = [column for column in LINE_COLUMNS if column in table.columns]
    table = table.reindex(columns=shown_columns).rename(columns=LINE_COLUMNS)
    version = result["extra"].get("scalene", "?")
    note(f"{job.get('workload')} · {job.get('strategy')} · size {job.get('size')} (scalene {version})")
    show_table(table)
    shown += 1
if not shown and not profiles.empty:
    note("The scalene jobs of this run recorded no profiled lines.")
