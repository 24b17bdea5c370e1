"""The incident, replayed: what a run's ``serve`` processes (gcprobe) say about the seed's GC death spiral.

The incident plan runs one long-lived serve process per job, one factor at a time around a base
configuration: a configuration is the job's ``FACTORS`` and ``HELD`` parameters (the builder,
``job.strategy``, is crossed with every configuration and is no part of it), each measured in a few
fresh processes, on JavaScriptCore (Bun) and CPython side by side. Where each is read:
``session_paths`` from the run manifest's dataset spec (the path pool, i.e. the Structure variety),
``history`` from the job's size, the others from its parameters (catalogue defaults when unset);
``growth``, ``rate`` and ``fanout`` are held constant (a run that moves one alone has one more factor).

- ``serve_jobs`` / ``serve_iterations``: one row per process (its window figures), one per measured
  iteration (``gc_iteration_share``: its GC seconds over its seconds).
- ``infer_base`` / ``with_roles``: the base is recorded nowhere: it is the configuration the most
  others differ from in exactly one factor; every configuration is then the base, one factor's level
  (its role is the factor) or ``combined`` (several factors moved: shown, never used for an effect).
- ``factor_effects`` / ``strongest_factors``: per factor level the median window GC share over
  processes, and the effect in percentage points against the base with a 95 % Welch interval over
  iterations (iterations of one process are not independent: the interval is narrower than a
  process-level one would be); the factor that moves the GC share most.
- ``spiral``: the configurations whose GC share passes the seed's 35 %, and what the fix and the row
  cache remove there; ``verdict``: the answer in sentences.
- ``largest`` / ``heap_comparison``: the configuration with the largest peak RSS, and its heap at
  peak beside the seed's heap snapshot.
- ``LACKS``: what the replay does not model of the seed's process.

Driver side (pandas); reads verified results only (``harness.runs.results``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

from harness.measure.catalogue import check
from harness.metrics import (
    CPU_UTILISATION,
    ELAPSED_S,
    GC_CPU_SHARE,
    GC_SHARE,
    HEAP_COUNTS,
    ITERATION_S,
    PEAK_HEAP_BYTES,
    PEAK_RSS_BYTES,
    SERVE_ITERATION,
    SERVE_ITERATION_CPYTHON,
    SERVE_ITERATION_JSC,
    WALL_S,
)
from harness.numbers import gib, plain_number
from harness.protocol.environment import label as environment_label
from harness.protocol.job import Job
from harness.runs import results
from harness.uncertainty import Estimate, difference

SERVE, MEASURER = "serve", "gcprobe"
#: The factors the incident plan moves, in the order labels and tables read them.
FACTORS = ("session_paths", "history", "sessions", "retain_mb", "framework")
#: Serve parameters the incident plan holds constant (shown once).
HELD = ("growth", "rate", "fanout")
#: What tells configurations apart: the factors and the held parameters (a process with another
#: rate is never pooled with the base's).
CONFIGURATION = (*FACTORS, *HELD)
#: The builders: opencode's before, its fix, the fix with its row cache.
BEFORE, FIX, ROW_CACHE = "spread", "fixed", "cached:fixed"
#: The realistic profile's path pool where a dataset's spec does not set one (``RealisticParams``).
PROFILE_SESSION_PATHS = 24
#: The seed's lower bound: GC (``JSC::Heap::runEndPhase``) took 35–78 % of the main thread's CPU in
#: the incident (SEED.md, opencode PR #29029). A configuration whose median GC share reaches it spirals.
SPIRAL_GC_SHARE = 0.35
#: The seed's heap snapshot at peak (opencode PR #29029): 51,935 Structures, 1.2 M plain objects,
#: 590 k function closures, 380 k lexical environments.
SEED_HEAP = {"structures": 51_935, "plain_objects": 1_200_000, "closures": 590_000, "lexical_environments": 380_000}
#: The seed's production CPU (SEED.md): 99–115 % of a core before the fix, ~13 % after.
SEED_CPU_BEFORE, SEED_CPU_AFTER = (0.99, 1.15), 0.13
#: A process's keys in both frames, before its figures.
KEYS = ("interpreter", "implementation", "strategy", *CONFIGURATION, "gc_mode", "job")
#: The columns ``with_roles`` adds.
ROLES = ("role", "configuration")
#: Window figures every ``serve_jobs`` frame has as columns (NaN where a result lacks one).
WINDOW = tuple(
    metric.name for metric in (GC_SHARE, GC_CPU_SHARE, CPU_UTILISATION, ITERATION_S, WALL_S, ELAPSED_S, PEAK_RSS_BYTES)
) + (PEAK_HEAP_BYTES.name, *HEAP_COUNTS)
#: The per-iteration record of a serve result (``extra.iterations``), every runtime's keys together.
ITERATION = (*SERVE_ITERATION, *SERVE_ITERATION_JSC, *SERVE_ITERATION_CPYTHON)
#: What the replay still lacks compared with the seed's process.
LACKS = (
    "No HTTP or SSE clients: the seed's server streamed every part update to its clients; here events "
    "only go into the fan-out buffer.",
    "One process-level iteration rate instead of model-streaming waits: the seed's iterations waited on "
    "the model per session, for as long as it streamed.",
    "Iterations of different sessions never interleave inside one read: the seed's server ran them "
    "concurrently as fibers; here one iteration's read finishes before the next begins.",
    "No Effect runtime of its own: the framework factor (a closure and its environment per row read) "
    "stands for the Effect generator frames opencode reads its history through.",
    "Stored rows without production's tool-output sizes: the generated rows' tool outputs are not "
    "measured from production sessions.",
    "Production's variety of shapes: the generator's sessions make thousands of Structures (data-keyed "
    "records the most), not the seed's tens of thousands (the heap table at the end of this section).",
)


def _serve_results(run_dir: Any) -> Iterator[Tuple[Dict[str, Any], Dict[str, Any]]]:
    """Each verified ok serve result of a run, with its process's ``KEYS``."""
    manifest = results.load_manifest(Path(run_dir))
    datasets = manifest.get("datasets") or {}
    entries = results.dataset_entries(manifest)
    for result in results.job_results(Path(run_dir), manifest):
        job = result["job"]
        if result.get("status") != "ok" or job["workload"] != SERVE or job["measurer"] != MEASURER:
            continue
        params = check(Job.from_dict(job)).params  # the catalogue's defaults filled in
        key = entries.get(Path(job["dataset"]).name, {}).get("dataset_key")
        spec = (datasets.get(key) or {}).get("spec") or {}
        yield (
            {
                "interpreter": environment_label(result["environment"]),
                "implementation": result["environment"]["interpreter"]["implementation"],
                "strategy": job["strategy"],
                "session_paths": (spec.get("overrides") or {}).get("session_paths", PROFILE_SESSION_PATHS),
                "history": job["size"],
                **{name: params[name] for name in ("sessions", "retain_mb", "framework", *HELD, "gc_mode")},
                "job": job["id"],
            },
            result,
        )


def serve_jobs(run_dir: Any) -> Any:
    """One row per ok serve result of the run: its ``KEYS`` and every window figure it reports as a
    column (``WINDOW`` always, NaN where absent)."""
    import pandas as pd

    rows = [
        {**keys, **{figure["metric"]: figure["value"] for figure in result["figures"]}}
        for keys, result in _serve_results(run_dir)
    ]
    found = [name for row in rows for name in row if name not in KEYS and name not in WINDOW]
    frame = pd.DataFrame(rows, columns=[*KEYS, *WINDOW, *dict.fromkeys(found)])
    figures = list(frame.columns[len(KEYS) :])
    frame[figures] = frame[figures].astype(float)
    return frame


def serve_iterations(run_dir: Any) -> Any:
    """One row per measured iteration of every ok serve result (``extra.iterations``): the process's
    ``KEYS``, the iteration's record (``ITERATION``, NaN where absent; its ``history``, the session's
    size after growth, as ``session_history``: ``history`` is the factor) and ``gc_iteration_share``,
    its GC seconds over its seconds."""
    import pandas as pd

    columns = {name: "session_history" if name == "history" else name for name in ITERATION}
    rows = [
        {**keys, **{column: iteration.get(name) for name, column in columns.items()}}
        for keys, result in _serve_results(run_dir)
        for iteration in (result.get("extra") or {}).get("iterations") or []
    ]
    frame = pd.DataFrame(rows, columns=[*KEYS, *columns.values()])
    frame[list(columns.values())] = frame[list(columns.values())].astype(float)
    frame["gc_iteration_share"] = (frame["gc_seconds"] / frame["seconds"]).where(frame["seconds"] > 0)
    return frame


# ---------------------------------------------------------------- configurations


def _config(values: Any) -> Tuple[Any, ...]:
    return tuple(values[name] for name in CONFIGURATION)


def _moved(config: Tuple[Any, ...], base: Dict[str, Any]) -> List[str]:
    """The factors in which ``config`` differs from ``base``."""
    return [name for name, value in zip(CONFIGURATION, config) if value != base[name]]


def infer_base(jobs: Any) -> Dict[str, Any]:
    """The base configuration (builder excluded): the one from which the most other configurations
    of ``jobs`` differ in exactly one factor, the smallest of those that tie; ValueError without jobs."""
    configs = sorted(set(jobs[list(CONFIGURATION)].itertuples(index=False, name=None)))
    if not configs:
        raise ValueError("no serve results: there is no configuration to analyse")

    def neighbours(config: Any) -> int:
        return sum(len(_moved(other, dict(zip(CONFIGURATION, config)))) == 1 for other in configs)

    return dict(zip(CONFIGURATION, max(configs, key=neighbours)))  # max keeps the first (smallest) of a tie


def describe(values: Any, names: Any = FACTORS) -> str:
    """``history=4,000, sessions=16``: the values of ``names`` (default: the factors) of a configuration."""
    return ", ".join(f"{name}={plain_number(values[name])}" for name in names)


def with_roles(frame: Any, base: Dict[str, Any]) -> Any:
    """``frame`` (jobs or iterations) with each row's ``role`` — ``base``, the one factor its
    configuration moves, or ``combined`` — and its ``configuration`` label (``base``, or the factors
    moved: ``sessions=16``)."""
    frame = frame.copy()
    moved = [_moved(config, base) for config in frame[list(CONFIGURATION)].itertuples(index=False, name=None)]
    frame["role"] = ["base" if not names else names[0] if len(names) == 1 else "combined" for names in moved]
    labels = [describe(values, names) for values, names in zip(frame[list(CONFIGURATION)].to_dict("records"), moved)]
    frame["configuration"] = [label or "base" for label in labels]
    return frame


def configuration_order(frame: Any) -> List[str]:
    """The ``configuration`` labels of a ``with_roles`` frame in reading order: the base, each
    factor's levels in ``CONFIGURATION`` order (smallest first), then the combined ones."""
    rank = {"base": -1, **{name: place for place, name in enumerate(CONFIGURATION)}, "combined": len(CONFIGURATION)}
    found = frame.drop_duplicates("configuration")
    keys = {
        row["configuration"]: (
            rank[row["role"]],
            row[row["role"]] if row["role"] in CONFIGURATION else 0,
            row["configuration"],
        )
        for _, row in found.iterrows()
    }
    return sorted(keys, key=lambda label: keys[label])


def configuration_medians(jobs: Any, base: Optional[Dict[str, Any]] = None) -> Any:
    """Per runtime, builder and configuration: the median over its processes of every window
    figure, the processes counted, with its ``role`` and ``configuration``."""
    by = ["interpreter", "implementation", "strategy", *CONFIGURATION]
    figures = [name for name in jobs.columns if name not in (*KEYS, *ROLES)]
    grouped = jobs.groupby(by, sort=True)
    medians = grouped[figures].median().join(grouped.size().rename("processes")).reset_index()
    return with_roles(medians, base or infer_base(jobs))


# ---------------------------------------------------------------- factor effects


def factor_effects(jobs: Any, iterations: Any, base: Optional[Dict[str, Any]] = None) -> Any:
    """Per runtime × builder × factor × level (the base's level included, ``is_base``): the median
    window GC share over the processes with its 95 % interval of the mean (``gc_share_low`` /
    ``_high``) and each process's own (``process_shares``, in job order); and the effect: the mean
    per-iteration GC share at the level minus at the base, in percentage points, with its 95 % Welch
    interval over the iterations (NaN at the base, or without an iteration on a side) and whether
    that interval excludes no difference (``established``). A factor the run never moved alone is
    left out; combined configurations never count."""
    import pandas as pd

    base = base or infer_base(jobs)
    jobs = with_roles(jobs, base)
    iterations = iterations[iterations["job"].isin(jobs["job"])]
    rows = []
    for (interpreter, strategy), group in jobs.groupby(["interpreter", "strategy"], sort=True):
        own = iterations[iterations["job"].isin(group["job"])]
        at_base = own[own["job"].isin(group.loc[group["role"] == "base", "job"])]["gc_iteration_share"]
        for factor in CONFIGURATION:
            levels = group[group["role"].isin(("base", factor))]
            if not (levels["role"] == factor).any():
                continue
            for level, processes in levels.groupby(factor, sort=True):
                at_level = own[own["job"].isin(processes["job"])]
                is_base = level == base[factor]
                share = Estimate.of(processes[GC_SHARE.name])
                bounds = share.interval or (float("nan"), float("nan"))
                shares = at_level["gc_iteration_share"].dropna()
                effect = None if is_base or shares.empty or at_base.dropna().empty else difference(shares, at_base)
                rows.append(
                    {
                        "interpreter": interpreter,
                        "strategy": strategy,
                        "factor": factor,
                        "level": level,
                        "is_base": bool(is_base),
                        "processes": share.n,
                        GC_SHARE.name: share.median,
                        "gc_share_low": bounds[0],
                        "gc_share_high": bounds[1],
                        "process_shares": tuple(processes.sort_values("job")[GC_SHARE.name]),
                        "iterations": len(shares),
                        "effect_pp": float("nan") if effect is None else effect.value * 100,
                        "effect_low_pp": _points(effect, "low"),
                        "effect_high_pp": _points(effect, "high"),
                        "established": effect is not None and effect.established,
                    }
                )
    columns = [
        "interpreter",
        "strategy",
        "factor",
        "level",
        "is_base",
        "processes",
        GC_SHARE.name,
        "gc_share_low",
        "gc_share_high",
        "process_shares",
        "iterations",
        "effect_pp",
        "effect_low_pp",
        "effect_high_pp",
        "established",
    ]
    return pd.DataFrame(rows, columns=columns)


def _points(effect: Any, side: str) -> float:
    """One end of an effect's interval in percentage points; NaN without one."""
    value = None if effect is None else getattr(effect, side)
    return float("nan") if value is None else value * 100


def strongest_factors(effects: Any) -> Any:
    """Per runtime and builder, the factor level with the largest |effect| (``factor_effects``),
    established or not (its ``established`` says)."""
    moved = effects[~effects["is_base"] & effects["effect_pp"].notna()]
    if moved.empty:
        return moved
    picked = moved.assign(size=moved["effect_pp"].abs()).groupby(["interpreter", "strategy"])["size"].idxmax()
    return moved.loc[picked.to_numpy()].reset_index(drop=True)


# ---------------------------------------------------------------- the spiral


def spiral(jobs: Any, base: Optional[Dict[str, Any]] = None) -> Any:
    """The configurations whose median window GC share over processes reaches ``SPIRAL_GC_SHARE``,
    per runtime and builder, and for each what the fix and the row cache remove there: one row per
    builder it is set against (fixed, cached:fixed; not itself) with both sides' GC share, CPU
    utilisation, live Structures / GC-tracked objects and iteration time, the GC share removed in
    percentage points and the others as ratios (against / it); NaN where that builder was not
    measured at that configuration."""
    import pandas as pd

    per = configuration_medians(jobs, base)
    heap = (HEAP_COUNTS["structures"].name, HEAP_COUNTS["tracked_objects"].name)
    figures = (GC_SHARE.name, CPU_UTILISATION.name, *heap, ITERATION_S.name)
    indexed = per.set_index(["interpreter", "strategy", *CONFIGURATION])
    rows = []
    for _, row in per[per[GC_SHARE.name] >= SPIRAL_GC_SHARE].iterrows():
        config = _config(row)
        for against in (name for name in (FIX, ROW_CACHE) if name != row["strategy"]):
            key = (row["interpreter"], against, *config)
            found = row.reindex(figures).to_dict()
            absent = dict.fromkeys(figures, float("nan"))
            versus = indexed.loc[key].reindex(figures).to_dict() if key in indexed.index else absent
            rows.append(
                {
                    "interpreter": row["interpreter"],
                    "strategy": row["strategy"],
                    "configuration": row["configuration"],
                    "role": row["role"],
                    **found,
                    "against": against,
                    **{f"against_{name}": value for name, value in versus.items()},
                    "gc_share_removed_pp": (found[GC_SHARE.name] - versus[GC_SHARE.name]) * 100,
                    **{
                        f"{name}_ratio": versus[name] / found[name] if found[name] else float("nan")
                        for name in figures[1:]
                    },
                }
            )
    columns = ["interpreter", "strategy", "configuration", "role", *figures, "against"]
    columns += [f"against_{name}" for name in figures] + ["gc_share_removed_pp"]
    columns += [f"{name}_ratio" for name in figures[1:]]
    return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------- the largest configuration and its heap


def largest(jobs: Any, base: Optional[Dict[str, Any]] = None) -> Any:
    """Per runtime, the configuration with the largest measured peak (the median ``peak_rss_bytes``
    over processes of a builder at a configuration; the builder it peaked with is ``strategy``)."""
    per = configuration_medians(jobs, base).dropna(subset=[PEAK_RSS_BYTES.name])
    if per.empty:
        return per
    picked = per.groupby("interpreter")[PEAK_RSS_BYTES.name].idxmax()
    columns = [
        "interpreter",
        "implementation",
        "strategy",
        *CONFIGURATION,
        "role",
        "configuration",
        PEAK_RSS_BYTES.name,
    ]
    return per.loc[picked.to_numpy(), columns].reset_index(drop=True)


#: The seed's row in ``heap_comparison``.
SEED_ROW = "seed (opencode heap snapshot at peak)"


def heap_comparison(jobs: Any, base: Optional[Dict[str, Any]] = None) -> Any:
    """At each runtime's largest configuration (``largest``), per builder: the median over processes
    of the heap counts at peak (``metrics.HEAP_COUNTS``: JSC's cells by class, CPython's tracked
    objects), then the seed's snapshot (``SEED_HEAP``) as the last row; a count no row has is left out."""
    import pandas as pd

    per = configuration_medians(jobs, base)
    rows = []
    for _, peak in largest(jobs, base).iterrows():
        match = (per["interpreter"] == peak["interpreter"]) & (per["configuration"] == peak["configuration"])
        for _, row in per[match].iterrows():
            counts = {name: row.get(name, float("nan")) for name in HEAP_COUNTS}
            rows.append(
                {
                    "interpreter": row["interpreter"],
                    "configuration": row["configuration"],
                    "strategy": row["strategy"],
                    "processes": row["processes"],
                    **counts,
                }
            )
    if not rows:
        return pd.DataFrame(columns=["interpreter", "configuration", "strategy", "processes", *HEAP_COUNTS])
    rows.append({"interpreter": SEED_ROW, "configuration": "production", "strategy": BEFORE, **SEED_HEAP})
    frame = pd.DataFrame(rows, columns=["interpreter", "configuration", "strategy", "processes", *HEAP_COUNTS])
    return frame.dropna(axis="columns", how="all")


# ---------------------------------------------------------------- the answer


def verdict(jobs: Any, base: Optional[Dict[str, Any]] = None) -> List[str]:
    """The answer, one sentence per runtime: in how many configurations opencode's builder (spread)
    passes the seed's 35 % GC share, the highest, and what the fix and its row cache leave of it at the
    base; or that no configuration does up to the largest measured, with the highest GC share measured
    and the factor whose one-factor configuration came closest."""
    base = base or infer_base(jobs)
    per = configuration_medians(jobs, base).dropna(subset=[GC_SHARE.name])
    peaks = largest(jobs, base).set_index("interpreter")
    bound = GC_SHARE.show(SPIRAL_GC_SHARE)
    sentences = []
    for interpreter, rows in per.groupby("interpreter", sort=True):
        top = rows.loc[rows[GC_SHARE.name].idxmax()]
        highest = f"{GC_SHARE.show(top[GC_SHARE.name])} ({top['strategy']} at {top['configuration']})"
        before = rows[rows["strategy"] == BEFORE]
        hot = before[before[GC_SHARE.name] >= SPIRAL_GC_SHARE]
        if not hot.empty:
            at_base = rows[rows["role"] == "base"].set_index("strategy")[GC_SHARE.name]
            builders = [(BEFORE, "spread"), (FIX, "the fix"), (ROW_CACHE, "the fix with its row cache")]
            shares = ", ".join(f"{name} {GC_SHARE.show(at_base[key])}" for key, name in builders if key in at_base)
            sentences.append(
                f"On {interpreter}, spread passes the seed's {bound} GC share in {len(hot)} of {len(before)} "
                f"configurations; the highest is {highest}. At the base: {shares}."
            )
            continue
        text = f"On {interpreter}, no configuration"
        if interpreter in peaks.index:
            peak = peaks.loc[interpreter]
            text += f" up to the largest measured ({peak['configuration']}: peak RSS {gib(peak[PEAK_RSS_BYTES.name])})"
        text += f" makes spread pass the seed's {bound} GC share: the highest measured is {highest}."
        alone = rows[~rows["role"].isin(("base", "combined"))]
        if not alone.empty:
            closest = alone.loc[alone[GC_SHARE.name].idxmax()]
            text += (
                f" The factor that came closest: {closest['role']} ({closest['configuration']}, "
                f"{closest['strategy']}: {GC_SHARE.show(closest[GC_SHARE.name])})."
            )
        sentences.append(text)
    return sentences
