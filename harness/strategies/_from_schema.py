"""How every strategy is built: from a schema object (not a strategy: the registry skips ``_`` modules).

A strategy sets ``schema_build``, a function from a schema to its functions (``info``, ``part``,
``to_dict``, ``access``); ``FromSchema`` applies it to the built-in schema (``OPENCODE``) on first use,
and ``harness.strategies.get(name, schema)`` to any other. Common to every builder:

- a row's kind is the one its discriminator value names; any other value (or none, or one that is
  not a string: a number, null, a list, an object) builds as the table's ``default`` kind; with no
  default, such a message row is an error naming the row (the access loop reads every info), such a
  part row stays its dict (every stored key, the ids added);
- the ids of ``Table.ids`` are added from the row's columns (id, session id, a part's message id);
- field names that are not Python identifiers get attribute names (``codegen.attribute``).

The hydrators are compiled from the schema (``hydrator``): the ids set and the kind chosen in
straight-line code, then the strategy's own build, with no helper call per row, as a hand-written
builder would do it.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from typing import Any, Callable, ClassVar, Dict, Optional, Tuple

from harness.canonical import MESSAGE_COLUMNS, PART_COLUMNS
from harness.schemas.codec import SchemaMismatch
from harness.schemas.codegen import attribute
from harness.schemas.model import Kind, Schema, Table
from harness.schemas.opencode import OPENCODE
from harness.strategies._kernel import Present, compiled
from harness.strategies.base import Strategy

_COLUMNS = {"message": MESSAGE_COLUMNS, "part": PART_COLUMNS}
_ID_NAMES = {"message": ("id", "session_id"), "part": ("id", "session_id", "message_id")}
#: Row columns holding a table's ids, in ``Table.ids`` order: the row id, its session id, a part's
#: message id.
ID_COLUMNS: Dict[str, Tuple[int, ...]] = {
    name: tuple(map(_COLUMNS[name].index, ids)) for name, ids in _ID_NAMES.items()
}
#: The column of a row's JSON, counted from the start (CPython specialises a tuple index from the
#: start, not from the end).
DATA_COLUMN: Dict[str, int] = {name: columns.index("data") for name, columns in _COLUMNS.items()}
#: The functions a builder returns.
FUNCTIONS = ("info", "part", "to_dict", "access")
Functions = Dict[str, Callable[..., Any]]
Builder = Callable[[Schema], Functions]

#: What a hydrator's template may use besides its own names: ``{data}`` (the row's JSON text),
#: ``{decode}`` (``values``, the row's JSON decoded, the ids set), ``{spread}`` (``values``, a new dict
#: of the row's JSON and the ids, as ``{...data, id}``), ``{with_ids}`` (a new dict of ``values`` and
#: the ids), ``{choose}`` (``entry``, the ``kinds`` entry
#: of the row's kind, ``default``'s for any other, None when that is None), ``{entry}``
#: (``{choose}``, and a row of no kind returned as ``refuse(values, row)`` builds it: ``refusal``)
#: and ``{set_ids}`` (the ids set as attributes of ``obj``).
_CHOOSE = """tag = values.get({key!r})
    try:
        entry = kinds.get(tag, default)
    except TypeError:  # a list or an object names no kind
        entry = default"""
_ENTRY = """{choose}
    if entry is None:
        return refuse(values, row)"""


def hydrator(schema: Schema, name: str, body: str, label: str, **names: Any) -> Callable[[Tuple], Any]:
    """``hydrate(row)`` for the table ``name`` of ``schema``, compiled from ``body`` (its statements,
    indented four spaces; see ``_CHOOSE`` for what it may use) with ``names`` (``kinds`` and
    ``default`` for ``{choose}``: ``kind_entries``), ``loads`` and ``refuse``."""
    table = schema.tables[name]
    ids, data = tuple(zip(table.ids, ID_COLUMNS[name])), f"row[{DATA_COLUMN[name]}]"
    choose = _CHOOSE.format(key=table.discriminator) if table.discriminator else "entry = default"
    set_items = [f"values[{key!r}] = row[{at}]" for key, at in ids]
    items = ", ".join(f"{key!r}: row[{at}]" for key, at in ids)
    pieces = {
        "decode": "\n    ".join([f"values = loads({data})", *set_items]),
        "spread": f"values = {{**loads({data}), {items}}}",
        "with_ids": f"{{**values, {items}}}",
        "data": data,
        "choose": choose,
        "entry": _ENTRY.format(choose=choose),
        "set_ids": "\n    ".join(f"obj.{attribute(key)} = row[{at}]" for key, at in ids) or "pass",
    }
    source = "def hydrate(row):\n    " + body.strip("\n").format(**pieces) + "\n"
    namespace = {"loads": json.loads, "refuse": refusal(schema, name), **names}
    return compiled(source, __file__, f"{label}, {schema.name}: {name}", namespace, "hydrate")


def keys_of(table: Table, kind: Kind) -> Tuple[str, ...]:
    """``table.keys(kind)`` interned: a dict built with them holds the very strings a read's constant
    is (``o["summary"]``), so a lookup finds its key without comparing text, as with literal keys."""
    return tuple(map(sys.intern, table.keys(kind)))


def kind_entries(table: Table, entry: Callable[[Kind], Any]) -> Dict[str, Any]:
    """``kinds`` and ``default`` for a hydrator: ``entry(kind)`` per discriminator value; ``default``
    is the default kind's (the only kind's without a discriminator), or None."""
    kinds = {kind.tag: entry(kind) for kind in table.kinds}
    default = table.kinds[0].tag if table.discriminator is None else table.default
    return {"kinds": kinds, "default": kinds[default] if default is not None else None}


def refusal(schema: Schema, name: str) -> Callable[[Dict[str, Any], Tuple], Any]:
    """What a row of no kind builds as: its dict for a part; ``SchemaMismatch`` naming a message row."""
    if name == "part":
        return lambda values, row: values
    key = schema.tables[name].discriminator or ""

    def refuse(values: Dict[str, Any], row: Tuple) -> Any:
        raise SchemaMismatch(
            schema.name, row[0], f"{key} {values.get(key)!r} is not one of its kinds, and it has no default kind"
        )

    return refuse


def table_hydrators(schema: Schema, build: Callable[[Table, str], Callable[[Tuple], Any]]) -> Functions:
    """``info`` and ``part`` from ``build(table, name)``; a schema without parts has no part builder."""
    functions = {"info": build(schema.message, "message"), "part": _no_parts}
    if schema.part is not None:
        functions["part"] = build(schema.part, "part")
    return functions


def _no_parts(row: Tuple) -> Any:
    raise ValueError("this schema has no part table; its datasets store no parts")


_KIND = """{decode}
    {choose}
    return values, entry"""


def row_kind(schema: Schema, name: str) -> Callable[[Tuple], Tuple[Dict[str, Any], Optional[Kind]]]:
    """``(values, kind)`` of a row of table ``name``: its JSON with the ids, and the kind it builds as
    (None: none)."""
    return hydrator(schema, name, _KIND, "kind", **kind_entries(schema.tables[name], lambda kind: kind))


def everywhere(table: Table) -> Present:
    """Whether every object of a kind-keyed strategy has a key: every kind lists it, or it is the
    discriminator (the objects of a row of no kind, dicts, are never read by the access loop)."""
    return lambda key: all(key in table.keys(kind) for kind in table.kinds)


def nowhere(key: str) -> bool:
    """For objects holding only the keys each row stored: none is sure to be there."""
    return False


# -- built on first use --------------------------------------------------------------------------


@cache
def _once(build: Callable[[], Functions]) -> Callable[[], Functions]:
    """``build`` called at most once, however many ``Built`` attributes share it."""
    return cache(build)


class Built:
    """A static method built on first access: importing a strategy's module stays cheap and works
    without the package its classes need. ``build()`` (cached) returns a dict of functions; the
    attribute then replaces itself with ``staticmethod(function)`` on the class it was read from."""

    def __init__(self, build: Callable[[], Functions]) -> None:
        self.build = _once(build)

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type) -> Callable:
        function = self.build()[self.name]
        setattr(owner, self.name, staticmethod(function))
        return function


class FromSchema(Strategy):
    """Base of the strategies built from a schema: a subclass setting ``schema_build`` gets its
    functions (``schema_functions``) from ``schema_build(OPENCODE)``, built on first use."""

    #: The functions ``schema_build`` returns.
    schema_functions: ClassVar[Tuple[str, ...]] = FUNCTIONS

    def __init_subclass__(cls, **options: Any) -> None:
        super().__init_subclass__(**options)
        build = vars(cls).get("schema_build")
        if build is None:
            return

        def built() -> Functions:  # one build for all of them (``Built`` calls it once)
            return build.__func__(OPENCODE)

        for name in cls.schema_functions:
            function = Built(built)
            function.__set_name__(cls, name)
            setattr(cls, name, function)
