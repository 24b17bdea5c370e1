"""``instance-dict``: a plain class (instance ``__dict__``, no slots) per role and per part type,
filled by ``setattr`` in the row's own stored key order, then the ids.

The Python analogue of the spread code: only keys of the role's / type's fixed list are set
(legacy keys dropped) and absent keys are not set at all, so attributes arrive in as many
orders and sets as the rows have. On CPython an instance whose attributes arrive in another
order than the class's shared keys loses key-sharing and gets a dict of its own; on PyPy
each order is another map. Nested values stay the dicts ``json.loads`` made; unknown part
types stay the spread dict. Any attribute may be missing, so the access loop reads all but
the role of opencode's seed loop with ``getattr(o, "k", None)``. Needs only the standard library.
"""

from __future__ import annotations

from typing import Any, Tuple

from harness.schemas.codegen import class_name
from harness.schemas.model import Kind, Schema, Table
from harness.strategies import register
from harness.strategies._classes import PerKindClasses, attributes, class_to_dict, made
from harness.strategies._from_schema import (
    Functions,
    hydrator,
    keys_of,
    kind_entries,
    nowhere,
    table_hydrators,
)
from harness.strategies._kernel import access_kernel

#: ``{choose}`` the class of the row's kind, set the attributes it has in the row's order, then the ids.
_FILLED = """values = loads({data})
    {choose}
    if entry is None:
        return refuse({with_ids}, row)
    cls, fields = entry
    obj = cls()
    for key, value in values.items():
        attr = fields.get(key)
        if attr is not None:
            setattr(obj, attr, value)
    {set_ids}
    return obj"""


def plain_class(name: str, attrs: Tuple[str, ...]) -> type:
    """A class of no attributes of its own: an instance gets the ones set on it, in that order."""
    return type(name, (), {})


def build_instance_dict(schema: Schema) -> Functions:
    """A plain class per kind; each object gets the attributes of its kind's fields its row stored."""

    def build(table: Table, name: str) -> Any:
        def entry(kind: Kind) -> Any:
            keys = keys_of(table, kind)
            cls = made(plain_class, class_name(kind.tag, class_name(name)), keys)
            return cls, {key: attr for key, attr in zip(keys, attributes(keys)) if key not in table.ids}

        entries = kind_entries(table, entry)
        return hydrator(schema, name, _FILLED, "instance-dict", **entries)

    functions = table_hydrators(schema, build)
    functions["to_dict"] = class_to_dict
    functions["access"] = access_kernel(schema, "attributes", nowhere)
    return functions


@register
class InstanceDict(PerKindClasses):
    name = "instance-dict"
    description = "plain class per role / part type, attributes set in each row's stored key order"
    schema_build = staticmethod(build_instance_dict)
