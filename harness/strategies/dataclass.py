"""``dataclass``: one plain ``@dataclass`` (with ``__dict__``) per role and per part type.

Fields are the schema's key list of the role / type, in that order, all positional without
defaults; absent optionals are ``None`` and legacy keys are dropped, so every instance sets the
same attributes in the same order (CPython key-sharing holds). Nested values stay the dicts
``json.loads`` made; unknown part types stay the spread dict. User infos lack the assistant
fields, so the access loop reads those with ``getattr(o, "k", None)``. Needs only the standard
library.
"""

from __future__ import annotations

from dataclasses import make_dataclass
from typing import Any, Tuple

from harness.strategies import register
from harness.strategies._classes import PerKindClasses, class_builder


def dataclass(name: str, attrs: Tuple[str, ...]) -> type:
    return make_dataclass(name, [(attr, Any) for attr in attrs])


@register
class Dataclass(PerKindClasses):
    name = "dataclass"
    description = "one @dataclass per role / part type (instance __dict__), absent optionals as None"
    schema_build = staticmethod(class_builder(dataclass, "dataclass"))
