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
# ## Over time
# The run's headline figures across the complete runs of its results root measured in the same
# environment (per interpreter: the same fingerprint), in the order of the commits they measured
# (their committer dates; a run whose commit date is unknown stands at its start time). Each point
# is a run's median; a red ring marks a step that `harness compare` calls changed against the
# previous run (enough samples, pyperf's t-test and the threshold for timings, any difference for
# census counts). `harness history` prints the same as tables; `harness bisect-range A B` makes a
# run for every commit of a range.

# %% tags=["parameters"]
run_dir = "results/latest"

# %%
import pandas as pd

from harness.analysis.display import locate_run, note, show_table
from harness.analysis.history import chooser, draw, history, load_runs, run_directories
from harness.analysis.plots import save_figure
from harness.runs import results

run_path = locate_run(run_dir)
own = {
    (tag, str(environment.get("fingerprint")))
    for tag, environment in results.load_manifest(run_path)["interpreters"].items()
}
runs, _skipped = load_runs(run_directories([run_path.parent]), repository=run_path.parent)
sharing = [
    run
    for run in runs
    if own & {(tag, str(env.get("fingerprint"))) for tag, env in run.manifest["interpreters"].items()}
]
found = [
    group for group in history(sharing, chooser()) if (group.tag, group.fingerprint) in own and len(group.runs) >= 2
]

# %%
if not found:
    note(
        f"No history yet: {len(sharing)} complete run(s) of {run_path.parent.name}/ share this run's environment; "
        "the plots need two or more (another harness bench, or harness bisect-range A B)."
    )
else:
    save_figure(draw(found), run_path, "history")
    measured = {id(run): run for group in found for run in group.runs}
    show_table(
        pd.DataFrame(
            [
                {
                    "commit": run.short_commit,
                    "date": run.date.isoformat(timespec="minutes")
                    + ("" if run.dated_by == "commit" else " (run start)"),
                    "dirty": run.dirty_text,
                    "run": run.directory.name,
                }
                for run in sorted(measured.values(), key=lambda run: (run.date, run.started))
            ]
        )
    )
