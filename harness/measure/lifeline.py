"""A measurer process dies with the process that started it.

The runner starts each measurer with ``HARNESS_PARENT_PID`` set to its own pid; a measurer
(and each pyperf worker, whose parent is the timing measurer) calls ``die_with_parent()`` first
thing. On Linux that asks the kernel for SIGKILL when the parent dies (``PR_SET_PDEATHSIG``),
then checks the parent is still the one named, in case it died before the request was made.
So a runner killed with ``kill -9`` leaves no measurer behind to disturb the next run. Elsewhere
(no prctl) it does nothing; the runner still kills a job's process group on timeout and Ctrl-C.

A measurer's own children get the same lifeline: it calls ``adopt_children()`` and starts them
with ``preexec_fn=die_with_parent``. A program it does not start itself is named further up:
``HARNESS_PARENT_GENERATIONS`` (default 1) says how many generations above a process the one
named may be, so scalene's profiled target, which scalene's launcher starts by re-executing
itself, checks that the measurer is its grandparent; its parent, the launcher, dies with the
measurer, and it with the launcher.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import List, Optional

PARENT_ENV = "HARNESS_PARENT_PID"
GENERATIONS_ENV = "HARNESS_PARENT_GENERATIONS"
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Be killed when the parent process dies; exit at once when the process named is no longer the
    parent (or an ancestor within ``HARNESS_PARENT_GENERATIONS``): it died before the request took
    effect."""
    expected = os.environ.get(PARENT_ENV, "")
    if not sys.platform.startswith("linux") or not expected.isdigit():
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
            return
    except (OSError, AttributeError):  # no libc prctl here
        return
    generations = os.environ.get(GENERATIONS_ENV, "1")
    if int(expected) not in ancestors(int(generations) if generations.isdigit() else 1):
        os._exit(1)


def ancestors(count: int) -> List[int]:
    """The pids of this process's parent, its parent's parent, … (``count`` of them at most)."""
    found = [os.getppid()]
    while len(found) < count:
        parent = parent_of(found[-1])
        if parent is None:
            break
        found.append(parent)
    return found


def parent_of(pid: int) -> Optional[int]:
    """A process's parent pid from ``/proc/<pid>/stat`` (None when it is gone or unreadable)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()  # after the command name, which may hold spaces
        return int(fields[1])
    except (OSError, IndexError, ValueError):
        return None


def adopt_children() -> None:
    """Name this process as the parent its own children must die with."""
    os.environ[PARENT_ENV] = str(os.getpid())
