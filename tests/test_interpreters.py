"""Python discovery (pyenv, then PATH), resolution of --python items into runtimes, the per-Python venv cache,
and the runtimes a run's manifest records."""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

import pytest

from harness.protocol.job import Job
from harness.runtime import bun_install as bun
from harness.runtime import python, venvs
from harness.runtime.base import RuntimeUnavailable
from harness.runtime.bun import BunRuntime
from harness.runtime.discovery import discover, find, is_running
from harness.runtime.python import PythonRuntime
from harness.runtime.resolve import recorded, resolve
from harness.runtime.venvs import ensure_venv


def _link(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(sys.executable)
    return path


@pytest.fixture()
def fake(tmp_path, monkeypatch):
    """A fake pyenv root (3.8.18, 3.11.2, 3.11.7, 3.12.1 and non-CPython entries) and a PATH with
    python3.13, pypy3 and a shims directory (which discovery must skip)."""
    root = tmp_path / "pyenv"
    for version in ("3.8.18", "3.11.2", "3.11.7", "3.12.1"):
        _link(root / "versions" / version / "bin" / "python3")
    _link(root / "versions" / "pypy3.9-7.3.11" / "bin" / "python3")
    (root / "versions" / "3.10.1" / "bin").mkdir(parents=True)  # a broken build: no python3
    bin_dir = tmp_path / "bin"
    _link(bin_dir / "python3.13")
    _link(bin_dir / "python3.7")  # too old to be listed
    _link(bin_dir / "pypy3")
    _link(tmp_path / "shims" / "python3.14")
    monkeypatch.setenv("PYENV_ROOT", str(root))
    monkeypatch.setenv("PATH", os.pathsep.join([str(tmp_path / "shims"), str(bin_dir)]))
    return tmp_path


def test_discovery_finds_the_running_interpreter():
    running = tuple(platform.python_version_tuple()[:2])
    found = discover()
    assert found
    assert any(is_running(c.executable) or tuple(c.version.split(".")[:2]) == running for c in found)
    assert resolve(None)[0].executable == sys.executable


def test_versions_resolve_to_newest_pyenv_patch_then_path(fake):
    assert find("3.11") == str(fake / "pyenv" / "versions" / "3.11.7" / "bin" / "python3")
    assert find("3.11.2") == str(fake / "pyenv" / "versions" / "3.11.2" / "bin" / "python3")
    assert find("3.12") == str(fake / "pyenv" / "versions" / "3.12.1" / "bin" / "python3")
    assert find("3.13") == str(fake / "bin" / "python3.13")  # not in pyenv: PATH
    assert find("pypy3") == str(fake / "bin" / "pypy3")
    assert find("python3.13") == str(fake / "bin" / "python3.13")


def test_discover_lists_one_interpreter_per_version(fake):
    found = discover()
    assert [(c.spec, c.source, c.version) for c in found] == [
        ("3.11", "pyenv", "3.11.7"),
        ("3.12", "pyenv", "3.12.1"),
        ("python3.13", "PATH", "3.13"),
        ("pypy3", "PATH", ""),
    ]


def test_discovery_without_pyenv_uses_path(fake, monkeypatch):
    monkeypatch.setenv("PYENV_ROOT", str(fake / "nowhere"))
    assert [c.spec for c in discover()] == ["python3.13", "pypy3"]
    assert find("3.13") == str(fake / "bin" / "python3.13")
    expected = r"no Python 3\.12 found: pyenv has nothing; PATH has python3\.13"
    with pytest.raises(RuntimeUnavailable, match=expected):
        find("3.12")


def test_unknown_version_lists_what_is_there(fake):
    with pytest.raises(RuntimeUnavailable) as error:
        find("3.14")  # python3.14 is only a pyenv shim: not an interpreter
    assert str(error.value) == (
        "no Python 3.14 found: pyenv has 3.8.18, 3.11.2, 3.11.7, 3.12.1; PATH has python3.13, pypy3"
    )
    with pytest.raises(RuntimeUnavailable, match=r"3\.8 is too old"):
        find("3.8")
    with pytest.raises(RuntimeUnavailable, match=r"^no pypy3\.10 on PATH \(pyenv has"):
        find("pypy3.10")


def test_paths_must_be_executables(tmp_path):
    plain = tmp_path / "python"
    plain.write_text("not a program")
    with pytest.raises(RuntimeUnavailable, match=r"python is not an executable$"):
        find(str(plain))
    with pytest.raises(RuntimeUnavailable, match=r"is not an executable$"):
        resolve(str(tmp_path / "missing" / "python3"))
    assert find(sys.executable) == sys.executable


def test_the_same_interpreter_twice_is_refused(fake):
    with pytest.raises(RuntimeUnavailable, match="named twice: 3.11 and .*python3.13 are both CPython"):
        resolve(f"3.11,{fake / 'bin' / 'python3.13'}")  # both are the running interpreter underneath
    with pytest.raises(RuntimeUnavailable, match="named twice"):
        resolve("3.11,3.11")


def test_a_manifest_s_runtimes_are_rebuilt_of_the_kind_they_reported(tmp_path):
    pypy = {"interpreter": {"implementation": "PyPy", "version": "3.9.16"}}
    jsc = {"interpreter": {"implementation": "JSC", "version": "Bun 1.4.5"}}
    entries = {"pp39": {"executable": "/v/python", **pypy}, "bun14": {"executable": "/t/bun", **jsc}}
    found = recorded(entries)
    assert isinstance(found["pp39"], PythonRuntime) and isinstance(found["bun14"], BunRuntime)
    assert {tag: runtime.record() for tag, runtime in found.items()} == entries
    assert found["bun14"].label == "JSC Bun 1.4.5" and found["pp39"].tag == "pp39"
    job, job_file, out = Job("j", "timing", "spread", "access", "d.sqlite", 10), tmp_path / "j.job.json", tmp_path / "j"
    assert found["bun14"].job_command(job, job_file, out)[:2] == ["/t/bun", str(bun.JOB_SCRIPT)]
    assert found["pp39"].job_command(job, job_file, out)[:3] == ["/v/python", "-m", "harness.measure.timing"]
    assert isinstance(recorded({"cp311": {"executable": "/p", "interpreter": "odd"}})["cp311"], PythonRuntime)


# --- the venv cache ------------------------------------------------------------------------------


class Builds:
    """A stand-in for build_venv: makes bin/python, or fails after leaving a half-made venv."""

    def __init__(self) -> None:
        self.count = 0
        self.fail = False

    def __call__(self, executable, target, root, say):
        self.count += 1
        _link(target / "bin" / "python")
        if self.fail:
            raise RuntimeUnavailable("the harness does not install")


@pytest.fixture()
def project(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    return root


def test_venv_is_created_once_and_reused(tmp_path, project):
    builds, said = Builds(), []
    first = ensure_venv(sys.executable, tmp_path / "venvs", project, said.append, builds)
    again = ensure_venv(sys.executable, tmp_path / "venvs", project, said.append, builds)
    assert first == again and builds.count == 1
    tag = python.tag_of(platform.python_implementation(), platform.python_version())
    assert first.parent.parent.name.startswith(f"{tag}-")
    assert (first.parent.parent / venvs.STAMP).is_file()
    assert said[0].startswith(f"creating {tmp_path / 'venvs' / tag}-") and "first use" in said[0]


def test_venv_is_rebuilt_when_pyproject_changes(tmp_path, project):
    builds = Builds()
    first = ensure_venv(sys.executable, tmp_path / "venvs", project, lambda _: None, builds)
    (project / "pyproject.toml").write_text("[project]\nname = 'x'\ndependencies = ['attrs']\n")
    second = ensure_venv(sys.executable, tmp_path / "venvs", project, lambda _: None, builds)
    assert builds.count == 2 and first != second
    assert first.exists()  # the old one is left alone (another checkout may still use it)


def test_failed_creation_leaves_no_stamp_and_is_retried(tmp_path, project):
    builds, said = Builds(), []
    builds.fail = True
    with pytest.raises(RuntimeUnavailable, match="does not install"):
        ensure_venv(sys.executable, tmp_path / "venvs", project, said.append, builds)
    (half,) = (tmp_path / "venvs").iterdir()
    assert not (half / venvs.STAMP).exists()
    builds.fail = False
    python = ensure_venv(sys.executable, tmp_path / "venvs", project, said.append, builds)
    assert builds.count == 2 and python.parent.parent == half
    assert (half / venvs.STAMP).is_file()
    assert any(line.startswith("removing incomplete") for line in said)


def test_venv_key_depends_on_interpreter_build(project):
    cp311 = {"implementation": "CPython", "version": "3.11.7", "sys_version": "3.11.7 (main) [GCC 12]"}
    pp39 = {"implementation": "PyPy", "version": "3.9.16", "sys_version": "3.9.16 [PyPy 7.3.11]"}
    assert venvs.venv_key(cp311, project).startswith("cp311-")
    assert venvs.venv_key(pp39, project).startswith("pp39-")
    rebuilt = dict(cp311, sys_version="3.11.7 (main) [GCC 13]")
    assert venvs.venv_key(rebuilt, project) != venvs.venv_key(cp311, project)


def test_probe_reports_measurer_availability():
    running = resolve(None)[0]
    assert set(running.measurers) == {"census", "timing", "gcprobe", "memory", "scalene", "instructions"}
    assert all(isinstance(ok, bool) for ok, _ in running.measurers.values())


@pytest.mark.slow
def test_a_real_venv_for_another_pyenv_version(tmp_path):
    """Builds a venv (pip, ~15-40 s) for an installed pyenv version other than the running one."""
    others = [
        c
        for c in discover()
        if c.source == "pyenv"
        and not is_running(c.executable)
        and c.version.split(".")[:2] != platform.python_version_tuple()[:2]
    ]
    if not others:
        pytest.skip("no other pyenv CPython installed")
    wanted = next((c for c in others if c.spec == "3.12"), others[-1])
    (found,) = resolve(wanted.spec, venvs=tmp_path / "venvs")
    assert found.environment["interpreter"]["version"] == wanted.version
    assert found.executable.startswith(str(tmp_path / "venvs"))
    assert found.tag == "cp" + "".join(wanted.spec.split("."))
    assert found.strategies["spread"][0] is True
    assert "memory" in found.measurers
    (again,) = resolve(wanted.spec, venvs=tmp_path / "venvs")  # reused, not rebuilt
    assert again.executable == found.executable


def _alive(pid: int) -> bool:
    """Whether a process runs (a zombie, dead but not yet reaped, does not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "zombie" not in next(line for line in status.splitlines() if line.startswith("State:"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_an_interpreter_that_does_not_answer_is_killed_with_its_children(tmp_path, monkeypatch):
    """A wrapper script that starts a child and never answers: on the timeout both are killed."""
    pids = tmp_path / "pids"
    script = tmp_path / "python3"
    script.write_text(f"#!/bin/sh\nsleep 300 &\necho $$ $! > {pids}\nwait\n")
    script.chmod(0o755)
    monkeypatch.setattr(python, "VERSION_TIMEOUT", 1)
    with pytest.raises(RuntimeUnavailable, match="did not finish within 1 s"):
        python.version_of(str(script))
    started = [int(pid) for pid in pids.read_text().split()]
    deadline = time.monotonic() + 10
    while any(map(_alive, started)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in started if _alive(pid)]


def test_the_venvs_folder_moves_with_harness_venvs(tmp_path, monkeypatch):
    monkeypatch.setenv(venvs.VENVS_ENV, str(tmp_path / "elsewhere"))
    assert venvs.venvs_root() == tmp_path / "elsewhere"
    monkeypatch.delenv(venvs.VENVS_ENV)
    assert venvs.venvs_root() == venvs.PROJECT_ROOT / ".venvs"
