"""Pythons to measure, found by version, name or path.

Discovery (``discover``, ``find``) looks in pyenv first (``$PYENV_ROOT``, else ``pyenv root`` when
pyenv is on PATH: ``versions/X.Y.Z/bin/python3``), then on ``PATH`` (``python3.N``, ``pypy3``;
pyenv's ``shims`` directories are skipped, they only run the selected version). Nothing is
hard-coded; tests point discovery at a fake tree through those two environment variables.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

from harness.runtime.base import RuntimeUnavailable

MINIMUM = (3, 9)  # requires-python of the measured side
_PYENV_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
_SPEC_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?$")


@dataclass(frozen=True)
class Candidate:
    """A discovered Python, before it is prepared: where it was found and how to name it."""

    spec: str  # what to pass to --python for it: 3.12 (pyenv), python3.12 / pypy3 (PATH)
    executable: str
    source: str  # pyenv | PATH
    version: str = ""  # X.Y.Z for pyenv builds, X.Y for PATH names ("" when unknown, pypy3)


def pyenv_root() -> Optional[Path]:
    """``$PYENV_ROOT`` when set, else what ``pyenv root`` says when pyenv is on PATH, else None."""
    if "PYENV_ROOT" in os.environ:
        return Path(os.environ["PYENV_ROOT"]) if os.environ["PYENV_ROOT"] else None
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return None
    try:
        done = subprocess.run([pyenv, "root"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return Path(done.stdout.strip()) if done.returncode == 0 and done.stdout.strip() else None


def pyenv_versions() -> List[Tuple[Tuple[int, int, int], Path]]:
    """CPython builds pyenv holds (X.Y.Z directories with an executable bin/python3), oldest first."""
    root = pyenv_root()
    if root is None or not (root / "versions").is_dir():
        return []
    found = []
    for directory in (root / "versions").iterdir():
        match = _PYENV_VERSION.match(directory.name)
        executable = directory / "bin" / "python3"
        if match and is_executable(executable):
            major, minor, patch = (int(part) for part in match.groups())
            found.append(((major, minor, patch), executable))
    return sorted(found)


def _search_path() -> List[str]:
    """PATH's directories without pyenv shims (a shim runs only the version pyenv has selected)."""
    return [entry for entry in os.environ.get("PATH", "").split(os.pathsep) if entry and Path(entry).name != "shims"]


def which(name: str) -> Optional[str]:
    """``name`` on PATH (shims skipped)."""
    return shutil.which(name, path=os.pathsep.join(_search_path()))


def path_names() -> List[str]:
    """``python3.N`` (N ≥ 9) and ``pypy3`` names present on PATH, in order of version."""
    names: Set[str] = set()
    for entry in _search_path():
        try:
            children = os.listdir(entry)
        except OSError:
            continue
        names.update(child for child in children if re.fullmatch(r"python3\.\d+|pypy3", child))
    supported = [name for name in names if name == "pypy3" or int(name.split(".")[1]) >= MINIMUM[1]]
    found = [name for name in supported if which(name)]
    return sorted(found, key=lambda n: (n == "pypy3", int(n.split(".")[1]) if n != "pypy3" else 0))


def discover() -> List[Candidate]:
    """Every Python available, one per version: newest pyenv patch of each minor ≥ 3.9, then PATH's
    ``python3.N`` for minors pyenv lacks, then ``pypy3``."""
    newest: Dict[Tuple[int, int], Tuple[Tuple[int, int, int], Path]] = {}
    for version, executable in pyenv_versions():
        if version[:2] >= MINIMUM:
            newest[version[:2]] = (version, executable)
    found = [
        Candidate(f"{minor[0]}.{minor[1]}", str(executable), "pyenv", ".".join(map(str, version)))
        for minor, (version, executable) in sorted(newest.items())
    ]
    for name in path_names():
        minor = name.removeprefix("python")
        if name == "pypy3" or tuple(int(part) for part in minor.split(".")) not in newest:
            found.append(Candidate(name, str(which(name)), "PATH", "" if name == "pypy3" else minor))
    return found


def _what_is_there() -> str:
    versions = ", ".join(".".join(map(str, version)) for version, _ in pyenv_versions()) or "nothing"
    names = ", ".join(path_names()) or "nothing"
    return f"pyenv has {versions}; PATH has {names}"


def find(item: str) -> str:
    """The executable for one ``--python`` item: a version (pyenv, then PATH), a name (PATH) or a path."""
    version = _SPEC_VERSION.match(item)
    if version:
        return _find_version(item, tuple(int(part) for part in version.groups() if part is not None))
    if os.sep in item or item.startswith("."):
        path = Path(item).expanduser()
        if not is_executable(path):
            raise RuntimeUnavailable(f"{item} is not an executable")
        return str(path.absolute())
    executable = which(item)
    if executable is None:
        raise RuntimeUnavailable(f"no {item} on PATH ({_what_is_there()})")
    return executable


def _find_version(item: str, wanted: Tuple[int, ...]) -> str:
    if wanted[:2] < MINIMUM:
        raise RuntimeUnavailable(
            f"Python {item} is too old: the harness needs Python {MINIMUM[0]}.{MINIMUM[1]} or newer"
        )
    matching = [executable for version, executable in pyenv_versions() if version[: len(wanted)] == wanted]
    if matching:
        return str(matching[-1])
    if len(wanted) == 2:
        executable = which(f"python{wanted[0]}.{wanted[1]}")
        if executable:
            return executable
    raise RuntimeUnavailable(f"no Python {item} found: {_what_is_there()}")


def is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def is_running(executable: str) -> bool:
    """Whether ``executable`` is the running Python (or the base this venv was made from)."""
    base = getattr(sys, "_base_executable", sys.executable)
    return os.path.realpath(executable) in {os.path.realpath(sys.executable), os.path.realpath(base)}
