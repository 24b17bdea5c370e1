"""What the machine can give: the memory available without swapping. Importable on Python 3.9 and
PyPy; the standard library only."""

from __future__ import annotations

import os
from typing import Optional


def available_memory() -> Optional[int]:
    """Memory the system can give without swapping (``MemAvailable``), bytes; None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
