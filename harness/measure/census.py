"""Shape census: how many distinct object shapes a strategy's objects have.

Portable figures, counted the way opencode's perf test counts "unique
Structures": the number of distinct *sorted key sets* of the objects (a key
whose value is None/undefined still counts), and beside it the number of
distinct *ordered key tuples*, which is what a hidden-class engine (PyPy maps,
JavaScriptCore Structures) actually distinguishes. Below the top level (the
nested JSON values, which opencode's fix does not normalise) it counts the
ordered key tuples of *nested schema objects* (keys fixed by the schema, e.g.
``time``, ``tokens``, a tool ``state``) apart from those of *data-keyed
records* (keys that are data: LSP diagnostics keyed by file path, ``tools``
keyed by tool name; ``harness.schema.RECORD_PATHS``); objects other than dicts
(msgspec Structs, models) count by class and fields. Unit: distinct shapes.

Per strategy it also counts the classes its objects have and, measured rather
than assumed: how many instances with an instance ``__dict__`` keep CPython's
compact layout (3.13: ``_testinternalcapi.has_inline_values``; 3.11–3.12: the
values are visited directly by ``gc.get_referents`` instead of through a
materialised dict — checked before anything touches ``__dict__``, which would
materialise it; 3.10: the dict is a split (key-sharing) table, read from the
``ma_values`` pointer with ctypes), GC-tracked objects per message (the growth
of ``gc.get_objects()`` while building, GC disabled) and deep bytes per message
(``sys.getsizeof`` over every distinct object reachable from the built objects,
shared strings counted once), and pinned row bytes per message: the stored rows'
JSON texts that the built objects keep alive (a lazy strategy's undecoded open
maps can be views into them; found by reference counts, CPython only). Known
biases: key strings interned by the JSON decoder are shared and counted once;
deep bytes ignore allocator overhead and do not follow a view into a row's text
(pinned bytes count that text).

Runs as a job too: ``python -m harness.measure.census --job J --out R``.
"""

from __future__ import annotations

import ctypes
import gc
import platform
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, AbstractSet, Any, Callable, Dict, Iterable, List, Optional, Set, Tuple

from harness.canonical import ROW_DATA
from harness.schema import RECORD_PATHS
from harness.strategies.base import object_fields

if TYPE_CHECKING:
    from harness.canonical import StoredRecord

KeyTuple = Tuple[str, ...]


@dataclass(frozen=True)
class ShapeCount:
    """Distinct key sets and distinct key orders among some objects."""

    key_sets: int
    key_orders: int


def count_shapes(key_tuples: Iterable[KeyTuple]) -> ShapeCount:
    """Count distinct orders and distinct sets among ordered key tuples."""
    orders = set(key_tuples)
    return ShapeCount(key_sets=len({tuple(sorted(keys)) for keys in orders}), key_orders=len(orders))


def dict_keys(obj: Dict[str, Any]) -> KeyTuple:
    """The ordered key tuple of a dict object."""
    return tuple(obj)


_LEAVES = (str, bytes, int, float, bool, type(None))


def nested_key_tuples(
    tops: Iterable[Any],
    fields: Callable[[Any], KeyTuple] = dict_keys,
    record_paths: AbstractSet[KeyTuple] = RECORD_PATHS,
) -> Tuple[Set[KeyTuple], Set[KeyTuple]]:
    """Ordered key tuples of every object below the top-level objects ``tops`` (whose fields
    ``fields`` names): (nested schema objects, data-keyed records at ``record_paths``, opencode's
    by default). A dict's shape is its keys; another object's its class and fields; lists and
    tuples are transparent."""
    nested: Set[KeyTuple] = set()
    records: Set[KeyTuple] = set()
    stack: List[Tuple[Any, KeyTuple]] = [
        (getattr(top, key, None) if not isinstance(top, dict) else top.get(key), (key,))
        for top in tops
        for key in fields(top)
    ]
    while stack:
        value, path = stack.pop()
        if isinstance(value, _LEAVES):
            continue
        if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
            stack.extend((item, path) for item in value)
            continue
        if isinstance(value, dict):
            shape, items = tuple(value), list(value.items())
        else:
            keys = object_fields(value)
            shape, items = (type(value).__qualname__, *keys), [(key, getattr(value, key, None)) for key in keys]
        (records if path in record_paths else nested).add(shape)
        stack.extend((item, (*path, key)) for key, item in items)
    return nested, records


def census_of(objs: Iterable[Any], keys: Callable[[Any], KeyTuple] = dict_keys) -> ShapeCount:
    """Shape count of objects, keyed by ``keys(obj)``."""
    return count_shapes(keys(obj) for obj in objs)


def dataset_census(stored: List[StoredRecord], strategy_names: Iterable[str], schema: Any = None) -> Dict[str, Any]:
    """Shape counts of every info and part of a dataset, built by each named strategy.

    The top-level ``info_shapes_*`` / ``part_shapes_*`` figures are key sets of the
    ``spread`` and ``fixed`` dicts, as opencode's perf test counts them; ``*_orders_*``
    are ordered key tuples; ``nested_shapes`` and ``record_shapes`` are the key orders of
    the nested schema objects and data-keyed records inside the stored data. ``schema``: the schema
    the strategies are built for (None: the built-in one).
    """
    from harness.strategies import get

    figures: Dict[str, Any] = {}
    per_strategy: Dict[str, Dict[str, int]] = {}
    for name in dict.fromkeys(["spread", "fixed", *strategy_names]):
        per_strategy[name] = strategy_census(get(name, schema), stored, record_paths(schema))
    for name in ("spread", "fixed"):
        counts = per_strategy[name]
        figures[f"info_shapes_{name}"] = counts["info_key_sets"]
        figures[f"part_shapes_{name}"] = counts["part_key_sets"]
        figures[f"info_orders_{name}"] = counts["info_key_orders"]
        figures[f"part_orders_{name}"] = counts["part_key_orders"]
    figures["nested_shapes"] = per_strategy["spread"]["nested_key_orders"]
    figures["record_shapes"] = per_strategy["spread"]["record_key_orders"]
    figures["strategies"] = {name: per_strategy[name] for name in strategy_names}
    return figures


def compact_layout(objs: List[Any]) -> Optional[Dict[str, Any]]:
    """How many objects with an instance ``__dict__`` keep CPython's shared-key / inline-values
    layout, or None when none has one (or the interpreter is not CPython). Call it before anything
    reads ``__dict__``: on 3.11–3.12 that materialises the dict."""
    with_dict = [obj for obj in objs if getattr(type(obj), "__dictoffset__", 0) != 0]
    if not with_dict or platform.python_implementation() != "CPython":
        return None
    if sys.version_info >= (3, 13):
        from _testinternalcapi import has_inline_values

        method, compact = "has_inline_values", sum(bool(has_inline_values(obj)) for obj in with_dict)
    elif sys.version_info >= (3, 11):
        method = "gc.get_referents: values visited without a dict"
        compact = sum(any(not isinstance(ref, (dict, type)) for ref in gc.get_referents(obj)) for obj in with_dict)
    else:
        method = "split dict (ma_values set)"
        # PyDictObject: refcount, type, ma_used, ma_version_tag, ma_keys, then ma_values
        offset = 3 * ctypes.sizeof(ctypes.c_ssize_t) + 8 + ctypes.sizeof(ctypes.c_void_p)
        compact = sum(ctypes.c_void_p.from_address(id(vars(obj)) + offset).value is not None for obj in with_dict)
    return {
        "method": method,
        "objects_with_dict": len(with_dict),
        "compact": compact,
        "compact_share": compact / len(with_dict),
    }


def _children(obj: Any, shape: Callable[[Any], KeyTuple]) -> Iterable[Any]:
    if isinstance(obj, dict):
        return [*obj.keys(), *obj.values()]
    if isinstance(obj, (list, tuple)):
        return obj
    if isinstance(obj, (str, bytes, int, float, bool)) or obj is None:
        return ()
    return [getattr(obj, name, None) for name in shape(obj)]


def deep_bytes(objs: Iterable[Any], shape: Callable[[Any], KeyTuple]) -> Optional[int]:
    """``sys.getsizeof`` summed over every distinct object reachable from ``objs``; None on PyPy,
    whose ``sys.getsizeof`` refuses (objects there share maps and storage)."""
    if platform.python_implementation() != "CPython":
        return None
    seen: Set[int] = set()
    total = 0
    stack = list(objs)
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        stack.extend(_children(obj, shape))
    return total


def _per(total: Optional[int], messages: int) -> Optional[float]:
    return None if total is None else total / messages


def record_paths(schema: Any) -> AbstractSet[KeyTuple]:
    """Where ``schema`` keeps records keyed by data: opencode's ``RECORD_PATHS`` (records inside its
    open values included) for the built-in schema (or None), the schema's record fields otherwise."""
    from harness.schemas.stored import is_opencode

    return RECORD_PATHS if schema is None or is_opencode(schema) else schema.record_paths()


def strategy_census(
    strategy: Any, stored: List[StoredRecord], records_at: AbstractSet[KeyTuple] = RECORD_PATHS
) -> Dict[str, Any]:
    """Shapes, classes, CPython layout, GC-tracked objects and deep bytes of one strategy's objects;
    ``records_at``: the key paths of data-keyed records."""
    gc.collect()
    enabled = gc.isenabled()
    texts = [row[ROW_DATA] for message, own in stored for row in (message, *own)]
    references = [sys.getrefcount(texts[index]) for index in range(len(texts))]  # no loop variable: exact counts
    gc.disable()
    try:
        before = len(gc.get_objects())
        infos = [strategy.info(message) for message, _ in stored]
        parts = [strategy.part(part) for _, own in stored for part in own]
        tracked = len(gc.get_objects()) - before - 2  # the two lists themselves
    finally:
        if enabled:
            gc.enable()
    pinned = sum(
        sys.getsizeof(texts[index]) for index in range(len(texts)) if sys.getrefcount(texts[index]) > references[index]
    )
    layout = compact_layout(infos + parts)  # before shape(): reading __dict__ would materialise it
    info_count, part_count = census_of(infos, strategy.shape), census_of(parts, strategy.shape)
    nested, records = nested_key_tuples(infos + parts, strategy.shape, records_at)
    messages = max(1, len(infos))
    return {
        "info_key_sets": info_count.key_sets,
        "info_key_orders": info_count.key_orders,
        "part_key_sets": part_count.key_sets,
        "part_key_orders": part_count.key_orders,
        "nested_key_orders": len(nested),
        "record_key_orders": len(records),
        "info_classes": len({type(obj) for obj in infos}),
        "part_classes": len({type(obj) for obj in parts}),
        # PyPy's gc.get_objects() lists objects its GC manages, not CPython's tracked containers
        "tracked_per_message": tracked / messages if platform.python_implementation() == "CPython" else None,
        "top_level_tracked_share": (
            sum(map(gc.is_tracked, infos + parts)) / max(1, len(infos) + len(parts))
            if hasattr(gc, "is_tracked")
            else None
        ),
        "deep_bytes_per_message": _per(deep_bytes(infos + parts, strategy.shape), messages),
        "pinned_row_bytes_per_message": pinned / messages if platform.python_implementation() == "CPython" else None,
        "compact_layout": layout,
    }


def measure(job: Any, out: Any) -> Dict[str, Any]:
    """Job entry: the census of one strategy over the first ``size`` messages of the dataset."""
    from harness.measure.job import Figure
    from harness.measure.prepare import dataset_schema, first_rows, prepare, regroup

    prepared = prepare(job)
    try:
        messages, parts = first_rows(prepared.dataset, job.size)
        paths = record_paths(dataset_schema(job, prepared.dataset))
        found = strategy_census(prepared.strategy, regroup(messages, parts), paths)
    finally:
        prepared.close()
    layout = found.pop("compact_layout")
    units = {
        "deep_bytes_per_message": "bytes",
        "pinned_row_bytes_per_message": "bytes",
        "top_level_tracked_share": "ratio",
    }
    figures = [
        Figure(metric, float(value), units.get(metric, "count"), len(messages))
        for metric, value in found.items()
        if value is not None
    ]
    if layout is not None:
        figures.append(Figure("compact_layout_share", layout["compact_share"], "ratio", layout["objects_with_dict"]))
    return {"figures": figures, "extra": {"compact_layout": layout}}


if __name__ == "__main__":
    from harness.measure.entry import run_measurer

    sys.exit(run_measurer("census", measure, description=__doc__))
