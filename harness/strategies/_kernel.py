"""The access loops, compiled per strategy with that strategy's native read syntax.

``seed``: opencode's perf test reads seven properties of every info 200 times. Each strategy gets its own
copy of the loop (its own code object, so its own inline caches on CPython 3.11+) with each read
written the way users of its objects write it: ``o.k``, ``getattr(o, "k", None)``, ``o["k"]`` or
``o.get("k")`` — no helper call per read. Every copy makes the same additions in the same order,
so all strategies return the same float on the same rows.

``open-map``: ``len(p.state.input)`` of every tool part — one open map read per object, the read
a lazy strategy pays a decode for (opencode's loop reads every tool input when it builds the
model's messages); an older writer's pending state (``{status}`` alone) has none, which is skipped.
Its syntax depends on how a strategy holds a part and its state (``TOOL_INPUT_READS``): ``.get``
where the state is a dict, as ``input`` may be absent.
"""

from __future__ import annotations

import linecache
from typing import Any, Callable, Dict, Iterable, Sequence

from harness.schema import ACCESS_PROPERTIES, INFO_KEYS

#: Access properties that user infos lack.
ASSISTANT_ONLY = tuple(key for key in ACCESS_PROPERTIES if key not in INFO_KEYS["user"])

_TEMPLATE = """\
def access(infos, iterations):
    acc = 0.0
    for _ in range(iterations):
        for {each} in infos:
            acc += len({role})
            cost = {cost}
            if cost is not None:
                acc += cost
            if {summary}:
                acc += 1
            if {finish}:
                acc += 1
            if {error}:
                acc += 1
            if {variant}:
                acc += 1
            if {structured}:
                acc += 1
    return acc
"""

Kernel = Callable[[Sequence[Any], int], float]


def _compile(source: str, label: str) -> Kernel:
    """The kernel's source compiled under a file name of its own, registered with ``linecache`` (as
    dataclasses and attrs do for generated code) so that tracebacks and line profilers show its
    lines; the name is path-like, not ``<...>``, because profilers skip ``<...>`` pseudo-files."""
    filename = f"{__file__}[{label}]"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    namespace: Dict[str, Any] = {}
    exec(compile(source, filename, "exec"), namespace)
    return namespace["access"]


def attribute_kernel(optional: Iterable[str] = ()) -> Kernel:
    """Reads ``o.k``, or ``getattr(o, "k", None)`` for the properties some objects lack."""
    optional = frozenset(optional)
    reads = {key: f'getattr(o, "{key}", None)' if key in optional else f"o.{key}" for key in ACCESS_PROPERTIES}
    return _compile(
        _TEMPLATE.format(each="o", **reads), f"attributes, getattr for {', '.join(sorted(optional)) or 'none'}"
    )


def item_kernel(optional: Iterable[str] = ()) -> Kernel:
    """Reads ``o["k"]``, or ``o.get("k")`` for the keys some dicts lack."""
    optional = frozenset(optional)
    reads = {key: f'o.get("{key}")' if key in optional else f'o["{key}"]' for key in ACCESS_PROPERTIES}
    return _compile(_TEMPLATE.format(each="o", **reads), f"items, get for {', '.join(sorted(optional)) or 'none'}")


#: How a strategy's objects reach a tool part's ``state.input``: dicts all the way (``items``), an
#: object whose state is a dict (``attribute-item``) or an object whose state is an object too.
TOOL_INPUT_READS: Dict[str, str] = {
    "items": 'o["state"].get("input")',
    "attribute-item": 'o.state.get("input")',
    "attributes": "o.state.input",
}

_OPEN_MAP_TEMPLATE = """\
def access(parts, iterations):
    acc = 0.0
    for _ in range(iterations):
        for o in parts:
            found = {read}
            if found is not None:
                acc += len(found)
    return acc
"""


def open_map_kernel(syntax: str) -> Kernel:
    """The ``open-map`` loop over tool parts, reading ``state.input`` with ``TOOL_INPUT_READS[syntax]``."""
    return _compile(_OPEN_MAP_TEMPLATE.format(read=TOOL_INPUT_READS[syntax]), f"open-map, {syntax}")


def local_kernel() -> Kernel:
    """The control of every kernel: the same loop, the same additions in the same order, on the
    seven values unpacked from a tuple into locals (``for role, cost, ... in infos``), so no read
    at all. A strategy's time minus this one's is the cost of its reads (net of the arithmetic);
    the unpacking (one ``UNPACK_SEQUENCE`` and six more local stores per object) stays in the
    control, so the net figure understates each read by a fraction of a nanosecond."""
    reads = {key: key for key in ACCESS_PROPERTIES}
    return _compile(_TEMPLATE.format(each=", ".join(ACCESS_PROPERTIES), **reads), "locals: the control")
