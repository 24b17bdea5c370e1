"""CPython and PyPy as runtimes: what an executable is (``version_of``), and what it can run with the
harness importable (``probe``: its environment, strategies and measurers)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

from harness.measure import catalogue
from harness.protocol.job import Job
from harness.runtime.base import Runtime, RuntimeUnavailable
from harness.runtime.process import last_line, run

#: Seconds a Python has to say what it is, and to answer the harness's probe.
VERSION_TIMEOUT = 60
PROBE_TIMEOUT = 120

_PROBE = (
    "import json; from harness.protocol.environment import environment; "
    "from harness.strategies import all_strategies; from harness.measure.catalogue import MEASURERS; "
    "print(json.dumps({'environment': environment(), 'strategies': "
    "{n: list(s.available()) for n, s in all_strategies().items()}, "
    "'measurers': {n: list(m.availability()) for n, m in MEASURERS.items()}}))"
)
_VERSION = "import platform, sys; print(platform.python_implementation(), platform.python_version(), sys.version)"


@dataclass(frozen=True)
class PythonRuntime(Runtime):
    """CPython or PyPy whose executable has the harness importable; it runs every job the catalogue
    accepts but those of a measurer that cannot run on it at all (its probe said why)."""

    def job_command(self, job: Job, job_file: Path, out: Path) -> List[str]:
        """``python -m harness.measure.<measurer> --job J --out R`` and the measurer's own arguments."""
        entry = catalogue.measurer(job.measurer)
        return [self.executable, "-m", entry.module, "--job", str(job_file), "--out", str(out), *entry.command_args]

    def refusal(self, job: Job) -> Optional[str]:
        """Why a job of a measurer that needs what this interpreter lacks (valgrind, CPython) cannot run."""
        if not catalogue.measurer(job.measurer).planned_only_where_available:
            return None
        available, reason = self.measurers.get(job.measurer, [False, "its probe did not list the measurer"])
        return None if available else str(reason)


def version_of(executable: str) -> Dict[str, str]:
    """Implementation, X.Y.Z and ``sys.version`` of a Python (a quick run, no harness needed)."""
    done = run([executable, "-c", _VERSION], VERSION_TIMEOUT)
    if done.returncode != 0:
        raise RuntimeUnavailable(f"{executable} does not run as Python: {last_line(done.stderr)}")
    implementation, version, full = done.stdout.strip().split(" ", 2)
    return {"implementation": implementation, "version": version, "sys_version": full}


def tag_of(implementation: str, version: str) -> str:
    """``cp311`` for CPython 3.11.x, ``pp39`` for PyPy 3.9.x."""
    major, minor = version.split(".")[:2]
    return f"{'pp' if implementation == 'PyPy' else 'cp'}{major}{minor}"


def probe(executable: str) -> PythonRuntime:
    """Ask a Python for its environment and which strategies and measurers it can run."""
    done = run([executable, "-c", _PROBE], PROBE_TIMEOUT)
    if done.returncode != 0:
        raise RuntimeUnavailable(f"{executable} cannot import the harness: {last_line(done.stderr)}")
    found = json.loads(done.stdout)
    described = found["environment"]["interpreter"]
    return PythonRuntime(
        tag_of(described["implementation"], described["version"]),
        executable,
        found["environment"],
        found["strategies"],
        found.get("measurers", {}),
    )


def current() -> PythonRuntime:
    """The running Python."""
    return probe(sys.executable)
