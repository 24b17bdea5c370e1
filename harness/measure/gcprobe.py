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
size, and the last iteration's time with its history, the largest). Rebuilds
report rows built per second (every round's rows over the wall time, GC
included). Units: seconds, share in [0, 1], objects, rows/s, messages. Known
biases: callback overhead is included in GC time (microseconds per collection).
PyPy has no ``gc.callbacks``: its ``gc.hooks`` report minor collections and
incremental major steps with their durations (no objects-collected counts), and
it has no ``gc.freeze``.
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from harness.measure.entry import run_measurer
from harness.metrics import fit
from harness.protocol.job import Figure, Job, JobError


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
        if not (hasattr(gc, "callbacks") or hasattr(gc, "hooks")):
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
    figures.append(
        Figure(
            "seconds_per_iteration_per_1k_history",
            (fit([s["history"] / 1000 for s in steps], [s["seconds"] for s in steps]) or (0.0, 0.0))[0],
            "s",
            rounds,
        )
    )
    figures += [
        Figure("last_iteration_s", steps[-1]["seconds"], "s"),
        Figure("last_iteration_gc_s", steps[-1]["gc_seconds"], "s"),
        Figure("largest_history", steps[-1]["history"], "messages"),
    ]
    return {"figures": figures, "extra": {"iterations": steps, "session": session.session_id}}


def measure(job: Job, out: Path) -> Dict[str, Any]:
    mode = job.params["gc_mode"]
    outcome = _growth(job, mode) if job.workload == "run_loop" else _hydrate_rounds(job, mode)
    thresholds = getattr(gc, "get_threshold", None)
    outcome["extra"].update(gc_mode=mode, gc_thresholds=list(thresholds()) if thresholds else None)
    return outcome


if __name__ == "__main__":
    sys.exit(run_measurer("gcprobe", measure, description=__doc__))
