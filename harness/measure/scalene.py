"""scalene: an optional line profile (CPU and memory) of one workload in a plain process.

scalene cannot profile pyperf's worker processes, so the workload runs in a
plain target process: ``python -m harness.measure.scalene --job JOB --out OUT
--target`` prepares the job's data, then calls the workload ``params.rounds``
times (default 10; each call's result replaces the previous one) and writes
its wall time (figures ``wall_s``, ``seconds_per_round``, seconds). That path
needs nothing beyond the harness, so it also runs where scalene is missing.

Without ``--target`` the measurer runs that target under scalene (every file
profiled: standard library and packages too, where the JSON decode shows),
and keeps scalene's JSON beside the result as ``<result stem>.scalene.json``;
the target's own result is
``<result stem>.target.json``. Figures: ``profile_elapsed_s`` (s) and
``max_footprint_bytes`` (scalene's peak, bytes); ``extra.top_lines`` holds the
lines with the most CPU time (Python / native / system percentages).
When scalene is not installed (it is an optional extra, and it does not run on
PyPy), the job is not bad: the result has no figures and ``extra.skipped``
says why, exit status 0. Known biases: scalene samples (CPU every few ms,
memory every allocation window), so short workloads give noisy lines, and its
own overhead is in the elapsed time; compare lines within one profile, not
elapsed times across profiles — timing is the measurer for those.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from harness.measure.entry import arguments, run_measurer
from harness.measure.job import Figure, Job

SKIPPED = "scalene is not installed (pip install shape-harness[scalene])"
#: How many of the hottest lines the result keeps.
TOP_LINES = 10
#: The target as a script: scalene's command line (``run`` in 2.x, flags in 1.5) always accepts one,
#: and running this file directly would put ``harness/measure`` first on sys.path, where this
#: module would shadow the ``scalene`` package itself.
TARGET_SCRIPT = """import sys
sys.path.insert(0, {root!r})
from harness.measure.scalene import main
sys.exit(main(sys.argv[1:] + ["--target"]))
"""


def scalene_version() -> Optional[str]:
    """The installed scalene's version, or None when it is not importable here."""
    if importlib.util.find_spec("scalene") is None:
        return None
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("scalene")
    except PackageNotFoundError:
        return "0"


def target(job: Job, out: Path) -> Dict[str, Any]:
    """The plain workload process: ``rounds`` calls, timed as a whole."""
    from harness.measure.prepare import prepare

    rounds = job.params["rounds"]
    prepared = prepare(job, rounds)
    try:
        kept = None
        begin = time.perf_counter()
        for _ in range(rounds):
            kept = prepared.run()
        wall = time.perf_counter() - begin
        del kept
    finally:
        prepared.close()
    figures = [Figure("wall_s", wall, "s", rounds), Figure("seconds_per_round", wall / rounds, "s", rounds)]
    return {"figures": figures, "extra": {"rounds": rounds, "units": prepared.units, "unit": prepared.unit}}


def scalene_command(version: str, profile_json: Path, script: Path, job_path: Path, target_out: Path) -> List[str]:
    # Every file: with --profile-only <harness dir>, scalene 2.4 dropped the CPU samples taken in json's
    # decoder (outside the harness) instead of charging them to the calling harness line.
    only = ["--profile-all"]
    program = [str(script), "---", "--job", str(job_path), "--out", str(target_out)]
    scalene = [sys.executable, "-m", "scalene"]
    if int(version.split(".")[0] or 0) >= 2:  # 2.x: `scalene run`, JSON is its only output
        return scalene + ["run", "-o", str(profile_json), *only, *program]
    return scalene + ["--json", "--outfile", str(profile_json), "--cli", "--no-browser", *only, *program]


def summary(profile: Dict[str, Any]) -> Dict[str, Any]:
    """Figures and the hottest lines of a scalene JSON profile."""
    figures = []
    if "elapsed_time_sec" in profile:
        figures.append(Figure("profile_elapsed_s", float(profile["elapsed_time_sec"]), "s"))
    if profile.get("max_footprint_mb"):
        footprint = float(profile["max_footprint_mb"]) * 1024 * 1024
        figures.append(Figure("max_footprint_bytes", footprint, "bytes"))
    lines = []
    for filename, data in (profile.get("files") or {}).items():
        for line in data.get("lines", []):
            cpu = sum(float(line.get(key) or 0) for key in ("n_cpu_percent_python", "n_cpu_percent_c", "n_sys_percent"))
            if cpu > 0:
                lines.append(
                    {
                        "file": filename,
                        "line": line.get("lineno"),
                        "code": (line.get("line") or "").strip(),
                        "cpu_percent": cpu,
                        "python_percent": line.get("n_cpu_percent_python", 0),
                        "native_percent": line.get("n_cpu_percent_c", 0),
                        "system_percent": line.get("n_sys_percent", 0),
                        "peak_mb": line.get("n_peak_mb", 0),
                    }
                )
    lines.sort(key=lambda line: -line["cpu_percent"])
    return {"figures": figures, "top_lines": lines[:TOP_LINES]}


def measure(job: Job, out: Path, job_path: Path) -> Dict[str, Any]:
    from harness.measure.prepare import prepare

    prepare(job, job.params["rounds"]).close()  # a bad job is bad whether or not scalene is here
    version = scalene_version()
    if version is None or sys.implementation.name != "cpython":
        return {
            "figures": [],
            "extra": {"skipped": SKIPPED if version is None else f"scalene does not run on {sys.implementation.name}"},
        }
    out = Path(os.path.abspath(out))
    profile_json = out.with_name(out.stem + ".scalene.json")
    target_out = out.with_name(out.stem + ".target.json")
    script = out.with_name(out.stem + ".scalene_target.py")
    script.write_text(TARGET_SCRIPT.format(root=str(Path(__file__).resolve().parents[2])), encoding="utf-8")
    command = scalene_command(version, profile_json, script, Path(os.path.abspath(job_path)), target_out)
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0 or not profile_json.exists():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"error: scalene {version} exited {done.returncode}: {last}")
    found = summary(json.loads(profile_json.read_text(encoding="utf-8")))
    extra: Dict[str, Any] = {
        "scalene": version,
        "command": command,
        "scalene_json": str(profile_json),
        "target_result": str(target_out),
        "top_lines": found["top_lines"],
    }
    if target_out.exists():  # its wall time includes scalene's overhead: kept as context, not as a figure
        extra["target_extra"] = json.loads(target_out.read_text(encoding="utf-8")).get("extra", {})
    return {"figures": found["figures"], "extra": extra}


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--target" in argv:
        argv.remove("--target")
        return run_measurer("scalene", target, argv, description=__doc__)
    job_path = arguments(argv, __doc__).job
    return run_measurer("scalene", lambda job, out: measure(job, out, job_path), argv, description=__doc__)


if __name__ == "__main__":
    sys.exit(main())
