"""The run store: one directory per run, with provenance, one file per job and a tidy table.

Layout of ``results/<UTC time>-<short id>/``::

    manifest.json        what ran (plan, jobs), where, from which code and data; status
                         running|complete|failed|interrupted, and the hash of tidy.csv
    jobs/<id>.job.json   the job as planned
    jobs/<id>.json       its result (a measurer's output, or the runner's failure record)
    timing/<id>.json     pyperf's own JSON (``python -m pyperf compare_to`` reads it)
    timing/suite.json    every timing benchmark of the run in one pyperf suite
    memory/<id>.bin      memray captures, with flamegraphs and summaries beside them
    machine.json         each job's other work, load and CPU time as the runner saw them (harness.runs.machine)
    tidy.csv             one row per figure of each job (TIDY_COLUMNS); a figure measured in
                         several processes has one row per process (FIGURE_KEY groups them)
    figures/  report.html

Every file is written atomically. ``results/latest`` points at the newest complete run of the
default plan on the interpreter the harness runs on, ``results/latest-<plan>-<tags>`` at the newest
complete run of each plan on each set of interpreters (``latest_names``).

Nothing is taken on trust when a run is read (``harness.runs.integrity``): a job counts as ok only
when its result belongs to it, the tidy table is written from such results only and read only
when it is the table the runner wrote. A run is ``complete`` only when every planned job is ok.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

from harness.atomic import fsync_path, write_text
from harness.measure.catalogue import GC_MODE_MEASURERS, workload_param, workload_variant
from harness.metrics import METRICS
from harness.protocol.environment import label as environment_label
from harness.protocol.job import RESULT_VERSION, Job, JobError
from harness.runs import lock, machine
from harness.runs.files import RunError, read_json
from harness.runs.integrity import Verdict, tidy_problem, verify_result
from harness.runs.suite import write_suites
from harness.terminal import visible

# Result schema versions (manifest.json "schema_version"); older runs are read and upgraded on load:
#   1 — first version: manifest, jobs/<id>.job.json + jobs/<id>.json, tidy.csv with TIDY_COLUMNS;
#       the manifest names its bench plan "profile", tidy.csv holds the MAD in a column "spread".
#   2 — the manifest's "plan" is the plan's name and "jobs" the planned jobs (v1: "profile" and
#       "plan", with "jobs" their ids); tidy.csv column "mad"; results carry "job_sha256".
#       Added within 2: tidy.csv column "variant" (the workload variant); a table without it is
#       read with it empty, which is what it meant.
#   3 — a figure is measured in several interleaved processes, one job each (ids end -r1, -r2, …;
#       the manifest records the order's "interleave_seed"); machine.json holds each job's other
#       work, load and CPU time. tidy.csv gains interpreter_tag, read_path, reads, repeat,
#       dataset_key, origin, other_cores, load and cpu_share; the manifest's datasets their
#       "origin". A v2 table is read with them empty, origin and dataset_key taken from the
#       manifest's datasets where it records them.
#       Added within 3: the manifest's "command" (bench or advise: the command that resumes it),
#       "plan_sha256" (``plan_digest``: a run is resumed only as it was planned; a run without it
#       is read but not resumed) and "concurrent_runs" (other runs active under the same root
#       while it ran; machine.json names them per job as "other_runs").
SCHEMA_VERSION = 3
STATUSES = ("running", "complete", "failed", "interrupted")
#: The commands that make runs; a run is resumed by the one that made it.
COMMANDS = ("bench", "advise", "profile")
#: The longest a job may take, in seconds (a week): more is a typo, and beyond what a wait can take.
MAX_TIMEOUT = 7 * 24 * 3600.0
#: A job id: a file name in the run directory (no path separator, no leading dot).
JOB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
TIDY_COLUMNS = (
    "interpreter",
    "interpreter_tag",
    "implementation",
    "strategy",
    "workload",
    "measurer",
    "gc_mode",
    "variant",
    "read_path",
    "reads",
    "size",
    "metric",
    "value",
    "unit",
    "n",
    "mad",
    "job",
    "repeat",
    "dataset",
    "dataset_key",
    "origin",
    "other_cores",
    "load",
    "cpu_share",
)
TIDY_TYPES = {
    "size": "Int64",
    "value": "float64",
    "n": "Int64",
    "mad": "float64",
    "repeat": "Int64",
    "other_cores": "float64",
    "load": "float64",
    "cpu_share": "float64",
}
#: Text columns (read as strings, empty when a figure has none).
TIDY_TEXT = ("gc_mode", "variant", "read_path", "reads", "interpreter_tag", "dataset_key", "origin")
#: What makes rows the same figure: every column but the value, its per-process details and the job.
FIGURE_KEY = (
    "interpreter",
    "strategy",
    "workload",
    "measurer",
    "gc_mode",
    "variant",
    "size",
    "dataset",
    "metric",
)
#: Renamed tidy columns, old spelling -> new.
RENAMED_COLUMNS = {"spread": "mad"}


def prepare_root(root: Path) -> None:
    """Make sure runs can be created under ``root``; RunError in one line otherwise."""
    root = Path(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunError(f"cannot create a run directory under {root}: {error.strerror or error}") from None
    if not os.access(root, os.W_OK | os.X_OK):
        raise RunError(f"cannot create a run directory under {root}: it is not writable")


#: The directories a run directory holds from the start.
RUN_SUBDIRECTORIES = ("jobs", "timing", "memory", "figures")


def run_name() -> str:
    """A new run directory's name: the UTC time and a short random id."""
    return f"{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def new_run_dir(root: Path) -> Path:
    """A fresh, empty run directory under ``root`` named by ``run_name``."""
    root = Path(root)
    prepare_root(root)
    try:
        path = root / run_name()
        for sub in RUN_SUBDIRECTORIES:
            (path / sub).mkdir(parents=True)
    except OSError as error:
        raise RunError(f"cannot create a run directory under {root}: {error.strerror or error}") from None
    if not os.access(path, os.W_OK):
        raise RunError(f"run directory {path} is not writable")
    return path


#: The type of each manifest key the harness reads, where a manifest has it (bool is no number).
_MANIFEST_TYPES: Dict[str, Tuple[type, ...]] = {
    "status": (str,),
    "plan": (str, type(None)),
    "jobs": (list,),
    "datasets": (dict,),
    "interpreters": (dict,),
    "notes": (list,),
    "timeout": (int, float),
    "started": (str,),
    "finished": (str, type(None)),
    "tidy": (dict,),
    "command": (str,),
    "plan_sha256": (str,),
    "concurrent_runs": (list,),
    "argv": (list,),
    "git": (dict,),
    "fingerprint": (str, type(None)),
    "completeness": (dict,),
    "interleave_seed": (int,),
    "links": (list,),
    "shard": (dict,),
    "merged_from": (list,),
}
#: Text a dataset or interpreter entry of a manifest must hold where it has the key.
_TEXT = {"datasets": ("path", "sha256"), "interpreters": ("executable",)}


def load_manifest(run_dir: Path) -> Dict[str, Any]:
    """A run's manifest, upgraded to the current schema and checked (``manifest_problem``); RunError in
    one line when it is not one. A run left ``running`` by a runner that is gone (killed: its
    lock's holder is dead) reads as ``interrupted``."""
    path = Path(run_dir) / "manifest.json"
    manifest = read_json(path)
    if not isinstance(manifest, dict) or "schema_version" not in manifest:
        raise RunError(f"{run_dir} is not a harness run directory (no readable manifest.json)")
    version = manifest["schema_version"]
    if type(version) is not int or version < 1:
        raise RunError(f"{path} has no valid schema_version ({version!r:.40})")
    if version > SCHEMA_VERSION:
        raise RunError(f"{run_dir} has result schema {version}; this harness reads up to {SCHEMA_VERSION}")
    if version == 1:
        manifest["jobs"] = manifest.pop("plan", [])
        manifest["plan"] = manifest.pop("profile", None)
    problem = manifest_problem(manifest)
    if problem:
        raise RunError(f"{path} is not a manifest this harness can use: {problem}")
    if manifest["status"] == "running" and not lock.active(run_dir):
        manifest["status"] = "interrupted"
    return manifest


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def manifest_problem(manifest: Dict[str, Any]) -> Optional[str]:
    """What makes a manifest unusable (a key of the wrong type, a status, timeout, dataset,
    interpreter or job that cannot be), or None."""
    if "status" not in manifest:
        return "it has no status"
    for key, kinds in _MANIFEST_TYPES.items():
        value = manifest.get(key, kinds[0]())
        if isinstance(value, bool) or not isinstance(value, kinds):
            return f"{key} is {_kind(value)} {value!r:.40}"
    if manifest["status"] not in STATUSES:
        return f"status {manifest['status']!r:.40} is not one of {', '.join(STATUSES)}"
    timeout = manifest.get("timeout", 1)
    if not 0 < timeout <= MAX_TIMEOUT:  # NaN fails both comparisons
        return f"timeout {timeout!r} is not a number of seconds from 0 to {MAX_TIMEOUT:g}"
    for name in ("datasets", "interpreters"):
        for key, entry in manifest.get(name, {}).items():
            if not isinstance(entry, dict) or not all(isinstance(entry.get(k, ""), str) for k in _TEXT[name]):
                return f"{name} entry {key!r:.40} is not an object with text {' and '.join(_TEXT[name])}"
    if not all(isinstance(note, str) for note in manifest.get("notes", [])):
        return "notes holds something other than text"
    try:
        planned_jobs(manifest)
    except RunError as error:
        return str(error)
    if "plan_sha256" in manifest and manifest["plan_sha256"] != plan_digest(manifest):
        return (
            "its jobs, datasets, interpreters or command were edited after the run was planned "
            "(plan_sha256 differs): start a new run"
        )
    return None


def planned_jobs(manifest: Dict[str, Any]) -> List[Job]:
    """The jobs a run's manifest planned; RunError when one is malformed, has an id that is not
    a safe file name (``JOB_ID``) or the id of another."""
    try:
        jobs = [Job.from_dict(job) for job in manifest.get("jobs", [])]
    except (JobError, TypeError) as error:
        raise RunError(f"the run's manifest holds a malformed job: {error}") from None
    seen = set()
    for job in jobs:
        if not JOB_ID.fullmatch(job.id):
            raise RunError(f"the run's manifest holds a job whose id is not a safe file name: {job.id!r:.80}")
        if job.id in seen:
            raise RunError(f"the run's manifest holds job {job.id} twice")
        seen.add(job.id)
    return jobs


def plan_digest(manifest: Dict[str, Any]) -> str:
    """The sha256 of what a run was planned to do: the command that made it, its jobs, datasets and
    interpreters, and the shard of a whole plan it is when it is one (as JSON, keys sorted).
    Recorded when the run begins, it must still match on resume."""
    keys = ("command", "jobs", "datasets", "interpreters") + (("shard",) if "shard" in manifest else ())
    plan = {key: manifest.get(key) for key in keys}
    text = json.dumps(json.loads(json.dumps(plan)), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def resume_problem(manifest: Dict[str, Any]) -> Optional[str]:
    """Why a (checked) manifest cannot be resumed as planned, or None: it records no plan digest
    (made by an older harness) or one its jobs, datasets, interpreters or command no longer match,
    it lacks what the runner needs, or a job reads a dataset or interpreter the run does not have."""
    if "plan_sha256" not in manifest or "command" not in manifest:
        return "it records no digest of its plan (an older harness made it): start a new run"
    if manifest["plan_sha256"] != plan_digest(manifest):
        return (
            "its jobs, datasets or interpreters are not those the run was planned with (plan_sha256 differs): "
            "start a new run"
        )
    missing = [key for key in ("timeout", "datasets", "interpreters", "notes") if key not in manifest]
    for name, keys in _TEXT.items():
        missing += [
            f"{name}.{key}.{k}" for key, entry in manifest.get(name, {}).items() for k in keys if k not in entry
        ]
    if missing or manifest["command"] not in COMMANDS:
        return f"it lacks {', '.join(missing)}" if missing else f"command {manifest['command']!r:.40} is unknown"
    paths = {entry["path"] for entry in manifest["datasets"].values()}
    for job in planned_jobs(manifest):
        if "executable" not in manifest["interpreters"].get(job.interpreter or "", {}):
            return f"job {job.id} runs on interpreter {job.interpreter!r}, which the run does not record"
        if job.dataset not in paths:
            return f"job {job.id} reads {job.dataset}, which is not one of the run's datasets"
    return None


def check_resumable(run_dir: Path, manifest: Dict[str, Any]) -> None:
    """RunError in one line unless the run can be resumed as planned (``resume_problem``)."""
    problem = resume_problem(manifest)
    if problem:
        raise RunError(f"{Path(run_dir) / 'manifest.json'} cannot be resumed: {problem}")


def resume_command(run_dir: Path, manifest: Dict[str, Any]) -> str:
    """The command line that finishes a run: its own command's ``--resume``; for a merged run, the
    merge of its shards again."""
    if manifest.get("command") == "merge":
        shards = [str(entry.get("run")) for entry in manifest.get("merged_from", []) if isinstance(entry, dict)]
        return f"harness merge {' '.join(shards)}"
    command = manifest.get("command") if manifest.get("command") in COMMANDS else "bench"
    return f"harness {command} --resume {run_dir}"


def job_results(run_dir: Path, manifest: Optional[Dict[str, Any]] = None) -> Iterator[Dict[str, Any]]:
    """The result of every planned job that verifies as ok, and the failure records, in job-id
    order; a result that does not belong to its job is left out."""
    manifest = load_manifest(run_dir) if manifest is None else manifest
    oldest = oldest_result(manifest)
    for job in sorted(planned_jobs(manifest), key=lambda job: job.id):
        verdict = verify_result(run_dir, job, oldest)
        if verdict.result is not None and verdict.status == verdict.result.get("status"):
            yield verdict.result


def oldest_result(manifest: Dict[str, Any]) -> int:
    """The oldest ``result_version`` a run's results may have: the current one from schema 3 on
    (older runs keep the results of their day)."""
    return RESULT_VERSION if manifest.get("schema_version", 1) >= 3 else 1


def dataset_entries(manifest: Dict[str, Any]) -> Dict[str, Dict[str, str]]:
    """Per dataset file name of a run, its key in the run and its origin (what the data is:
    ``reference``, ``realistic``, ``opencode-import``, ``rows``), as the manifest records them."""
    found = {}
    for key, entry in (manifest.get("datasets") or {}).items():
        if not isinstance(entry, dict) or not entry.get("path"):
            continue
        origin = entry.get("origin") or (entry.get("spec") or {}).get("profile") or ""
        found[Path(str(entry["path"])).name] = {"dataset_key": str(key), "origin": str(origin)}
    return found


def repeat_numbers(jobs: List[Job]) -> Dict[str, int]:
    """Each planned job's repeat: its place (1, 2, …) among the jobs that differ from it only by id."""
    seen: Dict[str, int] = {}
    numbers = {}
    for job in jobs:
        spec = json.dumps({**job.to_dict(), "id": None}, sort_keys=True)
        seen[spec] = seen.get(spec, 0) + 1
        numbers[job.id] = seen[spec]
    return numbers


def figure_fields(job: Dict[str, Any]) -> Dict[str, Any]:
    """The columns of ``FIGURE_KEY`` a job (as a dict) fixes for every figure it reports: all but the
    interpreter (its result's environment) and the metric."""
    params = job["params"]
    return {
        "strategy": job["strategy"],
        "workload": job["workload"],
        "measurer": job["measurer"],
        "gc_mode": params.get("gc_mode", "enabled") if job["measurer"] in GC_MODE_MEASURERS else "",
        "variant": workload_variant(job["workload"], params),
        "size": job["size"],
        "dataset": Path(job["dataset"]).name,
    }


def tidy_rows(results: Iterator[Dict[str, Any]], manifest: Dict[str, Any], run_dir: Path) -> Iterator[Dict[str, Any]]:
    """One row per figure of every successful job, with its dataset's key and origin, the job's
    repeat and the machine's state while it ran (``harness.runs.machine``); RunError naming a figure that
    is not a registered metric (``harness.metrics``)."""
    datasets = dataset_entries(manifest)
    repeats = repeat_numbers(planned_jobs(manifest))
    states = machine.states(run_dir)["jobs"]
    for result in results:
        if result.get("status") != "ok":
            continue
        job, interpreter = result["job"], result["environment"]["interpreter"]
        params, state = job["params"], states.get(job["id"]) or {}
        fields = figure_fields(job)
        for figure in result["figures"]:
            if figure["metric"] not in METRICS:
                raise RunError(
                    f"job {job['id']} reports figure '{visible(figure['metric'])[:80]}', which is not a registered "
                    "metric (harness.metrics names every figure a measurer reports, with its unit)"
                )
            yield {
                "interpreter": environment_label(result["environment"]),
                "interpreter_tag": job.get("interpreter") or "",
                "implementation": interpreter["implementation"],
                **fields,
                "read_path": workload_param(job["workload"], params, "read_path"),
                "reads": workload_param(job["workload"], params, "reads"),
                "metric": figure["metric"],
                "value": figure["value"],
                "unit": figure["unit"],
                "n": figure["n"],
                "mad": figure.get("mad", figure.get("spread")),
                "job": job["id"],
                "repeat": repeats.get(job["id"], 1),
                **datasets.get(fields["dataset"], {"dataset_key": "", "origin": ""}),
                "other_cores": state.get("other_cores"),
                "load": state.get("load_end"),
                "cpu_share": state.get("cpu_share"),
            }


def write_tidy(run_dir: Path, manifest: Dict[str, Any]) -> int:
    """(Re)write ``tidy.csv`` and the pyperf suite (``harness.runs.suite``) from the verified job results;
    returns the number of rows. Sets ``manifest["tidy"]`` (rows and sha256) — write the manifest
    afterwards."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=TIDY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in tidy_rows(job_results(run_dir, manifest), manifest, Path(run_dir)):
        writer.writerow(row)
        count += 1
    text = buffer.getvalue()
    write_text(Path(run_dir) / "tidy.csv", text)
    manifest["tidy"] = {"rows": count, "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}
    write_suites(run_dir, job_results(run_dir, manifest))
    return count


def load_tidy(run_dir: Path) -> Any:
    """``tidy.csv`` as a typed pandas DataFrame (driver side: needs the ``analysis`` extra);
    RunError in one line, naming the file and the resume that rebuilds it, when the run's manifest
    is not one (``load_manifest``) or the table is missing, unreadable or not the one the run
    wrote. A bare table (no manifest.json beside it) is read as it is. A table of an older schema
    gets the columns it lacks (see the version history above)."""
    bare = not (Path(run_dir) / "manifest.json").exists()
    manifest = {} if bare else load_manifest(run_dir)
    path = Path(run_dir) / "tidy.csv"
    problem = None if bare else tidy_problem(run_dir, manifest)
    if problem is None and not path.is_file():
        problem = f"{path} is missing"
    if problem is None:
        try:
            return _typed_tidy(path, manifest)
        except (ValueError, OverflowError) as error:  # pandas' parser errors, undecodable text
            first = (str(error).strip().splitlines() or [type(error).__name__])[0]
            problem = f"{path} is not a readable tidy table ({first[:120]})"
    if bare:
        raise RunError(problem)
    raise RunError(
        f"{problem} (the run's status: {manifest['status']}); rebuild it with  {resume_command(run_dir, manifest)}"
    )


def _typed_tidy(path: Path, manifest: Dict[str, Any]) -> Any:
    """The tidy table at ``path``, completed to the current columns and typed; ValueError when it
    cannot be."""
    import pandas as pd

    numeric = ("value", "mad", "spread", "n", "size", "repeat", "other_cores", "load", "cpu_share")
    frame = pd.read_csv(
        path,
        dtype={name: "string" for name in TIDY_TEXT},
        keep_default_na=False,
        na_values={name: [""] for name in numeric},
    )
    frame = frame.rename(columns=RENAMED_COLUMNS)
    entries = dataset_entries(manifest)
    for name in ("dataset_key", "origin"):
        if name not in frame.columns and "dataset" in frame.columns:
            frame[name] = pd.Series([entries.get(str(d), {}).get(name, "") for d in frame["dataset"]], dtype="string")
    jobs = {job.get("id"): job for job in manifest.get("jobs", []) if isinstance(job, dict)}
    for name in ("read_path", "reads"):
        if name not in frame.columns and "job" in frame.columns:
            found = [jobs.get(job, {}) for job in frame["job"]]
            values = [workload_param(j.get("workload", ""), j.get("params") or {}, name) for j in found]
            frame[name] = pd.Series(values, dtype="string")
    for name in TIDY_TEXT:
        if name not in frame.columns:
            frame[name] = pd.Series([""] * len(frame), dtype="string")
    if "repeat" not in frame.columns:
        frame["repeat"] = 1
    for name in ("other_cores", "load", "cpu_share"):
        if name not in frame.columns:
            frame[name] = float("nan")
    missing = set(TIDY_COLUMNS) - set(frame.columns)
    if missing:
        raise ValueError(f"it lacks columns {', '.join(sorted(missing))}")
    try:
        return frame.astype(TIDY_TYPES)
    except TypeError as error:  # a value of the wrong kind in a typed column
        raise ValueError(str(error)) from None


#: The link to the latest complete run of the default plan on the interpreter the harness runs on.
LATEST = "latest"
_LINK_NAME = re.compile(r"latest(-[A-Za-z0-9_.+-]+)?")


def latest_names(
    plan: Optional[str], tags: List[str], default: bool, shard: Optional[Tuple[int, int]] = None
) -> List[str]:
    """The links a complete run becomes: ``latest-<plan>-<tags>`` (its interpreters' tags joined with
    ``+``, in the manifest's order) always, and ``latest`` when it is a default run (``default``); a
    shard ``(index, count)`` of a plan becomes ``latest-<plan>-<tags>-shard<index>of<count>`` alone."""
    name = f"{LATEST}-{plan or 'run'}-{'+'.join(tags)}"
    if shard is not None:
        return [f"{name}-shard{shard[0]}of{shard[1]}"]
    return [LATEST, name] if default else [name]


def point_latest(root: Path, run_dir: Path) -> List[str]:
    """Point each link the run's manifest names (``links``; ``latest`` for a run of an older harness)
    at ``run_dir``, each replaced atomically, unless it already points at a run that started later (a
    resumed old run does not become the latest). The names pointed at."""
    manifest = read_json(Path(run_dir) / "manifest.json") or {}
    started = str(manifest.get("started") or "")
    pointed = []
    for name in manifest.get("links") or [LATEST]:
        if not isinstance(name, str) or not _LINK_NAME.fullmatch(name):
            continue  # a name no run of this harness writes: nothing is made outside the root
        link = Path(root) / name
        current = read_json(link / "manifest.json")
        if isinstance(current, dict) and str(current.get("started") or "") > started:
            continue
        temporary = Path(root) / f".{name}.{os.getpid()}"
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(Path(run_dir).name)
        os.replace(temporary, link)
        pointed.append(name)
    fsync_path(root)
    return pointed


def failure_record(job: Job, returncode: Optional[int], stderr: str, reason: str) -> Dict[str, Any]:
    """What the runner writes for a job that crashed, timed out or wrote no result."""
    return {
        "result_version": RESULT_VERSION,
        "job": job.to_dict(),
        "status": "failed",
        "reason": reason,
        "returncode": returncode,
        "stderr_tail": stderr[-4000:],
        "figures": [],
    }


def verdicts(run_dir: Path, manifest: Dict[str, Any]) -> Dict[str, Verdict]:
    """Every planned job's verdict, by job id."""
    oldest = oldest_result(manifest)
    return {job.id: verify_result(run_dir, job, oldest) for job in planned_jobs(manifest)}


def completeness(run_dir: Path, manifest: Dict[str, Any]) -> Dict[str, int]:
    """Planned, ok, failed and missing job counts, from the verified results."""
    statuses = [verdict.status for verdict in verdicts(run_dir, manifest).values()]
    return {
        "planned": len(statuses),
        "ok": statuses.count("ok"),
        "failed": statuses.count("failed"),
        "missing": statuses.count(None),
    }


def run_fingerprint(environments: List[Dict[str, Any]]) -> str:
    """The run's environment fingerprint: its interpreters' fingerprints, order-independent."""
    import hashlib

    joined = ",".join(sorted(env["fingerprint"] for env in environments))
    return hashlib.sha256(joined.encode()).hexdigest()[:12]
