"""Strategies built from a schema object (not a strategy: the registry skips ``_`` modules).

The strategy modules build their functions at import from the built-in schema (opencode's). For any
other schema, a strategy that sets ``schema_build`` to one of the builders here is specialised on
demand (``harness.strategies.get(name, schema)``): the builder returns the strategy's functions for
that schema. Common to all of them:

- a row's kind is the one its discriminator value names; any other value (or none, or one that is
  not a string: a number, null, a list, an object) builds as the table's ``default`` kind; with no
  default, such a message row is an error naming the row (the access loop reads every info), such a
  part row stays its dict;
- a row the msgspec classes refuse (a required field missing, a value of another type) is an error
  naming the row too; both are ``SchemaMismatch``, one line where the harness reports it;
- the ids of ``Table.ids`` are added from the row's columns (id, session id, a part's message id);
- the access loop reads ``Schema.access`` in the strategy's syntax: a field every kind has is read
  directly (``o.k`` / ``o["k"]``), any other with a default (``getattr(o, "k", None)`` /
  ``o.get("k")``); ``len`` and ``add`` skip None, ``truth`` adds 1 when truthy;
- field names that are not Python identifiers get attribute names (``codegen.attribute``).

The classes of ``slots`` and ``msgspec`` are those ``harness.schemas.codegen`` prints for the schema
(executed here), so the code ``harness advise`` hands out is the code that was measured.
"""

from __future__ import annotations

import json
from dataclasses import make_dataclass
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

from harness.schemas.codec import SchemaMismatch
from harness.schemas.codegen import attribute, class_name, python_source
from harness.schemas.model import Kind, Schema, Table
from harness.strategies._classes import slots_class
from harness.strategies._kernel import _compile

#: Row columns holding a table's ids, in ``Table.ids`` order: the row id, its session id, a part's
#: message id.
ID_COLUMNS: Dict[str, Tuple[int, ...]] = {"message": (0, 1), "part": (0, 2, 1)}
Functions = Dict[str, Callable[..., Any]]
Builder = Callable[[Schema], Functions]
_loads = json.loads


def decoder(table: Table, name: str) -> Callable[[Tuple], Dict[str, Any]]:
    """``values(row)``: the row's JSON decoded, the table's ids added."""
    pairs = tuple(zip(table.ids, ID_COLUMNS[name]))

    def values(row: Tuple) -> Dict[str, Any]:
        found = _loads(row[-1])
        for key, column in pairs:
            found[key] = row[column]
        return found

    return values


def chooser(table: Table) -> Callable[[Dict[str, Any]], Optional[Kind]]:
    """``kind(values)``: the kind a decoded row builds as, or None."""
    if table.discriminator is None:
        only = table.kinds[0]
        return lambda values: only
    by_tag = {kind.tag: kind for kind in table.kinds}
    default, key = table.kind(table.default) if table.default else None, table.discriminator

    def kind(values: Dict[str, Any]) -> Optional[Kind]:
        tag = values.get(key)
        return by_tag.get(tag, default) if isinstance(tag, str) else default

    return kind


def unknown(schema: Schema, name: str, values: Dict[str, Any], row: Tuple) -> Any:
    """What a row of no kind builds as: its dict for a part, ``SchemaMismatch`` for a message."""
    if name == "part":
        return values
    key = schema.tables[name].discriminator or ""
    raise SchemaMismatch(
        schema.name, row[0], f"{key} {values.get(key)!r} is not one of its kinds, and it has no default kind"
    )


def table_hydrators(schema: Schema, build: Callable[[Table, str], Callable[[Tuple], Any]]) -> Functions:
    """``info`` and ``part`` from ``build(table, name)``; a schema without parts has no part builder."""
    functions = {"info": build(schema.message, "message"), "part": _no_parts}
    if schema.part is not None:
        functions["part"] = build(schema.part, "part")
    return functions


def _no_parts(row: Tuple) -> Any:
    raise ValueError("this schema has no part table; its datasets store no parts")


def everywhere(table: Table, key: str) -> bool:
    """Whether every object of the table has ``key`` (every kind lists it, or it is the discriminator)."""
    return all(key in table.keys(kind) for kind in table.kinds)


def access_kernel(schema: Schema, read: Callable[[str, bool], str]) -> Callable[[Sequence[Any], int], float]:
    """The access loop over ``schema.access``; ``read(key, direct)`` writes one read of ``o``."""
    lines = []
    for access in schema.access:
        value = read(access.field, everywhere(schema.message, access.field))
        if access.operation == "truth":
            lines.append(f"            if {value}:\n                acc += 1")
        else:
            added = "len(v)" if access.operation == "len" else "v"
            lines.append(f"            v = {value}\n            if v is not None:\n                acc += {added}")
    body = "\n".join(lines) or "            pass"
    source = (
        "def access(infos, iterations):\n    acc = 0.0\n    for _ in range(iterations):\n"
        f"        for o in infos:\n{body}\n    return acc\n"
    )
    return _compile(source, f"schema {schema.name}")


def item_read(key: str, direct: bool) -> str:
    return f"o[{key!r}]" if direct else f"o.get({key!r})"


def attribute_read(key: str, direct: bool) -> str:
    name = attribute(key)
    return f"o.{name}" if direct else f"getattr(o, {name!r}, None)"


def _without_none(obj: Dict[str, Any]) -> Dict[str, Any]:
    return {key: value for key, value in obj.items() if value is not None}


# -- dicts ---------------------------------------------------------------------------------------


def build_spread(schema: Schema) -> Functions:
    """The stored keys in stored order plus the ids: nothing of the schema but the ids and reads."""
    functions = table_hydrators(schema, decoder)
    functions["to_dict"] = dict
    functions["access"] = access_kernel(schema, lambda key, direct: item_read(key, False))
    return functions


def build_fixed(schema: Schema) -> Functions:
    """A dict with the keys of the row's kind in their fixed order, absent ones None, others dropped."""

    def build(table: Table, name: str) -> Callable[[Tuple], Any]:
        values_of, kind_of = decoder(table, name), chooser(table)
        keys = {kind.tag: table.keys(kind) for kind in table.kinds}

        def fixed(row: Tuple) -> Any:
            values = values_of(row)
            kind = kind_of(values)
            if kind is None:
                return unknown(schema, name, values, row)
            get = values.get
            return {key: get(key) for key in keys[kind.tag]}

        return fixed

    functions = table_hydrators(schema, build)
    functions["to_dict"] = _without_none
    functions["access"] = access_kernel(schema, item_read)
    return functions


# -- classes -------------------------------------------------------------------------------------


def class_hydrators(schema: Schema, make: Callable[[str, Tuple[str, ...]], type]) -> Functions:
    """``info`` / ``part`` building one class per kind, ``make(name, attributes)`` called positionally
    with the kind's keys' values; each class gets ``_keys`` (JSON keys) and ``_attrs``."""

    def build(table: Table, name: str) -> Callable[[Tuple], Any]:
        values_of, kind_of = decoder(table, name), chooser(table)
        classes = {}
        for kind in table.kinds:
            keys = table.keys(kind)
            taken: set = set()
            attrs = tuple(attribute(key, taken) for key in keys)
            cls = make(class_name(kind.tag, class_name(name)), attrs)
            cls._keys, cls._attrs = keys, attrs  # type: ignore[attr-defined]
            classes[kind.tag] = (cls, keys)

        def hydrate(row: Tuple) -> Any:
            values = values_of(row)
            kind = kind_of(values)
            if kind is None:
                return unknown(schema, name, values, row)
            cls, keys = classes[kind.tag]
            return cls(*map(values.get, keys))

        return hydrate

    functions = table_hydrators(schema, build)
    functions["to_dict"] = class_to_dict
    functions["access"] = access_kernel(schema, attribute_read)
    return functions


def class_to_dict(obj: Any) -> Dict[str, Any]:
    """Plain data of an object of ``class_hydrators`` (None = absent), or a copy of a dict."""
    if isinstance(obj, dict):
        return dict(obj)
    pairs = ((key, getattr(obj, attr)) for key, attr in zip(obj._keys, obj._attrs))
    return {key: value for key, value in pairs if value is not None}


def build_slots(schema: Schema) -> Functions:
    """One ``__slots__`` class per kind (the classes ``codegen``'s ``slots`` style prints)."""
    return class_hydrators(schema, slots_class)


def build_dataclass(schema: Schema) -> Functions:
    """One plain ``@dataclass`` per kind, every field positional."""
    return class_hydrators(schema, lambda name, attrs: make_dataclass(name, [(attr, Any) for attr in attrs]))


# -- msgspec -------------------------------------------------------------------------------------


def _msgspec_namespace(schema: Schema, style: str, gc: bool) -> Dict[str, Any]:
    """The names the generated msgspec source defines, executed (no ``__future__`` flags inherited,
    so msgspec sees real annotations)."""
    namespace: Dict[str, Any] = {}
    source = python_source(schema, style, gc=gc)
    exec(compile(source, f"<{style} classes of {schema.name}>", "exec", dont_inherit=True), namespace)
    return namespace


def msgspec_builder(gc: bool) -> Builder:
    """The Structs ``codegen`` prints for the schema (with ``gc``), built by ``msgspec.convert`` from
    the decoded row with its ids: the class its discriminator names, else the table's other-value
    class (``<TABLE>_OTHER``); a row that class refuses is a ``SchemaMismatch``."""

    def build_msgspec(schema: Schema) -> Functions:
        import msgspec

        namespace = _msgspec_namespace(schema, "msgspec", gc)
        convert, invalid = msgspec.convert, msgspec.ValidationError

        def build(table: Table, name: str) -> Callable[[Tuple], Any]:
            values_of = decoder(table, name)
            classes, other = namespace[f"{name.upper()}_CLASSES"], namespace[f"{name.upper()}_OTHER"]
            key = table.discriminator
            if key is None:  # one kind, which every row builds as
                other = next(iter(classes.values()))

            def hydrate(row: Tuple) -> Any:
                values = values_of(row)
                tag = values.get(key)
                cls = classes.get(tag, other) if isinstance(tag, str) else other
                if cls is None:
                    return unknown(schema, name, values, row)
                try:
                    return convert(values, cls)
                except invalid as error:
                    raise SchemaMismatch(schema.name, row[0], str(error)) from None

            return hydrate

        functions = table_hydrators(schema, build)
        functions["to_dict"] = msgspec.to_builtins
        functions["access"] = access_kernel(schema, attribute_read)
        return functions

    return build_msgspec


def build_msgspec_lazy(schema: Schema) -> Functions:
    """The ``msgspec-lazy`` Structs ``codegen`` prints (``gc=False``, open values as ``msgspec.Raw``),
    decoded straight from the row's text by ``<table>_from_json``, the ids set afterwards. A row the
    classes refuse is what it is for the other strategies: a part of an unlisted kind its dict, any
    other a ``SchemaMismatch``."""
    import msgspec

    from harness.strategies._msgspec_types import lazy_to_dict

    namespace = _msgspec_namespace(schema, "msgspec-lazy", False)
    invalid = msgspec.ValidationError

    def build(table: Table, name: str) -> Callable[[Tuple], Any]:
        decode, values_of, kind_of = namespace[f"{name}_from_json"], decoder(table, name), chooser(table)
        pairs = tuple((attribute(key), column) for key, column in zip(table.ids, ID_COLUMNS[name]))

        def hydrate(row: Tuple) -> Any:
            try:
                obj = decode(row[-1])
            except invalid as error:
                values = values_of(row)
                if kind_of(values) is None:
                    return unknown(schema, name, values, row)
                raise SchemaMismatch(schema.name, row[0], str(error)) from None
            if type(obj) is dict:  # <table>_from_json keeps a part of an unlisted kind as its dict
                return unknown(schema, name, values_of(row), row)
            for attr, column in pairs:
                setattr(obj, attr, row[column])
            return obj

        return hydrate

    functions = table_hydrators(schema, build)
    functions["to_dict"] = lazy_to_dict
    functions["access"] = access_kernel(schema, attribute_read)
    return functions


# -- lazy ----------------------------------------------------------------------------------------

LAZY_SUFFIX = "_json"
compact_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def decoding_property(attr: str, suffix: str) -> property:
    """``obj.<attr>``: the JSON text in ``obj.<attr><suffix>`` decoded on every read (None when absent)."""
    namespace: Dict[str, Any] = {"loads": _loads}
    source = f"def {attr}(self):\n    text = self.{attr}{suffix}\n    return None if text is None else loads(text)\n"
    exec(compile(source, f"<lazy {attr}>", "exec"), namespace)
    return property(namespace[attr], doc=f"{attr}, decoded from its JSON text on each read")


def build_slots_lazy(schema: Schema) -> Functions:
    """``slots`` whose top-level open maps (records, ``any``) are kept as JSON text in
    ``<attr>_json``; ``o.<attr>`` decodes on every read."""

    def build(table: Table, name: str) -> Callable[[Tuple], Any]:
        values_of, kind_of = decoder(table, name), chooser(table)
        makers = {}
        for kind in table.kinds:
            keys = table.keys(kind)
            open_keys = {field.name for field in kind.fields if field.type.open}
            taken: set = set()
            attrs = tuple(attribute(key, taken) for key in keys)
            stored = tuple(attr + LAZY_SUFFIX if key in open_keys else attr for key, attr in zip(keys, attrs))
            cls = slots_class(class_name(kind.tag, class_name(name)), stored)
            for key, attr in zip(keys, attrs):
                if key in open_keys:
                    setattr(cls, attr, decoding_property(attr, LAZY_SUFFIX))
            cls._keys, cls._attrs = keys, attrs  # type: ignore[attr-defined]
            lazy = tuple(key in open_keys for key in keys)
            makers[kind.tag] = (cls, keys, lazy)

        def hydrate(row: Tuple) -> Any:
            values = values_of(row)
            kind = kind_of(values)
            if kind is None:
                return unknown(schema, name, values, row)
            cls, keys, lazy = makers[kind.tag]
            found = map(values.get, keys)
            return cls(*(_text(value) if is_lazy else value for value, is_lazy in zip(found, lazy)))

        return hydrate

    functions = table_hydrators(schema, build)
    functions["to_dict"] = class_to_dict
    functions["access"] = access_kernel(schema, attribute_read)
    return functions


def _text(value: Any) -> Optional[str]:
    return None if value is None else compact_dumps(value)
