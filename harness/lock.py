"""One runner per run directory: an exclusive ``flock`` on ``<run>/.lock``."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Any, Optional

from harness.results import RunError


class Lock:
    """An exclusive ``flock`` on ``<run>/.lock``, which holds the runner's pid for the curious.

    The kernel releases the lock when its holder dies, however it dies, so there is no stale lock
    to take over and no check-then-write race. The file is removed on release; a runner that
    locked a file just removed (its inode no longer at the path) tries again."""

    def __init__(self, run_dir: Path) -> None:
        self.path = Path(run_dir) / ".lock"
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
