"""``spread``: opencode's code before PR #29029, ``{...row.data, id, sessionID}``.

A plain dict whose keys are the stored keys in stored order plus the ids, so its
key set and order vary with the optional keys each row carries. Nested values
stay the dicts ``json.loads`` made. Users lack assistant keys, so the access loop
reads optional keys with ``.get``, as code over such dicts must.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Tuple

from harness.schema import ACCESS_PROPERTIES
from harness.strategies import register
from harness.strategies._from_schema import build_spread
from harness.strategies._kernel import item_kernel, open_map_kernel
from harness.strategies.base import Strategy

_loads = json.loads


@register
class Spread(Strategy):
    name = "spread"
    description = "dict spread of the stored row plus ids (the pre-fix opencode code)"

    @staticmethod
    def info(row: Tuple) -> Dict[str, Any]:
        mid, session_id, _, _, data = row
        return {**_loads(data), "id": mid, "sessionID": session_id}

    @staticmethod
    def part(row: Tuple) -> Dict[str, Any]:
        pid, message_id, session_id, _, _, data = row
        return {**_loads(data), "id": pid, "sessionID": session_id, "messageID": message_id}

    @staticmethod
    def to_dict(obj: Dict[str, Any]) -> Dict[str, Any]:
        return dict(obj)

    field = staticmethod(dict.get)

    access = staticmethod(item_kernel(tuple(k for k in ACCESS_PROPERTIES if k != "role")))
    open_map_access = staticmethod(open_map_kernel("items"))
    schema_build = staticmethod(build_spread)
