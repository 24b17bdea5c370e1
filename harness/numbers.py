"""How figures are written in findings, the answer and the terminal: one format per unit.

A unit gets the same number of decimals wherever it is shown (``24.7 ns``, ``30.0%``, ``3,141 B``);
seconds, which span microseconds of GC to minutes of a rebuild, get three significant digits in
the unit that suits them (``143 µs``, ``15.5 ms``, ``2.57 s``).
"""

from __future__ import annotations


def ns(value: float) -> str:
    return f"{value:,.1f} ns"


def ms(value: float) -> str:
    return f"{value:,.1f} ms"


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
    return f"{value:.1%}"


def bytes_(value: float) -> str:
    return f"{value:,.0f} B"


def in_processes(count: int) -> str:
    """``in any of its 3 processes`` / ``in its process``: where something held in every process."""
    return f"in any of its {count} processes" if count > 1 else "in its process"


def count(value: float) -> str:
    return f"{value:,.0f}"
