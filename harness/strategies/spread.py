"""``spread``: opencode's code before PR #29029, ``{...row.data, id, sessionID}``.

A plain dict whose keys are the stored keys in stored order plus the ids, so its
key set and order vary with the optional keys each row carries. Nested values
stay the dicts ``json.loads`` made. Users lack assistant keys, so the access loop
reads optional keys with ``.get``, as code over such dicts must.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Sequence, Tuple

from harness.strategies import register
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

    @staticmethod
    def field(obj: Dict[str, Any], key: str) -> Any:
        return obj.get(key)

    @staticmethod
    def access(infos: Sequence[Dict[str, Any]], iterations: int) -> float:
        acc = 0.0
        for _ in range(iterations):
            for o in infos:
                acc += len(o["role"])
                cost = o.get("cost")
                if cost is not None:
                    acc += cost
                if o.get("summary"):
                    acc += 1
                if o.get("finish"):
                    acc += 1
                if o.get("error"):
                    acc += 1
                if o.get("variant"):
                    acc += 1
                if o.get("structured"):
                    acc += 1
        return acc
