"""The catalogue of measurers: what each observes, which workloads and parameters it takes.

A measurer is added here and nowhere else: ``harness list``, the planner, the runner (which
files it leaves in the run directory, which arguments it takes), the interpreter probe and
the tidy table (which measurers have a GC mode) all read this table. Workloads have their
own, as data (``harness.workloads.catalogue.WORKLOADS``).

``check(job)`` is the one validation every job passes, in the planner and again in the
measurer's process: known measurer and workload (the closest name suggested otherwise), a
workload the measurer runs, and parameters that are declared, of the right type and in range,
with every default filled in.
"""

from __future__ import annotations

import difflib
import importlib.util
import itertools
import shutil
import subprocess
import sys
from dataclasses import dataclass, replace
from typing import Any, Dict, Iterable, Optional, Tuple

from harness.protocol.job import MAX_LOOPS, MAX_PROCESSES, MAX_ROUNDS, MAX_SECONDS, MAX_VALUES, Job, JobError, Param
from harness.workloads.catalogue import WORKLOADS

GC_MODE = "gc_mode"
#: The workloads of timing, memory and scalene: all but the replays of a long-lived process (only the GC
#: probe runs those: they need a set number of iterations).
ALL_WORKLOADS = tuple(name for name, workload in WORKLOADS.items() if not workload.long_lived)


@dataclass(frozen=True)
class Artifact:
    """A file a measurer writes beside its result, placed by the runner in the run directory:
    the job parameter ``param`` is set to ``<run>/<directory>/<job id><suffix>``."""

    param: str
    directory: str
    suffix: str


@dataclass(frozen=True)
class Measurer:
    """One measurer: ``python -m harness.measure.<name> --job JOB --out RESULT``."""

    name: str
    description: str
    workloads: Tuple[str, ...]
    params: Tuple[Param, ...] = ()
    #: A module the measurer needs for its main figures, and what it does without it.
    optional_module: Optional[str] = None
    #: The oldest version of it the measurer works with ("" = any).
    optional_version: str = ""
    without_it: str = ""
    #: Executables it runs (found on PATH) and the interpreters it measures (``sys.implementation.name``;
    #: empty: any): without them its jobs cannot run at all, and the planner skips them with a note.
    executables: Tuple[str, ...] = ()
    implementations: Tuple[str, ...] = ()
    artifact: Optional[Artifact] = None
    command_args: Tuple[str, ...] = ()
    #: How ``harness compare`` judges its figures (``harness.analysis.verdict``): "pyperf" (samples, t-test and
    #: threshold), "exact" (deterministic counts: any difference is a change), "counts" (instruction counts: a
    #: difference beyond ``COUNT_THRESHOLD`` is a change) or "untested" (ratio only).
    comparison: str = "untested"

    @property
    def module(self) -> str:
        return f"harness.measure.{self.name}"

    @property
    def gc_modes(self) -> Tuple[str, ...]:
        """The GC modes its jobs may run under (empty when the GC mode does not apply)."""
        return next((param.choices for param in self.params if param.name == GC_MODE), ())

    @property
    def planned_only_where_available(self) -> bool:
        """Whether its jobs are left out of a plan where it is unavailable (it needs an executable or
        an interpreter), rather than run to degrade or skip themselves."""
        return bool(self.executables or self.implementations)

    def availability(self) -> Tuple[bool, str]:
        """Whether it can run on this interpreter, its executables are on PATH and its optional module
        is importable here, recent enough, and which versions they are; otherwise why not and what the
        measurer does without it."""
        implementation = sys.implementation.name
        if self.implementations and implementation not in self.implementations:
            return False, f"it does not measure {implementation}: {self.without_it}"
        missing = [name for name in self.executables if shutil.which(name) is None]
        if missing:
            return False, f"{', '.join(missing)} not found on PATH: {self.without_it}"
        if self.optional_module is None:
            return True, ", ".join(filter(None, map(executable_version, self.executables)))
            return True, ""
        if importlib.util.find_spec(self.optional_module) is None:
            return False, f"{self.optional_module} is not installed: {self.without_it}"
        found = package_version(self.optional_module)
        if found and self.optional_version and _release(found) < _release(self.optional_version):
            return False, f"{self.optional_module} {found} is older than {self.optional_version}: {self.without_it}"
        return True, f"{self.optional_module} {found or '(version unknown)'}"


def package_version(name: str) -> Optional[str]:
    """An installed distribution's version, or None."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def executable_version(name: str) -> str:
    """``name --version``'s first line (``valgrind-3.19.0``), or the name alone when it does not say."""
    try:
        done = subprocess.run([name, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return name
    return (done.stdout.strip().splitlines() or [name])[0]


def _release(text: str) -> Tuple[int, ...]:
    """The leading numbers of a version string: ``2.4.0rc1`` -> (2, 4, 0)."""
    numbers = []
    for part in text.split("."):
        digits = "".join(itertools.takewhile(str.isdigit, part))
        if not digits:
            break
        numbers.append(int(digits))
    return tuple(numbers)


def _rounds(default: int) -> Param:
    return Param(
        "rounds",
        int,
        default,
        "workload calls in the measured region (run_loop: loop iterations; serve: the process's iterations)",
        minimum=1,
        maximum=MAX_ROUNDS,
    )


#: pyperf's settings a timing job may give: its Runner's, and ``affinity`` (its ``--affinity`` option,
#: which pins the worker to those CPUs). Each is what runs: a count of 0 would not mean
#: none (pyperf's Runner reads 0 processes or values as "its default", 20 processes), so it is refused;
#: ``loops`` 0 is pyperf's own "calibrate", and the loops it chose are in its JSON.
PYPERF_SETTINGS = (
    Param("processes", int, None, "worker processes", minimum=1, maximum=MAX_PROCESSES),
    Param("values", int, None, "values per process", minimum=1, maximum=MAX_VALUES),
    Param("warmups", int, None, "warm-up values per process, not kept", minimum=0, maximum=MAX_VALUES),
    Param("loops", int, None, "workload calls per value (0: pyperf calibrates)", minimum=0, maximum=MAX_LOOPS),
    Param(
        "min_time", float, None, "seconds a value lasts at least when pyperf calibrates", minimum=0, maximum=MAX_SECONDS
    ),
    Param("affinity", str, None, "CPUs pyperf pins its worker to, a CPU list (0, 0-1, 0,2): pyperf's --affinity"),
)


def _gc_mode(*modes: str) -> Param:
    return Param(GC_MODE, str, "enabled", "the cyclic GC during measurement", choices=modes)


MEASURERS: Dict[str, Measurer] = {
    m.name: m
    for m in (
        Measurer(
            "census",
            "key sets / key orders / classes, CPython compact layout, GC-tracked objects, deep bytes",
            ("hydrate_all",),
            comparison="exact",
        ),
        Measurer(
            "timing",
            "pyperf: seconds per call and ns per read / row / message, several worker processes",
            ALL_WORKLOADS,
            (
                Param("pyperf", dict, {}, "pyperf Runner settings", keys=PYPERF_SETTINGS),
                Param("pyperf_json", str, "", "where pyperf's own JSON goes (default: beside the result)"),
            ),
            artifact=Artifact("pyperf_json", "timing", ".json"),
            command_args=("--quiet",),
            comparison="pyperf",
        ),
        Measurer(
            "gcprobe",
            "gc.callbacks: GC share of wall time, per-generation pauses; GC-off and freeze controls; serve: a"
            " long-lived process replayed, GC in and between its iterations, CPU, RSS and the heap at its peak",
            ("hydrate_all", "run_loop", "serve"),
            (_rounds(5), _gc_mode("enabled", "disabled", "freeze")),
        ),
        Measurer(
            "memory",
            "memray: peak and retained bytes per message, allocations, flamegraph; RSS fallback",
            ALL_WORKLOADS,
            (
                _rounds(1),
                _gc_mode("enabled", "disabled"),
                Param("trace_python_allocators", bool, True, "trace every pymalloc block (exact object bytes)"),
                Param("capture", str, "", "where memray's capture goes (default: beside the result)"),
                Param("flamegraph", bool, True, "render memray's flame graph of the capture (seconds per job)"),
            ),
            optional_module="memray",
            without_it="RSS figures only",
            artifact=Artifact("capture", "memory", ".bin"),
        ),
        Measurer(
            "scalene",
            "scalene line profile of the measured calls: CPU split Python / native / system, memory, copy volume",
            ALL_WORKLOADS,
            (
                _rounds(10),
                Param(
                    "min_seconds",
                    float,
                    1.0,
                    "more calls until the profile spans this long",
                    minimum=0,
                    maximum=MAX_SECONDS,
                ),
            ),
            optional_module="scalene",
            optional_version="2.0",
            without_it="the job is skipped with a note (pip install 'shape-harness[scalene]')",
        ),
        Measurer(
            "instructions",
            "callgrind: instructions per call and per read / row / message; deterministic, one process",
            ALL_WORKLOADS,
            (
                _rounds(3),
                Param("warmups", int, 1, "workload calls before it, not counted", minimum=0, maximum=MAX_ROUNDS),
                Param("callgrind", str, "", "where the counted region's callgrind file goes (default: beside it)"),
            ),
            without_it="its jobs are skipped with a note (apt-get install valgrind; setarch is util-linux's)",
            executables=("valgrind", "setarch"),
            implementations=("cpython",),
            artifact=Artifact("callgrind", "counts", ".callgrind.out"),
            comparison="counts",
        ),
    )
}

#: Measurers whose jobs run under a GC mode (tidy column ``gc_mode``).
GC_MODE_MEASURERS = tuple(name for name, measurer in MEASURERS.items() if measurer.gc_modes)


def _closest(kind: str, name: str, known: Iterable[str]) -> JobError:
    known = list(known)
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"choose from {', '.join(known)}"
    return JobError(f"unknown {kind} {name!r}; {hint}")


def measurer(name: str) -> Measurer:
    """The catalogue entry of a measurer; JobError suggesting the closest name."""
    if name not in MEASURERS:
        raise _closest("measurer", name, MEASURERS)
    return MEASURERS[name]


def check(job: Job) -> Job:
    """The job with every parameter checked and every default filled in; JobError when it cannot run."""
    entry = measurer(job.measurer)
    if job.workload not in WORKLOADS:
        raise _closest("workload", job.workload, WORKLOADS)
    if job.workload not in entry.workloads:
        raise JobError(f"the {entry.name} measurer runs {', '.join(entry.workloads)}, not {job.workload!r}")
    declared = {param.name: param for param in (*entry.params, *WORKLOADS[job.workload].params)}
    unknown = sorted(set(job.params) - set(declared))
    if unknown:
        known = ", ".join(declared) or "none"
        raise JobError(f"{entry.name} / {job.workload} take no parameter {', '.join(unknown)} (they take: {known})")
    params = {
        name: param.check(job.params[name]) if name in job.params else param.default for name, param in declared.items()
    }
    return replace(job, params=params)


def workload_variant(workload: str, params: Dict[str, Any]) -> str:
    """A job's workload variant: ``name=value`` for every variant parameter of its workload set to
    something other than its default (``read_path=incremental``, ``reads=open-map``), comma-joined;
    empty for the workload as it always ran, and for a workload the catalogue does not know."""
    entry = WORKLOADS.get(workload)
    if entry is None:
        return ""
    return ",".join(
        f"{param.name}={params[param.name]}"
        for param in entry.params
        if param.variant and param.name in params and params[param.name] != param.default
    )


def workload_param(workload: str, params: Dict[str, Any], name: str) -> str:
    """A job's value of one of its workload's parameters as text (its default when unset); empty
    for a workload that does not take the parameter."""
    entry = WORKLOADS.get(workload)
    declared = next((param for param in entry.params if param.name == name), None) if entry else None
    if declared is None:
        return ""
    return str(params.get(name, declared.default))
