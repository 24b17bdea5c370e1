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
# ## Instruction counts (callgrind)
# The instructions each strategy's calls execute, per read / row / message, counted by valgrind's
# callgrind in one process (`harness bench --counter instructions`), beside the wall-clock median of
# the same figure. A count does not drift with the machine's load: two runs of one build give the
# same figure, and `harness compare` calls a count changed beyond 0.5 %. It misses what wall time
# holds — cache misses, branch mispredictions, page faults, I/O, the cost of each instruction — so
# a strategy with fewer instructions is not always the faster one: read the two columns together.

# %% tags=["parameters"]
run_dir = "results/latest"

# %%

import pandas as pd

from harness.analysis.display import locate_run, measurements, note, show_table, skipped_notes
from harness.analysis.selection import largest_each, medians
from harness.metrics import INSTRUCTIONS_PER, NS_PER

run_path = locate_run(run_dir)
tidy, counts = measurements(
    run_path, "instructions", "No instruction counts in this run (harness bench --counter instructions)."
)
skipped_notes(run_path, "instructions", "instruction counts")

# %%
BY = ("interpreter", "strategy", "dataset", "size")
for unit, metric in INSTRUCTIONS_PER.items():
    for workload, rows in counts[counts["metric"] == metric.name].groupby("workload", sort=True):
        rows = largest_each(rows, ("interpreter", "strategy", "dataset"))
        counted = medians(rows, BY)
        timed = medians(
            tidy[
                (tidy["measurer"] == "timing") & (tidy["workload"] == workload) & (tidy["metric"] == NS_PER[unit].name)
            ],
            BY,
        )
        fewest = min(counted.values())
        table = [
            {
                "interpreter": key[0],
                "strategy": key[1],
                "dataset": key[2],
                "size": key[3],
                f"instructions per {unit}": value,
                "× fewest": value / fewest if fewest else float("nan"),
                f"wall-clock ns per {unit} (median)": timed.get(key, float("nan")),
            }
            for key, value in sorted(counted.items(), key=lambda item: (item[0][0], item[1]))
        ]
        note(f"{workload}: instructions per {unit} (callgrind), fewest first, beside the timing median.")
        show_table(pd.DataFrame(table))
