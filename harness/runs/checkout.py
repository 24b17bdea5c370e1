"""The git checkout runs are made from: what git answers about it (commits, dates, changes).
The standard library only, so that what reads runs (the analysis) may ask too."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Optional


def git(*args: str, cwd: Optional[Path] = None) -> Optional[str]:
    """What ``git ARGS`` prints, stripped; None when git is missing, fails or takes over 10 s."""
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None
