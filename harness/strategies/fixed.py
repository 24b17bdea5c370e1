"""``fixed``: opencode's fix in PR #29029, one fixed key list per role / part type.

A plain dict with every key of its discriminator's list (``harness.schema``), in
that order; absent optionals are present as ``None`` and keys outside the list
(legacy ones) are dropped. Nested values stay the dicts ``json.loads`` made. All
keys of its role exist, so the access loop subscripts ``role`` and ``summary``; user infos
have no assistant keys, so those are read with ``.get``.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Tuple

from harness.schema import info_keys, part_keys
from harness.strategies import register
from harness.strategies._from_schema import build_fixed
from harness.strategies._kernel import ASSISTANT_ONLY, item_kernel, open_map_kernel
from harness.strategies.base import Strategy

_loads = json.loads


@register
class Fixed(Strategy):
    name = "fixed"
    description = "dict with a fixed key list per role / part type, absent optionals as None"

    @staticmethod
    def info(row: Tuple) -> Dict[str, Any]:
        mid, session_id, _, _, data = row
        values = _loads(data)
        values["id"] = mid
        values["sessionID"] = session_id
        get = values.get
        return {key: get(key) for key in info_keys(get("role"))}

    @staticmethod
    def part(row: Tuple) -> Dict[str, Any]:
        pid, message_id, session_id, _, _, data = row
        values = _loads(data)
        keys = part_keys(values.get("type"), values)
        values["id"] = pid
        values["sessionID"] = session_id
        values["messageID"] = message_id
        get = values.get
        return {key: get(key) for key in keys}

    @staticmethod
    def to_dict(obj: Dict[str, Any]) -> Dict[str, Any]:
        return {key: value for key, value in obj.items() if value is not None}

    field = staticmethod(dict.get)

    access = staticmethod(item_kernel(ASSISTANT_ONLY))
    open_map_access = staticmethod(open_map_kernel("items"))
    schema_build = staticmethod(build_fixed)
