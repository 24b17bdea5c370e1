"""``spread-filled``: a control for key order alone — the spread dict with the fixed keys filled in.

``{**data, id, sessionID}`` in the stored order, then every key of the role's / type's fixed list
that the row lacks, as ``None``. Key *sets* are as stable as ``fixed``'s (legacy keys aside) while
key *orders* vary as ``spread``'s do, and the access loop reads exactly as ``fixed``'s does, so
``spread-filled`` against ``fixed`` isolates what key order costs a dict. Nested values stay dicts;
a part of an unknown type stays the spread dict.
"""

from __future__ import annotations

from typing import Any

from harness.schemas.model import Schema, Table
from harness.strategies import register
from harness.strategies._from_schema import Functions, hydrator, keys_of, kind_entries, table_hydrators
from harness.strategies.fixed import Fixed, fixed_reads

_FILLED = """{spread}
    {entry}
    for key in entry:
        values.setdefault(key, None)
    return values"""


def build_spread_filled(schema: Schema) -> Functions:
    """The spread dict, then the keys of the row's kind it lacks as None; reads as ``fixed``."""

    def build(table: Table, name: str) -> Any:
        entries = kind_entries(table, lambda kind: keys_of(table, kind))
        return hydrator(schema, name, _FILLED, "spread-filled", **entries)

    return {**table_hydrators(schema, build), **fixed_reads(schema)}


@register
class SpreadFilled(Fixed):
    name = "spread-filled"
    description = "spread dict in stored key order, missing fixed keys added as None (key-order control)"
    schema_build = staticmethod(build_spread_filled)
