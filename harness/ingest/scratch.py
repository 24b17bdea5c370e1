"""An import's scratch directory, which no import leaves behind.

An import works in a directory beside its output — the copy of the source database, the dataset
and the files beside it until each is moved into place — named after the output and the importing
process: ``.<output name>.import-<pid>-<random>``. It is removed whatever happens: on an error,
on Ctrl-C (SIGINT: ``KeyboardInterrupt``), and on SIGTERM and SIGHUP, which end the import through
``Ended`` (exit status 128 + the signal's number, as a shell reports a process the signal killed)
once the directory is gone; a signal its parent set to be ignored (``nohup``) stays ignored, and no
signal cuts the removal short (one that comes meanwhile is delivered after it). A file-size limit
(``ulimit -f``) makes a write fail (EFBIG, "cannot write dataset") instead of killing the process
(SIGXFSZ is ignored meanwhile). A process killed outright (SIGKILL) removes nothing: every import
first removes the scratch directories beside its output whose process is gone (``sweep``).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Set, Tuple, Union

from harness.store import DatasetError

#: Signals that end an import (SIGINT raises KeyboardInterrupt already).
ENDING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
_NAME = re.compile(r"\..*\.import-([1-9][0-9]{0,9})-[a-z0-9_]+")


class Ended(SystemExit):
    """The import was ended by a signal: exit status 128 + its number."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signum = signum


def _end(signum: int, frame: Any) -> None:
    for number in ENDING:  # a second one does not cut the unwinding short
        signal.signal(number, signal.SIG_IGN)
    raise Ended(signum)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):  # another user's process, or no pid of this system
        return True
    return True


def sweep(directory: Path) -> None:
    """Remove the scratch directories in ``directory`` whose import process is gone."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        found = _NAME.fullmatch(entry.name)
        if found and entry.is_dir(follow_symlinks=False) and not _alive(int(found.group(1))):
            shutil.rmtree(entry.path, ignore_errors=True)


@contextlib.contextmanager
def _signals_end_the_import() -> Iterator[None]:
    """While the block runs, SIGTERM and SIGHUP (where they are not ignored) raise ``Ended`` and
    SIGXFSZ is ignored; the handlers found are restored after it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: Dict[int, Any] = {}
    wanted: List[Tuple[int, Union[Callable[[int, Any], None], int]]] = [(number, _end) for number in ENDING]
    if hasattr(signal, "SIGXFSZ"):
        wanted.append((signal.SIGXFSZ, signal.SIG_IGN))
    for number, handler in wanted:
        if signal.getsignal(number) == signal.SIG_DFL:
            previous[number] = signal.signal(number, handler)
    try:
        yield
    except Ended as ended:
        name = signal.Signals(ended.signum).name
        print(f"harness import: ended by {name}; its scratch files are removed", file=sys.stderr)
        raise
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _hold() -> Optional[Set[int]]:
    """Hold back the signals that end an import, and SIGINT, until ``_release``; the mask before."""
    if not hasattr(signal, "pthread_sigmask"):
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, {*ENDING, signal.SIGINT})


def _release(mask: Optional[Set[int]]) -> None:
    """Deliver the signals held back (the handlers run at once)."""
    if mask is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


@contextlib.contextmanager
def scratch_directory(out: Path) -> Iterator[Path]:
    """A new scratch directory beside ``out`` (stale ones of gone processes removed first), removed
    with everything in it when the block ends, however it ends; SIGTERM and SIGHUP end the block.
    Signals are held back from the directory's creation until its removal is sure to follow, and
    during the removal."""
    sweep(out.parent)
    with _signals_end_the_import():
        mask = _hold()
        try:
            try:
                path = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.import-{os.getpid()}-"))
            except OSError as error:
                raise DatasetError(f"cannot write dataset {out}: {out.parent}: {error.strerror or error}") from None
            try:
                _release(mask)
                yield path
            finally:
                _hold()
                shutil.rmtree(path, ignore_errors=True)
        finally:
            _release(mask)
