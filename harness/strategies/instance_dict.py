"""``instance-dict``: a plain class (instance ``__dict__``, no slots) per role and per part type,
filled by ``setattr`` in the row's own stored key order, then the ids.

The Python analogue of the spread code: only keys of the role's / type's fixed list are set
(legacy keys dropped) and absent keys are not set at all, so attributes arrive in as many
orders and sets as the rows have. On CPython an instance whose attributes arrive in another
order than the class's shared keys loses key-sharing and gets a dict of its own; on PyPy
each order is another map. Nested values stay the dicts ``json.loads`` made; unknown part
types stay the spread dict. Any attribute may be missing, so the access loop reads all but
``role`` with ``getattr(o, "k", None)``. Needs only the standard library.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Tuple

from harness.schema import ACCESS_PROPERTIES, INFO_IDS, PART_IDS
from harness.strategies import register
from harness.strategies._classes import build_classes, to_dict
from harness.strategies._kernel import attribute_kernel, open_map_kernel
from harness.strategies.base import Strategy

_loads = json.loads
_infos, _parts = build_classes(lambda name, keys: type(name, (), {}))
# Per role / type: the class and the stored keys it takes (ids come from the columns, last).
_USER, _ASSISTANT = [(cls, frozenset(keys) - set(INFO_IDS)) for cls, keys in (_infos["user"], _infos["assistant"])]
_PARTS = {kind: (cls, frozenset(keys) - set(PART_IDS)) for kind, (cls, keys) in _parts.items()}
#: Every access property but ``role`` (always stored) may be unset on an instance.
_MAYBE_UNSET = tuple(key for key in ACCESS_PROPERTIES if key != "role")


def _filled(cls: type, keys: frozenset, values: Dict[str, Any]) -> Any:
    obj = cls()
    for key, value in values.items():
        if key in keys:
            setattr(obj, key, value)
    return obj


@register
class InstanceDict(Strategy):
    name = "instance-dict"
    description = "plain class per role / part type, attributes set in each row's stored key order"

    @staticmethod
    def info(row: Tuple) -> Any:
        mid, session_id, _, _, data = row
        values = _loads(data)
        obj = _filled(*(_ASSISTANT if values.get("role") == "assistant" else _USER), values)
        obj.id = mid
        obj.sessionID = session_id
        return obj

    @staticmethod
    def part(row: Tuple) -> Any:
        pid, message_id, session_id, _, _, data = row
        values = _loads(data)
        kind = values.get("type")
        entry = _PARTS.get(kind) if isinstance(kind, str) else None  # a list or a dict cannot be a key
        if entry is None:  # unknown type: the spread dict, every stored key plus the ids
            return {**values, "id": pid, "sessionID": session_id, "messageID": message_id}
        obj = _filled(*entry, values)
        obj.id = pid
        obj.sessionID = session_id
        obj.messageID = message_id
        return obj

    to_dict = staticmethod(to_dict)
    access = staticmethod(attribute_kernel(_MAYBE_UNSET))
    open_map_access = staticmethod(open_map_kernel("attribute-item"))
