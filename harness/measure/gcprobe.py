"""GC probe: how much of a workload's wall time the cyclic garbage collector takes.

Every collection is timed through ``gc.callbacks`` (start/stop pairs, per
generation: count, total seconds, longest pause, objects collected). GC share =
GC seconds / wall seconds of the measured loop. ``params.gc_mode`` selects the
control: ``enabled`` (the interpreter's defaults), ``disabled`` (``gc.disable()``:
the same work without collections) or ``freeze`` (``gc.freeze()`` after the data
is loaded, so the dataset's own objects leave the collected generations).
Workloads: ``hydrate_all`` rebuilt ``params.rounds`` times (each round's objects
replace the previous round's, as a re-reading loop does), after one unmeasured
round whose objects are dropped (the allocator's arenas and the CPU, which a
quiet machine lets idle between jobs, are warm when measuring starts: six
processes of a 0.07 s msgspec-lazy rebuild on a shared two-core VM took
0.066–0.079 s with it, 0.075–0.104 s without), and ``run_loop``
grown by ``params.growth`` messages for ``params.rounds`` iterations from a
history of ``size`` messages, read through ``params.read_path`` (per-iteration
time and GC time are kept; reported: the slope of iteration time over history
size (``harness.metrics.loop_slope``: over the iterations after the first,
when they span a tenth of the history or more), and the last iteration's time with its history,
the largest). Rebuilds report rows built per second (every round's rows over
the wall time, GC included). Units: seconds, share in [0, 1], objects, rows/s, messages. Known
biases: callback overhead is included in GC time (microseconds per collection).
PyPy has no ``gc.callbacks``: its ``gc.hooks`` report minor collections and
incremental major steps with their durations (no objects-collected counts), and
it has no ``gc.freeze``.

``serve`` replays a long-lived opencode serve process (``harness.workloads.serve``):
the process is bound (its memory estimated, a job that would not fit refused), holds
``params.retain_mb`` MiB of ballast, runs one unmeasured iteration of each session,
then the window: ``params.rounds`` iterations taken by the sessions in turn, at
``params.rate`` per second (sleeping until each is due; 0: back to back). After each
iteration, outside its time, the RSS (``/proc/self/statm``) and the GC-tracked
objects are observed; the process's clock stops meanwhile (the next iteration is
due that much later, and the CPU and wall seconds of observing are left out of
``cpu_s``, ``elapsed_s`` and the gaps' ``idle_seconds``). One probe times the
collections inside iterations (``gc_s``, ``gc_share`` of the iterations' wall
``wall_s``, per generation), another those in
the gaps between them (``gc_idle_s``); ``gc_cpu_share`` is both over the window's
CPU seconds. At the peak (after the last iteration, every session's history and
frames alive) a full collection runs, then the tracked objects are counted by type.
Per-iteration records are kept. Units: seconds, ratios, bytes, objects, messages.
Known biases: the RSS holds the rows the window will append, which the replay reads
up front (tuples of atoms, which leave the GC's tracked objects). CPython collects
only when a tracked object is allocated, so its gaps see almost no collection.
PyPy calls its hooks after the collections, batched, so a collection late in an
iteration may be counted in the gap after it; its ``gc.get_objects`` returns every
object, not only those a cyclic collector would track.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from harness.measure.entry import run_measurer
from harness.measure.memory import current_rss
from harness.metrics import (
    CPU_S,
    CPU_UTILISATION,
    ELAPSED_S,
    GC_CPU_SHARE,
    GC_IDLE_S,
    HEAP_COUNTS,
    ITERATION_S,
    LAG_S,
    LARGEST_HISTORY,
    LAST_ITERATION_S,
    PEAK_RSS_BYTES,
    WALL_S,
    Metric,
    loop_slope,
)
from harness.protocol.job import Figure, Job, JobError

if TYPE_CHECKING:
    from harness.workloads.serve import ServeProcess


class GcProbe:
    """Times collections per generation while installed: in ``gc.callbacks`` on CPython, in
    ``gc.hooks`` on PyPy (generation 0 = minor collections, 1 = incremental major-collection
    steps, 2 = completed major collections, whose time is already in their steps)."""

    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.total = [0.0, 0.0, 0.0]
        self.longest = [0.0, 0.0, 0.0]
        self.collected = [0, 0, 0]
        self._started = 0.0

    def __call__(self, phase: str, info: Dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        pause = time.perf_counter() - self._started
        generation = min(int(info.get("generation", 2)), 2)
        self.count[generation] += 1
        self.total[generation] += pause
        self.longest[generation] = max(self.longest[generation], pause)
        self.collected[generation] += int(info.get("collected", 0))

    @property
    def seconds(self) -> float:
        return sum(self.total)

    def _pypy(self, generation: int, stats: Any, timed: bool = True) -> None:
        self.count[generation] += stats.count
        if timed:
            self.total[generation] += stats.duration
            self.longest[generation] = max(self.longest[generation], stats.duration_max)

    def on_gc_minor(self, stats: Any) -> None:
        self._pypy(0, stats)

    def on_gc_collect_step(self, stats: Any) -> None:
        self._pypy(1, stats)

    def on_gc_collect(self, stats: Any) -> None:
        self._pypy(2, stats, timed=False)

    def __enter__(self) -> GcProbe:
        if hasattr(gc, "callbacks"):
            gc.callbacks.append(self)
        elif hasattr(gc, "hooks"):
            gc.hooks.set(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        if hasattr(gc, "callbacks"):
            if self in gc.callbacks:
                gc.callbacks.remove(self)
        elif hasattr(gc, "hooks"):
            gc.hooks.reset()

    def figures(self, wall: float, n: int = 1) -> List[Figure]:
        found = [Figure("wall_s", wall, "s", n)]
        if not gc_observed():
            return found
        found += [
            Figure("gc_s", self.seconds, "s", n),
            Figure("gc_share", self.seconds / wall if wall else 0.0, "ratio", n),
        ]
        for generation in range(3):
            found += [
                Figure(f"gc{generation}_collections", self.count[generation], "count", n),
                Figure(f"gc{generation}_s", self.total[generation], "s", n),
                Figure(f"gc{generation}_max_pause_s", self.longest[generation], "s", n),
                Figure(f"gc{generation}_collected", self.collected[generation], "objects", n),
            ]
        return found


def gc_observed() -> bool:
    """Whether the interpreter reports its collections (``gc.callbacks`` or PyPy's ``gc.hooks``)."""
    return hasattr(gc, "callbacks") or hasattr(gc, "hooks")


def tracked_objects() -> Optional[int]:
    """Objects the cyclic GC currently tracks (None where the interpreter cannot say)."""
    try:
        return len(gc.get_objects())
    except (AttributeError, NotImplementedError):
        return None


def _apply_mode(mode: str) -> None:
    if mode == "disabled":
        gc.disable()
    elif mode == "freeze":
        gc.collect()
        if not hasattr(gc, "freeze"):
            raise JobError(f"gc.freeze() does not exist on {sys.implementation.name}")
        gc.freeze()


def _hydrate_rounds(job: Job, mode: str) -> Dict[str, Any]:
    from harness.workloads.binding import prepare

    rounds = job.params["rounds"]
    prepared = prepare(job, rounds)
    try:
        prepared.run()  # the unmeasured round; its objects are freed here
        _apply_mode(mode)
        before = tracked_objects()
        probe = GcProbe()
        kept = None
        with probe:
            begin = time.perf_counter()
            for _ in range(rounds):
                kept = prepared.run()
            wall = time.perf_counter() - begin
        after = tracked_objects()
        del kept
    finally:
        gc.enable()
        prepared.close()
    figures = probe.figures(wall, rounds)
    figures.append(Figure("rows_per_s", prepared.units * rounds / wall if wall else 0.0, "rows/s", rounds))
    if before is not None and after is not None:
        figures.append(Figure("tracked_per_message", (after - before) / max(1, job.size), "objects"))
    return {"figures": figures, "extra": {"rows": prepared.units, "rounds": rounds}}


def _growth(job: Job, mode: str) -> Dict[str, Any]:
    from harness.workloads.binding import prepare

    rounds = job.params["rounds"]
    prepared = prepare(job, rounds)
    session = prepared.session
    assert session is not None, "run_loop binds a growing session"
    try:
        _apply_mode(mode)
        probe = GcProbe()
        steps = []
        with probe:
            begin = time.perf_counter()
            for _ in range(rounds):
                gc_before, started = probe.seconds, time.perf_counter()
                kept = len(prepared.run())
                steps.append(
                    {
                        "history": session.size,
                        "kept": kept,
                        "seconds": time.perf_counter() - started,
                        "gc_seconds": probe.seconds - gc_before,
                    }
                )
            wall = time.perf_counter() - begin
    finally:
        gc.enable()
        prepared.close()
    figures = probe.figures(wall, rounds)
    warm = steps[1:]  # the first pays what a process pays once
    slope = loop_slope([step["history"] for step in warm], [step["seconds"] for step in warm])
    if slope is not None:
        figures.append(Figure("seconds_per_iteration_per_1k_history", slope[0], "s", rounds))
    figures += [
        Figure("last_iteration_s", steps[-1]["seconds"], "s"),
        Figure("last_iteration_gc_s", steps[-1]["gc_seconds"], "s"),
        Figure("largest_history", steps[-1]["history"], "messages"),
    ]
    extra: Dict[str, Any] = {"iterations": steps, "session": session.session_id}
    if prepared.counts is not None:
        extra["read_counts"] = dict(prepared.counts)
    return {"figures": figures, "extra": extra}


def tracked_types() -> Optional[Counter]:
    """The objects the cyclic GC tracks, counted by type name (None where the interpreter cannot say)."""
    try:
        objects = gc.get_objects()
    except (AttributeError, NotImplementedError):
        return None
    return Counter(type(obj).__name__ for obj in objects)


def _figure(metric: Metric, value: float, n: int) -> Figure:
    return Figure(metric.name, value, metric.unit, n)


@dataclass
class _Window:
    """The serve window: a record per iteration, the GC in the iterations (``busy``) and in the gaps
    after them (``idle``), its wall and CPU seconds (observations left out) and the last one's lag."""

    steps: List[Dict[str, Any]]
    busy: GcProbe
    idle: GcProbe
    elapsed: float
    cpu: float
    lag: float


def _observe() -> Tuple[Optional[int], Optional[int], float, float]:
    """The RSS and the GC-tracked objects now, and the CPU and wall seconds looking took."""
    cpu, began = time.process_time(), time.perf_counter()
    rss, tracked = current_rss(), tracked_objects()
    return rss, tracked, time.process_time() - cpu, time.perf_counter() - began


def _serve_window(process: ServeProcess, rounds: int, rate: float) -> _Window:
    """``rounds`` iterations of the process, iteration ``j`` due ``j / rate`` seconds after the start
    on the process's clock, which stops while the harness observes (so observations take no idle
    time from the process, and their CPU and wall seconds are left out of the window's)."""
    busy, idle = GcProbe(), GcProbe()
    steps: List[Dict[str, Any]] = []
    looked = paused = lag = 0.0
    start, cpu_start = time.perf_counter(), time.process_time()
    for j in range(rounds):
        index = j % len(process.sessions)
        with busy:
            gc_before, cpu_before, began = busy.seconds, time.process_time(), time.perf_counter()
            kept = len(process())
            ended = time.perf_counter()
            step: Dict[str, Any] = {
                "round": j,
                "session": index,
                "history": process.size_of(index),
                "kept": kept,
                "seconds": ended - began,
                "cpu_seconds": time.process_time() - cpu_before,
                "gc_seconds": busy.seconds - gc_before,
            }
        lag = max(0.0, began - paused - start - j / rate) if rate else 0.0
        with idle:
            idle_before = idle.seconds
            rss, tracked, cpu_cost, wall_cost = _observe()
            looked, paused = looked + cpu_cost, paused + wall_cost
            wait = start + paused + (j + 1) / rate - time.perf_counter() if rate and j + 1 < rounds else 0.0
            if wait > 0:
                time.sleep(wait)
            step.update(
                gc_idle_seconds=idle.seconds - idle_before,
                idle_seconds=time.perf_counter() - ended - wall_cost,
                rss_bytes=rss,
                tracked_objects=tracked,
            )
        steps.append(step)
    elapsed, cpu = time.perf_counter() - start - paused, time.process_time() - cpu_start - looked
    return _Window(steps, busy, idle, elapsed, cpu, lag)


def _serve_figures(window: _Window, mode: str, types: Optional[Counter]) -> List[Figure]:
    steps, n = window.steps, len(window.steps)
    wall = sum(step["seconds"] for step in steps)
    collected = mode != "disabled" and gc_observed()
    figures = window.busy.figures(wall, n) if collected else [_figure(WALL_S, wall, n)]
    if collected:
        gc_total = window.busy.seconds + window.idle.seconds
        figures += [
            _figure(GC_IDLE_S, window.idle.seconds, n),
            _figure(GC_CPU_SHARE, gc_total / window.cpu if window.cpu else 0.0, n),
        ]
    figures += [
        _figure(ELAPSED_S, window.elapsed, n),
        _figure(ITERATION_S, statistics.median(step["seconds"] for step in steps), n),
        _figure(LAST_ITERATION_S, steps[-1]["seconds"], n),
        _figure(LARGEST_HISTORY, max(step["history"] for step in steps), n),
        _figure(CPU_S, window.cpu, n),
        _figure(CPU_UTILISATION, window.cpu / window.elapsed if window.elapsed else 0.0, n),
        _figure(LAG_S, window.lag, n),
    ]
    rss = [step["rss_bytes"] for step in steps if step["rss_bytes"] is not None]
    if rss:
        figures.append(_figure(PEAK_RSS_BYTES, max(rss), n))
    if types is not None:
        figures.append(_figure(HEAP_COUNTS["tracked_objects"], sum(types.values()), n))
        figures += [_figure(HEAP_COUNTS[f"tracked_{kind}s"], types[kind], n) for kind in ("function", "cell", "dict")]
    return figures


def _serve(job: Job, mode: str) -> Dict[str, Any]:
    from harness.workloads.binding import prepare
    from harness.workloads.serve import ServeProcess, ballast

    params = job.params
    rounds = params["rounds"]
    prepared = prepare(job, rounds)
    process = prepared.run
    assert isinstance(process, ServeProcess), "serve binds its process"
    try:
        held = ballast(params["retain_mb"])
        process.warm_up()
        _apply_mode(mode)
        window = _serve_window(process, rounds, params["rate"])
        gc.collect()  # the peak: every session's state alive
        types = tracked_types()
        frames_held = process.frames_held
    finally:
        gc.enable()
        prepared.close()
    config = {name: params[name] for name in ("sessions", "growth", "rate", "framework", "fanout", "retain_mb")}
    extra = {
        "iterations": window.steps,
        "sessions": process.session_ids,
        "config": {**config, "ballast_records": len(held)},
        "heap_counts": dict(types.most_common(20)) if types is not None else None,
        "events": process.events_published,
        "frames_held": frames_held,
        "cache": process.cache,
        "estimate": asdict(process.budget),
    }
    return {"figures": _serve_figures(window, mode, types), "extra": extra}


#: How the GC probe runs each of its workloads.
_RUNS = {"hydrate_all": _hydrate_rounds, "run_loop": _growth, "serve": _serve}


def measure(job: Job, out: Path) -> Dict[str, Any]:
    mode = job.params["gc_mode"]
    outcome = _RUNS[job.workload](job, mode)
    thresholds = getattr(gc, "get_threshold", None)
    outcome["extra"].update(gc_mode=mode, gc_thresholds=list(thresholds()) if thresholds else None)
    return outcome


if __name__ == "__main__":
    sys.exit(run_measurer("gcprobe", measure, description=__doc__))
