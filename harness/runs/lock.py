"""One runner per run directory: an exclusive ``flock`` on ``<run>/.lock``; which runs are active."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Any, List, Optional

from harness.runs.files import RunError

LOCK_FILE = ".lock"


class Lock:
    """An exclusive ``flock`` on ``<run>/.lock``, which holds the runner's pid for the curious.

    The kernel releases the lock when its holder dies, however it dies, so there is no stale lock
    to take over and no check-then-write race. The file is removed on release; a runner that
    locked a file just removed (its inode no longer at the path) tries again."""

    def __init__(self, run_dir: Path) -> None:
        self.path = Path(run_dir) / LOCK_FILE
        self._fd: Optional[int] = None

    def __enter__(self) -> Lock:
        while True:
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
            except OSError as error:
                raise RunError(f"cannot lock {self.path.parent}: {error.strerror or error}") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 32).decode("ascii", "replace").strip() or "another runner"
                os.close(fd)
                raise RunError(f"run directory {self.path.parent} is in use by process {holder}") from None
            if self._same_file(fd):
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode("ascii"))
        self._fd = fd
        return self

    def _same_file(self, fd: int) -> bool:
        try:
            return os.stat(self.path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            return False

    def __exit__(self, *exc: Any) -> None:
        if self._fd is not None:
            self.path.unlink(missing_ok=True)
            os.close(self._fd)
            self._fd = None


def _alive(pid: int) -> bool:
    """Whether a process runs: it exists and has not exited (an exited process not yet reaped by
    its parent is a zombie: dead)."""
    try:
        os.kill(pid, 0)
    except PermissionError:  # another user's process
        pass
    except (OverflowError, OSError):  # no such process, or not a pid this system can have
        return False
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """Whether a process has exited and waits to be reaped (Linux, from /proc; elsewhere: no)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def active(run_dir: Path) -> bool:
    """Whether a live runner holds the run's lock. A lock file left by a runner that was killed
    (its pid gone) is not: the kernel released its ``flock`` when it died. An empty lock file is
    a runner writing its pid. The lock file is only read, never locked: a runner taking the lock
    at that moment is not disturbed."""
    try:
        text = (Path(run_dir) / LOCK_FILE).read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return False
    if not text:
        return True
    try:
        pid = int(text)
    except ValueError:
        return False
    return pid > 0 and _alive(pid)


def active_runs(run_dir: Path) -> List[str]:
    """The other runs under the same results root whose runner is alive now (their names)."""
    own = Path(run_dir).resolve()
    found = []
    for path in Path(run_dir).parent.glob(f"*/{LOCK_FILE}"):
        other = path.parent
        if other.is_symlink() or other.resolve() == own:
            continue
        if active(other):
            found.append(other.name)
    return sorted(found)
