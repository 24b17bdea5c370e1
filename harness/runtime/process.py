"""Running a runtime's executable to ask it something: in a process group of its own, killed whole
on a timeout or an interrupt; the line of its output that says what went wrong."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from typing import List

from harness.runtime.base import RuntimeUnavailable


def run(command: List[str], timeout: float) -> subprocess.CompletedProcess:
    """``command``'s exit status and output, run in a process group of its own. When it takes longer
    than ``timeout`` seconds, or the wait is interrupted (Ctrl-C), the whole group is killed: an
    executable that is a wrapper script leaves none of its children running."""
    try:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
    except OSError as error:
        raise RuntimeUnavailable(f"cannot run {command[0]}: {error}") from None
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise RuntimeUnavailable(f"cannot run {command[0]}: it did not finish within {timeout:g} s") from None
    except BaseException:
        _kill_group(process)
        raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def _kill_group(process: subprocess.Popen) -> None:
    """Kill a process started by ``run`` and everything in its group, and reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


def last_line(text: str) -> str:
    """The line that says what went wrong: the last error line (pip's and Bun's ``error:``, npm's
    ``ERR!``), else the last line."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()] or ["no output"]
    errors = [line for line in lines if "ERR!" in line or line.lower().startswith("error")]
    return (errors or lines)[-1]
