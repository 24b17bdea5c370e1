"""Shards: a deterministic share of a plan's jobs, for running one plan on several machines.

``harness bench --shard I/N`` plans the whole plan as usual, then keeps shard I of N
(``share``). The jobs are split by **figure** (``figure_group``: what ``results.FIGURE_KEY`` groups
rows by, the interpreter's tag standing for the interpreter): the repeats of a figure, the
processes its statistics are over, always run on one machine. The figures are dealt out
longest-processing-time-first (``partition``): the costliest figure first, each to the shard with
the least estimated work so far (ties to the lowest index), by the cost model below
(``job_seconds``). The share depends only on the plan's jobs (ids and specifications, never the
order a run's random seed gives them or where a machine keeps its datasets), so every machine
planning the same plan on the same datasets and interpreters computes the same shares.

A shard run's manifest records ``shard``: its ``index`` and ``count``, the ``plan_sha256`` of the
whole unsharded plan (``whole_plan_sha256``: machine-independent, unlike a run's own
``plan_sha256``), the whole plan's job count and the shard's estimated share of its work.
``harness merge`` (``harness.runs.merge``) joins the shards of one whole plan again.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

from harness.measure import catalogue
from harness.protocol.job import Job
from harness.runs import results

#: ``--shard``'s form: I/N.
SHARD = re.compile(r"(\d{1,4})/(\d{1,4})")

# The cost model: one place, estimates only (what balances the shards; nothing is measured by it).
# A job's seconds = its process's fixed cost (STARTUP_S) + its work, times its measurer's overhead
# (OVERHEAD) and its workload's (WORKLOAD_FACTOR), + the seconds a replay idles between iterations
# and builds its ballast. Work = the workload's size built once (the setup) + each call's work
# (``_call_seconds``: rows built at ROW_S each, reads at READ_S each) times the calls the measurer
# makes (``_calls``). The constants were read off a quick run on two cores (CPython 3.11.7), whose
# 226 jobs took 123 s by themselves and 129 s by this model; sizes beyond the quick plan's are
# extrapolated linearly (the GC's cost grows faster with the heap, so large jobs are underestimated).
#: Seconds a job's process takes besides its work: interpreter, imports, dataset opened, result written.
STARTUP_S = {"census": 0.5, "timing": 0.3, "gcprobe": 0.45, "memory": 0.6, "scalene": 2.0, "instructions": 6.0}
#: Seconds to decode and build one stored message with its parts.
ROW_S = 20e-6
#: Seconds of one attribute read in a read loop (access: seven per info and pass; read_site: one).
READ_S = 20e-9
#: What a measurer's observation multiplies the work by (memray and scalene trace every allocation
#: or line; callgrind simulates every instruction).
OVERHEAD = {"census": 1.0, "timing": 1.0, "gcprobe": 1.0, "memory": 3.0, "scalene": 3.0, "instructions": 50.0}
#: What a workload's row costs beside a plain build: the read paths go through SQLite.
WORKLOAD_FACTOR = {"run_loop": 1.5, "filter_compacted": 1.5, "page": 1.5, "serve": 1.5}
#: A history read per read path, as a share of the full read (cache hits still parse; incremental
#: reads only what is new).
READ_PATH_FACTOR = {"full": 1.0, "cache-aware": 0.5, "incremental": 0.05}
#: pyperf's own defaults where a timing job leaves them unset (its Runner's).
PYPERF_DEFAULTS = {"processes": 20, "values": 3, "warmups": 1, "loops": 1}


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1 to ``count``) of a plan split ``count`` ways."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse(text: str) -> Shard:
    """``I/N`` with 1 ≤ I ≤ N: a shard; ValueError in one line otherwise."""
    found = SHARD.fullmatch(text.strip())
    if not found:
        raise ValueError(f"expected I/N, shard I of N (e.g. 2/4), got {text!r}")
    index, count = int(found[1]), int(found[2])
    if not 1 <= index <= count:
        raise ValueError(f"a shard I/N needs 1 <= I <= N, got {text!r}")
    return Shard(index, count)


def _calls(measurer: str, params: Dict[str, Any]) -> float:
    """How many times a job's measurer calls its workload."""
    if measurer == "census":
        return 1
    if measurer == "timing":
        pyperf = {**PYPERF_DEFAULTS, **{k: v for k, v in (params.get("pyperf") or {}).items() if v is not None}}
        return pyperf["processes"] * (pyperf["values"] + pyperf["warmups"]) * max(pyperf["loops"], 1)
    return params.get("rounds") or 1


def _call_seconds(workload: str, size: int, params: Dict[str, Any], calls: float) -> float:
    """The seconds of one call of the workload, out of what it builds and reads."""
    if workload == "access":
        return size * params.get("iterations", 200) * 7 * READ_S
    if workload == "read_site":
        return params.get("objects", 4096) * params.get("passes", 25) * READ_S
    if workload == "page":
        return params.get("limit", 50) * ROW_S
    history = size + params.get("growth", 0) * (calls + 1) / 2  # a growing history, on average
    if workload == "serve":
        return history * params.get("sessions", 4) * (1 + params.get("framework", 0) / 4) * ROW_S
    return history * READ_PATH_FACTOR.get(params.get("read_path", "full"), 1.0) * ROW_S


def job_seconds(job: Job) -> float:
    """The estimated seconds of one job (the cost model above)."""
    params = catalogue.check(job).params
    calls = _calls(job.measurer, params)
    setup = 0.0 if job.workload == "read_site" else job.size * ROW_S  # read_site's size is its shapes
    work = setup + calls * _call_seconds(job.workload, job.size, params, calls)
    work *= OVERHEAD.get(job.measurer, 1.0) * WORKLOAD_FACTOR.get(job.workload, 1.0)
    idle = calls / params["rate"] if params.get("rate") else 0.0
    ballast = params.get("retain_mb", 0) / 1024  # about a second per GiB of other state built
    return STARTUP_S.get(job.measurer, 1.0) + work + idle + ballast


def figure_group(job: Job) -> Tuple[Any, ...]:
    """What makes jobs one figure's: ``results.FIGURE_KEY`` as the planned job decides it (the
    interpreter's tag for the interpreter; the metric is each of the job's figures)."""
    fields = {"interpreter": job.interpreter or "", **results.figure_fields(job.to_dict())}
    return tuple(fields[name] for name in results.FIGURE_KEY if name != "metric")


def partition(jobs: Sequence[Job], count: int) -> List[List[Job]]:
    """The jobs dealt into ``count`` shards, each figure's jobs in one shard, longest-processing-
    time-first by estimated seconds; each shard's jobs in their planned order."""
    groups: Dict[Tuple[Any, ...], List[Job]] = {}
    for job in jobs:
        groups.setdefault(figure_group(job), []).append(job)
    costs = {key: sum(job_seconds(job) for job in members) for key, members in groups.items()}
    loads = [0.0] * count
    chosen: Dict[str, int] = {}
    for key in sorted(groups, key=lambda key: (-costs[key], json.dumps(key))):
        lightest = min(range(count), key=lambda shard: (loads[shard], shard))
        loads[lightest] += costs[key]
        chosen.update((job.id, lightest) for job in groups[key])
    shards: List[List[Job]] = [[] for _ in range(count)]
    for job in jobs:
        shards[chosen[job.id]].append(job)
    return shards


def share(jobs: Sequence[Job], shard: Shard) -> List[Job]:
    """Shard ``shard.index``'s jobs of the whole plan ``jobs`` (``partition``)."""
    return partition(jobs, shard.count)[shard.index - 1]


def estimated_share(jobs: Sequence[Job], part: Sequence[Job]) -> float:
    """The share of the whole plan's estimated seconds that ``part`` holds."""
    whole = sum(map(job_seconds, jobs))
    return sum(map(job_seconds, part)) / whole if whole else 0.0


def portable_jobs(jobs: Sequence[Job], datasets: Dict[str, Dict[str, Any]]) -> List[Job]:
    """The jobs with each dataset named by its key in the run's ``datasets`` rather than by its path
    on this machine: the jobs as every machine plans them (what shares and digests are taken of)."""
    keys = {str(Path(entry["path"])): key for key, entry in datasets.items()}
    return [replace(job, dataset=keys.get(job.dataset, job.dataset)) for job in jobs]


def whole_plan_sha256(
    command: str, plan: str, portable: Sequence[Job], datasets: Dict[str, Dict[str, Any]], tags: Sequence[str]
) -> str:
    """The sha256 of a whole plan as every machine plans it: the command, the plan's name, its jobs
    (``portable_jobs``) in id order, every dataset's sha256 and the interpreters' tags. Unlike
    ``results.plan_digest`` it holds nothing of one machine (paths, executables) or one run (the
    interleaving seed)."""
    record = {
        "command": command,
        "plan": plan,
        "jobs": sorted((job.to_dict() for job in portable), key=lambda job: job["id"]),
        "datasets": {key: entry.get("sha256") for key, entry in sorted(datasets.items())},
        "interpreters": sorted(tags),
    }
    text = json.dumps(record, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record(
    shard: Shard, command: str, plan: str, jobs: Sequence[Job], datasets: Dict[str, Dict[str, Any]], tags: Sequence[str]
) -> Tuple[List[Job], Dict[str, Any]]:
    """The shard's jobs of the whole plan ``jobs`` (on ``datasets``: the run's dataset entries) and
    what its manifest records of it (``shard``)."""
    portable = portable_jobs(jobs, datasets)
    part = share(portable, shard)
    entry = {
        "index": shard.index,
        "count": shard.count,
        "plan_sha256": whole_plan_sha256(command, plan, portable, datasets, tags),
        "plan_jobs": len(jobs),
        "estimated_share": round(estimated_share(portable, part), 4),
    }
    ids = {job.id for job in part}
    return [job for job in jobs if job.id in ids], entry
