"""The runtimes ``--python`` names, each of its kind from the start; those a run's manifest records."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Type

from harness.runtime import bun as bun_runtime
from harness.runtime import bun_install as bun
from harness.runtime.base import Runtime, RuntimeUnavailable
from harness.runtime.discovery import discover, find, is_running
from harness.runtime.python import PythonRuntime, current, probe, tag_of, version_of
from harness.runtime.venvs import ensure_venv, venvs_root


def resolve(spec: Optional[str], venvs: Optional[Path] = None, notes: Optional[List[str]] = None) -> List[Runtime]:
    """Runtimes for ``--python``: None is the running Python; ``all`` every discovered one (and Bun
    when it is installed or installable); otherwise comma-separated versions (3.11), names (pypy3,
    bun) or paths, each Python prepared in its own venv. When Bun is unavailable and ``notes`` is
    given, the reason goes there and the others are resolved; RuntimeUnavailable when none is left."""
    if not spec:
        return [current()]
    everything = spec.strip() == "all"
    items = [c.spec for c in discover()] if everything else [part.strip() for part in spec.split(",") if part.strip()]
    if everything and bun.installable() is None:
        items.append(bun.TAG)
    if not items:
        raise RuntimeUnavailable("no interpreter named")
    if items.count(bun.TAG) > 1:
        raise RuntimeUnavailable("the same interpreter was named twice: bun")
    located = [(item, find(item)) for item in items if item != bun.TAG]
    _refuse_duplicates([(item, version_of(executable)) for item, executable in located])
    venvs = venvs if venvs is not None else venvs_root()
    found: List[Runtime] = []
    for _, executable in located:
        found.append(probe(sys.executable if is_running(executable) else str(ensure_venv(executable, venvs))))
    if bun.TAG in items:
        try:
            found.append(bun_runtime.probe())
        except RuntimeUnavailable as error:
            if notes is None or not found:
                raise
            notes.append(str(error))
    return found


def _refuse_duplicates(versions: List[Tuple[str, Dict[str, str]]]) -> None:
    """Two items naming one Python version (their jobs and results would collide)."""
    seen: Dict[str, str] = {}
    for item, version in versions:
        tag = tag_of(version["implementation"], version["version"])
        if tag in seen:
            minor = ".".join(version["version"].split(".")[:2])
            raise RuntimeUnavailable(
                f"the same interpreter was named twice: {seen[tag]} and {item} are both "
                f"{version['implementation']} {minor}"
            )
        seen[tag] = item


def _kind(entry: Dict[str, Any]) -> Type[Runtime]:
    """The kind of runtime a manifest entry records, told by the implementation it reported."""
    described = entry.get("interpreter")
    implementation = described.get("implementation") if isinstance(described, dict) else None
    return bun_runtime.BunRuntime if implementation == bun_runtime.IMPLEMENTATION else PythonRuntime


def recorded(entries: Dict[str, Dict[str, Any]]) -> Dict[str, Runtime]:
    """The runtimes of a run's manifest (``interpreters``) by tag, as far as running their jobs needs."""
    return {tag: _kind(entry).from_record(tag, entry) for tag, entry in entries.items()}
