"""``slots-merged``: one ``__slots__`` info class holding both roles' fields, one per part type.

The info class's fields are every role's keys (the discriminator, each role's fields in the
schema's order, then the ids); an info fills only its own role's keys (the others stay ``None``,
legacy keys are dropped). Parts are the ``slots`` part classes. Nested values stay the dicts
``json.loads`` made; unknown part types stay the spread dict. Every info has every field, so the
access loop reads ``o.cost`` etc. directly and its read sites see one class (against ``slots``'
two: which wins is a report finding). Needs only the standard library.
"""

from __future__ import annotations

from typing import Any, Tuple

from harness.schemas.codegen import class_name
from harness.schemas.model import Kind, Schema, Table
from harness.strategies import register
from harness.strategies._classes import PerKindClasses, class_to_dict, kind_classes, made, positional, slots_class
from harness.strategies._from_schema import Functions, keys_of, kind_entries, table_hydrators
from harness.strategies._kernel import access_kernel


def merged_keys(table: Table) -> Tuple[str, ...]:
    """Every kind's keys once, in the order they first appear, the ids last."""
    fields = dict.fromkeys(key for kind in table.kinds for key in keys_of(table, kind) if key not in table.ids)
    return tuple(fields) + table.ids


def build_slots_merged(schema: Schema) -> Functions:
    """One ``__slots__`` class for every message, one per part kind."""
    messages, keys = schema.message, merged_keys(schema.message)
    cls = made(slots_class, class_name("message"), keys)

    def entry(kind: Kind) -> Any:  # None (never a JSON key) where the kind has no such key
        own = keys_of(messages, kind)
        return cls, tuple(key if key in own else None for key in keys)

    def hydrate(table: Table, name: str) -> Any:
        entries = kind_entries(table, entry) if name == "message" else kind_classes(table, name, slots_class)
        return positional(schema, name, entries, "slots-merged")

    functions = table_hydrators(schema, hydrate)
    functions["to_dict"] = class_to_dict
    functions["access"] = access_kernel(schema, "attributes", set(keys).__contains__)
    return functions


@register
class SlotsMerged(PerKindClasses):
    name = "slots-merged"
    description = "one __slots__ info class with both roles' fields, one __slots__ class per part type"
    schema_build = staticmethod(build_slots_merged)
