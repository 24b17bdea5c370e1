"""What every runtime is: its tag and label, how a job starts on it, what it cannot run, the
strategies and measurers it has, the environment it reports."""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from harness.protocol.environment import label as environment_label
from harness.protocol.job import Job

Say = Callable[[str], None]


def stderr(text: str) -> None:
    """Say ``text`` on stderr (what preparing a runtime says by default)."""
    print(text, file=sys.stderr, flush=True)


class RuntimeUnavailable(ValueError):
    """A runtime that cannot be found, prepared or named as given; the message says why."""


@dataclass(frozen=True)
class Runtime(ABC):
    """A runtime as the planner and the runner use it; ``PythonRuntime`` and ``BunRuntime`` are the kinds."""

    tag: str  # short, file-name safe: cp311, pp39, bun14
    executable: str
    environment: Dict[str, Any]  # what it reports of itself and the machine (``harness.protocol.environment``)
    strategies: Dict[str, List[Any]] = field(default_factory=dict)  # name -> [available, reason]
    measurers: Dict[str, List[Any]] = field(default_factory=dict)  # optional measurers -> [available, reason]

    @property
    def label(self) -> str:
        """``CPython 3.11.7``, ``JSC Bun 1.4.5``."""
        return environment_label(self.environment)

    def record(self) -> Dict[str, Any]:
        """Its entry under a run manifest's ``interpreters``: the executable and the environment."""
        return {"executable": self.executable, **self.environment}

    @classmethod
    def from_record(cls, tag: str, entry: Dict[str, Any]) -> Runtime:
        """The runtime a manifest entry (``record``) names, as far as running its jobs needs."""
        return cls(tag, entry["executable"], {key: value for key, value in entry.items() if key != "executable"})

    @abstractmethod
    def job_command(self, job: Job, job_file: Path, out: Path) -> List[str]:
        """The command line that runs ``job`` from ``job_file`` and writes its result to ``out``."""

    @abstractmethod
    def refusal(self, job: Job) -> Optional[str]:
        """Why this runtime cannot run a job the Python catalogue accepts, or None."""
