"""Instructions: the instructions the measured calls execute, counted by valgrind's callgrind.

A count does not drift with the machine's load the way wall time does: the same interpreter build,
code, data and hash seed execute the same instructions, so two runs give the same figure and a
difference of a fraction of a percent is a change (``harness.analysis.verdict.count_verdict``).

The workload is prepared as the timing measurer prepares it (``harness.workloads.binding.prepare``),
then run in a plain target process under callgrind:
``setarch <arch> --addr-no-randomize valgrind --tool=callgrind --collect-atstart=no
--toggle-collect=closure_fcn --dump-after=closure_fcn … python -c TARGET --job job.json --out
target.json --target``, with ``PYTHONHASHSEED=0`` and ``LD_BIND_NOW=1`` (no lazy symbol binding
inside a region). The target runs in a scratch directory on a copy of the job without the run's file
paths: what it reads before counting (its ``sys.path``, its arguments, the job) must not differ
between two runs, since the heap it leaves moves the counts (a ``memcmp`` of a string that straddles
a page boundary takes another path). Its dataset path must therefore be absolute, as the runner's
are. Nothing is counted until a region starts: the target calls each region
through a ctypes ``CFUNCTYPE`` thunk, and C calling a Python callback through ctypes enters
``closure_fcn`` (``Modules/_ctypes/callbacks.c``, the same function on CPython 3.9 to 3.13, in the
pyenv builds and Debian's alike). Only Python callbacks enter it — a ctypes call *into* C, such as the
lifeline's ``prctl``, does not — so the regions are the target's own, and callgrind writes one
part per region. Client requests (``CALLGRIND_START_INSTRUMENTATION``) would need a compiled
extension; the thunk needs none.

The target makes ``params.warmups`` calls first, uncounted (one by default: what a first call pays
once, imports and first-use caches, stays out), then three regions: one that warms the thunk's
own path (discarded), the calibration — a loop of ``rounds`` calls of a no-op — and the measured
region, the same loop calling the workload. The calibration is subtracted, so the figures are the
calls' own: ``instructions_per_call`` and ``instructions_per_<unit>`` (read, row or message: the
workload's unit). A collection is run before each region, so each begins with an empty young
generation. The measured region's part is kept as ``<result stem>.callgrind.out`` unless the job's
``params.callgrind`` names another path (``callgrind_annotate FILE`` reads it); the result lists it
in ``artifacts``.

What a count misses, and wall time does not: cache misses, branch mispredictions, page faults of the
allocator, I/O waits, other threads (a GC pause elsewhere), and instruction cost itself (a
division is not an addition). Compare counts across code changes on one build; compare speeds with
the timing measurer. Where valgrind or setarch is missing, and on PyPy (its JIT's counts say more
about its tracing and warm-up than about the workload), the job is skipped with a note, as scalene's
are: the interpreter's probe reports the measurer unavailable (``harness.measure.catalogue.Measurer.availability``)
and the planner leaves its jobs out with the reason (``harness.runtime.python.PythonRuntime.refusal``).
"""

from __future__ import annotations

import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from harness.measure.entry import run_measurer
from harness.measure.lifeline import adopt_children, die_with_parent
from harness.protocol.environment import imported_elsewhere
from harness.protocol.job import Figure, Job, JobError

#: The C function a Python callback called through ctypes runs in: a region's bounds.
REGION_FUNCTION = "closure_fcn"
#: The regions the target runs, in order; callgrind writes one part file per region.
REGIONS = ("thunk warm-up", "calibration", "measured")
#: The environment that makes a count repeatable: one hash seed, every symbol bound at start.
FIXED_ENV = {"PYTHONHASHSEED": "0", "LD_BIND_NOW": "1"}


def target(job: Job) -> Dict[str, Any]:
    """The counted process (run under callgrind): warm-up calls, then the three regions, each called
    through a ctypes thunk. Its result carries no figures, only what the counts are divided by."""
    import ctypes

    from harness.workloads.binding import prepare

    rounds, warmups = job.params["rounds"], job.params["warmups"]
    prepared = prepare(job, rounds + warmups)
    try:
        for _ in range(warmups):
            prepared.run()

        def noop() -> None:
            return None

        def calls(function: Callable[[], Any]) -> Callable[[], None]:
            def region() -> None:
                for _ in range(rounds):
                    function()

            return region

        thunk = ctypes.CFUNCTYPE(None)
        regions = [thunk(calls(noop)), thunk(calls(noop)), thunk(calls(prepared.run))]
        for region in regions:
            gc.collect()
            region()
    finally:
        prepared.close()
    return {"figures": [], "extra": {"rounds": rounds, "units": prepared.units, "unit": prepared.unit}}


#: The target, started with ``-c`` so that its ``sys.path`` starts with ``""`` (the scratch directory it
#: runs in) rather than with a path that differs from run to run.
TARGET = "import sys; from harness.measure.instructions import main; sys.exit(main())"
#: The target's job and result files, in the scratch directory it runs in.
TARGET_JOB, TARGET_OUT = "job.json", "target.json"


def command(parts: Path) -> List[str]:
    """The target under callgrind, address-space randomisation off, counting only in regions."""
    return [
        "setarch",
        platform.machine(),
        "--addr-no-randomize",
        "valgrind",
        "--tool=callgrind",
        "--collect-atstart=no",
        f"--toggle-collect={REGION_FUNCTION}",
        f"--dump-after={REGION_FUNCTION}",
        f"--callgrind-out-file={parts}",
        sys.executable,
        "-c",
        TARGET,
        "--job",
        TARGET_JOB,
        "--out",
        TARGET_OUT,
        "--target",
    ]


def part_total(path: Path) -> int:
    """The instructions a callgrind part file counted (its ``totals:`` line, else ``summary:``)."""
    found: Dict[str, int] = {}
    with open(path, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            key, _, value = line.partition(":")
            if key in ("totals", "summary") and value.split():
                found[key] = int(value.split()[0])
    if not found:
        raise OSError(f"callgrind part {path.name} holds no total")
    return found.get("totals", found.get("summary", 0))


def figures_from(calibration: int, measured: int, rounds: int, units: int, unit: str) -> List[Figure]:
    """Instructions per call and per unit: the measured region less the calibration, over its calls.
    ValueError when the measured region did not execute more than the calibration: no count to give."""
    if measured <= calibration:
        raise ValueError(
            f"the measured region executed {measured:,} instructions, no more than the calibration's "
            f"{calibration:,}: the calls were not counted"
        )
    per_call = (measured - calibration) / rounds
    figures = [Figure("instructions_per_call", per_call, "instructions")]
    if units:
        figures.append(Figure(f"instructions_per_{unit}", per_call / units, "instructions"))
    return figures


def skipped_because() -> Optional[str]:
    """Why instructions cannot be counted here (None when they can): the catalogue's availability check."""
    from harness.measure.catalogue import MEASURERS

    available, detail = MEASURERS["instructions"].availability()
    return None if available else detail


def callgrind_path(job: Job, out: Path) -> Path:
    return Path(job.params["callgrind"] or out.with_name(out.stem + ".callgrind.out"))


def measure(job: Job, out: Path) -> Dict[str, Any]:
    from harness.workloads.binding import prepare

    prepare(job, job.params["rounds"] + job.params["warmups"]).close()  # a bad job is bad with or without valgrind
    reason = skipped_because()
    if reason:
        return {"figures": [], "extra": {"skipped": reason}}
    if not Path(job.dataset).is_absolute():
        raise JobError(f"the instructions measurer needs an absolute dataset path, not {job.dataset!r}")
    kept = Path(os.path.abspath(callgrind_path(job, out)))
    kept.parent.mkdir(parents=True, exist_ok=True)
    # The target runs in a scratch directory on a copy of the job without this run's file paths, so
    # nothing it reads before counting differs between two runs of the same job.
    with tempfile.TemporaryDirectory(prefix=".callgrind-", dir=kept.parent) as scratch:
        workdir = Path(scratch)
        (workdir / TARGET_JOB).write_text(json.dumps(job.with_params(callgrind="").to_dict()), encoding="utf-8")
        parts = workdir / "parts" / "callgrind.out"
        parts.parent.mkdir()
        argv = command(parts)
        adopt_children()  # the target (valgrind runs it in its own process) dies with this one
        env = {**os.environ, **FIXED_ENV}
        done = subprocess.run(argv, cwd=workdir, capture_output=True, text=True, env=env, preexec_fn=die_with_parent)
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        if done.returncode == 2 and last.startswith("error: "):  # the target refused the job
            raise JobError(last[len("error: ") :])
        target_out = workdir / TARGET_OUT
        if done.returncode != 0 or not target_out.exists():
            raise SystemExit(f"error: callgrind's target exited {done.returncode}: {last}")
        found = sorted(parts.parent.glob("callgrind.out.*"), key=lambda path: int(path.suffix[1:]))
        if len(found) != len(REGIONS):
            raise SystemExit(
                f"error: callgrind wrote {len(found)} region parts, not {len(REGIONS)} "
                f"(does this Python's _ctypes have the symbol {REGION_FUNCTION}?)"
            )
        totals = [part_total(path) for path in found]
        os.replace(found[-1], kept)
        target_result = json.loads(target_out.read_text(encoding="utf-8"))
    counted = target_result["extra"]
    imported_elsewhere(target_result.get("environment", {}).get("imports", []))
    extra = {
        "regions": dict(zip(REGIONS, totals)),
        "rounds": counted["rounds"],
        "units": counted["units"],
        "unit": counted["unit"],
        "callgrind": str(kept),
        "valgrind": [arg for arg in argv[: argv.index(sys.executable)] if not arg.startswith("--callgrind-out-file")],
        "env": FIXED_ENV,
    }
    try:
        figures = figures_from(totals[1], totals[2], counted["rounds"], counted["units"], counted["unit"])
    except ValueError as error:
        raise SystemExit(f"error: {error}") from None
    return {"figures": figures, "extra": extra, "artifacts": {"callgrind": kept}}


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--target" in argv:
        argv.remove("--target")
        return run_measurer("instructions", lambda job, out: target(job), argv, description=__doc__)
    return run_measurer("instructions", measure, argv, description=__doc__)


if __name__ == "__main__":
    sys.exit(main())
