"""opencode's MessageV2 shapes as key lists: discriminators and the fixed key order per shape.

Every constant here derives from ``harness.schemas.OPENCODE``, where opencode's schema is written
once: the fixed orders are those of the normalised builders of opencode PR #29029 (``info()`` /
``part()``), declaration order with the ids moved last. Hydration strategies and the shape census
take their key lists from here.
"""

from __future__ import annotations

from typing import Dict, FrozenSet, Tuple

from harness.schemas.model import Field, Kind, walk
from harness.schemas.opencode import OPENCODE

_MESSAGE, _PART = OPENCODE.tables["message"], OPENCODE.tables["part"]

#: The ids the store adds, in row-column order: the row's id, its session id, a part's message id.
INFO_IDS: Tuple[str, ...] = _MESSAGE.ids
PART_IDS: Tuple[str, ...] = _PART.ids
SESSION_ID_KEY, MESSAGE_ID_KEY = PART_IDS[1:3]

ROLES: Tuple[str, ...] = tuple(kind.tag for kind in _MESSAGE.kinds)

#: Fixed info keys per role, ids included. Any role other than ``assistant`` builds as ``user``.
INFO_KEYS: Dict[str, Tuple[str, ...]] = {kind.tag: _MESSAGE.keys(kind) for kind in _MESSAGE.kinds}

_DEFAULT_INFO_KEYS = next(keys for role, keys in INFO_KEYS.items() if role == _MESSAGE.default)

#: The 12 part types in the order of opencode's union.
PART_TYPES: Tuple[str, ...] = tuple(kind.tag for kind in _PART.kinds)

#: Fixed part keys per type, ids included.
PART_KEYS: Dict[str, Tuple[str, ...]] = {kind.tag: _PART.keys(kind) for kind in _PART.kinds}

#: Where the schema holds records keyed by data rather than by the schema (``map<str, X>``): the key
#: path from an info or part down to the record (list items do not add to a path). The census
#: counts objects found there as data-keyed records, every other object below the top level as a
#: nested schema object; no fixed top-level key list touches either.
RECORD_PATHS: FrozenSet[Tuple[str, ...]] = OPENCODE.record_paths()


_KINDS: Tuple[Kind, ...] = _MESSAGE.kinds + _PART.kinds


def _open(fields: Tuple[Field, ...]) -> Tuple[str, ...]:
    return tuple(field.name for field in fields if field.type.open)


#: The fields of the nested objects that hold open maps, by field name.
_NESTED: Dict[str, Tuple[Field, ...]] = {
    path[-1]: field.type.fields
    for kind in _KINDS
    for path, field in walk(kind.fields)
    if field.type.kind == "object" and _open(field.type.fields)
}

#: Nested objects of a fixed schema that hold open maps: a user's output ``format`` and a tool
#: part's ``state`` (every status's keys).
NESTED_KEYS: Dict[str, Tuple[str, ...]] = {
    name: tuple(field.name for field in fields) for name, fields in _NESTED.items()
}

#: Open maps — JSON values of no fixed schema (records, ``Any``) — per role, part type and nested
#: object of ``NESTED_KEYS``: what a lazy strategy keeps as undecoded JSON until it is read.
OPEN_MAPS: Dict[str, Tuple[str, ...]] = {
    owner: _open(fields)
    for owner, fields in [*((kind.tag, kind.fields) for kind in _KINDS), *_NESTED.items()]
    if _open(fields)
}

#: The seven properties the seed's access test reads from every info.
ACCESS_PROPERTIES: Tuple[str, ...] = OPENCODE.access_fields()


def info_keys(role: object) -> Tuple[str, ...]:
    """Fixed key order for an info with this ``role`` (any other value, string or not, builds as user)."""
    keys = INFO_KEYS.get(role) if isinstance(role, str) else None
    return keys or _DEFAULT_INFO_KEYS


def part_keys(kind: object, data: dict) -> Tuple[str, ...]:
    """Fixed key order for a part; a type that is not one of ``PART_TYPES`` (or not a string at all:
    a number, null, a list, an object) keeps its stored keys in stored order."""
    keys = PART_KEYS.get(kind) if isinstance(kind, str) else None
    if keys is not None:
        return keys
    return tuple(data) + PART_IDS
