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
# ## Memory
# Peak memory while each strategy rebuilds the messages (memray, one plain process per job), per run
# and per message, with links to the memray flamegraphs where the run kept them. Each bar is the median
# over the processes that measured the figure, its error bar the 95 % interval of the mean over them.

# %% tags=["parameters"]
run_dir = "results/latest"

# %%
from pathlib import Path

from IPython.display import HTML, display

from harness.analysis.display import esc, interval_note, link, locate_run, measurements, note, show_table
from harness.analysis.plots import INTERVAL_LABEL, bar_labeller, grouped_bars, interval_bars, save_figure
from harness.analysis.selection import largest_each
from harness.metrics import PEAK_BYTES, PEAK_BYTES_PER_MESSAGE
from harness.runs import results

run_path = locate_run(run_dir)
tidy, memory = measurements(
    run_path, "memory", "This run has no memory measurements (memray): peak memory and flamegraphs are missing."
)
label = bar_labeller(tidy)
BY = ("interpreter", "strategy")

# %%
FIGURES = (
    (PEAK_BYTES_PER_MESSAGE.name, "peak bytes per message", 1, "B"),
    (PEAK_BYTES.name, "peak memory of the rebuild", 2**20, "MiB"),
)
for metric, title, scale, unit in FIGURES:
    rows = memory[memory["metric"] == metric]
    if rows.empty:
        if not memory.empty:
            note(f"No {metric} figure in this run.")
        continue
    rows = largest_each(rows, BY)
    values, yerr = interval_bars(rows, BY, scale=1 / scale, sort=True)
    size = rows["size"].dropna()
    fig, ax = grouped_bars(
        values.to_frame(),
        f"{title} ({unit}; {INTERVAL_LABEL})",
        f"Memory: {title}" + (f", {int(size.max()):,} messages" if len(size) else ""),
        labels=[label(*key) for key in values.index],
        legend=False,
        color="#5c6bc0",
        yerr=yerr,
        capsize=4,
    )
    save_figure(fig, run_path, f"memory-{metric}")
    interval_note(rows, BY)

if not memory.empty:
    wide = largest_each(memory, (*BY, "metric")).pivot_table(
        index=list(BY), columns="metric", values="value", aggfunc="median"
    )
    note("Medians over processes:")
    show_table(wide.rename_axis(columns=None).reset_index())

# %% [markdown]
# ### Flamegraphs
# memray flamegraphs (self-contained HTML files in the run directory), one per memory job: the one the
# measurer rendered, or one rendered afterwards from the job's capture `memory/<job>.bin`, named
# `memory/<job>.flamegraph.html` (`python -m memray flamegraph -o memory/<job>.flamegraph.html
# memory/<job>.bin`) or as memray names it by default (`memory/memray-flamegraph-<job>.html`).


# %%
def flamegraph_names(extra: dict, job_id: str) -> list:
    """The names a memory job's flamegraph may have: the one its result records, then those rendered
    from its capture (``<capture stem>.flamegraph.html``, memray's ``memray-flamegraph-<capture stem>.html``)."""
    stem = Path(str(extra.get("capture") or f"{job_id}.bin")).stem
    names = [Path(str(extra["flamegraph"])).name] if extra.get("flamegraph") else []
    return list(dict.fromkeys([*names, f"{stem}.flamegraph.html", f"memray-flamegraph-{stem}.html"]))


run = Path(run_path).resolve()
found = []
for result in results.job_results(run):
    job = result.get("job", {})
    if job.get("measurer") != "memory" or result.get("status") != "ok":
        continue
    names = flamegraph_names(result.get("extra") or {}, str(job.get("id", "")))
    candidates = (run / folder / name for name in names for folder in ("memory", "jobs"))
    for candidate in candidates:
        try:
            inside = candidate.resolve().is_relative_to(run) and candidate.is_file()
        except (OSError, ValueError):
            inside = False
        if inside:
            found.append((str(job.get("strategy", "?")), candidate.resolve().relative_to(run).as_posix()))
            break
if found:
    items = "".join(f"<li>{esc(strategy)}: {link(path, path)}</li>" for strategy, path in sorted(found))
    display(HTML(f"<ul>{items}</ul>"))
else:
    note(
        "No memray flamegraph files in this run directory; in it, python -m memray flamegraph "
        "-o memory/<job>.flamegraph.html memory/<job>.bin renders one from a job's capture."
    )
