"""What a strategy's name says without loading the strategy: ``cached:<name>`` is ``<name>`` behind
opencode's row cache, and the controls (floors to compare with) are never a strategy to adopt.

The one place the analysis reads a name for its meaning (the strategies package declares the same
controls with ``control = True``; a test holds the two together). Pure Python, no harness imports.
"""

from __future__ import annotations

CACHED = "cached:"
#: The control of the access loop: the same arithmetic on values already in locals, no read.
ACCESS_CONTROL = "floor-access"
#: The decode floor of the dict-based strategies: ``json.loads`` of a row's data, no object built.
JSON_FLOOR = "floor-json"
#: Every control: the two above and the decode floor of the msgspec strategies.
CONTROLS = frozenset({ACCESS_CONTROL, JSON_FLOOR, "floor-msgspec"})


def uncached(name: str) -> str:
    """The strategy that builds the objects: ``name`` without its row cache (``cached:fixed`` -> ``fixed``)."""
    return name[len(CACHED) :] if name.startswith(CACHED) else name
