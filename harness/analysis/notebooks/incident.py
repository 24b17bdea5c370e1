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
# ## The incident, replayed
# Does the replay of the opencode-serve process (`serve` on the GC probe: several sessions in flight,
# each re-reading its whole history every iteration, with what the server keeps alive between
# iterations) fall into the seed's GC death spiral, and where? The seed: GC took 35–78 % of the main
# thread's CPU, one core pegged at 99–115 %; the fix brought the CPU to ~13 %. One factor is moved at a
# time around a base configuration, every builder (spread: opencode before the fix; fixed: the fix;
# cached:fixed: the fix with its row cache) at every configuration, on JavaScriptCore (Bun) and
# CPython side by side. GC share: the collector's seconds over the iterations' seconds (the window);
# every figure is the median over the processes that measured it.

# %% tags=["parameters"]
run_dir = "results/latest"

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, display
from matplotlib.ticker import FuncFormatter

from harness.analysis.display import esc, interval_note, interval_table, locate_run, note, show_table
from harness.analysis.incident import (
    CONFIGURATION,
    HELD,
    LACKS,
    SEED_CPU_AFTER,
    SEED_CPU_BEFORE,
    SEED_HEAP,
    SPIRAL_GC_SHARE,
    configuration_order,
    describe,
    factor_effects,
    heap_comparison,
    infer_base,
    largest,
    serve_iterations,
    serve_jobs,
    spiral,
    strongest_factors,
    verdict,
    with_roles,
)
from harness.analysis.plots import INTERVAL_LABEL, grouped_bars, interval_bars, interval_wide, save_figure, setup_plots
from harness.metrics import CPU_UTILISATION, GC_SHARE, ITERATION_S, PEAK_RSS_BYTES
from harness.numbers import MISSING, count, gib, percent, plain_number, times
from harness.uncertainty import span

run_path = locate_run(run_dir)
setup_plots()
jobs = serve_jobs(run_path)
measured = jobs[jobs["gc_mode"] == "enabled"]
replayed = not measured.empty
if jobs.empty:
    note("This run has no serve results (gcprobe): the incident replay is missing.")
elif len(measured) < len(jobs):
    note(f"{len(jobs) - len(measured)} serve processes ran under a GC control (disabled, freeze): left out here.")
if replayed:
    base = infer_base(measured)
    jobs = with_roles(measured, base)
    iterations = with_roles(serve_iterations(run_path), base)
    iterations = iterations[iterations["job"].isin(jobs["job"])]
    # what the heap holds after an iteration: live Structures on JSC, GC-tracked objects on CPython
    iterations = iterations.assign(live=iterations["structures"].fillna(iterations["tracked_objects"]))
    runtimes = sorted(jobs["interpreter"].unique())
    colors = {name: f"C{place}" for place, name in enumerate(sorted(jobs["strategy"].unique()))}  # one per builder
    peaks = largest(jobs, base)


def points(value):
    """A share (0–1) as percent, or the missing mark."""
    return MISSING if value != value else percent(value * 100)


def signed(value):
    """A difference in percentage points with its sign, or the missing mark."""
    return MISSING if value != value else ("+" if value >= 0 else "−") + f"{abs(value):.1f}"


def ratio(value):
    """A ratio (``0.12×``), or the missing mark."""
    return MISSING if value != value else times(value)


# %% [markdown]
# ### The answer
# Configurations whose median GC share reaches the seed's lower bound (35 %), per runtime and builder,
# and what the fix and the row cache remove at each; or, where none does, the largest configuration
# measured, the highest GC share and the factor that came closest. Then what the replay still lacks.

# %%
if replayed:
    note(
        f"Base configuration (inferred: the one most others differ from in one factor): {describe(base)}. "
        + "; ".join(
            f"{name} held at {', '.join(plain_number(value) for value in sorted(jobs[name].unique()))}" for name in HELD
        )
        + "."
    )
    for sentence in verdict(jobs, base):
        note(sentence)
    hot = spiral(jobs, base)
    hot = hot[hot[f"against_{GC_SHARE.name}"].notna()]  # set against a builder measured there
    if not hot.empty:
        shown = pd.DataFrame(
            {
                "runtime": hot["interpreter"],
                "builder": hot["strategy"],
                "configuration": hot["configuration"],
                "GC share": hot[GC_SHARE.name].map(points),
                "against": hot["against"],
                "its GC share": hot[f"against_{GC_SHARE.name}"].map(points),
                "GC share removed (points)": hot["gc_share_removed_pp"].map(signed),
                "CPU": hot[CPU_UTILISATION.name].map(points),
                "its CPU": hot[f"against_{CPU_UTILISATION.name}"].map(points),
                "Structures ×": hot["structures_ratio"].map(ratio),
                "tracked objects ×": hot["tracked_objects_ratio"].map(ratio),
                "iteration time ×": hot[f"{ITERATION_S.name}_ratio"].map(ratio),
            }
        )
        show_table(shown)
        note(
            "×: the builder it is set against over the spiralling one (below 1: removed); CPU: process CPU "
            "seconds over the window's elapsed seconds (100 % = one core busy); a configuration is listed "
            "against each builder measured there."
        )
    display(
        HTML(
            "<p>What the replay still lacks against the seed's process:</p><ul>"
            + "".join(f"<li>{esc(item)}</li>" for item in LACKS)
            + "</ul>"
        )
    )

# %% [markdown]
# ### Per iteration over time
# Each measured iteration by round (the median over the processes of a builder), at the base and at
# the largest configuration measured (largest peak RSS), one panel per runtime: its GC seconds over
# its seconds (the spiral, or its absence), then what the heap holds after it — live Structures on
# JavaScriptCore (a walk of the heap), GC-tracked objects on CPython — and the resident set size.

# %%
if replayed:
    shown = {"base": {runtime: "base" for runtime in runtimes}}
    shown["largest"] = dict(zip(peaks["interpreter"], peaks["configuration"]))


def over_time(column, label, title, name, scale=1.0, bound=None):
    """One panel per shown configuration and runtime: ``column`` of the iterations by round, a line per builder."""
    shared = "row" if bound is not None else False  # a share compares across runtimes; counts do not
    fig, axes = plt.subplots(
        len(shown), len(runtimes), figsize=(5 * len(runtimes), 3.2 * len(shown)), squeeze=False, sharey=shared
    )
    for row, (which, configurations) in enumerate(shown.items()):
        for place, runtime in enumerate(runtimes):
            ax = axes[row][place]
            configuration = configurations.get(runtime)
            rows = iterations[(iterations["interpreter"] == runtime) & (iterations["configuration"] == configuration)]
            rows = rows.dropna(subset=[column])
            for strategy, lines in rows.groupby("strategy", sort=True):
                line = lines.groupby("round")[column].median() * scale
                ax.plot(line.index, line.to_numpy(), marker=".", label=strategy, color=colors[strategy])
            if bound is not None:
                ax.axhline(bound, color="#c62828", linestyle="--", linewidth=1)
            ax.set_title(f"{runtime}\n{which}: {configuration or MISSING}", fontsize="small")
            ax.set_xlabel("iteration round")
            ax.yaxis.set_major_formatter(FuncFormatter(plain_number))
            if place == 0:
                ax.set_ylabel(label)
            if not rows.empty:
                ax.legend(fontsize="x-small")
    fig.suptitle(title)
    save_figure(fig, run_path, name)


# %%
if replayed:
    over_time(
        "gc_iteration_share",
        "GC share of the iteration (%)",
        "GC share per iteration over time (dashed: the seed's 35 %)",
        "incident-gc-over-time",
        scale=100,
        bound=SPIRAL_GC_SHARE * 100,
    )
    over_time("live", "Structures (JSC) / tracked objects (CPython)", "The heap after each iteration", "incident-live")
    over_time("rss_bytes", "RSS (GiB)", "Resident set size after each iteration", "incident-rss", scale=1 / 2**30)

# %% [markdown]
# ### GC share per factor level
# One panel per factor moved alone (the base's level among its levels), one row of panels per runtime:
# the median window GC share over processes, error bars the 95 % interval of the mean over them, a
# line per builder.

# %%
if replayed:
    effects = factor_effects(jobs, iterations, base)
    factors = [name for name in CONFIGURATION if name in set(effects["factor"])]
    if not factors:
        note("This run moves no factor alone: no factor's effect can be read.")
    else:
        fig, axes = plt.subplots(
            len(runtimes), len(factors), figsize=(3.4 * len(factors), 3 * len(runtimes)), squeeze=False, sharey=True
        )
        for row, runtime in enumerate(runtimes):
            for column, factor in enumerate(factors):
                ax = axes[row][column]
                rows = jobs[(jobs["interpreter"] == runtime) & jobs["role"].isin(("base", factor))]
                levels = sorted(rows[factor].unique())
                for strategy, own in rows.groupby("strategy", sort=True):
                    medians, yerr = interval_bars(own.assign(value=own[GC_SHARE.name] * 100), (factor,))
                    x = [levels.index(level) for level in medians.index]
                    ax.errorbar(
                        x, medians.to_numpy(), yerr=yerr, marker="o", capsize=3, label=strategy, color=colors[strategy]
                    )
                ax.axhline(SPIRAL_GC_SHARE * 100, color="#c62828", linestyle="--", linewidth=1)
                ax.set_xticks(range(len(levels)))
                ax.set_xticklabels(
                    [plain_number(level) + (" (base)" if level == base[factor] else "") for level in levels],
                    rotation=30,
                    ha="right",
                    fontsize="small",
                )
                ax.set_title(f"{runtime}: {factor}", fontsize="small")
                if column == 0:
                    ax.set_ylabel(f"GC share (%; {INTERVAL_LABEL})")
        axes[0][0].legend(fontsize="x-small")
        fig.suptitle("GC share per factor level (dashed: the seed's 35 %)")
        save_figure(fig, run_path, "incident-gc-per-factor")
        interval_note(jobs.assign(value=jobs[GC_SHARE.name]), ("interpreter", "strategy", *CONFIGURATION))

# %% [markdown]
# ### The effect of each factor
# The mean per-iteration GC share at a level minus at the base, in percentage points, with its 95 %
# Welch interval over the iterations. Iterations of one process are not independent of each other, so
# this interval is narrower than one over processes would be: read it beside the window GC share of
# each process, their median and its 95 % interval over processes.

# %%
if replayed and not effects.empty:
    table = pd.DataFrame(
        {
            "runtime": effects["interpreter"],
            "builder": effects["strategy"],
            "factor": effects["factor"],
            "level": [
                plain_number(level) + (" (base)" if is_base else "")
                for level, is_base in zip(effects["level"], effects["is_base"])
            ],
            "GC share": effects[GC_SHARE.name].map(points),
            "95 % interval (processes)": [
                MISSING if low != low else span(low, high, points)
                for low, high in zip(effects["gc_share_low"], effects["gc_share_high"])
            ],
            "each process": [", ".join(points(value) for value in found) for found in effects["process_shares"]],
            "effect (points)": effects["effect_pp"].map(signed),
            "95 % interval (iterations)": [
                MISSING if low != low else f"{signed(low)} to {signed(high)}"
                for low, high in zip(effects["effect_low_pp"], effects["effect_high_pp"])
            ],
            "iterations": effects["iterations"],
        }
    )
    show_table(table)
    for _, row in strongest_factors(effects).iterrows():
        found = f"{signed(row['effect_pp'])} points at {row['factor']}={plain_number(row['level'])}"
        if row["established"]:
            note(f"{row['interpreter']}, {row['strategy']}: {row['factor']} moves the GC share most ({found}).")
        else:
            note(f"{row['interpreter']}, {row['strategy']}: no factor's effect is established (the largest: {found}).")

# %% [markdown]
# ### CPU utilisation at the set rate
# Process CPU seconds over the window's elapsed seconds (idle gaps included) per configuration: 100 % is
# one core busy. The seed's production "CPU %": 99–115 % before the fix, ~13 % after.

# %%
if replayed:
    rows = jobs.assign(value=jobs[CPU_UTILISATION.name]).dropna(subset=["value"])
    order = pd.CategoricalDtype(configuration_order(rows), ordered=True)  # base, factor by factor, combined
    rows = rows.assign(configuration=rows["configuration"].astype(order))  # the table in that order
    for runtime in runtimes:
        own = rows[rows["interpreter"] == runtime]
        if own.empty:
            continue
        wide, errors = interval_wide(own, ("configuration",), "strategy", scale=100)
        place = [list(wide.index).index(name) for name in order.categories if name in wide.index]
        wide, errors = wide.iloc[place], {name: bars[:, place] for name, bars in errors.items()}  # unstack sorts
        wide = wide.reindex(columns=list(colors))  # every builder in its colour
        fig, ax = grouped_bars(wide, f"CPU (%; {INTERVAL_LABEL})", f"CPU at the set rate, {runtime}", errors=errors)
        ax.axhspan(SEED_CPU_BEFORE[0] * 100, SEED_CPU_BEFORE[1] * 100, color="#c62828", alpha=0.12)
        ax.axhline(SEED_CPU_AFTER * 100, color="#2e7d32", linestyle="--", linewidth=1)
        save_figure(fig, run_path, f"incident-cpu-{runtime}")
    note("Band: the seed's 99–115 % before the fix; dashed line: its ~13 % after.")
    table = interval_table(rows, ("interpreter", "configuration", "strategy"), scale=100, median="CPU (%)")
    show_table(table.rename(columns={"interpreter": "runtime", "strategy": "builder"}))

# %% [markdown]
# ### The heap at the largest configuration
# At each runtime's configuration with the largest peak RSS, after a full collection: JavaScriptCore's
# live cells by class (Structures, plain objects, function closures, lexical environments) and
# CPython's GC-tracked objects (all, functions, closure cells, dicts), beside the seed's heap snapshot.

# %%
if replayed:
    heap = heap_comparison(jobs, base)
    if heap.empty:
        note("No serve process of this run recorded its peak RSS: the largest configuration is unknown.")
    else:
        for _, peak in peaks.iterrows():
            note(
                f"{peak['interpreter']}: the largest peak is {gib(peak[PEAK_RSS_BYTES.name])} of RSS "
                f"({peak['strategy']} at {peak['configuration']})."
            )
        show_table(heap.rename(columns={"interpreter": "runtime", "strategy": "builder"}), show=count)
        structures = heap["structures"].iloc[:-1].dropna()
        if not structures.empty:
            most, seed = structures.max(), SEED_HEAP["structures"]
            note(
                f"The most Structures at the largest configuration: {count(most)}; the seed's heap held "
                f"{count(seed)}, {times(seed / most)} as many."
            )
