"""A measurer process dies with the process that started it.

The runner starts each measurer with ``HARNESS_PARENT_PID`` set to its own pid; a measurer
(and each pyperf worker, whose parent is the timing measurer) calls ``die_with_parent()`` first
thing. On Linux that asks the kernel for SIGKILL when the parent dies (``PR_SET_PDEATHSIG``),
then checks the parent is still the one named, in case it died before the request was made.
So a runner killed with ``kill -9`` leaves no measurer behind to disturb the next run. Elsewhere
(no prctl) it does nothing; the runner still kills a job's process group on timeout and Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import sys

PARENT_ENV = "HARNESS_PARENT_PID"
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Be killed when the parent process dies; exit at once when it already has."""
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
    if os.getppid() != int(expected):  # the parent died before the request took effect
        os._exit(1)


def adopt_children() -> None:
    """Name this process as the parent its own children must die with."""
    os.environ[PARENT_ENV] = str(os.getpid())
