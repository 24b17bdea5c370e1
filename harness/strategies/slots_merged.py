"""``slots-merged``: one ``__slots__`` info class holding both roles' fields, one per part type.

The info class's fields are the assistant keys, then the user-only keys (format, model,
system, tools), then the ids; an info fills only its own role's keys (the others stay
``None``, legacy keys are dropped). Parts are the ``slots`` part classes. Nested values stay
the dicts ``json.loads`` made; unknown part types stay the spread dict. Every info has every
field, so the access loop reads ``o.cost`` etc. directly and its read sites see one class
(against ``slots``' two: which wins is a report finding). Needs only the standard library.
"""

from __future__ import annotations

from harness.schema import INFO_IDS, INFO_KEYS
from harness.strategies import register
from harness.strategies._classes import build_classes, hydrators, slots_class, to_dict
from harness.strategies._kernel import attribute_kernel, open_map_kernel
from harness.strategies.base import Strategy

#: Union of both roles' keys in a fixed order: assistant's, then user-only ones, then the ids.
MERGED_KEYS = (
    tuple(dict.fromkeys(key for role in ("assistant", "user") for key in INFO_KEYS[role] if key not in INFO_IDS))
    + INFO_IDS
)

_Info = slots_class("MessageInfo", MERGED_KEYS)
_Info._keys = MERGED_KEYS  # type: ignore[attr-defined]
# Per role, the keys to read from a row; None (never a JSON key) where the role has no such key.
_infos = {role: (_Info, tuple(key if key in INFO_KEYS[role] else None for key in MERGED_KEYS)) for role in INFO_KEYS}
_info, _part = hydrators(_infos, build_classes(slots_class)[1])


@register
class SlotsMerged(Strategy):
    name = "slots-merged"
    description = "one __slots__ info class with both roles' fields, one __slots__ class per part type"

    info = staticmethod(_info)
    part = staticmethod(_part)
    to_dict = staticmethod(to_dict)
    access = staticmethod(attribute_kernel())
    open_map_access = staticmethod(open_map_kernel("attribute-item"))
