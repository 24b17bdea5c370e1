"""``slots``: one ``__slots__`` class per role and per part type (the schema's key lists).

Each object has exactly its role's / type's fields, in the fixed order; absent optionals
are ``None`` and legacy keys are dropped. Nested values (time, tokens, model, state, ...)
stay the dicts ``json.loads`` made; unknown part types stay the spread dict. User and
assistant infos are two classes and user infos have no assistant fields, so the access
loop reads ``o.role`` / ``o.summary`` and ``getattr(o, "k", None)`` for the assistant-only
keys: its read sites see two classes. The classes are those ``harness advise --code`` hands
out in its ``slots`` style. Needs nothing beyond the standard library.
"""

from __future__ import annotations

from harness.strategies import register
from harness.strategies._classes import PerKindClasses, class_builder, slots_class


@register
class Slots(PerKindClasses):
    name = "slots"
    description = "one __slots__ class per role / part type, absent optionals as None"
    schema_build = staticmethod(class_builder(slots_class, "slots"))
