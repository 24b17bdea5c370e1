"""Names from run data, made safe for the terminal.

A strategy, interpreter or dataset name read from a run's files reaches rich, which would read
``[bold]`` or ``[/oops]`` as markup (and fail on the second), and a terminal, which would obey
an ANSI escape or a bidirectional override inside it. ``text(name)`` is a rich ``Text`` (never
markup) with every control and format character shown as an escape (``\\x1b``, ``\\u202e``).
"""

from __future__ import annotations

import unicodedata

from rich.text import Text


def visible(name: object) -> str:
    """``str(name)`` with control and format characters (C0, C1, DEL, bidirectional marks) escaped."""
    return "".join(
        char if unicodedata.category(char) not in ("Cc", "Cf", "Zl", "Zp") else ascii(char)[1:-1] for char in str(name)
    )


def text(name: object) -> Text:
    """A rich Text of ``name`` shown as it is: no markup, no control characters."""
    return Text(visible(name))
