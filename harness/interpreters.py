"""Interpreters to measure: the running one, or ones named by version or path.

Discovery is placeholder-free for the running interpreter; the matrix (pyenv,
PATH, per-interpreter virtual environments) is added by ``resolve``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from typing import Any, Dict, List

_PROBE = ("import json; from harness.measure.environment import environment; "
          "from harness.strategies import all_strategies; "
          "print(json.dumps({'environment': environment(), 'strategies': "
          "{n: list(s.available()) for n, s in all_strategies().items()}}))")


class InterpreterError(ValueError):
    """An interpreter that cannot be found or prepared."""


@dataclass(frozen=True)
class Interpreter:
    """A Python that runs measurement jobs (its executable has the harness importable)."""

    tag: str  # short, file-name safe: cp311, pp39
    executable: str
    environment: Dict[str, Any]
    strategies: Dict[str, List[Any]]  # name -> [available, reason]

    @property
    def label(self) -> str:
        interpreter = self.environment["interpreter"]
        return f"{interpreter['implementation']} {interpreter['version']}"


def probe(executable: str) -> Interpreter:
    """Ask an interpreter for its environment and which strategies it can run."""
    try:
        done = subprocess.run([executable, "-c", _PROBE], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise InterpreterError(f"cannot run {executable}: {error}") from None
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise InterpreterError(f"{executable} cannot import the harness: {tail}")
    found = json.loads(done.stdout)
    interpreter = found["environment"]["interpreter"]
    prefix = "pp" if interpreter["implementation"] == "PyPy" else "cp"
    major, minor = interpreter["version"].split(".")[:2]
    return Interpreter(f"{prefix}{major}{minor}", executable, found["environment"], found["strategies"])


def current() -> Interpreter:
    return probe(sys.executable)


def resolve(spec: "str | None") -> List[Interpreter]:
    """Interpreters for ``--python``: None is the running one; otherwise comma-separated paths."""
    if not spec:
        return [current()]
    found = []
    for item in (part.strip() for part in spec.split(",") if part.strip()):
        found.append(probe(item))
    tags = [interpreter.tag for interpreter in found]
    if len(set(tags)) != len(tags):
        raise InterpreterError(f"the same interpreter version was named twice: {', '.join(tags)}")
    return found
