"""``namedtuple``: one ``collections.namedtuple`` per role and per part type.

Fields are the schema's key list of the role / type (absent optionals ``None``, legacy keys
dropped); objects are immutable tuples read by name (``o.role``). Nested values stay the dicts
``json.loads`` made; unknown part types stay the spread dict. User infos lack the assistant
fields, so the access loop reads those with ``getattr(o, "k", None)``. Needs only the standard
library.
"""

from __future__ import annotations

from collections import namedtuple

from harness.strategies import register
from harness.strategies._classes import PerKindClasses, class_builder


@register
class NamedTuple(PerKindClasses):
    name = "namedtuple"
    description = "one collections.namedtuple per role / part type, absent optionals as None"
    schema_build = staticmethod(class_builder(namedtuple, "namedtuple"))
