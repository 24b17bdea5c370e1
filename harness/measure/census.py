"""Shape census: how many distinct object shapes a strategy's objects have.

Portable figures, counted the way opencode's perf test counts "unique
Structures": the number of distinct *sorted key sets* of the objects (a key
whose value is None/undefined still counts), and beside it the number of
distinct *ordered key tuples*, which is what a hidden-class engine (PyPy maps,
JavaScriptCore Structures) actually distinguishes. ``nested`` counts the
ordered key tuples of every dict reachable below the top level (the nested
JSON values, which neither opencode fix normalises). Unit: distinct shapes.
Bias: only dict keys are seen; CPython's own key-sharing is measured elsewhere.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Set, Tuple

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


def nested_key_tuples(values: Iterable[Any]) -> Set[KeyTuple]:
    """Ordered key tuples of every dict nested anywhere inside ``values`` (lists included)."""
    seen: Set[KeyTuple] = set()
    stack: List[Any] = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            seen.add(tuple(value))
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return seen


def census_of(objs: Iterable[Any], keys: Callable[[Any], KeyTuple] = dict_keys) -> ShapeCount:
    """Shape count of objects, keyed by ``keys(obj)``."""
    return count_shapes(keys(obj) for obj in objs)


def tally(values: Iterable[str]) -> Dict[str, int]:
    """Counts per value, keys in code-unit order (as the reference generator reports them)."""
    return dict(sorted(Counter(values).items()))


def dataset_census(stored: List["StoredRecord"], strategy_names: Iterable[str]) -> Dict[str, Any]:
    """Shape counts of every info and part of a dataset, built by each named strategy.

    The top-level ``info_shapes_*`` / ``part_shapes_*`` figures are key sets of the
    ``spread`` and ``fixed`` dicts, as opencode's perf test counts them; ``*_orders_*``
    are ordered key tuples; ``nested_shapes`` covers the dicts inside the stored data.
    """
    import json

    from harness.strategies import get

    figures: Dict[str, Any] = {}
    per_strategy: Dict[str, Dict[str, int]] = {}
    for name in dict.fromkeys(["spread", "fixed", *strategy_names]):
        strategy = get(name)
        infos = [strategy.info(message) for message, _ in stored]
        parts = [strategy.part(part) for _, own in stored for part in own]
        info_count, part_count = census_of(infos, strategy.shape), census_of(parts, strategy.shape)
        per_strategy[name] = {"info_key_sets": info_count.key_sets, "info_key_orders": info_count.key_orders,
                              "part_key_sets": part_count.key_sets, "part_key_orders": part_count.key_orders,
                              "info_classes": len({type(obj) for obj in infos}),
                              "part_classes": len({type(obj) for obj in parts})}
    for name in ("spread", "fixed"):
        counts = per_strategy[name]
        figures[f"info_shapes_{name}"] = counts["info_key_sets"]
        figures[f"part_shapes_{name}"] = counts["part_key_sets"]
        figures[f"info_orders_{name}"] = counts["info_key_orders"]
        figures[f"part_orders_{name}"] = counts["part_key_orders"]
    data = (json.loads(columns[-1]) for message, own in stored for columns in [message, *own])
    figures["nested_shapes"] = len(nested_key_tuples(value for row in data for value in row.values()))
    figures["strategies"] = {name: per_strategy[name] for name in strategy_names}
    return figures
