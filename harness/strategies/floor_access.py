"""``floor-access``: a control, not a strategy — the access loop with nothing to read.

Its info is a tuple of the values the access loop reads (opencode's: role, cost, summary, finish,
error, variant, structured; ``None`` where the row lacks one), decoded with ``json.loads``; its
access kernel (``harness.strategies._kernel.local_kernel``) unpacks each tuple into locals and does
the same additions as every strategy's kernel. Its ns per read is the floor of the loop
(iteration, ``len``, float additions, truth tests): a strategy's ns per read minus this one's is
what its reads cost, net of that arithmetic (the report plots the net figure). Parts are the
decoded data alone. Its objects do not carry the row's content (verify skips controls).
"""

from __future__ import annotations

import json
from typing import Any, Dict, Tuple

from harness.schemas.model import Schema
from harness.strategies import register
from harness.strategies._from_schema import FUNCTIONS, FromSchema, Functions
from harness.strategies._kernel import local_kernel, open_map_kernel


def build_floor_access(schema: Schema) -> Functions:
    """Infos as tuples of the values of ``schema.access``, parts as their decoded data."""
    fields = schema.access_fields()
    position = {key: index for index, key in enumerate(fields)}
    loads = json.loads

    def info(row: Tuple) -> Tuple[Any, ...]:
        return tuple(map(loads(row[-1]).get, fields))

    def part(row: Tuple) -> Dict[str, Any]:
        return loads(row[-1])

    def field(obj: Any, key: str) -> Any:
        if isinstance(obj, tuple):
            return obj[position[key]] if key in position else None
        return obj.get(key)

    def to_dict(obj: Any) -> Dict[str, Any]:
        return dict(zip(fields, obj)) if isinstance(obj, tuple) else dict(obj)

    return {"info": info, "part": part, "field": field, "to_dict": to_dict, "access": local_kernel(schema)}


@register
class FloorAccess(FromSchema):
    name = "floor-access"
    description = "control: the access loop's arithmetic on values already in a local tuple (the read-cost floor)"
    control = True
    schema_functions = FUNCTIONS + ("field",)
    open_map_access = staticmethod(open_map_kernel("items"))  # parts are plain decoded dicts
    schema_build = staticmethod(build_floor_access)
