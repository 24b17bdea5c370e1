"""``attrs``: one ``attrs.define`` class (slotted, the ``define`` default) per role / part type.

Fields are the schema's key list of the role / type, positional, no defaults or validators;
absent optionals are ``None`` and legacy keys are dropped. Nested values stay the dicts
``json.loads`` made; unknown part types stay the spread dict. User infos lack the assistant
fields, so the access loop reads those with ``getattr(o, "k", None)``. Needs ``attrs``; the
classes are built on first use of ``info`` / ``part``, so the module imports (and ``harness
list`` reports it unavailable) without it.
"""

from __future__ import annotations

from typing import Tuple

from harness.strategies import register
from harness.strategies._classes import PerKindClasses, class_builder


def define(name: str, attrs: Tuple[str, ...]) -> type:
    import attrs as package

    return package.define(type(name, (), {attr: package.field() for attr in attrs}))


@register
class Attrs(PerKindClasses):
    name = "attrs"
    description = "one attrs.define (slotted) class per role / part type, absent optionals as None"
    requires = ("attrs",)
    schema_build = staticmethod(class_builder(define, "attrs"))
