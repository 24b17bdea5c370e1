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
# ## Read-site polymorphism
# Time per read at one read site as a function of how many distinct shapes it meets (the
# `read_site` workload: 1, 2, 4, … 256 shapes, each job in a fresh process): dicts, instance dicts
# and `__slots__` classes on CPython and PyPy, plain objects on JavaScriptCore. The seed's
# "megamorphic" cliff is where a line jumps: CPython specialises an attribute read for one type
# (or one shared-key layout), PyPy's JIT guards on maps and classes, JSC's inline caches hold a few
# Structures each. One read includes its loop iteration; compare the shape of each line, not its
# absolute level across runtimes. Each point is the median over the processes that measured it, with
# the 95 % interval of the mean over them as error bars (the lines drawn a little apart at each
# shape count, so that their error bars do not hide each other).

# %% tags=["parameters"]
run_dir = "results/latest"

# %%
import matplotlib.pyplot as plt
from matplotlib.ticker import NullFormatter

from harness.analysis.display import interval_note, locate_run, measurements, note, show_table
from harness.analysis.plots import INTERVAL_LABEL, interval_bars, log_view, plain_log_axis, save_figure
from harness.analysis.runtimes import kind_label, read_site, steepest_steps
from harness.analysis.selection import select
from harness.metrics import NS_PER_READ

run_path = locate_run(run_dir)
tidy, timing = measurements(run_path, "timing", "This run has no timing measurements: read_site is missing.")
wide = read_site(tidy)
rows = select(tidy, "timing", "read_site", NS_PER_READ.name)
if not rows.empty:  # the lines of read_site: runtime · object kind, the kind from the implementation column
    kinds = [kind_label(kind, strategy) for kind, strategy in zip(rows["implementation"], rows["strategy"])]
    rows = rows.assign(line=rows["interpreter"].astype(str) + " · " + kinds, kind=kinds)

# %%
if wide.empty:
    note("No read_site timing in this run (the quick and full plans sweep it).")
else:
    styles = {"dict": "-", "plain object": "-", "instance dict": "--", "__slots__ class": ":"}
    fig, ax = plt.subplots(figsize=(10, 5.5))
    lines = rows.groupby(["line", "kind"], sort=True)
    for i, ((line, kind), own) in enumerate(lines):
        medians, yerr = interval_bars(own, ("size",))
        dodge = 2 ** (0.03 * (i - (lines.ngroups - 1) / 2))  # lines side by side, their error bars apart
        ax.errorbar(
            medians.index.to_numpy(dtype=float) * dodge,
            medians.to_numpy(),
            yerr=yerr,
            fmt="o",
            linestyle=styles.get(kind, "-"),
            capsize=3,
            label=line,
        )
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(list(wide.index), [str(shapes) for shapes in wide.index])
    ax.xaxis.set_minor_formatter(NullFormatter())
    plain_log_axis(ax, "y")
    log_view(ax, wide.to_numpy().ravel())
    ax.set_xlabel("distinct shapes seen by the read site")
    ax.set_ylabel(f"ns per read (loop included; {INTERVAL_LABEL})")
    ax.set_title("Read-site polymorphism per runtime and object kind")
    ax.legend(fontsize="small", ncol=2)
    ax.grid(True, which="both", alpha=0.3)
    save_figure(fig, run_path, "read-site-polymorphism")
    interval_note(rows, ("line", "size"))
    show_table(steepest_steps(wide))
    show_table(wide.rename_axis(columns=None).reset_index().rename(columns={"size": "shapes"}))
