"""The job protocol: ``python -m harness.measure.<measurer> --job job.json --out result.json``.

A job names one (strategy, workload, measurer, size) on one dataset; it runs in a
fresh interpreter, and the result — figures plus the environment they were
measured in — is written atomically. A measurer writes nothing when it fails;
the runner records the exit status and stderr instead.

This module holds the data: ``Job`` (typed, from planning to the job file),
``Param`` (a declared job parameter), ``Figure`` and the result writer. Which
measurers, workloads and parameters exist is in ``harness.measure.catalogue``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

from harness.atomic import write_text
from harness.hashing import file_sha256
from harness.measure.environment import environment

# Result file versions ("result_version"):
#   1 — figures with "spread" (the MAD), no job hash.
#   2 — figures with "mad"; "job_sha256", the hash of the job file the measurer ran.
#   3 — "artifacts": every file the result names beside it (path relative to the result, bytes,
#       sha256); "result_sha256": the hash of the result itself (``result_sha256``).
RESULT_VERSION = 3
#: Deepest JSON nesting a job file may have (a deeper one is refused before it is parsed).
MAX_JOB_DEPTH = 32
# Upper bounds of the counts a job file holds: far beyond what any plan asks, low enough that a slip
# (``rounds: 1e12``) is refused in one line instead of running for days or exhausting memory.
#: Messages: a job's ``size``, a page's ``limit``, the messages a loop appends per round (``growth``).
MAX_MESSAGES = 10_000_000
#: Workload calls one measurer makes (``rounds``).
MAX_ROUNDS = 10_000
#: Passes over a workload's objects in one call (``iterations``, ``passes``).
MAX_PASSES = 100_000
#: Objects one read site meets (``objects``).
MAX_OBJECTS = 1_000_000
#: pyperf worker processes of one timing job.
MAX_PROCESSES = 1_000
#: pyperf values (and warm-up values) per process.
MAX_VALUES = 10_000
#: pyperf loops per value.
MAX_LOOPS = 10_000_000
#: Seconds a measurer is asked to keep going (pyperf's ``min_time``, scalene's ``min_seconds``).
MAX_SECONDS = 3_600


class JobError(ValueError):
    """A job file that cannot be run as written."""


class OutputError(RuntimeError):
    """A result, or a file beside it, that could not be written whole (disk full, size limit)."""


_REQUIRED = ("id", "measurer", "strategy", "workload", "dataset", "size")
#: The type each job field must have (bool is not an int here).
_FIELD_TYPES: Dict[str, Tuple[type, ...]] = {
    "id": (str,),
    "measurer": (str,),
    "strategy": (str,),
    "workload": (str,),
    "dataset": (str,),
    "size": (int,),
    "session": (str, type(None)),
    "params": (dict,),
    "verify_dataset": (bool,),
    "interpreter": (str, type(None)),
    "schema": (str, type(None)),
}


@dataclass(frozen=True)
class Job:
    """One measurement to run in a fresh process."""

    id: str
    measurer: str
    strategy: str
    workload: str
    dataset: str
    size: int
    session: Optional[str] = None
    params: Dict[str, Any] = field(default_factory=dict)
    verify_dataset: bool = False
    #: The tag of the interpreter the job was planned for (cp311, pp39); the runner's business.
    interpreter: Optional[str] = None
    #: An edited schema file to build the strategy from instead of the one the dataset records.
    schema: Optional[str] = None

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> Job:
        """A job from its JSON object; JobError naming the first key that is unknown, missing or
        of the wrong type."""
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise JobError(f"unknown job keys: {', '.join(sorted(unknown))}")
        missing = [name for name in _REQUIRED if name not in data]
        if missing:
            raise JobError(f"incomplete job: {', '.join(missing)} missing")
        for name, value in data.items():
            expected = _FIELD_TYPES[name]
            if isinstance(value, bool) and bool not in expected or not isinstance(value, expected):
                kinds = " or ".join("null" if kind is type(None) else kind.__name__ for kind in expected)
                raise JobError(f"job key {name!r} must be {kinds}, got {type(value).__name__} {value!r:.60}")
        job = cls(**data)
        if not 0 <= job.size <= MAX_MESSAGES:
            raise JobError(f"job size must be an integer from 0 to {MAX_MESSAGES:,}, got {job.size}")
        return job

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    def with_params(self, **params: Any) -> Job:
        """The same job with more parameters set."""
        return replace(self, params={**self.params, **params})


def job_sha256(text: str) -> str:
    """The hash that ties a result to the job file it was measured from."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def result_sha256(result: Dict[str, Any]) -> str:
    """The hash of a result's content (every key but ``result_sha256``), as sorted compact JSON:
    a figure changed after the measurer wrote it no longer matches."""
    content = {key: value for key, value in result.items() if key != "result_sha256"}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def artifact_entry(path: Path, result_path: Path) -> Dict[str, Any]:
    """How a result names a file it wrote beside itself: relative path, size and hash."""
    return {
        "path": os.path.relpath(os.path.abspath(path), os.path.dirname(os.path.abspath(result_path))),
        "bytes": os.path.getsize(path),
        "sha256": file_sha256(path),
    }


@dataclass(frozen=True)
class Param:
    """A job parameter a measurer or workload declares: its type, default and bounds."""

    name: str
    kind: type  # int, float, bool, str or dict
    default: Any
    help: str
    minimum: Optional[float] = None
    choices: Tuple[Any, ...] = ()
    #: For a dict: the keys it may hold, each declared as a ``Param`` (or named: a finite
    #: non-negative number).
    keys: Tuple[Union[str, Param], ...] = ()
    #: It changes what is measured, not how much or how precisely: a value other than the default
    #: names the job's variant (tidy column ``variant``), so its figures are never pooled with others.
    variant: bool = False
    maximum: Optional[float] = None

    def check(self, value: Any) -> Any:
        """``value`` when it is valid for this parameter; JobError naming it otherwise."""
        kinds: Tuple[type, ...] = (int, float) if self.kind is float else (self.kind,)
        if isinstance(value, bool) and self.kind is not bool or not isinstance(value, kinds):
            raise JobError(f"params.{self.name} must be {self.kind.__name__}, got {value!r:.60}")
        if isinstance(value, float) and not math.isfinite(value):
            raise JobError(f"params.{self.name} must be finite, got {value!r}")
        if self.minimum is not None and value < self.minimum:
            raise JobError(f"params.{self.name} must be >= {self.minimum:g}, got {value!r}")
        if self.maximum is not None and value > self.maximum:
            raise JobError(f"params.{self.name} must be <= {self.maximum:,}, got {value!r}")
        if self.choices and value not in self.choices:
            raise JobError(f"params.{self.name} must be one of {', '.join(map(str, self.choices))}, got {value!r}")
        if isinstance(value, dict):
            members = {member.name: member for member in map(self._member, self.keys)}
            for key, item in value.items():
                if key not in members:
                    raise JobError(f"params.{self.name} takes {', '.join(members) or 'no keys'}, not {key!r}")
                replace(members[key], name=f"{self.name}.{key}").check(item)
        return value

    @staticmethod
    def _member(key: Union[str, Param]) -> Param:
        return key if isinstance(key, Param) else Param(key, float, None, "", minimum=0)


@dataclass
class Figure:
    """One number a measurer produced: a row of the tidy results table."""

    metric: str
    value: float
    unit: str
    n: int = 1
    mad: Optional[float] = None  # median absolute deviation of the values behind a median


def _depth(text: str) -> int:
    """Deepest bracket nesting of a JSON text (strings skipped), without parsing it."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def read_job(path: Path) -> Tuple[Job, str]:
    """The job in a job file and the file's hash; JobError when it is unreadable or malformed."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise JobError(f"cannot read job {path}: {error}") from None
    if _depth(text) > MAX_JOB_DEPTH:
        raise JobError(f"job {path} nests deeper than {MAX_JOB_DEPTH} levels")
    try:
        data = json.loads(text)
    except ValueError as error:
        raise JobError(f"job {path} is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise JobError(f"job {path} is not a JSON object")
    return Job.from_dict(data), job_sha256(text)


def write_result(
    path: Path,
    job: Job,
    job_hash: str,
    figures: List[Figure],
    started: float,
    extra: Optional[Dict[str, Any]] = None,
    artifacts: Optional[Dict[str, Path]] = None,
) -> Dict[str, Any]:
    """Write a job's result atomically and return it. ``artifacts`` are the files the measurer wrote
    (whole: it checked) beside the result; the result records their size and hash, so a file
    truncated, replaced or removed later no longer matches it."""
    result = {
        "result_version": RESULT_VERSION,
        "job": job.to_dict(),
        "job_sha256": job_hash,
        "status": "ok",
        "started": started,
        "finished": time.time(),
        "environment": environment(),
        "figures": [asdict(figure) for figure in figures],
        "extra": extra or {},
        "artifacts": {name: artifact_entry(file, path) for name, file in (artifacts or {}).items()},
    }
    result["result_sha256"] = result_sha256(result)
    write_text(path, json.dumps(result, indent=2, allow_nan=False) + "\n")
    return result
