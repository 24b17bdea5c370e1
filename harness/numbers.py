"""How numbers are written: in findings, the answer, the terminal, tables and plot axes, one module.

A unit gets the same number of decimals wherever it is shown (``24.7 ns``, ``30.0%``, ``3,141 B``);
seconds, which span microseconds of GC to minutes of a rebuild, get three significant digits in
the unit that suits them (``143 µs``, ``15.5 ms``, ``2.57 s``). Which unit a figure has, and so
which of these writes it, is ``harness.metrics``'. Beside the units: the terminal's short forms
(``whole_pct``, ``short``), a ratio (``times``), "—" for a missing figure (``maybe``), one format
for a whole table column chosen from its values (``column_format``) and plain tick labels
(``plain_number``). Pure Python.
"""

from __future__ import annotations

import math
import statistics
from typing import Callable, Iterable, Optional

Show = Callable[[float], str]
MISSING = "—"


def ns(value: float) -> str:
    return f"{value:,.1f} ns"


def ms(value: float) -> str:
    return f"{value:,.1f} ms"


def ms_of_seconds(value: float) -> str:
    """Seconds written in milliseconds, one decimal (an agent-loop iteration and its growth)."""
    return ms(value * 1000)


def seconds(value: float) -> str:
    size = abs(value)
    if size == 0 or size >= 100:
        return f"{value:,.0f} s"
    if size >= 1:
        return f"{value:.3g} s"
    if size >= 1e-3:
        return f"{value * 1e3:.3g} ms"
    return f"{value * 1e6:.3g} µs"


def pct(value: float) -> str:
    """A share (0–1) as a percentage with one decimal: ``30.0%``."""
    return f"{value:.1%}"


def whole_pct(value: float) -> str:
    """A share (0–1) as a whole percentage: ``30%`` (the terminal's short form)."""
    return f"{value:.0%}"


def percent(value: float) -> str:
    """A value already in percent: ``45.3%``."""
    return f"{value:.1f}%"


def bytes_(value: float) -> str:
    return f"{value:,.0f} B"


def gib(value: float) -> str:
    """Bytes in GiB, one decimal: ``8.6 GiB``."""
    return f"{value / 2**30:,.1f} GiB"


def count(value: float) -> str:
    return f"{value:,.0f}"


def decimal(value: float) -> str:
    """A count that need not be whole (objects per message): one decimal."""
    return f"{value:,.1f}"


def short(value: float) -> str:
    """The terminal's short form: one decimal below 100, whole numbers from 100 on."""
    return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"


def times(value: float) -> str:
    """A ratio: ``1.60×``."""
    return f"{value:.2f}×"


def maybe(show: Show, value: Optional[float]) -> str:
    """``show(value)``, or "—" for a figure the run lacks."""
    return MISSING if value is None else show(value)


def in_processes(processes: int) -> str:
    """``in any of its 3 processes`` / ``in its process``: where something held in every process."""
    return f"in any of its {processes} processes" if processes > 1 else "in its process"


def column_format(values: Iterable[float]) -> Show:
    """One format for every value of a table column, from the column's magnitude: whole numbers
    when every finite value is whole, else as many decimals as give the median (of the non-zero
    absolute values) three significant digits, ``clamp(2 - floor(log10(median)), 0, 6)``;
    thousands separators throughout; "—" for NaN."""
    finite = [float(value) for value in values if math.isfinite(float(value))]
    nonzero = [abs(value) for value in finite if value != 0]
    if not nonzero or all(value == round(value) for value in finite):
        decimals = 0
    else:
        decimals = min(max(2 - math.floor(math.log10(statistics.median(nonzero))), 0), 6)
    return lambda value: MISSING if value != value else f"{value:,.{decimals}f}"


def plain_number(value: float, _position: object = None) -> str:
    """A tick label: whole numbers with thousands separators, others as ``{:g}`` (no mathtext);
    ``_position`` is matplotlib's, unused."""
    if value == round(value) and abs(value) < 1e15:
        return f"{value:,.0f}"
    return f"{value:g}"
