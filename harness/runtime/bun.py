"""Bun (JavaScriptCore) as a runtime: what its JS job runner can run, and how its jobs start.

Bun itself is installed on demand and describes itself through ``harness.runtime.bun_install``. Its jobs run the
JS job runner shipped in the package, ``bun harness/jsc/job.mjs --job J --out R`` (same job files
and result protocol as the Python measurers). ``refusal`` checks a planned job against the runner's
catalogue, so the planner skips, with the reason, what only Python measures (scalene,
``gc_mode=freeze``, …).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from harness.protocol.job import Job, JobError, Param
from harness.runtime import bun_install as bun
from harness.runtime.base import Runtime, RuntimeUnavailable, Say, stderr

#: What the JS job runner's environment calls its implementation.
IMPLEMENTATION = "JSC"


@dataclass(frozen=True)
class BunRuntime(Runtime):
    """Bun running the JS job runner, which runs what its catalogue declares."""

    #: The JS job runner's catalogue: its measurers and workloads with their parameters.
    catalogue: Dict[str, Any] = field(default_factory=lambda: {"measurers": {}, "workloads": {}})

    def job_command(self, job: Job, job_file: Path, out: Path) -> List[str]:
        """``bun harness/jsc/job.mjs --job J --out R``."""
        return [self.executable, str(bun.JOB_SCRIPT), "--job", str(job_file), "--out", str(out)]

    def refusal(self, job: Job) -> Optional[str]:
        return refusal(self.catalogue, job)


def probe(say: Say = stderr) -> BunRuntime:
    """Bun, installed on first use; RuntimeUnavailable with the reason when it is unavailable."""
    from harness.strategies import all_strategies

    try:
        executable = bun.ensure(say)
        described = bun.describe(executable)
    except bun.BunUnavailable as error:
        raise RuntimeUnavailable(f"Bun is unavailable: {error}") from None
    return BunRuntime(
        tag_of(bun.BUN_VERSION),
        executable,
        described["environment"],
        strategy_table(described, list(all_strategies())),
        {name: [True, ""] for name in described["measurers"]},
        {"measurers": described["measurers"], "workloads": described["workloads"]},
    )


def tag_of(version: str) -> str:
    """``bun14`` for Bun 1.4.x."""
    major, minor = version.split(".")[:2]
    return f"{bun.TAG}{major}{minor}"


def strategy_table(described: Dict[str, Any], python_names: List[str]) -> Dict[str, List[Any]]:
    """Availability per strategy name: the JS runner's own, and every Python strategy it lacks."""
    own = set(described["strategies"])
    table: Dict[str, List[Any]] = {name: [True, ""] for name in described["strategies"]}
    for name in python_names:
        if name not in own:
            table[name] = [False, "Python only (the JS runner builds spread and fixed, as opencode does)"]
    return table


_KINDS = {"int": int, "float": float, "bool": bool, "str": str, "dict": dict}


def _param(spec: Dict[str, Any]) -> Param:
    return Param(
        spec["name"],
        _KINDS[spec["kind"]],
        spec["default"],
        spec.get("help", ""),
        spec.get("minimum"),
        tuple(spec.get("choices") or ()),
        tuple(spec.get("keys") or ()),
    )


def refusal(catalogue: Dict[str, Any], job: Job) -> Optional[str]:
    """Why the JS runner cannot run ``job`` (a Python-only measurer, workload or parameter), or None."""
    measurer = catalogue["measurers"].get(job.measurer)
    if measurer is None:
        return f"the {job.measurer} measurer is Python only"
    if job.schema is not None:
        return "an edited schema is Python only"
    if job.workload not in measurer["workloads"]:
        return f"the JS {job.measurer} measurer does not run {job.workload}"
    declared = {spec["name"]: spec for spec in measurer["params"] + catalogue["workloads"][job.workload]["params"]}
    for name, value in job.params.items():
        if name not in declared:
            return f"params.{name} is Python only"
        try:
            _param(declared[name]).check(value)
        except JobError as error:
            return f"the JS runner: {error}"
    return None
