"""Bench plans as data: which datasets to generate and which sweeps of jobs to run on them.

``smoke`` takes seconds (tests use it), ``quick`` is ``make bench``'s default, ``full``
is the rigorous one. A sweep expands to one job per (strategy, size, variant) and repeat: each
repeat is one fresh process, and the runner interleaves the repeats of every strategy of the
sweeps that share a measurer, workload and dataset (``harness.runs.runner.plan``), so that a figure's
processes are spread over the run. Every measurer and workload named here is checked against the
catalogues when a run is planned. ``harness bench``'s pyperf options (-p, --fast, --rigorous,
--affinity) change a plan's timing sweeps (``with_pyperf_options``); its ``--counter instructions``
adds a callgrind count of every timing sweep (``with_counter``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Dict, Optional, Tuple

from harness.generate import Spec

REQUIRED = ("spread", "fixed", "slots", "dataclass", "msgspec")
LAZY = ("msgspec-lazy", "msgspec-lazy-memo", "slots-lazy", "tuples")
#: The agent loop per read path: opencode's full read (with and without its row cache), the
#: cache-aware read (row cache required) and the incremental one.
GROWTH = ("spread", "fixed", "msgspec-nogc", "msgspec-lazy", "cached:fixed", "cached:msgspec-lazy")
CACHE_AWARE = ("cached:fixed", "cached:msgspec-lazy", "cached:slots-lazy")
INCREMENTAL = ("fixed", "msgspec-lazy", "slots-lazy", "tuples")
GC_STUDY = (
    REQUIRED
    + (
        "slots-merged",
        "instance-dict",
        "msgspec-nogc",
        "msgspec-nogc-shallow",
        "msgspec-decode-nogc",
        "floor-json",
    )
    + LAZY
)
GC_CONTROLS = ({"gc_mode": "enabled"}, {"gc_mode": "disabled"})
#: Object kinds of the read_site workload (dicts, instance dicts, __slots__ classes; plain objects on JSC).
READ_SITE_KINDS = ("spread", "instance-dict", "slots")
SHAPE_COUNTS = (1, 2, 4, 8, 16, 32, 64, 128, 256)  # shapes one read site sees (read_site's job size)
QUICK_SHAPE_COUNTS = SHAPE_COUNTS[::2]  # 1, 4, 16, 64, 256: where the curves bend, at 5 of the 9 sizes
OPEN_MAP = ({"reads": "open-map"},)  # the access variant reading one open map per tool part
#: The rebuild variant that then reads every tool part's input once (what a memo keeps, in the GC's view).
READ_ONCE = ({"then": "open-map"},)
#: The agent loop as it lives: each iteration appends ten messages, then reads the history; five
#: iterations at a short and at a long history (the first iteration of a kept history is its cold build).
LOOP_STEP: Dict[str, Any] = {"rounds": 5, "growth": 10}
LOOP_SIZES = (1000, 50000)
ALL = ("all",)  # every registered strategy and control available on the interpreter


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset a plan generates (once, shared by every interpreter)."""

    key: str
    profile: str  # the generator profile: reference or realistic
    seed: int
    messages: int
    avg_parts: Optional[float] = None
    sessions: Optional[int] = None
    overrides: Dict[str, Any] = field(default_factory=dict)

    @property
    def generation(self) -> Spec:
        """What the generator makes of it."""
        return Spec(self.profile, self.seed, self.messages, self.avg_parts, self.sessions, self.overrides)


@dataclass(frozen=True)
class Sweep:
    """Jobs of one measurer and workload on one dataset, for each strategy × size × variant, each
    measured in ``repeats`` fresh processes (the samples a figure's interval is drawn from)."""

    measurer: str
    workload: str
    dataset: str
    strategies: Tuple[str, ...]
    sizes: Tuple[int, ...]
    params: Dict[str, Any] = field(default_factory=dict)
    variants: Tuple[Dict[str, Any], ...] = ({},)
    repeats: int = 1


@dataclass(frozen=True)
class Plan:
    name: str
    description: str
    datasets: Tuple[DatasetSpec, ...]
    sweeps: Tuple[Sweep, ...]
    timeout: float  # seconds one job may take before it is killed and recorded as failed
    #: How long the plan takes, as measured on two idle cores with the datasets in place (the one
    #: place it is stated: ``harness bench --help`` and the README quote it).
    duration: str = ""


def pyperf_params(values: int, warmups: int = 1, loops: int = 1) -> Dict[str, Any]:
    """A timing job's ``pyperf`` parameter: one worker process (a sweep's ``repeats`` are its
    processes, interleaved with the other strategies'), its values and warm-ups."""
    return {"pyperf": {"processes": 1, "values": values, "warmups": warmups, "loops": loops}}


@dataclass(frozen=True)
class PyperfOptions:
    """pyperf's own options as ``harness bench`` takes them, for a plan's timing figures
    (``with_pyperf_options``). pyperf's meaning of ``fast`` and ``rigorous`` (its ``Runner``, 2.11):
    rigorous doubles the processes and keeps the values; fast halves the processes, keeping at least
    3 (three hash seeds), and keeps two thirds of the values, at least 2."""

    processes: Optional[int] = None  # processes per timing figure, in place of the sweep's repeats
    speed: Optional[str] = None  # "fast" or "rigorous"
    affinity: Optional[str] = None  # the CPUs pyperf pins each timing worker to (a CPU list: 0, 0-1, 0,2)

    def processes_for(self, repeats: int) -> int:
        """A timing figure's processes: ``processes`` when given, else the sweep's ``repeats`` as
        ``speed`` scales them."""
        if self.processes is not None:
            return self.processes
        if self.speed == "rigorous":
            return repeats * 2
        return max(repeats // 2, 3) if self.speed == "fast" else repeats

    def values_for(self, values: int) -> int:
        """A timing process's values: two thirds of them, at least 2, when fast."""
        return max(values * 2 // 3, 2) if self.speed == "fast" else values


def with_pyperf_options(chosen: Plan, options: PyperfOptions) -> Plan:
    """The plan with pyperf's options applied to its timing sweeps (every one states its pyperf
    values: ``pyperf_params``): their repeats are the figures' processes, each a one-worker job
    whose ``params.pyperf`` gets the values and the affinity. The other sweeps are left as they are."""

    def tuned(sweep: Sweep) -> Sweep:
        if sweep.measurer != "timing":
            return sweep
        settings = dict(sweep.params["pyperf"])
        settings["values"] = options.values_for(settings["values"])
        if options.affinity is not None:
            settings["affinity"] = options.affinity
        params = {**sweep.params, "pyperf": settings}
        return replace(sweep, params=params, repeats=options.processes_for(sweep.repeats))

    return replace(chosen, sweeps=tuple(map(tuned, chosen.sweeps)))


#: The measurers ``harness bench --counter`` adds beside every timing sweep.
COUNTERS = ("instructions",)
#: Parameters of a timing sweep that are pyperf's, not the workload's: a counter's sweep leaves them out.
TIMING_ONLY = ("pyperf", "pyperf_json")


def with_counter(chosen: Plan, counter: str) -> Plan:
    """The plan with every timing sweep measured again by ``counter`` (a deterministic count, so
    one process and no repeats): the same workload, dataset, strategies, sizes, variants and
    workload parameters, placed right after the timing sweep it counts."""
    if counter not in COUNTERS:
        raise ValueError(f"unknown counter {counter!r}; choose from {', '.join(COUNTERS)}")

    def counted(sweep: Sweep) -> Tuple[Sweep, ...]:
        if sweep.measurer != "timing":
            return (sweep,)
        params = {name: value for name, value in sweep.params.items() if name not in TIMING_ONLY}
        return sweep, replace(sweep, measurer=counter, params=params, repeats=1)

    return replace(chosen, sweeps=tuple(found for sweep in chosen.sweeps for found in counted(sweep)))


NO_COMPACTION = {"compaction_every": 0}


def read_paths(
    measurer: str,
    sizes: Tuple[int, ...],
    params: Dict[str, Any],
    full: Tuple[str, ...],
    cache_aware: Tuple[str, ...],
    incremental: Tuple[str, ...],
    repeats: int = 1,
) -> Tuple[Sweep, ...]:
    """``run_loop`` on the growth dataset through each read path, each with its own strategies."""
    return tuple(
        Sweep(measurer, "run_loop", "growth", strategies, sizes, params, ({"read_path": path},), repeats)
        for path, strategies in (("full", full), ("cache-aware", cache_aware), ("incremental", incremental))
        if strategies
    )


#: The incident replay (``serve`` on the GC probe), one factor at a time around a base: the builder
#: (spread, opencode's before; fixed, its fix) is crossed with every configuration, the row cache
#: (cached:fixed) joins at the base. Every session is visited at least twice in the window.
SERVE_BUILDERS = ("spread", "fixed")
SERVE_CACHED = ("cached:fixed",)
#: Eight sessions of an equal share without compaction (each history is read in full, as a session of
#: thousands of messages without a compaction boundary is).
SERVE_OVERRIDES: Dict[str, Any] = {"long_session_share": 0.125, "compaction_every": 0}
#: The Structure-variety factor: the path pool that keys LSP diagnostics records, the profile's 24
#: and a production-like 2,000 (the base).
SERVE_PATHS = 2000
#: The base: four sessions in flight, each visited twice, ten messages appended per visit, four
#: iterations a second (the model's streaming in between is idle time).
INCIDENT_BASE: Dict[str, Any] = {"sessions": 4, "rounds": 8, "growth": 10, "rate": 4.0}


def serve_datasets(messages: int) -> Tuple[DatasetSpec, ...]:
    """The incident plans' datasets: ``messages`` over eight sessions, with 2,000 and with 24 paths."""
    return (
        DatasetSpec(
            "serve-paths2000",
            "realistic",
            11,
            messages,
            sessions=8,
            overrides={**SERVE_OVERRIDES, "session_paths": SERVE_PATHS},
        ),
        DatasetSpec("serve-paths24", "realistic", 11, messages, sessions=8, overrides=SERVE_OVERRIDES),
    )


def one_factor_at_a_time(
    base: Dict[str, Any], size: int, levels: Dict[str, Tuple[Any, ...]], repeats: int
) -> Tuple[Sweep, ...]:
    """The incident experiment around the base configuration (``base`` serve parameters on the
    2,000-path dataset, each session starting with ``size`` messages): each factor moved alone to
    each of its ``levels`` (``size``: the history; any other name: a serve parameter) and to the
    24-path dataset, then every factor at its largest level at once; the builders at every
    configuration, the row cache at the base; each in ``repeats`` processes but the largest, in one.
    ``rounds`` grows with the sessions, so that each session is visited as often as at the base."""
    visits = base["rounds"] // base["sessions"]

    def moved(params: Dict[str, Any]) -> Dict[str, Any]:
        """A variant of the base: ``params``, and more rounds when it has more sessions."""
        rounds = visits * params.get("sessions", base["sessions"])
        return {**params, "rounds": rounds} if rounds > base["rounds"] else params

    serve_params = {name: values for name, values in levels.items() if name != "size"}
    sizes = (size, *levels.get("size", ()))
    one_each = tuple(moved({name: value}) for name, values in serve_params.items() for value in values)
    largest = moved({name: max(values) for name, values in serve_params.items()})
    return (
        Sweep("gcprobe", "serve", "serve-paths2000", SERVE_BUILDERS, sizes, base, repeats=repeats),
        Sweep("gcprobe", "serve", "serve-paths2000", SERVE_BUILDERS, (size,), base, one_each, repeats),
        Sweep("gcprobe", "serve", "serve-paths24", SERVE_BUILDERS, (size,), base, repeats=repeats),
        Sweep("gcprobe", "serve", "serve-paths2000", SERVE_CACHED, (size,), base, repeats=repeats),
        # once per builder: its processes take minutes, and no factor's effect is read from it
        Sweep("gcprobe", "serve", "serve-paths2000", SERVE_BUILDERS, (max(sizes),), base, (largest,)),
    )


#: Fresh processes per figure in the quick plan: enough for an interval (Student's t needs two per
#: side; three keep one odd process from deciding a median).
QUICK_REPEATS = 3
#: The seed's read loop gets more: its dict reads scatter most from process to process (on a shared
#: two-core VM, 35 to 150 ns per read for one strategy, with the hash seed, the memory layout and
#: the neighbours), and each of its processes takes about half a second.
QUICK_ACCESS_REPEATS = 5

PLANS: Dict[str, Plan] = {
    "smoke": Plan(
        "smoke",
        "tiny datasets, one or two processes per figure, for tests",
        datasets=(
            DatasetSpec("reference", "reference", 11, 300),
            DatasetSpec("growth", "realistic", 11, 400, sessions=1, overrides=NO_COMPACTION),
        ),
        sweeps=(
            Sweep("census", "hydrate_all", "reference", ("spread", "fixed", "slots"), (300,)),
            Sweep(
                "timing",
                "access",
                "reference",
                ("spread", "slots"),
                (300,),
                {"iterations": 5, **pyperf_params(1, 0)},
                repeats=2,
            ),
            Sweep("gcprobe", "hydrate_all", "growth", ("spread",), (400,), {"rounds": 2}, GC_CONTROLS),
            *read_paths("gcprobe", (100,), {"rounds": 3, "growth": 50}, ("fixed",), ("cached:fixed",), ("fixed",)),
            *read_paths("timing", (200,), pyperf_params(1), ("spread",), (), ("fixed",)),  # warm: steady state
            Sweep(
                "timing",
                "access",
                "growth",
                ("slots",),
                (200,),
                {"iterations": 5, **pyperf_params(1, 0)},
                OPEN_MAP,
            ),
            Sweep("memory", "hydrate_all", "growth", ("spread",), (200,)),
            Sweep(
                "timing",
                "read_site",
                "reference",
                ("spread", "slots"),
                (1, 4),
                {"objects": 1024, **pyperf_params(2, 1)},
            ),
        ),
        timeout=120,
        duration="seconds",
    ),
    "quick": Plan(
        "quick",
        "required and lazy strategies and controls, reference 5k, realistic 5k, growth to 6k per read"
        f" path, read-site sweep; {QUICK_REPEATS} interleaved processes per figure ({QUICK_ACCESS_REPEATS} for access)",
        datasets=(
            DatasetSpec("reference", "reference", 11, 5000),
            DatasetSpec("realistic", "realistic", 11, 5000),
            DatasetSpec("growth", "realistic", 11, 7000, sessions=1, overrides=NO_COMPACTION),
        ),
        sweeps=(
            Sweep(
                "census",
                "hydrate_all",
                "reference",
                REQUIRED + ("slots-merged", "instance-dict", "msgspec-nogc"),
                (5000,),
            ),
            Sweep(
                "census",
                "hydrate_all",
                "realistic",
                REQUIRED + ("instance-dict", "msgspec-nogc", "msgspec-lazy"),
                (2000,),
            ),
            Sweep(
                "timing",
                "access",
                "reference",
                REQUIRED + ("spread-filled", "instance-dict", "msgspec-nogc", "floor-access"),
                (5000,),
                {"iterations": 20, **pyperf_params(3)},
                repeats=QUICK_ACCESS_REPEATS,
            ),
            Sweep(
                "timing",
                "hydrate_all",
                "realistic",
                REQUIRED + ("msgspec-decode-nogc", "floor-json", "floor-msgspec"),
                (2000,),
                pyperf_params(3),
                repeats=QUICK_REPEATS,
            ),
            Sweep(
                "timing",
                "access",
                "realistic",
                ("msgspec-nogc", "msgspec-lazy", "msgspec-lazy-memo"),
                (2000,),
                {"iterations": 20, **pyperf_params(3)},
                OPEN_MAP,
                repeats=QUICK_REPEATS,
            ),
            Sweep(
                "gcprobe",
                "hydrate_all",
                "realistic",
                REQUIRED + ("msgspec-nogc", "tuples"),
                (5000,),
                {"rounds": 2},
                GC_CONTROLS,
                repeats=QUICK_REPEATS,
            ),
            Sweep(
                "gcprobe",
                "hydrate_all",
                "realistic",
                ("msgspec-lazy", "floor-json"),
                (5000,),
                {"rounds": 2},
                repeats=QUICK_REPEATS,
            ),
            *read_paths(
                "gcprobe",
                (1000,),
                {"rounds": 5, "growth": 1000},
                ("spread", "fixed", "cached:fixed"),
                ("cached:msgspec-lazy",),
                ("msgspec-lazy", "tuples"),
                repeats=QUICK_REPEATS,
            ),
            # No flame graphs (seconds each): python -m memray flamegraph -o memory/<job>.flamegraph.html
            # memory/<job>.bin renders one (the report links it).
            Sweep(
                "memory",
                "hydrate_all",
                "realistic",
                REQUIRED + ("msgspec-nogc", "msgspec-lazy"),
                (2000,),
                {"flamegraph": False},
                repeats=QUICK_REPEATS,
            ),
            Sweep(
                "timing",
                "read_site",
                "reference",
                READ_SITE_KINDS,
                QUICK_SHAPE_COUNTS,
                {"passes": 50, **pyperf_params(5)},
                repeats=QUICK_REPEATS,
            ),
        ),
        timeout=300,
        duration="about two and a quarter minutes, the report included",
    ),
    "incident": Plan(
        "incident",
        "the serve replay, one factor at a time around 4 sessions x 2,000 messages at 4 iterations/s:"
        " builder, path pool (24 / 2,000), history (500-5,000), sessions (1-8), retained heap (to 4 GiB),"
        " framework frames (to 16 per row), and all at their largest; 2 processes per configuration; the"
        " census of the 2,000-path data",
        datasets=serve_datasets(120_000),
        sweeps=(
            *one_factor_at_a_time(
                INCIDENT_BASE,
                2000,
                {"size": (500, 5000), "sessions": (1, 8), "retain_mb": (1024, 4096), "framework": (4, 16)},
                repeats=2,
            ),
            # where the Structures come from: the census of the 2,000-path data per object group
            Sweep("census", "hydrate_all", "serve-paths2000", SERVE_BUILDERS, (4000,)),
        ),
        timeout=900,
        duration="about 20 minutes on CPython and Bun together",
    ),
    "incident-full": Plan(
        "incident-full",
        "the incident plan for a dedicated machine: 3 visits per session, more levels (history to 10,000,"
        " retained heap to 8 GiB, framework frames to 64), 5 processes per configuration",
        datasets=serve_datasets(240_000),
        sweeps=(
            *one_factor_at_a_time(
                {**INCIDENT_BASE, "rounds": 12},
                2000,
                {
                    "size": (500, 1000, 5000, 10000),
                    "sessions": (1, 2, 8),
                    "retain_mb": (1024, 4096, 8192),
                    "framework": (4, 16, 64),
                },
                repeats=5,
            ),
            Sweep("census", "hydrate_all", "serve-paths2000", SERVE_BUILDERS, (20000,)),
        ),
        timeout=3600,
        duration="not timed here: its largest configuration needs about 35 GiB (a plan the machine cannot hold is"
        " refused before it starts)",
    ),
    "loop": Plan(
        "loop",
        "the agent loop at 1k and 50k messages, ten appended before each read, per read path; the 50k rebuild's"
        " GC for the lazy and standard-library strategies beside their controls; open-map reads decoded, lazy"
        " and memoised",
        datasets=(
            DatasetSpec("realistic", "realistic", 11, 50000),
            DatasetSpec("growth", "realistic", 11, 51000, sessions=1, overrides=NO_COMPACTION),
        ),
        sweeps=(
            *read_paths(
                "gcprobe",
                LOOP_SIZES,
                LOOP_STEP,
                ("spread", "fixed", "msgspec-lazy", "tuples"),
                ("cached:msgspec-lazy", "cached:tuples"),
                ("fixed", "msgspec-lazy", "tuples"),
                repeats=2,
            ),
            Sweep(
                "gcprobe",
                "hydrate_all",
                "realistic",
                ("spread", "slots-lazy", "tuples", "msgspec-lazy", "msgspec-lazy-memo", "floor-json"),
                (50000,),
                {"rounds": 10},
                GC_CONTROLS,
                repeats=3,
            ),
            Sweep(
                "gcprobe",
                "hydrate_all",
                "realistic",
                ("spread", "msgspec-lazy", "msgspec-lazy-memo", "tuples"),
                (50000,),
                {"rounds": 10},
                READ_ONCE,
                repeats=3,
            ),
            Sweep(
                "timing",
                "access",
                "realistic",
                ("spread", "msgspec-decode-nogc", "msgspec-lazy", "msgspec-lazy-memo", "tuples"),
                (5000,),
                {"iterations": 20, **pyperf_params(3)},
                OPEN_MAP,
                repeats=3,
            ),
        ),
        timeout=1200,
        duration="about 30 minutes on one CPython",
    ),
    "full": Plan(
        "full",
        "every strategy timed, the GC study set censused and memory-profiled at 50k, growth to 100k"
        " per read path, scalene line profiles, 6 interleaved processes per access timing",
        datasets=(
            DatasetSpec("reference", "reference", 11, 5000),
            DatasetSpec("realistic", "realistic", 11, 50000),
            DatasetSpec("growth", "realistic", 11, 101000, sessions=1, overrides=NO_COMPACTION),
        ),
        sweeps=(
            Sweep("census", "hydrate_all", "reference", ALL, (5000,)),
            Sweep("census", "hydrate_all", "realistic", GC_STUDY, (50000,)),
            Sweep("timing", "access", "reference", ALL, (5000,), {"iterations": 200, **pyperf_params(3)}, repeats=6),
            Sweep(
                "timing",
                "access",
                "realistic",
                ALL,
                (5000,),
                {"iterations": 20, **pyperf_params(3)},
                OPEN_MAP,
                repeats=3,
            ),
            Sweep("timing", "hydrate_all", "realistic", ALL, (50000,), pyperf_params(2), repeats=3),
            Sweep(
                "timing",
                "filter_compacted",
                "realistic",
                REQUIRED + ("cached:fixed",),
                (20000,),
                pyperf_params(3),
                repeats=3,
            ),
            *read_paths(
                "timing", (1000, 20000, 50000, 100000), pyperf_params(2), GROWTH, CACHE_AWARE, INCREMENTAL, repeats=2
            ),
            Sweep(
                "gcprobe",
                "hydrate_all",
                "realistic",
                GC_STUDY,
                (50000,),
                {"rounds": 2},
                GC_CONTROLS + ({"gc_mode": "freeze"},),
                repeats=3,
            ),
            *read_paths("gcprobe", (1000,), {"rounds": 10, "growth": 10000}, GROWTH, CACHE_AWARE, INCREMENTAL),
            *read_paths("gcprobe", LOOP_SIZES[1:], LOOP_STEP, GROWTH, CACHE_AWARE, INCREMENTAL),
            Sweep("memory", "hydrate_all", "realistic", GC_STUDY, (50000,)),
            Sweep("timing", "read_site", "reference", READ_SITE_KINDS, SHAPE_COUNTS, pyperf_params(5, 2), repeats=3),
            # Line profiles of the hot paths (skipped with a note where scalene is not installed).
            Sweep("scalene", "hydrate_all", "realistic", REQUIRED, (20000,), {"rounds": 5}),
            Sweep("scalene", "access", "reference", REQUIRED, (5000,), {"rounds": 5, "iterations": 50}),
        ),
        timeout=1200,
        duration="about 80 minutes",
    ),
}
