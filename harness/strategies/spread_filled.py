"""``spread-filled``: a control for key order alone — the spread dict with the fixed keys filled in.

``{**data, id, sessionID}`` in the stored order, then every key of the role's / type's fixed list
that the row lacks, as ``None``. Key *sets* are as stable as ``fixed``'s (legacy keys aside) while
key *orders* vary as ``spread``'s do, and the access loop reads exactly as ``fixed``'s does, so
``spread-filled`` against ``fixed`` isolates what key order costs a dict. Nested values stay dicts.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Tuple

from harness.schema import info_keys, part_keys
from harness.strategies import register
from harness.strategies.fixed import Fixed

_loads = json.loads


@register
class SpreadFilled(Fixed):
    name = "spread-filled"
    description = "spread dict in stored key order, missing fixed keys added as None (key-order control)"

    @staticmethod
    def info(row: Tuple) -> Dict[str, Any]:
        mid, session_id, _, _, data = row
        values = {**_loads(data), "id": mid, "sessionID": session_id}
        for key in info_keys(values.get("role")):
            values.setdefault(key, None)
        return values

    @staticmethod
    def part(row: Tuple) -> Dict[str, Any]:
        pid, message_id, session_id, _, _, data = row
        values = _loads(data)
        keys = part_keys(values.get("type"), values)
        values.update(id=pid, sessionID=session_id, messageID=message_id)
        for key in keys:
            values.setdefault(key, None)
        return values
