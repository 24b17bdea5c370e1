"""``floor-access``: a control, not a strategy — the access loop with nothing to read.

Its info is a tuple of the seven values the access loop reads (role, cost, summary, finish,
error, variant, structured; ``None`` where the row lacks one), decoded with ``json.loads``;
its access kernel (``harness.strategies._kernel.local_kernel``) unpacks each tuple into locals
and does the same additions as every strategy's kernel. Its ns per read is the floor of the
loop (iteration, ``len``, float additions, truth tests): a strategy's ns per read minus this
one's is what its reads cost, net of that arithmetic (the report plots the net figure). Parts
are the decoded data alone. Its objects do not carry the row's content (verify skips controls).
"""

from __future__ import annotations

import json
from typing import Any, Dict, Tuple

from harness.canonical import ROW_DATA
from harness.schema import ACCESS_PROPERTIES
from harness.strategies import register
from harness.strategies._kernel import local_kernel, open_map_kernel
from harness.strategies.base import Strategy

_POSITION = {key: index for index, key in enumerate(ACCESS_PROPERTIES)}


def _info(row: Tuple) -> Tuple[Any, ...]:
    data = json.loads(row[ROW_DATA])
    return tuple(data.get(key) for key in ACCESS_PROPERTIES)


def _part(row: Tuple) -> Dict[str, Any]:
    return json.loads(row[ROW_DATA])


def _field(obj: Any, key: str) -> Any:
    if isinstance(obj, tuple):
        return obj[_POSITION[key]] if key in _POSITION else None
    return obj.get(key)


@register
class FloorAccess(Strategy):
    name = "floor-access"
    description = "control: the access loop's arithmetic on values already in a local tuple (the read-cost floor)"
    control = True

    info = staticmethod(_info)
    part = staticmethod(_part)
    field = staticmethod(_field)
    access = staticmethod(local_kernel())
    open_map_access = staticmethod(open_map_kernel("items"))  # parts are plain decoded dicts

    @staticmethod
    def to_dict(obj: Any) -> Dict[str, Any]:
        return dict(zip(ACCESS_PROPERTIES, obj)) if isinstance(obj, tuple) else dict(obj)
