"""Bench plans as data: which datasets to generate and which sweeps of jobs to run on them.

``smoke`` takes seconds (tests use it), ``quick`` is ``make bench``'s default, ``full``
is the rigorous one. A sweep expands to one job per (strategy, size, variant) and repeat: each
repeat is one fresh process, and the runner interleaves the repeats of every strategy of the
sweeps that share a measurer, workload and dataset (``harness.runs.runner.plan``), so that a figure's
processes are spread over the run. Every measurer and workload named here is checked against the
catalogues when a run is planned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

from harness.generate import Spec

REQUIRED = ("spread", "fixed", "slots", "dataclass", "msgspec")
LAZY = ("msgspec-lazy", "slots-lazy")
#: The agent loop per read path: opencode's full read (with and without its row cache), the
#: cache-aware read (row cache required) and the incremental one.
GROWTH = ("spread", "fixed", "msgspec-nogc", "msgspec-lazy", "cached:fixed", "cached:msgspec-lazy")
CACHE_AWARE = ("cached:fixed", "cached:msgspec-lazy", "cached:slots-lazy")
INCREMENTAL = ("fixed", "msgspec-lazy", "slots-lazy")
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
                ("msgspec-nogc", "msgspec-lazy"),
                (2000,),
                {"iterations": 20, **pyperf_params(3)},
                OPEN_MAP,
                repeats=QUICK_REPEATS,
            ),
            Sweep(
                "gcprobe",
                "hydrate_all",
                "realistic",
                REQUIRED + ("msgspec-nogc",),
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
                ("msgspec-lazy",),
                repeats=QUICK_REPEATS,
            ),
            # No flame graphs (seconds each): python -m memray flamegraph memory/<job>.bin renders one.
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
            Sweep("memory", "hydrate_all", "realistic", GC_STUDY, (50000,)),
            Sweep("timing", "read_site", "reference", READ_SITE_KINDS, SHAPE_COUNTS, pyperf_params(5, 2), repeats=3),
            # Line profiles of the hot paths (skipped with a note where scalene is not installed).
            Sweep("scalene", "hydrate_all", "realistic", REQUIRED, (20000,), {"rounds": 5}),
            Sweep("scalene", "access", "reference", REQUIRED, (5000,), {"rounds": 5, "iterations": 50}),
        ),
        timeout=1200,
        duration="about 35 minutes",
    ),
}
