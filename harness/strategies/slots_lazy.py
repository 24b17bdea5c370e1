"""``slots-lazy``: ``slots`` objects whose open maps stay JSON text until they are read.

The standard library's counterpart of ``msgspec-lazy`` (it runs on PyPy): one ``__slots__`` class
per role and per part type, fields in the fixed order, absent optionals ``None``, legacy keys dropped.
Every open map of the schema (a record or ``any``: opencode's ``error``, ``structured``, ``tools``,
part ``metadata``, retry ``error``, and the tool state's ``input`` / ``metadata`` / ``attachments``
and the format's ``schema``, whose holders — nested objects holding an open map — become small
``__slots__`` objects too) is kept as its own compact JSON text in ``<attr>_json``; ``o.<attr>`` is
a property that decodes it on every read (never stored back). Other nested values stay the dicts
``json.loads`` made. The row is still decoded whole by ``json.loads`` and each open map re-encoded
(``json.dumps``): laziness here saves objects, not decoding. Still tracked by CPython's GC: every
object (a class instance always is), ``tokens`` (it holds ``cache``), summaries with diffs, file
sources; untracked: the open maps (strings).
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, Tuple

from harness.schemas.codegen import class_name
from harness.schemas.model import Field, Kind, Schema, Table, Type
from harness.strategies import register
from harness.strategies._classes import PerKindClasses, attributes, class_reads, positional, slots_class
from harness.strategies._from_schema import Functions, keys_of, kind_entries, table_hydrators
from harness.strategies._kernel import compiled, open_map_kernel

#: The attribute an open map's JSON text is kept in: ``<attr>_json``.
TEXT_SUFFIX = "_json"
compact_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def decoding_property(attr: str) -> property:
    """``obj.<attr>``: the JSON text in ``obj.<attr>_json`` decoded on every read (None when absent)."""
    source = f"def read(self):\n    text = self.{attr}{TEXT_SUFFIX}\n    return None if text is None else loads(text)\n"
    read = compiled(source, __file__, f"lazy {attr}", {"loads": json.loads}, "read")
    return property(read, doc=f"{attr}, decoded from its JSON text on each read")


def holds_open(kind: Type) -> bool:
    """Whether a value of this type is an object holding an open map (at any depth of objects)."""
    return kind.kind == "object" and any(field.type.open or holds_open(field.type) for field in kind.fields)


def lazy_class(name: str, keys: Tuple[str, ...], fields: Dict[str, Field]) -> Callable[..., Any]:
    """A ``__slots__`` class for ``keys`` (open maps stored as text), and ``build(*values)`` making one
    from the values of ``keys`` as decoded; a nested object holding an open map gets its own."""
    attrs = attributes(keys)
    kinds = {attr: fields[key].type for key, attr in zip(keys, attrs) if key in fields}
    cls = slots_class(name, tuple(attr + TEXT_SUFFIX if attr in kinds and kinds[attr].open else attr for attr in attrs))
    cls._keys, cls._attrs = keys, attrs  # type: ignore[attr-defined]
    namespace: Dict[str, Any] = {"_cls": cls, "_dumps": compact_dumps}
    arguments = []
    for attr in attrs:
        kind = kinds.get(attr)
        if kind is not None and kind.open:
            setattr(cls, attr, decoding_property(attr))
            arguments.append(f"(None if {attr} is None else _dumps({attr}))")
        elif kind is not None and holds_open(kind):
            nested = tuple(field.name for field in kind.fields)
            namespace[f"_build_{attr}"] = lazy_class(class_name(attr, name), nested, {f.name: f for f in kind.fields})
            namespace[f"_keys_{attr}"] = nested
            arguments.append(f"(None if {attr} is None else _build_{attr}(*map({attr}.get, _keys_{attr})))")
        else:
            arguments.append(attr)
    source = f"def build({', '.join(attrs)}):\n    return _cls({', '.join(arguments)})\n"
    return compiled(source, __file__, f"build {name}", namespace, "build")


def build_slots_lazy(schema: Schema) -> Functions:
    """``slots`` whose open maps, and the nested objects holding them, are kept as described above."""

    def hydrate(table: Table, name: str) -> Any:
        def entry(kind: Kind) -> Any:
            keys = keys_of(table, kind)
            return lazy_class(class_name(kind.tag, class_name(name)), keys, {f.name: f for f in kind.fields}), keys

        return positional(schema, name, kind_entries(table, entry), "slots-lazy")

    return {**table_hydrators(schema, hydrate), **class_reads(schema)}


@register
class SlotsLazy(PerKindClasses):
    name = "slots-lazy"
    description = "__slots__ objects whose open maps stay JSON text, decoded on read (standard library only)"
    open_map_access = staticmethod(open_map_kernel("attributes"))
    schema_build = staticmethod(build_slots_lazy)
