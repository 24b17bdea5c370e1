"""``fixed``: opencode's fix in PR #29029, one fixed key list per role / part type.

A plain dict with every key of its discriminator's list (the schema's ``Table.keys``), in
that order; absent optionals are present as ``None`` and keys outside the list
(legacy ones) are dropped. Nested values stay the dicts ``json.loads`` made; a part of
an unknown type stays its spread dict. All keys of its role exist, so the access loop
subscripts ``role`` and ``summary``; user infos have no assistant keys, so those are read
with ``.get``.
"""

from __future__ import annotations

from typing import Any, Dict

from harness.schemas.model import Schema, Table
from harness.strategies import register
from harness.strategies._from_schema import (
    FromSchema,
    Functions,
    everywhere,
    hydrator,
    keys_of,
    kind_entries,
    table_hydrators,
)
from harness.strategies._kernel import access_kernel, open_map_kernel

_FIXED = """{decode}
    {entry}
    get = values.get
    return {{key: get(key) for key in entry}}"""


def build_fixed(schema: Schema) -> Functions:
    """A dict with the keys of the row's kind in their fixed order, absent ones None, others dropped."""

    def build(table: Table, name: str) -> Any:
        entries = kind_entries(table, lambda kind: keys_of(table, kind))
        return hydrator(schema, name, _FIXED, "fixed", **entries)

    return {**table_hydrators(schema, build), **fixed_reads(schema)}


def fixed_reads(schema: Schema) -> Functions:
    """``to_dict`` and ``access`` of dicts holding every key of their kind, absent ones None."""
    return {"to_dict": without_none, "access": access_kernel(schema, "items", everywhere(schema.message))}


def without_none(obj: Dict[str, Any]) -> Dict[str, Any]:
    return {key: value for key, value in obj.items() if value is not None}


@register
class Fixed(FromSchema):
    name = "fixed"
    description = "dict with a fixed key list per role / part type, absent optionals as None"
    field = staticmethod(dict.get)
    open_map_access = staticmethod(open_map_kernel("items"))
    schema_build = staticmethod(build_fixed)
