"""``slots-lazy``: ``slots`` objects whose open maps stay JSON text until they are read.

The standard library's counterpart of ``msgspec-lazy`` (it runs on PyPy): one ``__slots__`` class
per role and per part type, fields in the fixed order, absent optionals ``None``, legacy keys dropped.
Every open map of ``harness.schema.OPEN_MAPS`` (``error``, ``structured``, ``tools``, part
``metadata``, retry ``error``, and the tool state's ``input`` / ``metadata`` / ``attachments`` and the
format's ``schema``, whose holders become small ``__slots__`` objects too) is kept as its own compact
JSON text in ``<key>_json``; ``o.<key>`` is a property that decodes it on every read (never stored
back). Other nested values stay the dicts ``json.loads`` made. The row is still decoded whole by
``json.loads`` and each open map re-encoded (``json.dumps``): laziness here saves objects, not
decoding. Still tracked by CPython's GC: every object (a class instance always is), ``tokens``
(it holds ``cache``), summaries with diffs, file sources; untracked: the open maps (strings).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Tuple

from harness.schema import INFO_KEYS, NESTED_KEYS, OPEN_MAPS, PART_KEYS
from harness.strategies import register
from harness.strategies._classes import PerKindClasses, class_name, hydrators, slots_class
from harness.strategies._from_schema import LAZY_SUFFIX, build_slots_lazy, compact_dumps, decoding_property
from harness.strategies._kernel import open_map_kernel

TEXT_SUFFIX = LAZY_SUFFIX


def lazy_class(kind: str, keys: Tuple[str, ...], suffix: str) -> Callable[..., Any]:
    """A ``__slots__`` class for ``keys`` (open maps stored as text), and ``build(*values)`` making
    one from the values of ``keys`` as decoded; nested objects of ``NESTED_KEYS`` get their own."""
    lazy = OPEN_MAPS.get(kind, ())
    stored = tuple(key + TEXT_SUFFIX if key in lazy else key for key in keys)
    cls = slots_class(class_name(kind, suffix), stored)
    for key in lazy:
        setattr(cls, key, decoding_property(key, TEXT_SUFFIX))
    cls._keys, cls._schema_keys = stored, keys  # type: ignore[attr-defined]
    namespace: Dict[str, Any] = {"cls": cls, "dumps": compact_dumps}
    arguments = []
    for key in keys:
        if key in lazy:
            arguments.append(f"(None if {key} is None else dumps({key}))")
        elif key in NESTED_KEYS:
            namespace[f"build_{key}"], namespace[f"keys_{key}"] = (
                lazy_class(key, NESTED_KEYS[key], ""),
                NESTED_KEYS[key],
            )
            arguments.append(f"(None if {key} is None else build_{key}(*map({key}.get, keys_{key})))")
        else:
            arguments.append(key)
    source = f"def build({', '.join(keys)}):\n    return cls({', '.join(arguments)})\n"
    exec(compile(source, f"<build {cls.__name__}>", "exec"), namespace)
    return namespace["build"]


_info, _part = hydrators(
    {role: (lazy_class(role, keys, "Info"), keys) for role, keys in INFO_KEYS.items()},
    {kind: (lazy_class(kind, keys, "Part"), keys) for kind, keys in PART_KEYS.items()},
)


def to_dict(obj: Any) -> Dict[str, Any]:
    """Plain JSON data, every open map decoded (an unknown-type part is its dict already)."""
    if isinstance(obj, dict):
        return dict(obj)
    found = {}
    for key in obj._schema_keys:
        value = getattr(obj, key)
        if value is not None:
            found[key] = to_dict(value) if hasattr(value, "_schema_keys") else value
    return found


@register
class SlotsLazy(PerKindClasses):
    name = "slots-lazy"
    description = "__slots__ objects whose open maps stay JSON text, decoded on read (standard library only)"

    info = staticmethod(_info)
    part = staticmethod(_part)
    to_dict = staticmethod(to_dict)
    open_map_access = staticmethod(open_map_kernel("attributes"))
    schema_build = staticmethod(build_slots_lazy)
