"""Python source for a schema's classes, to paste into an application: ``python_source(schema, style)``.

Styles:

- ``msgspec``: one ``msgspec.Struct`` per kind with ``gc=False`` (the objects form no reference
  cycles, so the cyclic GC never needs to track them), fields in the schema's order, optional ones
  defaulting to None (``omit_defaults``), a tagged union on the discriminator when the table has one
  (the tag readable as a class attribute), nested objects as Structs of their own (identical ones
  share a class), arrays as tuples, records as ``Dict[str, T]``, open values as ``Any``; plus
  ``<TABLE>_CLASSES`` (class per discriminator value), ``<TABLE>_OTHER`` and
  ``<table>_from_json(data)``. With a default kind, ``Other<Table>`` (the default kind's fields, the
  discriminator an ordinary field of any JSON value, kept decoded) takes rows of any other value — a
  string the union does not list, or no string at all (a number, null, a list, an object, none) — as
  ``<TABLE>_OTHER``; without one, such a value raises ``msgspec.ValidationError``. A field name
  holding ``\\``, ``"`` or a control character cannot be a msgspec field: ValueError.
- ``msgspec-lazy``: ``msgspec`` (``gc=False``) with every open value (records, ``any``) and every
  array (which msgspec would build as a tuple: tracked by the collector until its first collection,
  and allocations that set collections off) a ``msgspec.Raw`` field ``<attr>_raw`` holding its JSON
  undecoded, and a property ``<attr>`` that decodes it into its type on every read (keep the value
  when reading it repeatedly); decode rows with ``<table>_from_json`` (the Raw fields cannot be
  converted from decoded values).
- ``msgspec-lazy-memo``: ``msgspec-lazy`` whose properties decode on the first read and keep the value
  (``functools.cached_property``): a class holding a Raw field takes ``dict=True`` (which msgspec
  allows only with ``gc=True``) and the value lands in the instance ``__dict__``, so every later read
  is a plain attribute hit, no Python call. The ``__dict__`` is no field: ``__struct_fields__``,
  equality, encoding and ``to_builtins`` see the Raw only. Such a Struct is still untracked when built
  (msgspec leaves a ``gc=True`` Struct untracked when no field holds an object of a GC type) and no
  ``__dict__`` exists until a read. A class holding such a Struct (a tool part its state, a user its
  summary) would be tracked, so it stays ``gc=False`` and its own properties decode on each read. A
  memoised value is the same object on every read: mutating it mutates the memo (and not the Raw, so
  not what the object encodes to); ``del obj.<attr>`` drops it.
- ``slots``: one plain ``__slots__`` class per kind (the top level only: nested values stay the dicts
  ``json.loads`` makes, as the ``slots`` strategy measures them), with ``from_dict(d)``; absent
  optionals are None, keys outside the schema are dropped; ``<table>_from_dict(d)`` picks the class
  by the discriminator (an unlisted value, or one that is not a string, builds as the table's default
  kind, or stays the dict).

A field name that is not a Python identifier (or is a keyword, or starts with ``_``) gets an
attribute name of its own (``msgspec.field(name=...)`` keeps the JSON key; ``slots`` maps it).
The ids the store adds (``Table.ids``) are optional fields at the end. The same source is what
the harness executes to build these strategies for a non-built-in schema.

``<table>_from_json`` decodes any JSON ``json.loads`` decodes: text ``msgspec.json`` refuses — a
JSON-escaped lone surrogate, which ``JSON.stringify`` writes when a stream is cut inside an emoji —
is decoded by ``json.loads`` and converted (``_converted``; ``with_raw`` makes a lazy Struct's Raw
fields of the decoded values), and a lazy property reads such a value back with ``json.loads``.
"""

from __future__ import annotations

import inspect
import keyword
import re
from typing import Any, Dict, List, Optional, Tuple

from harness.schemas.model import Field, Kind, Schema, Table, Type

STYLES: Tuple[str, ...] = ("msgspec", "msgspec-lazy", "msgspec-lazy-memo", "slots")
#: The attribute a lazy Struct keeps an open value's undecoded JSON in (``<attr>_raw``).
RAW_SUFFIX = "_raw"
#: The Struct options every generated class takes.
_FLAGS = "kw_only=True, omit_defaults=True"
#: What msgspec refuses in a (renamed) field name.
_NOT_MSGSPEC = re.compile(r'["\\\x00-\x1f]')
_SCALAR_ANNOTATIONS = {"str": "str", "int": "int", "float": "float", "num": "Union[int, float]", "bool": "bool"}


def class_name(text: str, suffix: str = "") -> str:
    """``step-finish`` -> ``StepFinish`` + suffix; a name that would not be an identifier gets ``K``."""
    words = re.split(r"[^0-9A-Za-z]+", text)
    name = "".join(word[:1].upper() + word[1:] for word in words if word) + suffix
    return name if name and name.isidentifier() and not name[0].isdigit() else "K" + name


def attribute(name: str, taken: Optional[set] = None) -> str:
    """A Python attribute name for a JSON key: the key itself when it can be one."""
    safe = name if name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("_") else None
    if safe is None:
        safe = "f_" + re.sub(r"\W", "_", name).lstrip("_")
        if not safe.isidentifier():
            safe = "f_"
    taken = set() if taken is None else taken
    base, n = safe, 1
    while safe in taken:
        n += 1
        safe = f"{base}_{n}"
    taken.add(safe)
    return safe


def _optional(field: Field) -> bool:
    return not field.required or field.type.nullable


class _Msgspec:
    """Emits the Struct classes of one schema, nested ones first, identical ones once."""

    def __init__(self, gc: bool, lazy: bool = False, memo: bool = False) -> None:
        self.options = f"gc={gc}, {_FLAGS}"
        self.lazy = lazy
        #: Lazy properties keep their value: a class with one takes ``dict=True``, which msgspec
        #: allows only with ``gc=True`` (``memoised``: those classes), unless it holds such a class.
        self.memo = memo
        self.memoised: set = set()
        self.blocks: List[str] = []
        #: A lazy class's decoders of its Raw fields (after every class: they name nested ones).
        self.decoders: List[str] = []
        self.names: Dict[Type, str] = {}
        self.used: set = set()

    def unique(self, wanted: str) -> str:
        name, n = wanted, 1
        while name in self.used:
            n += 1
            name = f"{wanted}{n}"
        self.used.add(name)
        return name

    def annotation(self, kind: Type, name: str) -> str:
        if kind.kind in _SCALAR_ANNOTATIONS:
            return _SCALAR_ANNOTATIONS[kind.kind]
        if kind.kind == "null":
            return "None"
        if kind.kind == "union":
            options = [o for o in kind.options if o != "null"]
            inner = [_SCALAR_ANNOTATIONS[o] for o in options]
            text = inner[0] if len(inner) == 1 else f"Union[{', '.join(inner)}]"
            return f"Optional[{text}]" if "null" in kind.options else text
        if kind.kind == "object":
            return self.struct(kind, name)
        if kind.kind == "array":
            return f"Tuple[{self.annotation(kind.item, name)}, ...]"  # type: ignore[arg-type]
        if kind.kind == "record":
            return f"Dict[str, {self.annotation(kind.item, name + 'Value')}]"  # type: ignore[arg-type]
        return "Any"

    def struct(self, kind: Type, name: str) -> str:
        if kind in self.names:
            return self.names[kind]
        name = self.unique(class_name(name))
        self.names[kind] = name
        self.emit(name, kind.fields)
        return name

    def emit(
        self, name: str, fields: Tuple[Field, ...], tags: str = "", head: Tuple[str, ...] = (), decoded: str = ""
    ) -> None:
        """One class; ``tags``: its tag options; ``decoded``: a field kept decoded even when open values
        are Raw (the other-value class's discriminator, which the access loop reads and the union's
        classes hold as a string)."""
        taken: set = set()
        lines, properties = [*head], []
        for field in fields:
            if _NOT_MSGSPEC.search(field.name):
                raise ValueError(f"msgspec allows no '\\', '\"' or control character in a field name: {field.name!r}")
            attr = attribute(field.name, taken)
            hint = self.annotation(field.type, name + class_name(field.name))
            optional = _optional(field)
            if optional and not hint.startswith("Optional[") and hint not in ("Any", "None"):
                hint = f"Optional[{hint}]"
            if self.lazy and field.name != decoded and (field.type.open or field.type.kind == "array"):
                raw, decoder = attribute(attr + RAW_SUFFIX, taken), f"_{name}_{attr}"
                lines.append(f"    {raw}: msgspec.Raw = msgspec.field(default=None, name={field.name!r})")
                properties.append((attr, raw, decoder))
                self.decoders.append(
                    f"{decoder}_type = {hint}\n{decoder} = msgspec.json.Decoder({decoder}_type).decode\n"
                )
                continue
            renamed = f"name={field.name!r}" if attr != field.name else ""
            if optional:
                default = f"msgspec.field(default=None, {renamed})" if renamed else "None"
                lines.append(f"    {attr}: {hint} = {default}")
            else:
                lines.append(f"    {attr}: {hint}" + (f" = msgspec.field({renamed})" if renamed else ""))
        body = "\n".join(lines) or "    pass"
        holds_memo = any(self.names.get(field.type) in self.memoised for field in fields)  # would be tracked
        memo = self.memo and bool(properties) and not holds_memo
        if properties:
            decorator = "functools.cached_property" if memo else "property"
            body += "\n\n" + "\n\n".join(
                _LAZY_PROPERTY.format(decorator=decorator, attr=attr, raw=raw, decoder=decoder)
                for attr, raw, decoder in properties
            )
        if memo:
            self.memoised.add(name)
        options = f"{tags}gc=True, dict=True, {_FLAGS}" if memo else tags + self.options
        self.blocks.append(f"class {name}(msgspec.Struct, {options}):\n{body}\n")


def _kind_fields(table: Table, kind: Kind) -> Tuple[Field, ...]:
    return kind.fields + tuple(Field(key, Type("union", options=("str", "null")), False) for key in table.ids)


def _msgspec_source(schema: Schema, gc: bool = False, lazy: bool = False, memo: bool = False) -> str:
    emitter = _Msgspec(gc, lazy, memo)
    tails: List[str] = []
    for table_name, table in schema.tables.items():
        classes = []
        for kind in table.kinds:
            name = emitter.unique(class_name(kind.tag, class_name(table_name) if table.discriminator else ""))
            tags = ""
            head: Tuple[str, ...] = ()
            if table.discriminator:
                tags = f"tag_field={table.discriminator!r}, tag={kind.tag!r}, "
                head = (f"    {attribute(table.discriminator)}: ClassVar[str] = {kind.tag!r}",)
            emitter.emit(name, _kind_fields(table, kind), tags, head)
            classes.append((kind.tag, name))
        tails.append(_msgspec_table(emitter, table_name, table, classes))
    what = f"open values and arrays kept as msgspec.Raw JSON, decoded on {_READS[memo]}" if lazy else f"gc={gc}"
    header = (
        f"# msgspec Structs for the schema {schema.name!r} ({what}).\n\n"
        f"{'import functools' + chr(10) if lazy else ''}import json\n"
        "from typing import Any, ClassVar, Dict, Optional, Tuple, Union\n\nimport msgspec\n"
    )
    converted = _CONVERTED.format(values="with_raw(values, _type_info(target))" if lazy else "values")
    helpers = [inspect.getsource(with_raw), _TYPE_INFO, converted] if lazy else [converted]
    return "\n\n".join([header, *emitter.blocks, *emitter.decoders, *helpers, *tails])


#: When a lazy property decodes, without and with a memo.
_READS = {
    False: "each read",
    True: "the first read and kept in the instance __dict__ of a dict=True class; a class holding such a"
    " class stays gc=False (dict=True would have it tracked) and decodes on each read",
}
#: A target's type information, inspected once (inspecting a union per row made garbage cycles).
_TYPE_INFO = """import msgspec.inspect

_type_info = functools.lru_cache(maxsize=None)(msgspec.inspect.type_info)
"""
#: Decodes what ``msgspec.json`` refuses; ``values``: how the decoded row is made ready for a target.
_CONVERTED = '''def _converted(data, *targets):
    """The row's JSON decoded by ``json.loads`` and converted into the first of ``targets`` that
    takes it: for JSON ``msgspec.json`` does not decode, a lone surrogate escaped (``JSON.stringify``
    writes one when a stream is cut inside an emoji)."""
    values = json.loads(data)
    for target in targets[:-1]:
        try:
            return msgspec.convert({values}, target)
        except msgspec.ValidationError:
            pass
    target = targets[-1]
    return msgspec.convert({values}, target)
'''
#: A lazy Struct's property (``@property``: decoded on each read; ``@functools.cached_property``: on
#: the first, then kept): the value decoded from its JSON into its type; JSON ``msgspec.json`` does
#: not decode (a lone surrogate) is decoded by ``json.loads`` and converted (a value of another type
#: raises the validation error again).
_LAZY_PROPERTY = """    @{decorator}
    def {attr}(self):
        raw = self.{raw}
        if raw is None:
            return None
        try:
            return {decoder}(raw)
        except msgspec.DecodeError:
            return msgspec.convert(json.loads(bytes(raw)), {decoder}_type)"""
#: ``<table>_from_json`` of a table without a default kind, then with one (``{other}``).
_FROM_JSON = """_{table}_decode = msgspec.json.Decoder({alias}).decode


def {table}_from_json(data):
    try:
        return _{table}_decode(data)
    except msgspec.ValidationError:
        raise
    except msgspec.DecodeError:  # a lone surrogate: see _converted
        return _converted(data, {alias})
"""
_FROM_JSON_OR_DICT = """_{table}_decode = msgspec.json.Decoder({alias}).decode


def {table}_from_json(data):
    try:
        return _{table}_decode(data)
    except msgspec.ValidationError:  # of no kind listed: it stays the dict it is
        row = json.loads(data)
        if isinstance(row, dict) and not (isinstance(row.get({tag!r}), str) and row[{tag!r}] in {upper}_CLASSES):
            return row
        raise
    except msgspec.DecodeError:  # a lone surrogate: see _converted
        return _converted(data, {alias})
"""
_FROM_JSON_OR_OTHER = """_{table}_union = msgspec.json.Decoder({alias}).decode
_{table}_other = msgspec.json.Decoder({other}).decode


def {table}_from_json(data):
    try:
        return _{table}_union(data)
    except msgspec.ValidationError:  # of no kind listed: the class for other values
        pass
    except msgspec.DecodeError:  # a lone surrogate: see _converted
        return _converted(data, {alias}, {other})
    try:
        return _{table}_other(data)
    except msgspec.ValidationError:
        raise
    except msgspec.DecodeError:
        return _converted(data, {other})
"""


def with_raw(value: Any, kind: Any) -> Any:
    """``value`` as ``json.loads`` decodes it, ready for ``msgspec.convert`` into ``kind`` (a type, or
    its ``msgspec.inspect.type_info``): each value at a ``msgspec.Raw`` place becomes a Raw of its
    JSON text, which ``convert`` does not make of a decoded value."""
    import json

    import msgspec.inspect

    types = msgspec.inspect
    if not isinstance(kind, types.Type):
        kind = types.type_info(kind)
    if isinstance(kind, types.RawType):
        return msgspec.Raw(json.dumps(value).encode())
    if isinstance(kind, types.UnionType) and isinstance(value, dict):
        structs = [option for option in kind.types if isinstance(option, types.StructType)]
        tagged = [option for option in structs if option.tag_field and value.get(option.tag_field) == option.tag]
        return with_raw(value, (tagged or structs)[0]) if structs else value
    if isinstance(kind, types.StructType) and isinstance(value, dict):
        found = dict(value)
        for field in kind.fields:
            if field.encode_name in found:
                found[field.encode_name] = with_raw(found[field.encode_name], field.type)
        return found
    if isinstance(kind, (types.VarTupleType, types.ListType)) and isinstance(value, list):
        return [with_raw(item, kind.item_type) for item in value]
    if isinstance(kind, types.DictType) and isinstance(value, dict):
        return {key: with_raw(item, kind.value_type) for key, item in value.items()}
    return value


def _msgspec_table(emitter: _Msgspec, table_name: str, table: Table, classes: List[Tuple[str, str]]) -> str:
    """The union, the class per discriminator value, the class for other values and the decoder."""
    upper, alias = table_name.upper(), class_name(table_name) + ("Union" if table.discriminator else "Type")
    names = [name for _, name in classes]
    target = f"Union[{', '.join(names)}]" if len(names) > 1 else names[0]
    pairs = ", ".join(f"{tag!r}: {name}" for tag, name in classes)
    default = table.kind(table.default) if table.default and table.discriminator else None
    if default is None:
        head = f"{alias} = {target}\n{upper}_CLASSES = {{{pairs}}}\n{upper}_OTHER = None\n"
        if table.discriminator:  # rows of another kind stay dicts, as in every strategy
            return head + _FROM_JSON_OR_DICT.format(table=table_name, alias=alias, tag=table.discriminator, upper=upper)
        return head + _FROM_JSON.format(table=table_name, alias=alias)
    other = emitter.unique("Other" + class_name(table_name))
    tag = Field(table.discriminator, Type("any"), False)  # type: ignore[arg-type]
    emitter.emit(other, (tag,) + _kind_fields(table, default), decoded=tag.name)
    return (
        f"{alias} = {target}\n{upper}_CLASSES = {{{pairs}}}\n"
        f"#: Rows of any other {table.discriminator!r} build as {table.default!r}, keeping their own value.\n"
        f"{upper}_OTHER = {other}\n"
    ) + _FROM_JSON_OR_OTHER.format(table=table_name, alias=alias, other=other)


def _slots_class(name: str, keys: Tuple[str, ...]) -> str:
    taken: set = set()
    attrs = [attribute(key, taken) for key in keys]
    init = "".join(f"\n        self.{attr} = {attr}" for attr in attrs) or "\n        pass"
    reads = ", ".join(f"get({key!r})" for key in keys)
    return (
        f"class {name}:\n"
        f"    __slots__ = ({''.join(repr(attr) + ', ' for attr in attrs)})\n"
        f"    _keys = ({''.join(repr(key) + ', ' for key in keys)})\n\n"
        f"    def __init__(self, {', '.join(attrs)}):{init}\n\n"
        f"    @classmethod\n"
        f"    def from_dict(cls, d):\n"
        f"        get = d.get\n"
        f"        return cls({reads})\n"
    )


def _slots_source(schema: Schema) -> str:
    blocks = [f"# __slots__ classes for the schema {schema.name!r}, one per kind; nested values stay dicts.\n"]
    used: set = set()
    for table_name, table in schema.tables.items():
        mapping = []
        for kind in table.kinds:
            name = class_name(kind.tag, class_name(table_name) if table.discriminator else "")
            while name in used:
                name += "_"
            used.add(name)
            blocks.append(_slots_class(name, table.keys(kind)))
            mapping.append((kind.tag, name))
        upper = table_name.upper()
        if table.discriminator:
            default = dict(mapping).get(table.default) if table.default else None
            pairs = ", ".join(f"{tag!r}: {name}" for tag, name in mapping)
            fallback = f"{default}.from_dict(d)" if default else "d"
            blocks.append(
                f"{upper}_CLASSES = {{{pairs}}}\n\n\n"
                f"def {table_name}_from_dict(d):\n"
                f"    tag = d.get({table.discriminator!r})\n"
                f"    cls = {upper}_CLASSES.get(tag) if isinstance(tag, str) else None\n"
                f"    return {fallback} if cls is None else cls.from_dict(d)\n"
            )
        else:
            blocks.append(f"def {table_name}_from_dict(d):\n    return {mapping[0][1]}.from_dict(d)\n")
    return "\n\n".join(blocks)


def python_source(schema: Schema, style: str, gc: bool = False) -> str:
    """The classes of ``schema`` in ``style`` (``STYLES``) as Python source; ``gc``: the msgspec Structs'
    ``gc`` option (False unless measuring the tracked variant; the lazy styles set their own)."""
    if style == "msgspec":
        return _msgspec_source(schema, gc)
    if style in ("msgspec-lazy", "msgspec-lazy-memo"):
        return _msgspec_source(schema, gc=False, lazy=True, memo=style == "msgspec-lazy-memo")
    if style == "slots":
        return _slots_source(schema)
    raise ValueError(f"unknown code style {style!r}; choose from {', '.join(STYLES)}")
