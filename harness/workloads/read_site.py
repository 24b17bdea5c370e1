"""Read-site polymorphism: one read site that sees objects of 1 … 256 shapes.

The seed's incident was a read site that met thousands of hidden classes: JavaScriptCore's inline
caches went megamorphic. ``population(kind, shapes, count)`` builds ``count`` objects whose shapes
follow ``shapes`` distinct key lists in a fixed pseudo-random order (the same LCG as the JS runner's
``read_site``): shape ``i`` has the optional keys ``k0`` … ``k7`` that the bits of ``i`` select, in
that order, then ``x``, so ``x`` sits at a different position in most shapes, as in spread objects.
The kinds are named after the strategy whose objects they are like:

- ``spread``: dicts, read ``o["x"]`` (a dict has no hidden class; the control);
- ``instance-dict``: instances of one plain class, attributes set in the shape's order, read ``o.x``
  (CPython key-sharing / PyPy maps see one layout per order);
- ``slots``: one ``__slots__`` class per shape, read ``o.x`` (a site that meets ``shapes`` types).

``READERS[kind](objects, passes)`` reads ``x`` of every object ``passes`` times at one site and
returns the sum. The loop's own cost is part of each read (unit: one loop iteration with one read).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Type

from harness.protocol.job import Job
from harness.store import Dataset
from harness.strategies.base import Strategy
from harness.workloads.binding import Prepared

OPTIONAL_KEYS: Tuple[str, ...] = tuple(f"k{bit}" for bit in range(8))
MAX_SHAPES = 2 ** len(OPTIONAL_KEYS)
KINDS: Tuple[str, ...] = ("spread", "instance-dict", "slots")


def shape_keys(shape: int) -> Tuple[str, ...]:
    """The keys of shape ``shape``: the optional keys its bits select, then ``x``."""
    return tuple(key for bit, key in enumerate(OPTIONAL_KEYS) if shape >> bit & 1) + ("x",)


def shape_order(shapes: int, count: int) -> List[int]:
    """``count`` shape numbers below ``shapes`` in a fixed pseudo-random order (31-bit LCG from 12345)."""
    state, order = 12345, []
    for _ in range(count):
        state = (state * 1103515245 + 12345) % 2**31
        order.append(state % shapes)
    return order


class Plain:
    """The one class of the ``instance-dict`` kind."""


def _slots_class(shape: int) -> type:
    return type(f"Slots{shape}", (), {"__slots__": shape_keys(shape)})


def population(kind: str, shapes: int, count: int) -> List[Any]:
    """``count`` objects of ``kind`` over ``shapes`` shapes; ValueError for an unknown kind or count."""
    if kind not in KINDS:
        raise ValueError(f"read_site builds {', '.join(KINDS)} objects, not {kind!r}")
    if not 1 <= shapes <= MAX_SHAPES:
        raise ValueError(f"read_site takes 1 to {MAX_SHAPES} shapes (the job's size), got {shapes}")
    classes = {shape: _slots_class(shape) for shape in range(shapes)} if kind == "slots" else {}
    objects: List[Any] = []
    for index, shape in enumerate(shape_order(shapes, count)):
        values = {key: index if key == "x" else bit for bit, key in enumerate(shape_keys(shape))}
        if kind == "spread":
            objects.append(values)
            continue
        obj = classes[shape]() if kind == "slots" else Plain()
        for key, value in values.items():
            setattr(obj, key, value)
        objects.append(obj)
    return objects


def _read_items(objects: Sequence[Dict[str, int]], passes: int) -> int:
    total = 0
    for _ in range(passes):
        for o in objects:
            total += o["x"]
    return total


def _read_attributes(objects: Sequence[Any], passes: int) -> int:
    total = 0
    for _ in range(passes):
        for o in objects:
            total += o.x
    return total


READERS: Dict[str, Callable[[Sequence[Any], int], int]] = {
    "spread": _read_items,
    "instance-dict": _read_attributes,
    "slots": _read_attributes,
}


def bind_read_site(job: Job, strategy: Type[Strategy], dataset: Dataset, rounds: Optional[int]) -> Prepared:
    objects = population(job.strategy, job.size, job.params["objects"])
    passes, read = job.params["passes"], READERS[job.strategy]
    return Prepared(strategy, lambda: read(objects, passes), len(objects) * passes, "read", dataset)
