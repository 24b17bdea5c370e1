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

Every row is built once, unmeasured, before anything is counted: what a strategy
makes once per process (pydantic builds its models and validators on first use,
and a setattr handler per class on first assignment) is not per-message cost, and
counting it made a census depend on what ran before it in the process. That pass
also refuses, in one line naming the row (``SchemaMismatch``), a row the strategy
cannot build (a ``role`` of 5, a list as a part ``type``, a value of another type
than a typed strategy declares). A figure the interpreter cannot give (PyPy has
neither ``sys.getrefcount`` nor a working ``sys.getsizeof``, and its
``gc.get_objects()`` is not CPython's tracked set) is None, and ``unavailable``
says why (``unavailable_figures``).

Deep bytes are exact (the same in every process) for every strategy but
``pydantic`` on data with many distinct short strings: pydantic-core's JSON
parser caches strings under 64 characters in a fixed-size table indexed by a
hash seeded at random in each process, and evicts an entry on a collision, so
which equal strings share one object, and so the bytes counted once, varies from
process to process (realistic data, 5,000 messages: 8,584.94–8,585.27 bytes per
message over ten processes, a spread of 4 in 100,000; 300 realistic or 5,000
reference messages: the same in every process). Turning the cache off would make
the figure exact but misstate pydantic's cost: the cache saves it about 7 % of
its bytes.

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
from harness.metrics import METRICS
from harness.schema import RECORD_PATHS
from harness.schemas import OPENCODE, SchemaError, SchemaMismatch
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
    schema_name = (schema or OPENCODE).name
    for name in dict.fromkeys(["spread", "fixed", *strategy_names]):
        per_strategy[name] = strategy_census(get(name, schema), stored, record_paths(schema), schema_name)
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
    reads ``__dict__``: on 3.11–3.12 that materialises the dict. A msgspec Struct with ``dict=True``
    is left out: its ``__dict__`` is a plain dict made on first use, never CPython's instance layout."""
    with_dict = [
        obj
        for obj in objs
        if getattr(type(obj), "__dictoffset__", 0) != 0 and not hasattr(type(obj), "__struct_fields__")
    ]
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


def deep_bytes(objs: Iterable[Any], shape: Callable[[Any], KeyTuple]) -> int:
    """``sys.getsizeof`` summed over every distinct object reachable from ``objs`` (CPython only:
    ``unavailable_figures``)."""
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


def unavailable_figures() -> Dict[str, str]:
    """The census figures this interpreter cannot give, each with the reason."""
    implementation = platform.python_implementation()
    sizes = f"sys.getsizeof does not work on {implementation} (objects there share maps and storage)"
    missing: Dict[str, str] = {}
    if implementation != "CPython":
        missing["tracked_per_message"] = (
            f"gc.get_objects() on {implementation} lists the objects its collector manages, not CPython's"
            " GC-tracked containers"
        )
        missing["deep_bytes_per_message"] = sizes
    if not hasattr(gc, "is_tracked"):
        missing["top_level_tracked_share"] = f"gc.is_tracked does not exist on {implementation}"
    if not hasattr(sys, "getrefcount"):
        missing["pinned_row_bytes_per_message"] = (
            f"sys.getrefcount does not exist on {implementation}: which row texts the objects keep alive"
            " cannot be told without it"
        )
    elif implementation != "CPython":
        missing["pinned_row_bytes_per_message"] = sizes
    return missing


#: What a strategy raises for a row it cannot build: a value of another type than it declares, data
#: that is not a JSON object (a role or part type of any value builds as the table's default).
_UNBUILDABLE = (TypeError, ValueError, LookupError, AttributeError)


def _built(build: Callable[[Any], Any], row: Any, strategy: str, schema: str) -> Any:
    try:
        return build(row)
    except SchemaError:  # the strategy named the row itself
        raise
    except _UNBUILDABLE as error:
        problem = " ".join(str(error).split())  # validation errors span several lines
        raise SchemaMismatch(schema, row[0], f"{strategy} cannot build it: {problem:.300}") from None


def build_every_row(strategy: Any, stored: List[StoredRecord], schema: str = OPENCODE.name) -> None:
    """Build every row once and drop it, so that what the strategy makes once per process stays out of
    the counts; ``SchemaMismatch`` names the first row it cannot build. A row cache is bypassed
    (its strategy's ``built_from``): it would keep this pass's objects for the counted one."""
    base = getattr(strategy, "built_from", strategy)
    info, part = base.info, base.part
    for message, own in stored:
        _built(info, message, strategy.name, schema)
        for row in own:
            _built(part, row, strategy.name, schema)


def record_paths(schema: Any) -> AbstractSet[KeyTuple]:
    """Where ``schema`` keeps records keyed by data (records inside open values included); None is
    opencode's."""
    return RECORD_PATHS if schema is None else schema.record_paths()


def _pinned_bytes(texts: List[str], references: List[int]) -> int:
    """Bytes of the row texts whose reference counts grew since ``references`` were taken."""
    return sum(
        sys.getsizeof(texts[index]) for index in range(len(texts)) if sys.getrefcount(texts[index]) > references[index]
    )


def strategy_census(
    strategy: Any,
    stored: List[StoredRecord],
    records_at: AbstractSet[KeyTuple] = RECORD_PATHS,
    schema: str = OPENCODE.name,
) -> Dict[str, Any]:
    """Shapes, classes, CPython layout, GC-tracked objects and deep bytes of one strategy's objects;
    ``records_at``: the key paths of data-keyed records; ``schema``: the name a row the strategy
    cannot build is refused under. A figure this interpreter cannot give is None, ``unavailable``
    names each with the reason."""
    build_every_row(strategy, stored, schema)
    missing = unavailable_figures()
    gc.collect()
    enabled = gc.isenabled()
    texts = [row[ROW_DATA] for message, own in stored for row in (message, *own)]
    pinning = "pinned_row_bytes_per_message" not in missing
    references = [sys.getrefcount(texts[index]) for index in range(len(texts))] if pinning else []  # exact counts
    info, part = strategy.info, strategy.part
    gc.disable()
    try:
        before = len(gc.get_objects())
        infos = [info(message) for message, _ in stored]
        parts = [part(row) for _, own in stored for row in own]
        tracked = len(gc.get_objects()) - before - 2  # the two lists themselves
    finally:
        if enabled:
            gc.enable()
    pinned = _pinned_bytes(texts, references) if pinning else 0
    layout = compact_layout(infos + parts)  # before shape(): reading __dict__ would materialise it
    info_count, part_count = census_of(infos, strategy.shape), census_of(parts, strategy.shape)
    nested, records = nested_key_tuples(infos + parts, strategy.shape, records_at)
    messages = max(1, len(infos))
    available = {
        "tracked_per_message": lambda: tracked / messages,
        "top_level_tracked_share": lambda: sum(map(gc.is_tracked, infos + parts)) / max(1, len(infos) + len(parts)),
        "deep_bytes_per_message": lambda: deep_bytes(infos + parts, strategy.shape) / messages,
        "pinned_row_bytes_per_message": lambda: pinned / messages,
    }
    return {
        "info_key_sets": info_count.key_sets,
        "info_key_orders": info_count.key_orders,
        "part_key_sets": part_count.key_sets,
        "part_key_orders": part_count.key_orders,
        "nested_key_orders": len(nested),
        "record_key_orders": len(records),
        "info_classes": len({type(obj) for obj in infos}),
        "part_classes": len({type(obj) for obj in parts}),
        **{name: None if name in missing else figure() for name, figure in available.items()},
        "compact_layout": layout,
        "unavailable": missing,
    }


def measure(job: Any, out: Any) -> Dict[str, Any]:
    """Job entry: the census of one strategy over the first ``size`` messages of the dataset."""
    from harness.protocol.job import Figure
    from harness.workloads.binding import dataset_schema, first_rows, prepare, regroup

    prepared = prepare(job)
    try:
        messages, parts = first_rows(prepared.dataset, job.size)
        schema = dataset_schema(job, prepared.dataset)
        found = strategy_census(prepared.strategy, regroup(messages, parts), record_paths(schema), schema.name)
    finally:
        prepared.close()
    layout, unavailable = found.pop("compact_layout"), found.pop("unavailable")
    figures = [
        Figure(metric, float(value), METRICS[metric].unit, len(messages))
        for metric, value in found.items()
        if value is not None
    ]
    if layout is not None:
        figures.append(Figure("compact_layout_share", layout["compact_share"], "ratio", layout["objects_with_dict"]))
    return {"figures": figures, "extra": {"compact_layout": layout, "unavailable": unavailable}}


if __name__ == "__main__":
    from harness.measure.entry import run_measurer

    sys.exit(run_measurer("census", measure, description=__doc__))
