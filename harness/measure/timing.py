"""Timing: pyperf benchmarks of one workload with one strategy.

Measures wall-clock seconds per workload call (pyperf ``bench_time_func``:
calibrated loops, warmups, several worker processes, each a fresh interpreter)
and derives nanoseconds per unit (per read for ``access``, per row for
``hydrate_all``, per message for the read-path workloads). Spread is the
median absolute deviation of pyperf's values. Known biases: the
objects a call builds are freed during the next one, so deallocation and GC
of the previous call's garbage are part of the figure, as in a real rebuild
loop; the machine is shared, so compare medians, not single values.

Run as ``python -m harness.measure.timing --job JOB --out RESULT [pyperf options]``;
pyperf's own JSON (readable by ``python -m pyperf compare_to``/``stats``) is
written beside the result as ``<result stem>.pyperf.json`` unless the job's
``params.pyperf_json`` names another path; the result lists it, with its size and hash, in
``artifacts``. pyperf's workers die with this process (``harness.measure.lifeline``). A worker
that refuses the job — its data cannot be prepared, or a row does not fit the job's schema
(``SchemaError``) — says why in one line and exits 2, and so does this process, without a second
line; a worker that fails otherwise is one line on stderr and exit status 1.
``extra.pyperf_settings`` records the settings the benchmark ran with: the job's ``params.pyperf``
(each bounded and none 0 where 0 would mean pyperf's default:
``harness.measure.catalogue.PYPERF_SETTINGS``) and pyperf's defaults for those it leaves out; a job's
``affinity`` (pyperf's ``--affinity``) pins the worker to those CPUs and is recorded too.
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from harness.measure.entry import load, output_failed
from harness.measure.lifeline import PARENT_ENV, adopt_children, die_with_parent
from harness.protocol.environment import imported, imported_elsewhere
from harness.protocol.job import Figure, Job, JobError, OutputError, write_result
from harness.schemas import SchemaError

#: A refused job's exit status (``harness.measure.entry``), and how pyperf reports a worker's.
REFUSED = 2
_WORKER_STATUS = re.compile(r"failed with exit code (-?\d+)$")


def benchmark_name(job: Job) -> str:
    """What was measured, and nothing about the run (no interpreter, no time), so that pyperf's
    ``compare_to`` matches the same benchmark across runs: workload, strategy, dataset, size and
    the workload's parameters (a variant's only when it is not the default, so the workload as it
    always ran keeps its name), e.g. ``access[spread, reference-s11-m5000, size=5000, iterations=20]``."""
    from harness.workloads.catalogue import WORKLOADS

    params = "".join(
        f", {param.name}={job.params.get(param.name, param.default)}"
        for param in WORKLOADS[job.workload].params
        if not (param.variant and job.params.get(param.name, param.default) == param.default)
    )
    return f"{job.workload}[{job.strategy}, {Path(job.dataset).stem}, size={job.size}{params}]"


def pyperf_path(job: Job, out: Path) -> Path:
    return Path(job.params["pyperf_json"] or out.with_name(out.stem + ".pyperf.json"))


def figures_from(bench: Any, units: int, unit: str) -> List[Figure]:
    """Median seconds per call and nanoseconds per unit, with the median absolute deviation."""
    values = bench.get_values()
    median = statistics.median(values)
    mad = statistics.median(abs(value - median) for value in values)
    n = len(values)
    figures = [Figure("seconds_per_call", median, "s", n, mad)]
    if units:
        figures.append(Figure(f"ns_per_{unit}", median / units * 1e9, "ns", n, mad / units * 1e9))
    return figures


def run_imports(run: Any) -> List[str]:
    """The packages the worker that measured a pyperf run had imported once its workload was ready."""
    return [name for name in str(run.get_metadata().get("harness_imports", "")).split(",") if name]


def ran_with(args: Any) -> Dict[str, Any]:
    """The pyperf settings the benchmark ran with: the job's, and pyperf's own defaults for the rest
    (``loops`` 0: calibrated, the loops chosen are in pyperf's JSON); ``affinity`` only when the job
    pinned the worker."""
    settings = {name: getattr(args, name) for name in ("processes", "values", "warmups", "loops", "min_time")}
    if args.affinity is not None:
        settings["affinity"] = args.affinity
    return settings


def main(argv: Optional[List[str]] = None) -> int:
    import pyperf

    from harness.workloads.binding import prepare

    die_with_parent()
    job_arg = _peek_job(sys.argv[1:] if argv is None else argv)
    try:
        job, job_hash = load(job_arg, "timing")
    except JobError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    settings = dict(job.params["pyperf"])
    affinity = settings.pop("affinity", None)  # pyperf's --affinity option, not a Runner argument
    runner = pyperf.Runner(
        program_args=("-m", "harness.measure.timing"),
        add_cmdline_args=lambda cmd, args: cmd.extend(["--job", str(args.job), "--out", str(args.out)]),
        **settings,
    )
    runner.argparser.add_argument("--job", type=Path, required=True)
    runner.argparser.add_argument("--out", type=Path, required=True)
    runner.argparser.set_defaults(affinity=affinity)  # pyperf passes it on to the worker, which pins itself
    args = runner.parse_args(argv)
    if not args.worker:  # the workers pyperf spawns die with this manager
        adopt_children()
        args.inherit_environ = [*(args.inherit_environ or []), PARENT_ENV]
    started = time.time()
    metadata = {"harness_strategy": job.strategy, "harness_workload": job.workload, "harness_size": job.size}
    run: Optional[Callable[[], Any]] = None
    if args.worker:  # only workers load data; the manager just spawns them
        try:
            prepared = prepare(job)
        except (JobError, SchemaError) as error:  # SchemaError: a row the job's schema does not describe
            return refused(error)
        run = prepared.run
        metadata.update(harness_units=prepared.units, harness_unit=prepared.unit, harness_imports=",".join(imported()))

    def time_calls(loops: int) -> float:
        assert run is not None, "only workers time calls, and a worker loads its workload first"
        clock = time.perf_counter
        begin = clock()
        for _ in range(loops):
            run()
        return clock() - begin

    try:
        bench = runner.bench_time_func(benchmark_name(job), time_calls, metadata=metadata)
    except SchemaError as error:  # in a worker: a row its schema does not describe, met while timing
        return refused(error)
    except RuntimeError as error:  # pyperf: a worker failed (its own error is above on stderr)
        return worker_failed(error)
    if args.worker or bench is None:
        return 0
    found = bench.get_metadata()
    units, unit = found["harness_units"], found["harness_unit"]
    path = pyperf_path(job, args.out)
    imported_elsewhere(name for worker_run in bench.get_runs() for name in run_imports(worker_run))
    try:
        bench.dump(str(path), replace=True)
        write_result(
            args.out,
            job,
            job_hash,
            figures_from(bench, units, unit),
            started,
            {"pyperf_json": str(path), "units": units, "unit": unit, "pyperf_settings": ran_with(args)},
            {"pyperf_json": path},
        )
    except (OutputError, OSError) as error:
        return output_failed(error)
    return 0


def refused(error: Exception) -> int:
    """A worker's refusal of its job: one line on stderr, exit status 2."""
    print(f"error: {error}", file=sys.stderr)
    return REFUSED


def worker_failed(error: RuntimeError) -> int:
    """This process's exit status when a worker failed: 2 and nothing more for a worker that refused the
    job (its line is on stderr already), else pyperf's error in one line and 1."""
    found = _WORKER_STATUS.search(str(error))
    if found and int(found.group(1)) == REFUSED:
        return REFUSED
    print(f"error: {error}", file=sys.stderr)
    return 1


def _peek_job(argv: List[str]) -> Path:
    for index, arg in enumerate(argv):
        if arg == "--job" and index + 1 < len(argv):
            return Path(argv[index + 1])
        if arg.startswith("--job="):
            return Path(arg.split("=", 1)[1])
    print("error: --job JOB is required", file=sys.stderr)
    raise SystemExit(2)


if __name__ == "__main__":
    sys.exit(main())
