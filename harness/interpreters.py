"""Interpreters to measure: the running one, or others named by version, name or path.

Discovery (``discover``, ``find``) looks in pyenv first (``$PYENV_ROOT``, else
``pyenv root`` when pyenv is on PATH: ``versions/X.Y.Z/bin/python3``), then on
``PATH`` (``python3.N``, ``pypy3``; pyenv's ``shims`` directories are skipped,
they only run the selected version). Nothing is hard-coded; tests point
discovery at a fake tree through those two environment variables.

Every interpreter other than the running one runs its jobs from its own virtual
environment ``.venvs/<tag>-<hash>/`` (hash of pyproject.toml and the exact
interpreter build; ``$HARNESS_VENVS`` moves the folder) with the harness
installed editable, its core dependencies and each optional extra tried separately. A complete venv has a stamp file and
is reused; a failed creation leaves no stamp and is rebuilt next time. A package
that does not install (msgspec, memray on PyPy) only makes strategies or
measurers unavailable in the probe.

``bun`` names Bun (JavaScriptCore), installed on demand into the project's tools folder and
running the JS job runner (``harness.bun``); ``all`` includes it when it is installed or npm can
install it.

Driver side: this module may use Python 3.10+.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from harness import bun
from harness.measure import catalogue
from harness.measure.job import Job

MINIMUM = (3, 9)  # requires-python of the measured side
EXTRAS = ("attrs", "pydantic")  # optional extras tried one by one in each venv
STAMP = ".harness-complete"
VENVS_ENV = "HARNESS_VENVS"
#: Seconds an interpreter has to say what it is, and to answer the harness's probe.
VERSION_TIMEOUT = 60
PROBE_TIMEOUT = 120
PROJECT_ROOT = Path(__file__).resolve().parents[1]

_PROBE = (
    "import json; from harness.measure.environment import environment; "
    "from harness.strategies import all_strategies; from harness.measure.catalogue import MEASURERS; "
    "print(json.dumps({'environment': environment(), 'strategies': "
    "{n: list(s.available()) for n, s in all_strategies().items()}, "
    "'measurers': {n: list(m.availability()) for n, m in MEASURERS.items()}}))"
)
_VERSION = "import platform, sys; print(platform.python_implementation(), platform.python_version(), sys.version)"
_PYENV_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
_SPEC_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?$")

Say = Callable[[str], None]


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class InterpreterError(ValueError):
    """An interpreter that cannot be found or prepared."""


@dataclass(frozen=True)
class Interpreter:
    """A Python (its executable has the harness importable) or Bun, which runs measurement jobs."""

    tag: str  # short, file-name safe: cp311, pp39, bun14
    executable: str
    environment: Dict[str, Any]
    strategies: Dict[str, List[Any]]  # name -> [available, reason]
    measurers: Dict[str, List[Any]] = field(default_factory=dict)  # optional measurers -> [available, reason]
    #: Bun only: the JS job runner's catalogue (measurers and workloads with their parameters).
    catalogue: Optional[Dict[str, Any]] = None

    @property
    def label(self) -> str:
        interpreter = self.environment["interpreter"]
        return f"{interpreter['implementation']} {interpreter['version']}"

    def refusal(self, job: Job) -> Optional[str]:
        """Why this interpreter cannot run a job the Python catalogue accepts, or None."""
        return None if self.catalogue is None else bun.refusal(self.catalogue, job)


def job_command(job: Job, executable: str, job_file: Path, out: Path) -> List[str]:
    """How a job starts: ``python -m harness.measure.<measurer>``, or Bun's JS job runner."""
    if bun.is_bun_tag(job.interpreter):
        return bun.job_command(executable, job_file, out)
    entry = catalogue.measurer(job.measurer)
    return [executable, "-m", entry.module, "--job", str(job_file), "--out", str(out), *entry.command_args]


@dataclass(frozen=True)
class Candidate:
    """A discovered interpreter, before it is prepared: where it was found and how to name it."""

    spec: str  # what to pass to --python for it: 3.12 (pyenv), python3.12 / pypy3 (PATH)
    executable: str
    source: str  # pyenv | PATH
    version: str = ""  # X.Y.Z for pyenv builds, X.Y for PATH names ("" when unknown, pypy3)


# --- discovery ----------------------------------------------------------------------------------


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
        if match and _is_executable(executable):
            found.append((tuple(int(part) for part in match.groups()), executable))
    return sorted(found)


def _search_path() -> List[str]:
    """PATH's directories without pyenv shims (a shim runs only the version pyenv has selected)."""
    return [entry for entry in os.environ.get("PATH", "").split(os.pathsep) if entry and Path(entry).name != "shims"]


def which(name: str) -> Optional[str]:
    """``name`` on PATH (shims skipped)."""
    return shutil.which(name, path=os.pathsep.join(_search_path()))


def path_names() -> List[str]:
    """``python3.N`` (N ≥ 9) and ``pypy3`` names present on PATH, in order of version."""
    names = set()
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
    """Every interpreter available, one per version: newest pyenv patch of each minor ≥ 3.9, then
    PATH's ``python3.N`` for minors pyenv lacks, then ``pypy3``."""
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
        if not _is_executable(path):
            raise InterpreterError(f"{item} is not an executable")
        return str(path.absolute())
    executable = which(item)
    if executable is None:
        raise InterpreterError(f"no {item} on PATH ({_what_is_there()})")
    return executable


def _find_version(item: str, wanted: Tuple[int, ...]) -> str:
    if wanted[:2] < MINIMUM:
        raise InterpreterError(f"Python {item} is too old: the harness needs Python {MINIMUM[0]}.{MINIMUM[1]} or newer")
    matching = [executable for version, executable in pyenv_versions() if version[: len(wanted)] == wanted]
    if matching:
        return str(matching[-1])
    if len(wanted) == 2:
        executable = which(f"python{wanted[0]}.{wanted[1]}")
        if executable:
            return executable
    raise InterpreterError(f"no Python {item} found: {_what_is_there()}")


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


# --- probing --------------------------------------------------------------------------------------


def _run(command: List[str], timeout: float) -> subprocess.CompletedProcess:
    """``command``'s exit status and output, run in a process group of its own. When it takes longer
    than ``timeout`` seconds, or the wait is interrupted (Ctrl-C), the whole group is killed: an
    interpreter that is a wrapper script leaves none of its children running."""
    try:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
    except OSError as error:
        raise InterpreterError(f"cannot run {command[0]}: {error}") from None
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise InterpreterError(f"cannot run {command[0]}: it did not finish within {timeout:g} s") from None
    except BaseException:
        _kill_group(process)
        raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def _kill_group(process: subprocess.Popen) -> None:
    """Kill a process started by ``_run`` and everything in its group, and reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


def _last_line(text: str) -> str:
    """The line that says what went wrong: pip's last ``error:`` line, else the last line."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()] or ["no output"]
    errors = [line for line in lines if line.lower().startswith("error:") or line.startswith("ERROR:")]
    return (errors or lines)[-1]


def version_of(executable: str) -> Dict[str, str]:
    """Implementation, X.Y.Z and ``sys.version`` of an interpreter (a quick run, no harness needed)."""
    done = _run([executable, "-c", _VERSION], VERSION_TIMEOUT)
    if done.returncode != 0:
        raise InterpreterError(f"{executable} does not run as Python: {_last_line(done.stderr)}")
    implementation, version, full = done.stdout.strip().split(" ", 2)
    return {"implementation": implementation, "version": version, "sys_version": full}


def tag_of(implementation: str, version: str) -> str:
    major, minor = version.split(".")[:2]
    return f"{'pp' if implementation == 'PyPy' else 'cp'}{major}{minor}"


def probe(executable: str) -> Interpreter:
    """Ask an interpreter for its environment and which strategies and measurers it can run."""
    done = _run([executable, "-c", _PROBE], PROBE_TIMEOUT)
    if done.returncode != 0:
        raise InterpreterError(f"{executable} cannot import the harness: {_last_line(done.stderr)}")
    found = json.loads(done.stdout)
    interpreter = found["environment"]["interpreter"]
    return Interpreter(
        tag_of(interpreter["implementation"], interpreter["version"]),
        executable,
        found["environment"],
        found["strategies"],
        found.get("measurers", {}),
    )


def probe_bun(say: Say = _stderr) -> Interpreter:
    """Bun, installed on first use; InterpreterError with the reason when it is unavailable."""
    from harness.strategies import all_strategies

    try:
        executable = bun.ensure(say)
        described = bun.describe(executable)
    except bun.BunUnavailable as error:
        raise InterpreterError(f"Bun is unavailable: {error}") from None
    environment = described["environment"]
    return Interpreter(
        bun.tag_of(bun.BUN_VERSION),
        executable,
        environment,
        bun.strategy_table(described, list(all_strategies())),
        {name: [True, ""] for name in described["measurers"]},
        {"measurers": described["measurers"], "workloads": described["workloads"]},
    )


def current() -> Interpreter:
    return probe(sys.executable)


def is_running(executable: str) -> bool:
    """Whether ``executable`` is the running interpreter (or the base this venv was made from)."""
    base = getattr(sys, "_base_executable", sys.executable)
    return os.path.realpath(executable) in {os.path.realpath(sys.executable), os.path.realpath(base)}


# --- per-interpreter virtual environments ---------------------------------------------------------


def venvs_root() -> Path:
    """Where the interpreters' venvs are made: ``$HARNESS_VENVS``, else ``.venvs`` in the project."""
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


def build_venv(executable: str, target: Path, root: Path = PROJECT_ROOT, say: Say = _stderr) -> None:
    """Create ``target`` with the harness (editable) and each extra that installs; raise when the
    core fails."""
    python = target / "bin" / "python"
    install, create = _installer(python)
    done = _run(create(executable, target), 600)
    if done.returncode != 0:
        raise InterpreterError(f"cannot create {target}: {_last_line(done.stderr)}")
    done = _run(install(["-e", str(root)]), 1800)
    if done.returncode != 0:
        raise InterpreterError(f"the harness does not install into {target}: {_last_line(done.stderr)}")
    for extra in EXTRAS:
        done = _run(install(_extra_requirements(extra, root)), 1800)
        if done.returncode != 0:
            say(
                f"note: extra {extra!r} does not install into {target.name} "
                f"(its strategies will be unavailable): {_last_line(done.stderr)}"
            )


def ensure_venv(
    executable: str, venvs: Path, root: Path = PROJECT_ROOT, say: Say = _stderr, build: Callable[..., None] = build_venv
) -> Path:
    """The python of ``executable``'s venv under ``venvs``, created on first use (or after a failure)."""
    target = venvs / venv_key(version_of(executable), root)
    python = target / "bin" / "python"
    if (target / STAMP).is_file() and _is_executable(python):
        return python
    if target.exists():
        say(f"removing incomplete {_shown(target)}")
        shutil.rmtree(target)
    say(f"creating {_shown(target)} (first use, ~30 s)")
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


# --- resolve --------------------------------------------------------------------------------------


def resolve(spec: Optional[str], venvs: Optional[Path] = None, notes: Optional[List[str]] = None) -> List[Interpreter]:
    """Interpreters for ``--python``: None is the running one; ``all`` every discovered one (and Bun
    when it is installed or installable); otherwise comma-separated versions (3.11), names (pypy3,
    bun) or paths, each Python prepared in its own venv. When Bun is unavailable and ``notes`` is
    given, the reason goes there and the others are resolved; InterpreterError when none is left."""
    if not spec:
        return [current()]
    everything = spec.strip() == "all"
    items = [c.spec for c in discover()] if everything else [part.strip() for part in spec.split(",") if part.strip()]
    if everything and bun.installable() is None:
        items.append(bun.TAG)
    if not items:
        raise InterpreterError("no interpreter named")
    if items.count(bun.TAG) > 1:
        raise InterpreterError("the same interpreter was named twice: bun")
    pythons = [item for item in items if item != bun.TAG]
    located = [(item, find(item)) for item in pythons]
    _refuse_duplicates([(item, version_of(executable)) for item, executable in located])
    venvs = venvs if venvs is not None else venvs_root()
    found = []
    for _, executable in located:
        python = sys.executable if is_running(executable) else str(ensure_venv(executable, venvs))
        found.append(probe(python))
    if bun.TAG in items:
        try:
            found.append(probe_bun())
        except InterpreterError as error:
            if notes is None or not found:
                raise
            notes.append(str(error))
    return found


def _refuse_duplicates(versions: List[Tuple[str, Dict[str, str]]]) -> None:
    """Two items naming one interpreter version (their jobs and results would collide)."""
    seen: Dict[str, str] = {}
    for item, version in versions:
        tag = tag_of(version["implementation"], version["version"])
        if tag in seen:
            minor = ".".join(version["version"].split(".")[:2])
            raise InterpreterError(
                f"the same interpreter was named twice: {seen[tag]} and {item} are both "
                f"{version['implementation']} {minor}"
            )
        seen[tag] = item
