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
# absolute level across runtimes.

# %% tags=["parameters"]
run_dir = "results/latest"

# %%
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter, NullFormatter

from harness.display import locate_run, measurements, note, save_figure, show_table
from harness.runtimes import read_site, steepest_steps

run_dir = locate_run(run_dir)
tidy, timing = measurements(run_dir, "timing", "This run has no timing measurements: read_site is missing.")
wide = read_site(tidy)

# %%
if wide.empty:
    note("No read_site timing in this run (the quick and full plans sweep it).")
else:
    styles = {"dict": "-", "plain object": "-", "instance dict": "--", "__slots__ class": ":"}
    fig, ax = plt.subplots(figsize=(10, 5.5))
    for line in wide.columns:
        series = wide[line].dropna()
        style = styles.get(line.rsplit(" · ", 1)[-1], "-")
        ax.plot(series.index, series.to_numpy(), marker="o", linestyle=style, label=line)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(list(wide.index), [str(shapes) for shapes in wide.index])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("distinct shapes seen by the read site")
    ax.set_ylabel("ns per read (median, loop included)")
    ax.set_title("Read-site polymorphism per runtime and object kind")
    ax.legend(fontsize="small", ncol=2)
    ax.grid(True, which="both", alpha=0.3)
    save_figure(fig, run_dir, "read-site-polymorphism")
    show_table(steepest_steps(wide), floatfmt="{:,.2f}")
    show_table(wide.reset_index().rename(columns={"size": "shapes"}), floatfmt="{:,.2f}")
