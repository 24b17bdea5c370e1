"""The class-based strategies built from a schema (not a strategy: the registry skips ``_`` modules).

``class_builder(make)``: one class per kind, ``make(name, attributes)`` being the strategy's own
factory (``slots_class``, a dataclass, a namedtuple, ...), each called positionally with the values
of its kind's keys (``Table.keys``: discriminator, fields, ids; absent keys as None, keys outside the
kind dropped). Each class gets ``_keys`` (JSON keys) and ``_attrs`` (their attribute names). Nested
values stay the dicts ``json.loads`` made. The access loop reads ``o.k`` where every kind has the
field and ``getattr(o, "k", None)`` where some lack it.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Sequence, Tuple

from harness.schemas.codegen import attribute, class_name
from harness.schemas.model import Kind, Schema, Table
from harness.schemas.opencode import OPENCODE
from harness.strategies._from_schema import (
    Builder,
    Built,
    FromSchema,
    Functions,
    everywhere,
    hydrator,
    keys_of,
    kind_entries,
    table_hydrators,
)
from harness.strategies._kernel import access_kernel, open_map_kernel

#: ``Built`` is here too, for the class strategies that build their own hydrators (``pydantic``).
__all__ = [
    "Built",
    "PerKindClasses",
    "attributes",
    "class_builder",
    "class_reads",
    "class_to_dict",
    "kind_classes",
    "made",
    "positional",
    "slots_class",
]

#: A class per kind: ``make(class name, attribute names)``.
Make = Callable[[str, Tuple[str, ...]], type]
#: (constructor, keys): the constructor takes the values of ``keys`` positionally; a key of None is
#: never in a decoded row (JSON keys are strings), so its value is always None.
Entry = Tuple[Callable[..., Any], Tuple[Any, ...]]

#: The class of the row's kind (``{entry}``), built from the values of its keys.
POSITIONAL = """{decode}
    {entry}
    make, keys = entry
    return make(*map(values.get, keys))"""


def attributes(keys: Sequence[str]) -> Tuple[str, ...]:
    """Distinct attribute names for the JSON keys of one object."""
    taken: set = set()
    return tuple(attribute(key, taken) for key in keys)


def made(make: Make, name: str, keys: Tuple[str, ...]) -> type:
    """``make(name, attributes of keys)``, the class remembering both (``_keys``, ``_attrs``)."""
    attrs = attributes(keys)
    cls = make(name, attrs)
    cls._keys, cls._attrs = keys, attrs  # type: ignore[attr-defined]
    return cls


def kind_classes(table: Table, name: str, make: Make) -> Dict[str, Any]:
    """``kinds`` and ``default`` of a table with one class per kind (``step-finish`` of the part
    table: ``StepFinishPart``), as ``(class, keys)`` entries."""

    def entry(kind: Kind) -> Entry:
        keys = keys_of(table, kind)
        return made(make, class_name(kind.tag, class_name(name)), keys), keys

    return kind_entries(table, entry)


def positional(schema: Schema, name: str, entries: Dict[str, Any], label: str) -> Callable:
    """The hydrator building the ``(constructor, keys)`` entries positionally."""
    return hydrator(schema, name, POSITIONAL, label, **entries)


def class_builder(make: Make, label: str) -> Builder:
    """The builder of a strategy with one class per kind made by ``make``."""

    def build(schema: Schema) -> Functions:
        def hydrate(table: Table, name: str) -> Callable:
            return positional(schema, name, kind_classes(table, name, make), label)

        return {**table_hydrators(schema, hydrate), **class_reads(schema)}

    return build


def class_reads(schema: Schema) -> Functions:
    """``to_dict`` and ``access`` of objects of one class per kind."""
    return {"to_dict": class_to_dict, "access": access_kernel(schema, "attributes", everywhere(schema.message))}


def slots_class(name: str, attrs: Sequence[str]) -> type:
    """A ``__slots__`` class whose ``__init__`` takes ``attrs`` positionally."""
    namespace: Dict[str, Any] = {}
    body = "".join(f"\n    self.{attr} = {attr}" for attr in attrs) or "\n    pass"
    exec(compile(f"def __init__(self, {', '.join(attrs)}):{body}", f"<{name}.__init__>", "exec"), namespace)
    return type(name, (), {"__slots__": tuple(attrs), "__init__": namespace["__init__"]})


def class_to_dict(obj: Any) -> Dict[str, Any]:
    """Plain JSON data of an object of generated classes (None or unset = absent; a nested object of
    generated classes as its own data), or a copy of a dict."""
    if isinstance(obj, dict):
        return dict(obj)
    found = {}
    for key, attr in zip(obj._keys, obj._attrs):
        value = getattr(obj, attr, None)
        if value is not None:
            found[key] = class_to_dict(value) if hasattr(value, "_attrs") else value
    return found


class PerKindClasses(FromSchema):
    """Base of the strategies with one class per role and per part type: plain-data ``to_dict``, the
    access loop reading the properties some roles lack with ``getattr``, a tool part's state a dict."""

    to_dict = staticmethod(class_to_dict)
    access = staticmethod(class_reads(OPENCODE)["access"])
    open_map_access = staticmethod(open_map_kernel("attribute-item"))
