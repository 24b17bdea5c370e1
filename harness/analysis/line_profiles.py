"""scalene's hottest lines as the report and ``harness profile`` show them: columns and file names."""

from __future__ import annotations

from pathlib import Path

#: The fields of a hottest line (``extra.top_lines``), with the labels they are shown under (the
#: report's *Line profiles* section, ``harness profile``).
LINE_COLUMNS = {
    "file": "file",
    "line": "line",
    "code": "code",
    "cpu_percent": "CPU %",
    "python_percent": "Python %",
    "native_percent": "native %",
    "system_percent": "system %",
    "copy_mb_per_s": "copy MB/s",
    "malloc_mb": "allocated MB",
}


def short_path(path: str) -> str:
    """A profiled file's name without its install prefix: from ``harness/`` or ``lib/python…`` on."""
    for marker in ("/harness/", "/lib/python"):
        if marker in path:
            return path[path.index(marker) + 1 :]
    return Path(path).name
