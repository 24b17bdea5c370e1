"""``spread``: opencode's code before PR #29029, ``{...row.data, id, sessionID}``.

A plain dict whose keys are the stored keys in stored order plus the ids, so its
key set and order vary with the optional keys each row carries. Nested values
stay the dicts ``json.loads`` made. No key is sure to be there, so the access loop
reads with ``.get``, as code over such dicts must (but the role of opencode's seed
loop, whose length it takes from every info).
"""

from __future__ import annotations

from harness.schemas.model import Schema
from harness.strategies import register
from harness.strategies._from_schema import FromSchema, Functions, hydrator, nowhere, table_hydrators
from harness.strategies._kernel import access_kernel, open_map_kernel


def build_spread(schema: Schema) -> Functions:
    """The stored keys in stored order plus the ids: nothing of the schema but the ids and reads."""
    functions = table_hydrators(
        schema, lambda table, name: hydrator(schema, name, "{spread}\n    return values", "spread")
    )
    functions["to_dict"] = dict
    functions["access"] = access_kernel(schema, "items", nowhere)
    return functions


@register
class Spread(FromSchema):
    name = "spread"
    description = "dict spread of the stored row plus ids (the pre-fix opencode code)"
    field = staticmethod(dict.get)
    open_map_access = staticmethod(open_map_kernel("items"))
    schema_build = staticmethod(build_spread)
