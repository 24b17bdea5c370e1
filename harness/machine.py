"""The machine's state while each job ran, as the runner saw it: load and the job's share of a CPU.

For every job the runner records (``machine.json`` in the run directory, rewritten atomically after
each job) the 1-minute load average when the job started and when it ended, its wall seconds and
the CPU seconds of its processes (the measurer and every worker it waited for: the runner's
``getrusage(RUSAGE_CHILDREN)`` before and after). The tidy table carries, per job:

- ``load``: the load average when the job ended. It is a 1-minute moving average, so it says
  what the machine did over the last minute of the run; the job's own process counts as about 1.
- ``cpu_share``: CPU seconds / wall seconds. A one-threaded job that had a core to itself is near
  1 (process start and pyperf's idle manager pull it a little lower); a job that waited for a core
  is lower.

A run was **busy** when the median job's load exceeded 1 (its own process) by ``busy_margin(cores)``:
half a core on two cores, a quarter of the cores on a larger machine. Two sets of jobs ran under
**different machine states** when their median loads differ by that margin or more: a figure
measured under them is not compared (``harness compare`` says so instead of a verdict).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import time
from pathlib import Path
from typing import Any, Dict, Iterable, Optional

from harness.atomic import write_text

STATE_FILE = "machine.json"


def busy_margin(cores: Optional[int]) -> float:
    """The load beyond one process that makes a machine busy: half a core, or a quarter of them."""
    return max(0.5, 0.25 * (cores or 1))


def _load() -> Optional[float]:
    try:
        return os.getloadavg()[0]
    except (OSError, AttributeError):
        return None


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Watch:
    """Load, wall and children's CPU time around one job: ``with Watch() as watch: …; watch.state``."""

    def __enter__(self) -> Watch:
        self.load_start, self.cpu, self.began = _load(), _children_cpu(), time.monotonic()
        self.state: Dict[str, Any] = {}
        return self

    def __exit__(self, *exc: Any) -> None:
        wall = time.monotonic() - self.began
        cpu = _children_cpu() - self.cpu
        self.state = {
            "load_start": self.load_start,
            "load_end": _load(),
            "wall_s": wall,
            "cpu_s": cpu,
            "cpu_share": cpu / wall if wall > 0 else None,
        }


def states(run_dir: Path) -> Dict[str, Any]:
    """The run's ``machine.json`` (``cores`` and ``jobs``); without one (or unreadable), no job."""
    try:
        found = json.loads((Path(run_dir) / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        found = None
    if not isinstance(found, dict) or not isinstance(found.get("jobs"), dict):
        return {"cores": os.cpu_count(), "jobs": {}}
    return found


def record(run_dir: Path, job: str, state: Dict[str, Any]) -> None:
    """Add (or replace) one job's state in the run's ``machine.json``."""
    found = states(run_dir)
    found["jobs"][job] = state
    write_text(Path(run_dir) / STATE_FILE, json.dumps(found, indent=1) + "\n")


def median(values: Iterable[Any]) -> Optional[float]:
    """The median of the numbers among ``values`` (NaN and None left out), or None."""
    numbers = [float(value) for value in values if value is not None and value == value]
    return statistics.median(numbers) if numbers else None


def busy(loads: Iterable[Any], cores: Optional[int]) -> Optional[str]:
    """Why a run's machine was busy (its median job load, over its own process), or None."""
    load = median(loads)
    if load is None or load - 1 < busy_margin(cores):
        return None
    return (
        f"the machine was busy during this run: median load average {load:.2f} on {cores or '?'} cores "
        f"(the job itself counts about 1)"
    )


def differed(loads_a: Iterable[Any], loads_b: Iterable[Any], cores: Optional[int]) -> Optional[str]:
    """``load A vs B`` when two sets of jobs ran under clearly different load, else None."""
    a, b = median(loads_a), median(loads_b)
    if a is None or b is None or abs(a - b) < busy_margin(cores):
        return None
    return f"load {a:.1f} vs {b:.1f}"
