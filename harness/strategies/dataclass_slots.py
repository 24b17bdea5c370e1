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
from harness.strategies._classes import PerKindClasses, class_builder


def slotted_dataclass(name: str, attrs: Tuple[str, ...]) -> type:
    return make_dataclass(name, [(attr, Any) for attr in attrs], namespace={"__slots__": attrs})


@register
class DataclassSlots(PerKindClasses):
    name = "dataclass-slots"
    description = "one slotted @dataclass per role / part type, absent optionals as None"
    schema_build = staticmethod(class_builder(slotted_dataclass, "dataclass-slots"))
