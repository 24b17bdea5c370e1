"""A run directory's plain files: how they are read and written, and the error a run directory
that cannot be used raises. Everything that reads runs (results, suites, locks) builds on this."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

from harness.atomic import write_text


class RunError(ValueError):
    """A run directory that cannot be used as asked."""


def write_json(path: Path, value: Any) -> None:
    write_text(path, json.dumps(value, indent=2, sort_keys=False) + "\n")


def read_json(path: Path) -> Optional[Any]:
    """A JSON file's value, or None when it is missing, no regular file (a FIFO would block),
    truncated or corrupt."""
    if not Path(path).is_file():
        return None
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
