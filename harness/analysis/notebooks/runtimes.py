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
# ## The question, per runtime
# How many shapes do a realistic session's objects have, and where; how much of that the seed's fix
# (`fixed`: one key list per role / part type) removes; and what it costs in access time and GC —
# CPython (dict key-sharing, instance layouts), PyPy (instance maps) and JavaScriptCore (Structures,
# through Bun) side by side, one table per question, all from this run's own figures.
#
# *Places*: **top-level** = the info and part objects themselves; **nested schema objects** = objects
# below them whose keys the schema fixes (`time`, `tokens`, a tool `state`, …); **data-keyed records**
# = objects keyed by data (LSP diagnostics keyed by file path in `edit` / `write` results, user `tools`
# keyed by tool name, API error headers). *Key orders* are counted by every runtime's census (they are
# what a hidden-class engine tells apart; CPython and PyPy see the same data); on JavaScriptCore the
# census also counts the Structures JSC made (heap snapshot: exact and repeatable), distinct and with
# the transition chains they keep alive ("all" is then the union, chains share ancestors).

# %% tags=["parameters"]
run_dir = "results/latest"

# %%
from harness.analysis.display import locate_run, measurements, note, show_table
from harness.analysis.findings import SEED_MESSAGES, SEED_SHAPES
from harness.analysis.runtimes import COSTS, costs, fix_removes, shapes_by_place
from harness.analysis.selection import implementations, medians, select
from harness.metrics import STRUCTURES
from harness.numbers import whole_pct

run_path = locate_run(run_dir)
tidy, census = measurements(run_path, "census", "This run has no census: the shape questions cannot be answered.")

# %% [markdown]
# ### 1. How many shapes, and where (spread objects, realistic dataset)

# %%
table = shapes_by_place(tidy)
if table.empty:
    note("No census of spread on a realistic dataset in this run.")
else:
    show_table(table)

# %% [markdown]
# ### 2. How much of it the fix removes (spread → fixed, realistic dataset)

# %%
table = fix_removes(tidy)
if table.empty:
    note("No census of both spread and fixed on a realistic dataset in this run.")
else:
    shown = table.assign(removed=[whole_pct(share) for share in table["removed"]])
    show_table(shown)

# %%
reference = medians(select(tidy, "census", origin="reference"), ("interpreter", "strategy", "metric"))
kinds = implementations(tidy)
for interpreter in sorted({key[0] for key in reference if kinds.get(str(key[0])) == "JSC"}):
    found = {
        role: tuple(reference.get((interpreter, name, STRUCTURES[role].name)) for name in ("spread", "fixed"))
        for role in ("info", "part")
    }
    if all(None not in pair for pair in found.values()):
        note(
            f"Reference profile on {interpreter} (this run): info Structures {found['info'][0]:.0f} → "
            f"{found['info'][1]:.0f}, part {found['part'][0]:.0f} → {found['part'][1]:.0f}. Seed reference "
            f"(opencode PR #29029, {SEED_MESSAGES:,} messages, as published): info {SEED_SHAPES['info'][0]} → "
            f"{SEED_SHAPES['info'][1]}, part {SEED_SHAPES['part'][0]} → {SEED_SHAPES['part'][1]}."
        )

# %% [markdown]
# ### 3. What it costs (spread vs fixed)
# Access: the seed's access loop on the reference dataset, median ns per read. GC share: the
# collector's share of wall time while every realistic row is rebuilt (CPython: `gc.callbacks`;
# PyPy: `gc.hooks`; JSC: the pauses of its GC log, a lower bound). Loop: the agent
# loop's time and GC time per iteration, slope per 1,000 messages of history. Each figure is the
# median over its processes; each row is written in its own unit.

# %%
table = costs(tidy)
if table.empty:
    note("No timing or gcprobe figures of both spread and fixed in this run.")
else:
    for column in ("spread", "fixed"):  # each figure as its metric writes it (harness.metrics)
        table[column] = [COSTS[figure][2].show(value) for figure, value in zip(table["figure"], table[column])]
    show_table(table)
