"""Bun (JavaScriptCore), installed on demand; as a runtime it is ``harness.runtime.bun``.

Bun comes from the npm registry as its platform package (``@oven/bun-linux-x64`` and kin, which
ship the executable), pinned to ``BUN_VERSION`` and installed with ``npm install --prefix`` into
the project's tools folder ``.tools/bun-<version>/`` (``$HARNESS_TOOLS`` overrides the folder),
never globally. An install goes to a temporary folder renamed into place, so a failed or
interrupted one leaves nothing half-made. Without npm or on a platform without a package nothing
here can install it (``NotInstallable``); an install that fails (no registry, a broken package) is
``BunUnavailable`` too: either says why.

Its jobs run the JS job runner shipped in the package (``JOB_SCRIPT``); ``describe`` asks it for its
environment and catalogue.

Driver side: this module may use Python 3.10+.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import platform
import shutil
import subprocess
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, Optional

from harness.protocol.environment import fingerprint
from harness.runtime.process import last_line

BUN_VERSION = "1.4.5"
#: npm package holding the Bun executable, per (system, machine).
PACKAGES = {
    ("Linux", "x86_64"): "@oven/bun-linux-x64",
    ("Linux", "aarch64"): "@oven/bun-linux-aarch64",
    ("Darwin", "arm64"): "@oven/bun-darwin-aarch64",
    ("Darwin", "x86_64"): "@oven/bun-darwin-x64",
}
PROJECT_ROOT = Path(__file__).resolve().parents[2]
JOB_SCRIPT = Path(__file__).resolve().parents[1] / "jsc" / "job.mjs"
TAG = "bun"  # its name for --python, and the start of its runtime tag (bun14)
INSTALL_TIMEOUT = 600  # seconds

Say = Callable[[str], None]


class BunUnavailable(RuntimeError):
    """Bun cannot be found or installed here; the message says why."""


class NotInstallable(BunUnavailable):
    """Nothing here can install Bun: npm is not on PATH, or the registry has no package for this platform."""


NO_NPM = "npm is not on PATH (Bun is installed from the npm registry)"


def tools_dir() -> Path:
    """The project's tools folder (``$HARNESS_TOOLS`` when set)."""
    return Path(os.environ.get("HARNESS_TOOLS") or PROJECT_ROOT / ".tools")


def package() -> str:
    """The npm package with the Bun executable for this machine; NotInstallable when there is none."""
    key = (platform.system(), platform.machine())
    if key not in PACKAGES:
        raise NotInstallable(f"no Bun package for {key[0]} {key[1]} (there are: {', '.join(PACKAGES.values())})")
    return PACKAGES[key]


def install_dir() -> Path:
    """The npm prefix the pinned Bun is installed under."""
    return tools_dir() / f"bun-{BUN_VERSION}"


def executable() -> Path:
    """Where the pinned Bun's executable is (or would be) installed."""
    return install_dir() / "node_modules" / package() / "bin" / "bun"


def installed_version(bun: Path) -> Optional[str]:
    """``bun --version`` of an executable, or None when it does not run."""
    try:
        done = subprocess.run([str(bun), "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def installable() -> Optional[str]:
    """None when Bun is installed or npm could install it; otherwise why not (nothing is installed)."""
    try:
        bun = executable()
    except BunUnavailable as error:
        return str(error)
    if installed_version(bun) == BUN_VERSION:
        return None
    return None if shutil.which("npm") else NO_NPM


def installed() -> Optional[str]:
    """The pinned Bun's executable when it is installed and runs, else None; installs nothing."""
    try:
        bun = executable()
    except NotInstallable:  # no package for this platform
        return None
    return str(bun) if installed_version(bun) == BUN_VERSION else None


@contextlib.contextmanager
def _installing(say: Say) -> Iterator[None]:
    """Held while Bun is installed: an exclusive ``flock`` on the tools folder itself (no lock file
    is left behind), so that of two first uses at once one installs and the other waits for it."""
    folder = tools_dir()
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"waiting for another process installing Bun {BUN_VERSION} into {folder}")
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def ensure(say: Say = lambda text: None) -> str:
    """The pinned Bun's executable, installed on first use (one process at a time: another waits
    and takes its install); NotInstallable when nothing here can install it, BunUnavailable when the
    install fails, with the reason."""
    found = installed()
    if found is not None:
        return found
    executable()  # NotInstallable on a platform without a package, before anything is made
    npm = shutil.which("npm")
    if npm is None:
        raise NotInstallable(NO_NPM)
    with _installing(say):
        return installed() or _install(npm, say)


def _install(npm: str, say: Say) -> str:
    """Install the pinned Bun with ``npm`` into a staging folder renamed into place; its executable."""
    bun = executable()
    target = install_dir()
    staging = target.with_name(f".{target.name}.{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    say(f"installing Bun {BUN_VERSION} ({package()}) from the npm registry into {target}")
    command = [npm, "install", "--prefix", str(staging), "--no-save", "--no-audit", "--no-fund"]
    try:
        done = subprocess.run(
            [*command, f"{package()}@{BUN_VERSION}"], capture_output=True, text=True, timeout=INSTALL_TIMEOUT
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise BunUnavailable(f"npm install failed: {error}") from None
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise BunUnavailable(f"npm install {package()}@{BUN_VERSION} failed: {last_line(done.stderr)}")
    shutil.rmtree(target, ignore_errors=True)
    os.replace(staging, target)
    found = installed_version(bun)
    if found != BUN_VERSION:
        raise BunUnavailable(f"the installed Bun does not run as Bun {BUN_VERSION} (it says {found!r})")
    return str(bun)


def describe(bun: str) -> Dict[str, Any]:
    """The JS job runner's environment, strategies and catalogue (``job.mjs --describe``), with the
    environment's fingerprint, which only the harness computes."""
    try:
        done = subprocess.run([bun, str(JOB_SCRIPT), "--describe"], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BunUnavailable(f"cannot run {bun}: {error}") from None
    if done.returncode != 0:
        raise BunUnavailable(f"the JS job runner does not start: {last_line(done.stderr)}")
    described = json.loads(done.stdout)
    described["environment"]["fingerprint"] = fingerprint(described["environment"])
    return described
