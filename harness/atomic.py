"""Atomic file output: write a temporary file beside the target, fsync, rename.

A reader sees either the old file or the complete new one, never a partial
file; on failure the temporary file is removed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator, Optional, Union

PathLike = Union[str, "os.PathLike[str]"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def fsync_path(path: PathLike) -> None:
    """Flush a file's (or directory's) contents to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(target: PathLike, directory: Optional[PathLike] = None) -> Iterator[Path]:
    """Yield a temporary path in the target's directory (or in ``directory``, on the same file
    system); on success it replaces ``target``."""
    target = Path(target)
    fd, name = tempfile.mkstemp(dir=directory or target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    temporary = Path(name)
    os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; a result file is an ordinary file
    try:
        yield temporary
        fsync_path(temporary)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_path(target.parent)


def write_text(target: PathLike, text: str, directory: Optional[PathLike] = None) -> None:
    """Atomically replace ``target`` with ``text`` (UTF-8); the temporary file in ``directory`` if given."""
    with atomic_path(target, directory) as temporary:
        temporary.write_text(text, encoding="utf-8")
