"""Text from files, data and the command line, made safe for the terminal.

A strategy, interpreter, run or dataset name read from a run's files (or a file name given on the
command line) reaches rich, which would read ``[bold]`` or ``[/oops]`` as markup (and fail on the
second), and a terminal, which would obey an ANSI escape or a bidirectional override inside it.
``visible(name)`` is the one sanitiser: every control and format character shown as an escape
(``\\x1b``, ``\\u202e``, ``\\n``: so an error message stays on one line), the rest as it is;
``text(name)`` is the same as a rich ``Text`` (never markup).

``table()`` is the commands' table: rules above and below it and under its headers, no vertical
lines, a column apart from the next by two spaces and the first one indented by one. Printed on a
console (``rich.console.Console()``: the terminal's width, ``COLUMNS`` when set, 80 when piped) it
takes no more than that width, wrapping the cells of its wrapping columns; ``fitted()`` splits a
table of figures whose columns would not fit at their own width into several.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Any, Callable, List, Sequence

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
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


#: Rules above the table, under its headers and below it; no vertical lines (rich's box format: a
#: line each for top, head, head row, mid, row, foot row, foot, bottom).
RULE, BLANK = " ── ", "    "
RULES = "\n".join((RULE, BLANK, RULE, BLANK, RULE, RULE, BLANK, RULE)) + "\n"


def table(**options: Any) -> Table:
    """An empty rich ``Table`` in the commands' style (``RULES``, two spaces between columns);
    ``options`` as ``Table`` takes them. Give every cell as ``text`` (a plain string is markup)."""
    from rich.box import Box
    from rich.table import Table

    return Table(box=Box(RULES), collapse_padding=True, pad_edge=False, **options)


def fitted(console: Console, build: Callable[[Sequence[int]], Table], figures: int) -> List[Table]:
    """A table too wide for ``console`` as several, each as wide as the console allows: ``build(chosen)``
    makes the table with the columns that name a row and, of its ``figures`` figure columns, those at
    the indices ``chosen``. Each table takes the next figure columns, in order, while its natural
    width fits (one at least: the names are never squeezed to make room for the figures)."""
    unbounded = console.options.update_width(1_000_000)
    tables: List[Table] = []
    chosen: List[int] = []
    for index in range(figures):
        if chosen and console.measure(build([*chosen, index]), options=unbounded).maximum > console.width:
            tables.append(build(chosen))
            chosen = []
        chosen.append(index)
    if chosen or not tables:
        tables.append(build(chosen))
    return tables
