"""scalene: a line profile (CPU split Python / native / system, memory, copy volume) of one workload.

scalene cannot profile pyperf's worker processes, so the workload runs in a plain target
process: ``python -m harness.measure.scalene --job JOB --out OUT --target`` prepares the job's
data, then calls the workload ``params.rounds`` times (default 10; each call's result replaces the
previous one), and more until ``params.min_seconds`` have passed (default 1: scalene samples every
10 ms, and a profile without samples is no profile; ``run_loop`` with ``growth``, whose history
must hold every call's messages, makes exactly ``rounds`` calls), and writes its wall time (figures ``wall_s``,
``seconds_per_round``, seconds; ``extra.rounds`` the calls made). That path needs nothing beyond
the harness, so it also runs where scalene is missing.

Without ``--target`` the measurer runs that target under ``scalene run`` (scalene ≥ 2.0) and keeps
scalene's JSON beside the result as ``<result stem>.scalene.json``; the target's own result is
``<result stem>.target.json`` (both listed, with size and hash, in the result's ``artifacts``). What the profile covers:

- only the measured calls: scalene starts with profiling off (``--off``) and the target switches
  it on around its rounds (``scalene_profiler.start()`` / ``stop()``), so loading the dataset,
  imports and start-up are not in it;
- every file (``--profile-all``), so the standard library's JSON decoder shows as itself, except
  ``threading.py`` (``--profile-exclude``): scalene's own sampling threads start there, and
  scalene splits each CPU sample evenly between the threads it sees running, so with
  ``threading.py`` profiled about two thirds of the time landed on the thread bootstrap line
  ``self._target(*self._args, **self._kwargs)`` instead of on the workload's own frames.

Figures: ``profile_elapsed_s`` (s), ``max_footprint_bytes`` (scalene's peak), and over the
profiled lines ``cpu_python_percent`` / ``cpu_native_percent`` / ``cpu_system_percent`` (% of
the profile's CPU time) and ``copy_mb_per_s`` (memcpy volume scalene samples, MB/s).
``extra.top_lines`` holds the lines with the most CPU time with the same split, their copy volume
and their allocations. When scalene is not installed (an optional extra; it does not run on PyPy)
the job is not bad: the result has no figures and ``extra.skipped`` says why, exit status 0.
Known biases: scalene samples (CPU every 10 ms by default, memory every allocation window), so short
workloads give noisy lines, and its own overhead is in the elapsed time; compare lines within one
profile, not elapsed times across profiles — timing is the measurer for those.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from harness.measure.entry import arguments, run_measurer
from harness.measure.lifeline import GENERATIONS_ENV, adopt_children, die_with_parent
from harness.protocol.environment import imported_elsewhere
from harness.protocol.job import Figure, Job

#: How many of the hottest lines the result keeps.
TOP_LINES = 10
#: The target as a script (``scalene run`` takes a script): running this file directly would put
#: ``harness/measure`` first on sys.path, where this module would shadow the ``scalene`` package.
TARGET_SCRIPT = """import sys
sys.path.insert(0, {root!r})
from harness.measure.scalene import main
sys.exit(main(sys.argv[1:] + ["--target", "--switch-profiler"]))
"""
#: How far above the target this measurer is: scalene's launcher, then the launcher re-executed with
#: scalene's library preloaded, which runs the target.
TARGET_GENERATIONS = 2
#: scalene's JSON writes ``<``, ``>`` and ``&`` of source lines as literal ``\\u003c`` escapes.
_ESCAPED = re.compile(r"\\u([0-9a-fA-F]{4})")
#: scalene's per-line CPU shares, by the name the result gives them.
CPU_SPLIT = {"python": "n_cpu_percent_python", "native": "n_cpu_percent_c", "system": "n_sys_percent"}


def _profiler_switch(on: bool) -> None:
    """Switch scalene's sampling on or off from inside the profiled program."""
    from scalene import scalene_profiler

    scalene_profiler.start() if on else scalene_profiler.stop()


def target(job: Job, out: Path, switch: bool = False) -> Dict[str, Any]:
    """The plain workload process: ``rounds`` calls, timed as a whole (profiled alone when ``switch``)."""
    from harness.workloads.binding import prepare

    rounds = job.params["rounds"]
    least = 0 if job.params.get("growth") else job.params["min_seconds"]  # a growing loop: exactly rounds
    prepared = prepare(job, None if least else rounds)
    try:
        kept = None
        if switch:
            _profiler_switch(True)
        done, clock = 0, time.perf_counter
        begin = clock()
        while done < rounds or clock() - begin < least:
            kept = prepared.run()
            done += 1
        wall = clock() - begin
        if switch:
            _profiler_switch(False)
        del kept
    finally:
        prepared.close()
    figures = [Figure("wall_s", wall, "s", done), Figure("seconds_per_round", wall / done, "s", done)]
    return {"figures": figures, "extra": {"rounds": done, "units": prepared.units, "unit": prepared.unit}}


def scalene_command(profile_json: Path, script: Path, job_path: Path, target_out: Path) -> List[str]:
    """``scalene run`` (2.x) on the target script, profiling off until the target switches it on."""
    options = ["--off", "--profile-all", "--profile-exclude", "threading.py"]
    program = [str(script), "---", "--job", str(job_path), "--out", str(target_out)]
    return [sys.executable, "-m", "scalene", "run", "-o", str(profile_json), *options, *program]


def _line(filename: str, line: Dict[str, Any]) -> Dict[str, Any]:
    split = {f"{name}_percent": float(line.get(key) or 0) for name, key in CPU_SPLIT.items()}
    return {
        "file": filename,
        "line": line.get("lineno"),
        "code": _ESCAPED.sub(lambda match: chr(int(match.group(1), 16)), line.get("line") or "").strip(),
        "cpu_percent": sum(split.values()),
        **split,
        "copy_mb_per_s": float(line.get("n_copy_mb_s") or 0),
        "malloc_mb": float(line.get("n_malloc_mb") or 0),
        "peak_mb": float(line.get("n_peak_mb") or 0),
    }


def summary(profile: Dict[str, Any]) -> Dict[str, Any]:
    """Figures and the hottest lines of a scalene JSON profile."""
    figures = []
    if "elapsed_time_sec" in profile:
        figures.append(Figure("profile_elapsed_s", float(profile["elapsed_time_sec"]), "s"))
    if profile.get("max_footprint_mb"):
        figures.append(Figure("max_footprint_bytes", float(profile["max_footprint_mb"]) * 1024 * 1024, "bytes"))
    lines = [
        _line(filename, line)
        for filename, data in (profile.get("files") or {}).items()
        for line in data.get("lines", [])
    ]
    for name in CPU_SPLIT:
        figures.append(Figure(f"cpu_{name}_percent", sum(line[f"{name}_percent"] for line in lines), "%"))
    figures.append(Figure("copy_mb_per_s", sum(line["copy_mb_per_s"] for line in lines), "MB/s"))
    hot = sorted((line for line in lines if line["cpu_percent"] > 0), key=lambda line: -line["cpu_percent"])
    return {"figures": figures, "top_lines": hot[:TOP_LINES]}


def skipped_because() -> Optional[str]:
    """Why scalene cannot profile here (None when it can): the catalogue's availability check."""
    from harness.measure.catalogue import MEASURERS

    if sys.implementation.name != "cpython":
        return f"scalene does not run on {sys.implementation.name}"
    available, detail = MEASURERS["scalene"].availability()
    return None if available else detail


def measure(job: Job, out: Path, job_path: Path) -> Dict[str, Any]:
    from harness.measure.catalogue import package_version
    from harness.workloads.binding import prepare

    prepare(job, job.params["rounds"]).close()  # a bad job is bad whether or not scalene is here
    reason = skipped_because()
    if reason:
        return {"figures": [], "extra": {"skipped": reason}}
    out = Path(os.path.abspath(out))
    profile_json = out.with_name(out.stem + ".scalene.json")
    target_out = out.with_name(out.stem + ".target.json")
    script = out.with_name(out.stem + ".scalene_target.py")
    script.write_text(TARGET_SCRIPT.format(root=str(Path(__file__).resolve().parents[2])), encoding="utf-8")
    command = scalene_command(profile_json, script, Path(os.path.abspath(job_path)), target_out)
    version = f"scalene {package_version('scalene')}"
    # scalene's launcher dies with this process; it re-executes itself to run the target, which
    # dies with the launcher and checks that this process is its grandparent (harness.measure.lifeline)
    adopt_children()
    env = {**os.environ, GENERATIONS_ENV: str(TARGET_GENERATIONS)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, preexec_fn=die_with_parent)
    if done.returncode != 0 or not profile_json.exists():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"error: {version} exited {done.returncode}: {last}")
    found = summary(json.loads(profile_json.read_text(encoding="utf-8")))
    extra: Dict[str, Any] = {
        "scalene": version.split()[-1],
        "command": command,
        "scalene_json": str(profile_json),
        "target_result": str(target_out),
        "top_lines": found["top_lines"],
    }
    artifacts = {"scalene_json": profile_json}
    target_imports = ["scalene"]  # the figures are scalene's profile of the target
    if target_out.exists():  # its wall time includes scalene's overhead: kept as context, not as a figure
        target_result = json.loads(target_out.read_text(encoding="utf-8"))
        extra["target_extra"] = target_result.get("extra", {})
        target_imports += target_result.get("environment", {}).get("imports", [])
        artifacts["target_result"] = target_out
    imported_elsewhere(target_imports)
    return {"figures": found["figures"], "extra": extra, "artifacts": artifacts}


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--target" in argv:
        argv.remove("--target")
        switch = "--switch-profiler" in argv
        if switch:
            argv.remove("--switch-profiler")
        return run_measurer("scalene", lambda job, out: target(job, out, switch), argv, description=__doc__)
    job_path = arguments(argv, __doc__).job
    return run_measurer("scalene", lambda job, out: measure(job, out, job_path), argv, description=__doc__)


if __name__ == "__main__":
    sys.exit(main())
