"""Text from files, data and the command line, made safe for the terminal.

A strategy, interpreter, run or dataset name read from a run's files (or a file name given on the
command line) reaches rich, which would read ``[bold]`` or ``[/oops]`` as markup (and fail on the
second), and a terminal, which would obey an ANSI escape or a bidirectional override inside it.
``visible(name)`` is the one sanitiser: every control and format character shown as an escape
(``\\x1b``, ``\\u202e``, ``\\n``: so an error message stays on one line), the rest as it is;
``text(name)`` is the same as a rich ``Text`` (never markup).
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.text import Text


def visible(name: object) -> str:
    """``str(name)`` with control and format characters (C0, C1, DEL, bidirectional marks, line and
    paragraph separators) escaped as ``repr`` escapes them, without the quotes."""
    return "".join(
        char if unicodedata.category(char) not in ("Cc", "Cf", "Zl", "Zp") else ascii(char)[1:-1] for char in str(name)
    )


def text(name: object) -> Text:
    """A rich Text of ``name`` shown as it is: no markup, no control characters."""
    from rich.text import Text

    return Text(visible(name))
