"""``attrs``: one ``attrs.define`` class (slotted, the ``define`` default) per role / part type.

Fields are the ``harness.schema`` key list of the role / type, positional, no defaults or
validators; absent optionals are ``None`` and legacy keys are dropped. Nested values stay the
dicts ``json.loads`` made; unknown part types stay the spread dict. User infos lack the
assistant fields, so the access loop reads those with ``getattr(o, "k", None)``.
Needs ``attrs``; the classes are built on first use of ``info`` / ``part``, so the module
imports (and ``harness list`` reports it unavailable) without it.
"""

from __future__ import annotations

from typing import Callable, Dict, Tuple

from harness.strategies import register
from harness.strategies._classes import (
    Built,
    PerKindClasses,
    build_classes,
    hydrators,
)


def _build() -> Dict[str, Callable]:
    import attrs

    def define(name: str, keys: Tuple[str, ...]) -> type:
        return attrs.define(type(name, (), {key: attrs.field() for key in keys}))

    info, part = hydrators(*build_classes(define))
    return {"info": info, "part": part}


@register
class Attrs(PerKindClasses):
    name = "attrs"
    description = "one attrs.define (slotted) class per role / part type, absent optionals as None"
    requires = ("attrs",)

    info = Built(_build)
    part = Built(_build)
