"""``dataclass-slots``: one slotted ``@dataclass`` per role and per part type.

As ``dataclass`` (fixed key list per role / type, absent optionals ``None``, legacy keys
dropped, nested values the dicts ``json.loads`` made, unknown part types the spread dict,
``getattr(o, "k", None)`` for assistant-only keys), but without ``__dict__``. The classes
are built with ``__slots__`` in the class body and no field defaults, the same way on every
version: ``dataclass(slots=True)`` needs 3.10 and the measured side must run on 3.9 (PyPy).
Needs only the standard library.
"""

from __future__ import annotations

from dataclasses import make_dataclass
from typing import Any, Tuple

from harness.strategies import register
from harness.strategies._classes import PerKindClasses, build_classes, hydrators


def _slotted_dataclass(name: str, keys: Tuple[str, ...]) -> type:
    return make_dataclass(name, [(key, Any) for key in keys], namespace={"__slots__": keys})


_info, _part = hydrators(*build_classes(_slotted_dataclass))


@register
class DataclassSlots(PerKindClasses):
    name = "dataclass-slots"
    description = "one slotted @dataclass per role / part type, absent optionals as None"

    info = staticmethod(_info)
    part = staticmethod(_part)
