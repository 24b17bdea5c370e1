"""The job protocol: ``python -m harness.measure.<measurer> --job job.json --out result.json``.

A job names one (strategy, workload, measurer, size) on one dataset; it runs in a
fresh interpreter, and the result — figures plus the environment they were
measured in — is written atomically. A measurer writes nothing when it fails;
the runner records the exit status and stderr instead.

The protocol itself (job fields and types, limits, result version and keys, the seal) is
``protocol.json`` beside this module, which the JavaScriptCore runner (``harness/jsc``)
reads too. This module holds the Python side: ``Job`` (typed, from planning to the job
file), ``Param`` (a declared job parameter), ``Figure`` and the result writer. Which
measurers, workloads and parameters exist is in ``harness.measure.catalogue``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

from harness.atomic import atomic_path
from harness.hashing import file_sha256
from harness.protocol.environment import environment

PROTOCOL_FILE = Path(__file__).with_name("protocol.json")
PROTOCOL: Dict[str, Any] = json.loads(PROTOCOL_FILE.read_text(encoding="utf-8"))
#: The version of the results this harness writes (history: ``PROTOCOL["result_versions"]``).
RESULT_VERSION: int = PROTOCOL["result_version"]
#: The fields of a job file: types, whether required, default, bounds.
JOB_FIELDS: Dict[str, Dict[str, Any]] = PROTOCOL["job"]["fields"]
#: Deepest JSON nesting a job file may have (a deeper one is refused before it is parsed).
MAX_JOB_DEPTH: int = PROTOCOL["job"]["max_depth"]
#: Upper bounds of the counts a job file holds, by name (``PROTOCOL["limits"]`` says which counts).
LIMITS: Dict[str, int] = {name: limit["maximum"] for name, limit in PROTOCOL["limits"].items()}
MAX_MESSAGES = LIMITS["messages"]
MAX_ROUNDS = LIMITS["rounds"]
MAX_PASSES = LIMITS["passes"]
MAX_OBJECTS = LIMITS["objects"]
MAX_PROCESSES = LIMITS["processes"]
MAX_VALUES = LIMITS["values"]
MAX_LOOPS = LIMITS["loops"]
MAX_SECONDS = LIMITS["seconds"]
#: The members of a result, in the order they are written; then the seal's own member.
RESULT_KEYS: Tuple[str, ...] = tuple(PROTOCOL["result"]["keys"])
SEAL_KEY: str = PROTOCOL["result"]["seal_key"]
_SEAL_HEAD, _SEAL_TAIL = (part.encode("ascii") for part in PROTOCOL["result"]["seal"].split("{sha256}"))
#: The JSON value kinds the protocol names.
_KINDS: Dict[str, type] = {"str": str, "int": int, "bool": bool, "dict": dict, "null": type(None)}


class JobError(ValueError):
    """A job file that cannot be run as written."""


class OutputError(RuntimeError):
    """A result, or a file beside it, that could not be written whole (disk full, size limit)."""


def _check_field(name: str, value: Any) -> None:
    """JobError when ``value`` is not of the type (or within the bounds) the protocol gives job key ``name``."""
    spec = JOB_FIELDS[name]
    kinds = tuple(_KINDS[kind] for kind in spec["types"])
    if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
        kinds_named = " or ".join(spec["types"])
        raise JobError(f"job key {name!r} must be {kinds_named}, got {type(value).__name__} {value!r:.60}")
    if "maximum" in spec and isinstance(value, int) and not spec["minimum"] <= value <= LIMITS[spec["maximum"]]:
        bounds = f"{spec['minimum']} to {LIMITS[spec['maximum']]:,}"
        raise JobError(f"job {name} must be an integer from {bounds}, got {value}")


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
        """A job from its JSON object; JobError naming the first key that is unknown, missing,
        of the wrong type or out of bounds."""
        unknown = set(data) - set(JOB_FIELDS)
        if unknown:
            raise JobError(f"unknown job keys: {', '.join(sorted(unknown))}")
        missing = [name for name, spec in JOB_FIELDS.items() if spec.get("required") and name not in data]
        if missing:
            raise JobError(f"incomplete job: {', '.join(missing)} missing")
        for name, value in data.items():
            _check_field(name, value)
        return cls(**data)

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    def with_params(self, **params: Any) -> Job:
        """The same job with more parameters set."""
        return replace(self, params={**self.params, **params})


def job_sha256(text: str) -> str:
    """The hash that ties a result to the job file it was measured from (the file's UTF-8 bytes)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _seal(content: bytes) -> bytes:
    return _SEAL_HEAD + hashlib.sha256(content).hexdigest().encode("ascii") + _SEAL_TAIL


def sealed(result: Dict[str, Any]) -> bytes:
    """A result file's bytes: ``result`` (every key but the seal's) as indented JSON up to its last
    member, then the seal, the last member ``"result_sha256"``: the sha256 of the bytes before it."""
    text = json.dumps({key: value for key, value in result.items() if key != SEAL_KEY}, indent=2, allow_nan=False)
    content = text[: text.rindex("}")].rstrip().encode("utf-8")
    return content + _seal(content)


def seal_holds(data: bytes) -> bool:
    """Whether a result file's bytes end in the seal of the bytes before it: nothing in the file
    changed after its runner wrote it, whichever runner (and JSON encoder) that was."""
    size = len(_seal(b""))
    return len(data) > size and data[-size:] == _seal(data[:-size])


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
        if isinstance(value, (int, float)):
            self._check_bounds(value)
        if self.choices and value not in self.choices:
            raise JobError(f"params.{self.name} must be one of {', '.join(map(str, self.choices))}, got {value!r}")
        if isinstance(value, dict):
            members = {member.name: member for member in map(self._member, self.keys)}
            for key, item in value.items():
                if key not in members:
                    raise JobError(f"params.{self.name} takes {', '.join(members) or 'no keys'}, not {key!r}")
                replace(members[key], name=f"{self.name}.{key}").check(item)
        return value

    def _check_bounds(self, value: float) -> None:
        """JobError naming this parameter when ``value`` is below its minimum or above its maximum."""
        if self.minimum is not None and value < self.minimum:
            raise JobError(f"params.{self.name} must be >= {self.minimum:g}, got {value!r}")
        if self.maximum is not None and value > self.maximum:
            raise JobError(f"params.{self.name} must be <= {self.maximum:,}, got {value!r}")

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
        text = Path(path).read_bytes().decode("utf-8")  # bytes as written: no newline translation
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
    """Write a job's result atomically, sealed (``sealed``), and return it as written. ``artifacts``
    are the files the measurer wrote (whole: it checked) beside the result; the result records their
    size and hash, so a file truncated, replaced or removed later no longer matches it."""
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
    data = sealed(result)
    with atomic_path(path) as temporary:
        temporary.write_bytes(data)
    return json.loads(data)
