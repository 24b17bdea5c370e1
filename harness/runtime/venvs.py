"""A virtual environment per Python: every Python other than the running one runs its jobs from
``.venvs/<tag>-<hash>/`` (hash of pyproject.toml and the exact interpreter build; ``$HARNESS_VENVS``
moves the folder) with the harness installed editable, its core dependencies and each optional
extra tried separately. A complete venv has a stamp file and is reused; a failed creation leaves no
stamp and is rebuilt next time. A package that does not install (msgspec, memray on PyPy) only makes
strategies or measurers unavailable in the probe."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Callable, Dict, List, Tuple

from harness.runtime.base import RuntimeUnavailable, Say, stderr
from harness.runtime.discovery import is_executable
from harness.runtime.process import last_line, run
from harness.runtime.python import tag_of, version_of

EXTRAS = ("attrs", "pydantic")  # optional extras tried one by one in each venv
STAMP = ".harness-complete"
VENVS_ENV = "HARNESS_VENVS"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def venvs_root() -> Path:
    """Where the venvs are made: ``$HARNESS_VENVS``, else ``.venvs`` in the project."""
    return Path(os.environ.get(VENVS_ENV) or PROJECT_ROOT / ".venvs")


def venv_key(version: Dict[str, str], root: Path = PROJECT_ROOT) -> str:
    """``<tag>-<hash>``: the hash covers pyproject.toml and the exact interpreter build."""
    digest = hashlib.sha256((root / "pyproject.toml").read_bytes())
    digest.update(json.dumps(version, sort_keys=True).encode())
    return f"{tag_of(version['implementation'], version['version'])}-{digest.hexdigest()[:10]}"


def _extra_requirements(extra: str, root: Path) -> List[str]:
    """The requirements of one optional extra, read from pyproject.toml (``root[extra]`` without tomllib)."""
    try:
        import tomllib
    except ImportError:  # Python 3.10 driver: let pip resolve the extra
        return [f"{root}[{extra}]"]
    with open(root / "pyproject.toml", "rb") as handle:
        return list(tomllib.load(handle)["project"]["optional-dependencies"][extra])


def _installer(python: Path) -> Tuple[Callable[[List[str]], List[str]], Callable[[str, Path], List[str]]]:
    """How to make a venv and how to install into it: uv when on PATH, else venv + pip."""
    uv = shutil.which("uv")
    if uv:
        return (
            lambda args: [uv, "pip", "install", "--python", str(python), *args],
            lambda executable, target: [uv, "venv", "--quiet", "--python", executable, str(target)],
        )
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    return (lambda args: [*pip, *args], lambda executable, target: [executable, "-m", "venv", str(target)])


def build_venv(executable: str, target: Path, root: Path = PROJECT_ROOT, say: Say = stderr) -> None:
    """Create ``target`` with the harness (editable) and each extra that installs; raise when the
    core fails."""
    python = target / "bin" / "python"
    install, create = _installer(python)
    done = run(create(executable, target), 600)
    if done.returncode != 0:
        raise RuntimeUnavailable(f"cannot create {target}: {last_line(done.stderr)}")
    done = run(install(["-e", str(root)]), 1800)
    if done.returncode != 0:
        raise RuntimeUnavailable(f"the harness does not install into {target}: {last_line(done.stderr)}")
    for extra in EXTRAS:
        done = run(install(_extra_requirements(extra, root)), 1800)
        if done.returncode != 0:
            say(
                f"note: extra {extra!r} does not install into {target.name} "
                f"(its strategies will be unavailable): {last_line(done.stderr)}"
            )


def ensure_venv(
    executable: str, venvs: Path, root: Path = PROJECT_ROOT, say: Say = stderr, build: Callable[..., None] = build_venv
) -> Path:
    """The python of ``executable``'s venv under ``venvs``, created on first use (or after a failure)."""
    target = venvs / venv_key(version_of(executable), root)
    python = target / "bin" / "python"
    if (target / STAMP).is_file() and is_executable(python):
        return python
    if target.exists():
        say(f"removing incomplete {_shown(target)}")
        shutil.rmtree(target)
    say(f"creating {_shown(target)} (first use: the harness and its extras installed, a minute or two)")
    began = time.monotonic()
    target.parent.mkdir(parents=True, exist_ok=True)
    build(executable, target, root=root, say=say)
    stamp = {"executable": executable, "seconds": round(time.monotonic() - began)}
    (target / STAMP).write_text(json.dumps(stamp))
    say(f"created {_shown(target)} in {time.monotonic() - began:.0f} s")
    return python


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
