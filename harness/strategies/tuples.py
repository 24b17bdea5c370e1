"""``tuples``: every object one flat, exact ``tuple`` of atoms, which CPython's collector lets go of.

The standard library's answer to the GC cost of a rebuild (``slots-lazy`` is not one: an instance of
a Python class is always tracked). One tuple per row, its positions fixed per kind (``Layout``): the
discriminator, then — in the message table — the access loop's fields at the same positions in every
kind (None where a kind lacks one), then the kind's other fields in schema order, the ids, and last
the kind's number (a small int: what ``to_dict``, ``field`` and ``shape`` find the layout by).
Nothing nests. A nested object of fixed schema is flattened into its row: a marker position (None:
absent; ``True`` / ``False``: an object holding only its fields, non-empty / ``{}``, so the marker's
truth is the object's; its JSON text when it holds other keys or is no object at all) followed by
its fields' positions (``tokens.cache.read``). Every open map (record or ``any``) and every array
is its compact JSON text, decoded on each read. Scalars are kept as stored, whatever their type. A
part of no kind stays its dict.

Why flat. CPython tracks a tuple when it is made and untracks an exact tuple of atoms (or of
untracked tuples) at the first collection it survives; but a collection orders the objects it keeps
so that a nested tuple comes after its holder, so each level of nesting takes one more collection
to untrack: rows holding tuples are promoted still tracked, some into the oldest generation, where
they set off full collections again (ten rebuilds of 228,000 synthetic rows on CPython 3.11: 0.5 s
of GC flat, 5.4 s with one level of nested tuples, 8.4 s with three). A flat row is untracked by
the first young collection it meets and never leaves the youngest generation: what remains is that
collection's visit of each new row (the decode's dicts are freed before they count). Still tracked:
the row of a stored value that is a dict or list where the schema says scalar (a non-string
discriminator such as ``[]``), and parts of no kind. On PyPy nothing is tracked; its collector's
cost is the objects that survive the nursery, here one tuple and its strings per row instead of a
tree of dicts and lists.

What a read costs. ``o[3]`` is a constant-index read (specialised on CPython 3.11+); code written
for one schema would name its positions as constants, and ``field`` finds them per kind. A field
kept as text (open maps, arrays; in the access loop's shared positions, any field some kind keeps
as text) decodes on every read: keep the value when reading it repeatedly. The build decodes the
row whole and re-encodes each open map and array (``json.dumps``): part of the GC time saved is
paid in build time. A marker's truth is the object's, except for a value off its schema, whose
text is always truthy.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Tuple, cast

from harness.schemas.model import Field, Kind, Schema, Table, Type
from harness.schemas.stored import is_opencode
from harness.strategies import register
from harness.strategies._from_schema import FUNCTIONS, FromSchema, Functions, hydrator, kind_entries, table_hydrators
from harness.strategies._kernel import compiled, index_kernel, open_map_kernel

#: Compact JSON text; decoded rows hold no cycles, so no circular-reference check (a quarter faster).
compact_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False).encode
#: How a position holds its value: as stored, as JSON text, as an object's marker, or always None (a
#: shared field its kind lacks).
SCALAR, TEXT, OBJECT, ABSENT = "scalar", "text", "object", "absent"


@dataclass(frozen=True)
class Slot:
    """One key of an object at position ``at``: how it is held (``SCALAR`` ...); a flattened object's
    marker is here, its fields' slots are ``fields``."""

    key: str
    at: int
    how: str
    fields: Tuple[Slot, ...] = ()
    #: An object's type (its flattener is made from it).
    type: Optional[Type] = None


@dataclass(frozen=True)
class Layout:
    """One kind's tuple: the name of each position but the last, and the top-level keys' slots."""

    names: Tuple[str, ...]
    slots: Tuple[Slot, ...]


def how(kind: Type) -> str:
    if kind.open or kind.kind == "array":
        return TEXT
    return OBJECT if kind.kind == "object" else SCALAR


def head(schema: Schema, name: str) -> Tuple[str, ...]:
    """The positions every kind of a table shares: the discriminator, and the access loop's fields
    when it is the message table (which the loop reads)."""
    table = schema.tables[name]
    first = (table.discriminator,) if table.discriminator else ()
    return tuple(dict.fromkeys(first + (schema.access_fields() if name == "message" else ())))


def text_in_head(schema: Schema, name: str) -> FrozenSet[str]:
    """Shared fields kept as text in every kind: text in some kind, or an object whose length the
    access loop takes (a marker has none)."""
    lengths = {access.field for access in schema.access if access.operation == "len"}
    found = set()
    for key in head(schema, name):
        kinds = [how(f.type) for kind in schema.tables[name].kinds for f in kind.fields if f.name == key]
        if TEXT in kinds or (OBJECT in kinds and key in lengths):
            found.add(key)
    return frozenset(found)


def layout(schema: Schema, name: str, kind: Kind) -> Layout:
    """``kind``'s layout: its top-level keys first (the shared ones, its other fields, the ids), then
    the fields of each of them that is a flattened object."""
    table, texts = schema.tables[name], text_in_head(schema, name)
    keys = tuple(dict.fromkeys(head(schema, name) + tuple(f.name for f in kind.fields) + table.ids))
    names = list(keys)

    def nested(fields: Tuple[Field, ...], path: str) -> Tuple[Slot, ...]:
        slots = []
        for found in fields:
            names.append(f"{path}.{found.name}")
            at, way = len(names) - 1, how(found.type)
            inner = nested(found.type.fields, names[-1]) if way == OBJECT else ()
            slots.append(Slot(found.name, at, way, inner, found.type))
        return tuple(slots)

    def top(at: int, key: str) -> Slot:
        found = kind.field(key)
        if key in table.ids or key == table.discriminator:
            return Slot(key, at, SCALAR)
        if found is None:
            return Slot(key, at, ABSENT)
        way = TEXT if key in texts else how(found.type)
        return Slot(key, at, way, nested(found.type.fields, key) if way == OBJECT else (), found.type)

    slots = tuple(top(at, key) for at, key in enumerate(keys))  # before the names: it adds the nested ones
    return Layout(tuple(names), slots)


# -- building: code generated per kind and per nested object type -------------------------------------


class Flatteners:
    """Compiled functions flattening one schema's nested object types (one per type) into the
    values of their positions, marker first; named in ``namespace``."""

    def __init__(self) -> None:
        self.namespace: Dict[str, Any] = {"_dumps": compact_dumps}
        self.names: Dict[Type, str] = {}
        self.numbers = itertools.count()

    def item(self, slot: Slot, source: str) -> str:
        """Code of the value of a slot not flattened, read by ``source``."""
        if slot.how == TEXT:
            temporary = f"_v{next(self.numbers)}"
            return f"(None if ({temporary} := {source}) is None else _dumps({temporary}))"
        return "None" if slot.how == ABSENT else source

    def function(self, kind: Type, slots: Tuple[Slot, ...]) -> str:
        """The name of the flattener of an object type (its ``slots``), compiled on first use."""
        if kind not in self.names:
            number = next(self.numbers)
            keys, absent = f"_keys{number}", f"_absent{number}"
            keys_of = self.namespace[keys] = frozenset(f.name for f in kind.fields)
            self.namespace[absent] = (None,) * len(flat(slots))
            items = "".join(self.flattened(slot, f"get({slot.key!r})") + ", " for slot in slots)
            source = (
                f"def flatten(v):\n    if v is None:\n        return (None, *{absent})\n"
                f"    if type(v) is not dict:\n        return (_dumps(v), *{absent})\n"
                f"    get = v.get\n    if v.keys() <= {keys}:\n        return (True if v else False, {items})\n"
                f"    return (_dumps(v), {items})\n"
            )
            label = f"tuples: flatten {', '.join(sorted(keys_of))}"
            self.namespace[f"_flat{number}"] = compiled(source, __file__, label, self.namespace, "flatten")
            self.names[kind] = f"_flat{number}"
        return self.names[kind]

    def flattened(self, slot: Slot, source: str) -> str:
        """Code of a nested slot's values: one, or an object's marker and fields (starred)."""
        if slot.how != OBJECT or slot.type is None:
            return self.item(slot, source)
        return f"*{self.function(slot.type, slot.fields)}({source})"


def flat(slots: Tuple[Slot, ...]) -> Tuple[Slot, ...]:
    """Every slot below ``slots``, in position order."""
    return tuple(inner for slot in slots for inner in (slot, *flat(slot.fields)))


def kind_builder(flatteners: Flatteners, kind: Layout, number: int, label: str) -> Callable:
    """``build(values)``: the tuple of a kind from its decoded row (the ids set): each flattened
    object's values taken once, its marker at its key's position, its fields after the top level."""
    lines, values, after = ["get = values.get"], [], []
    for slot in kind.slots:
        if slot.how != OBJECT or slot.type is None:
            values.append(flatteners.item(slot, f"get({slot.key!r})"))
            continue
        lines.append(f"_o{slot.at} = {flatteners.function(slot.type, slot.fields)}(get({slot.key!r}))")
        values.append(f"_o{slot.at}[0]")
        after += [f"_o{slot.at}[{at}]" for at in range(1, len(flat(slot.fields)) + 1)]
    body = "".join(f"    {line}\n" for line in lines)
    source = f"def build(values):\n{body}    return ({', '.join(values + after)}, {number})\n"
    return compiled(source, __file__, f"tuples: {label}", flatteners.namespace, "build")


_BODY = """{decode}
    {entry}
    return entry(values)"""


def build_tuples(schema: Schema) -> Functions:
    """The hydrators and reads of ``schema``'s tuples (kinds numbered across its tables)."""
    flatteners, layouts = Flatteners(), cast(List[Layout], [])

    def hydrate(table: Table, name: str) -> Callable:
        def entry(kind: Kind) -> Callable:
            layouts.append(layout(schema, name, kind))
            return kind_builder(flatteners, layouts[-1], len(layouts) - 1, f"{schema.name}: {name} {kind.tag}")

        return hydrator(schema, name, _BODY, "tuples", **kind_entries(table, entry))

    functions = {**table_hydrators(schema, hydrate), **reads(tuple(layouts))}
    shared = head(schema, "message")
    functions["access"] = index_kernel(schema, shared.index, text_in_head(schema, "message").__contains__)
    if is_opencode(schema):
        functions["open_map_access"] = tool_input_kernel(schema)
    return functions


def tool_input_kernel(schema: Schema) -> Callable:
    """opencode's open-map loop: ``state.input`` of a tool part, at its position."""
    tool = schema.tables["part"].kind("tool")
    if tool is None:
        raise ValueError("opencode's schema has no tool part")
    return open_map_kernel("indices", at=layout(schema, "part", tool).names.index("state.input"))


# -- reading -------------------------------------------------------------------------------------------


def value(slot: Slot, obj: Tuple) -> Any:
    """The JSON value of a slot of ``obj`` (an object without its None values)."""
    found = obj[slot.at]
    if found is None or slot.how in (SCALAR, ABSENT):
        return found
    if slot.how == TEXT or type(found) is str:
        return json.loads(found)
    return without_none((inner.key, value(inner, obj)) for inner in slot.fields)


def without_none(items: Any) -> Dict[str, Any]:
    return {key: found for key, found in items if found is not None}


def reads(layouts: Tuple[Layout, ...]) -> Functions:
    """``to_dict``, ``field`` and ``shape`` of tuples ending in their layout's number (a part of no
    kind is its dict)."""

    def to_dict(obj: Any) -> Dict[str, Any]:
        if type(obj) is dict:
            return dict(obj)
        return without_none((slot.key, value(slot, obj)) for slot in layouts[obj[-1]].slots)

    by_key = [{slot.key: slot for slot in found.slots} for found in layouts]

    def field(obj: Any, key: str) -> Any:
        """One field as JSON data: text decoded, an object rebuilt."""
        if type(obj) is dict:
            return obj.get(key)
        slot = by_key[obj[-1]].get(key)
        return None if slot is None else value(slot, obj)

    def shape(obj: Any) -> Tuple[str, ...]:
        return tuple(obj) if type(obj) is dict else layouts[obj[-1]].names

    return {"to_dict": to_dict, "field": field, "shape": shape}


@register
class Tuples(FromSchema):
    name = "tuples"
    description = "one flat tuple of atoms per row, fixed positions per kind, open maps and arrays as JSON text"
    schema_functions = FUNCTIONS + ("field", "shape", "open_map_access")
    schema_build = staticmethod(build_tuples)
