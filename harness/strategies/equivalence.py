"""What every strategy must preserve: the canonical logical content of a row.

Canonical info / part = the fixed builder's view of the stored row: the keys of
the role's or type's fixed list (the schema's ``Table.keys``; opencode's unless
a schema is given) that the row has, ids included, nested values as stored. Absent and ``None`` are the same thing, at
every depth: a strategy may represent an absent optional as ``None`` or leave
it out. Keys outside the fixed list (legacy keys) are not part of the content,
as opencode's fixed builders drop them. Comparison is strict about types
(``True`` is not ``1``) but not about key order or int-vs-float (``0 == 0.0``,
as JSON has one number type).
"""

from __future__ import annotations

from functools import cache
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from harness.canonical import ROW_ID
from harness.schemas import OPENCODE, Schema
from harness.strategies._from_schema import row_kind

Content = Tuple[Tuple[str, ...], Dict[str, Any]]


@cache
def _content(schema: Schema, name: str) -> Callable[[Tuple], Content]:
    """``content(row)``: the keys of the kind a row of table ``name`` builds as (every key it has, ids
    included, for a row of no kind) and its data with the ids."""
    table = schema.tables[name]
    kind_of = row_kind(schema, name)

    def content(row: Tuple) -> Content:
        values, kind = kind_of(row)
        return (table.keys(kind) if kind is not None else tuple(values)), values

    return content


def _project(keys: Tuple[str, ...], values: Dict[str, Any]) -> Dict[str, Any]:
    return {key: values[key] for key in keys if values.get(key) is not None}


def canonical_info(row: Tuple) -> Dict[str, Any]:
    """The content of a stored message row, as its fixed-key info."""
    return _project(*_content(OPENCODE, "message")(row))


def canonical_part(row: Tuple) -> Dict[str, Any]:
    """The content of a stored part row, as its fixed-key part."""
    return _project(*_content(OPENCODE, "part")(row))


def info_difference(row: Tuple, actual: Dict[str, Any]) -> Optional[str]:
    """How a strategy's ``to_dict`` of an info differs from the row's content (keys outside
    the fixed list, which the spread strategy keeps, are not compared), or None."""
    return _difference(OPENCODE, "message", row, actual)


def part_difference(row: Tuple, actual: Dict[str, Any]) -> Optional[str]:
    """How a strategy's ``to_dict`` of a part differs from the row's content, or None."""
    return _difference(OPENCODE, "part", row, actual)


def _difference(schema: Schema, name: str, row: Tuple, actual: Dict[str, Any]) -> Optional[str]:
    keys, values = _content(schema, name)(row)
    return difference(_project(keys, values), _project(keys, actual))


def difference(expected: Any, actual: Any, path: str = "") -> Optional[str]:
    """Where ``actual`` differs from ``expected`` (a key path and both values), or None."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(
            {k for k, v in expected.items() if v is not None} | {k for k, v in actual.items() if v is not None}
        ):
            found = difference(expected.get(key), actual.get(key), f"{path}.{key}" if path else key)
            if found:
                return found
        return None
    if isinstance(expected, (list, tuple)) and isinstance(actual, (list, tuple)):
        if len(expected) != len(actual):
            return f"{path or '<root>'}: {len(expected)} items expected, {len(actual)} found"
        for index, (left, right) in enumerate(zip(expected, actual)):
            found = difference(left, right, f"{path}[{index}]")
            if found:
                return found
        return None
    if _same_scalar(expected, actual):
        return None
    return f"{path or '<root>'}: expected {expected!r}, found {actual!r}"


def _same_scalar(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return expected == actual
    return type(expected) is type(actual) and expected == actual


def first_difference(strategy: Any, stored: Iterable[Tuple[Tuple, List[Tuple]]]) -> Optional[Tuple[str, str]]:
    """(row id, where) of the first stored row a strategy does not reproduce, or None."""
    return first_schema_difference(strategy, OPENCODE, stored)


def first_schema_difference(
    strategy: Any, schema: Schema, stored: Iterable[Tuple[Tuple, List[Tuple]]]
) -> Optional[Tuple[str, str]]:
    """``first_difference`` for a strategy built for ``schema``: a row's content is its data with the
    schema's ids, projected onto the keys of the kind it builds as (every key for a row of no kind),
    so the spread's extra keys are not compared and nothing of the kind's may be lost."""
    for message, parts in stored:
        rows = [("message", message, strategy.info)] + [("part", part, strategy.part) for part in parts]
        for name, row, build in rows:
            found = _difference(schema, name, row, strategy.to_dict(build(row)))
            if found:
                return row[ROW_ID], found
    return None
