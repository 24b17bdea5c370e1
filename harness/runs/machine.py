"""The machine's state while each job ran, as the runner saw it: other work beside it, load, CPU share.

For every job the runner records (``machine.json`` in the run directory, rewritten atomically after
each job) its wall seconds, the CPU seconds of its processes (the measurer and every worker it
waited for: the runner's ``getrusage(RUSAGE_CHILDREN)`` before and after), the CPU seconds the
whole machine spent busy meanwhile (``/proc/stat``: user, nice, system, irq, softirq and steal —
time a hypervisor gave to others — on Linux) and the 1-minute load average when the job started and
ended. The tidy table carries, per job:

- ``other_cores``: (machine busy seconds − the job's CPU seconds) / wall seconds — how many cores
  other work kept busy beside the job, on average over the job's whole length. About 0 on a quiet
  machine, about 1 beside one busy loop; None where ``/proc/stat`` is missing.
- ``load``: the load average when the job ended (a 1-minute moving average: it lags, and a run of
  short jobs never lifts it to 1 by itself), shown for reference.
- ``cpu_share``: CPU seconds / wall seconds of the job: near 1 for a one-threaded job that had a
  core to itself, lower when it waited for one.

Each job's state also names the other harness runs whose runner was alive under the same results
root when it started or ended (``other_runs``: their lock files, ``harness.runs.lock.active_runs``);
``concurrent_runs`` gathers them for the manifest's key of that name. A run that began and ended
within one job of another is seen by that other run, not by this one.

A run was **busy** when its median job had at least ``busy_margin(cores)`` cores of other work
beside it: half a core on two cores, a quarter of the cores on a larger machine. Two sets of jobs
ran under **different machine states** when their median ``other_cores`` differ by that margin:
a figure measured under them is not compared (``harness compare`` says so instead of a verdict).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Set

from harness.atomic import write_text
from harness.runs import lock

STATE_FILE = "machine.json"


def busy_margin(cores: Optional[int]) -> float:
    """The other work (in cores) that makes a machine busy: half a core, or a quarter of the cores."""
    return max(0.5, 0.25 * (cores or 1))


def _load() -> Optional[float]:
    try:
        return os.getloadavg()[0]
    except (OSError, AttributeError):
        return None


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


#: /proc/stat's busy fields of the "cpu" line: user, nice, system, (idle, iowait skipped) irq,
#: softirq, steal (guest time is already in user).
_BUSY_FIELDS = (0, 1, 2, 5, 6, 7)


def _machine_busy() -> Optional[float]:
    """CPU seconds every core of the machine has spent busy since boot, or None without /proc/stat."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = stat.readline().split()[1:]
        return sum(int(fields[index]) for index in _BUSY_FIELDS) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


class Watch:
    """Wall time, the job's CPU time, the machine's busy time and the load around one job, and the
    other runs beside it when it is a job of the run in ``run_dir``:
    ``with Watch(run_dir) as watch: …; watch.state``."""

    def __init__(self, run_dir: Optional[Path] = None) -> None:
        self.run_dir = run_dir

    def __enter__(self) -> Watch:
        self.others = lock.active_runs(self.run_dir) if self.run_dir is not None else []
        self.load_start, self.cpu, self.busy = _load(), _children_cpu(), _machine_busy()
        self.began = time.monotonic()
        self.state: Dict[str, Any] = {}
        return self

    def __exit__(self, *exc: Any) -> None:
        wall = time.monotonic() - self.began
        cpu = _children_cpu() - self.cpu
        busy_now = _machine_busy()
        other = None
        if wall > 0 and busy_now is not None and self.busy is not None:
            other = max(0.0, (busy_now - self.busy - cpu) / wall)
        self.state = {
            "load_start": self.load_start,
            "load_end": _load(),
            "wall_s": wall,
            "cpu_s": cpu,
            "cpu_share": cpu / wall if wall > 0 else None,
            "other_cores": other,
        }
        if self.run_dir is not None:
            self.state["other_runs"] = sorted({*self.others, *lock.active_runs(self.run_dir)})


def states(run_dir: Path) -> Dict[str, Any]:
    """The run's ``machine.json`` (``cores`` and ``jobs``); without one (or unreadable), no job."""
    try:
        found = json.loads((Path(run_dir) / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        found = None
    if not isinstance(found, dict) or not isinstance(found.get("jobs"), dict):
        return {"cores": os.cpu_count(), "jobs": {}}
    found["jobs"] = {job: state for job, state in found["jobs"].items() if isinstance(state, dict)}
    return found


def concurrent_runs(run_dir: Path) -> List[str]:
    """Every other run that was active beside one of the run's jobs (``other_runs``), sorted."""
    found: Set[str] = set()
    for state in states(run_dir)["jobs"].values():
        others = state.get("other_runs")
        if isinstance(others, list):
            found.update(name for name in others if isinstance(name, str))
    return sorted(found)


def record(run_dir: Path, job: str, state: Dict[str, Any]) -> None:
    """Add (or replace) one job's state in the run's ``machine.json``."""
    found = states(run_dir)
    found["jobs"][job] = state
    write_text(Path(run_dir) / STATE_FILE, json.dumps(found, indent=1) + "\n")


def median(values: Iterable[Any]) -> Optional[float]:
    """The median of the numbers among ``values`` (NaN and None left out), or None."""
    numbers = [float(value) for value in values if value is not None and value == value]
    return statistics.median(numbers) if numbers else None


def busy(others: Iterable[Any], cores: Optional[int]) -> Optional[str]:
    """Why a run's machine was busy (the other work beside its median job), or None."""
    other = median(others)
    if other is None or other < busy_margin(cores):
        return None
    return (
        f"the machine was busy during this run: the median job had other work on {other:.2f} of "
        f"{cores or '?'} cores beside it"
    )


def differed(others_a: Iterable[Any], others_b: Iterable[Any], cores: Optional[int]) -> Optional[str]:
    """``other work A vs B`` when two sets of jobs ran beside clearly different other work, else None."""
    a, b = median(others_a), median(others_b)
    if a is None or b is None or abs(a - b) < busy_margin(cores):
        return None
    return f"other work on {a:.1f} vs {b:.1f} cores"
