"""The schema object: which kinds of rows a dataset holds and the fields of each, as data.

A ``Schema`` has one ``Table`` per stored table (``message``; ``part`` for opencode's layout). A
table names its discriminator field (or none), its kinds (one per discriminator value, in order)
and the id fields the store adds to every object (``ids``, in row-column order: the row's id, its
session id, a part's message id). A ``Kind`` lists its fields in their fixed order; each ``Field``
has a ``Type`` and says whether rows always carry it (``required``).

Types (``Type.kind``): the scalars ``str``, ``int``, ``float``, ``num`` (int or float, kept as
stored), ``bool``, ``null``; ``union`` of scalars (``options``); ``object`` (a nested object with
its own ``fields``); ``array`` (``item`` is the element type); ``record`` (an object keyed by data,
every value of type ``item``); ``any`` (an open value of no fixed schema). Records and ``any`` are
the open maps a lazy strategy keeps undecoded.

The schema also names the access loop's reads (``access``): a field and the operation applied to it,
``len`` (add its length), ``add`` (add it when not None) or ``truth`` (add 1 when truthy); and the
records keyed by data that sit inside open values, where no type can name them (``records``: key
paths from a row's top level, e.g. the LSP diagnostics keyed by file path in a tool state's
``metadata``, typed ``any``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Dict, FrozenSet, Iterator, Optional, Tuple

SCALARS: Tuple[str, ...] = ("str", "int", "float", "num", "bool", "null")
KINDS: Tuple[str, ...] = SCALARS + ("union", "object", "array", "record", "any")
OPERATIONS: Tuple[str, ...] = ("len", "add", "truth")
TABLES: Tuple[str, ...] = ("message", "part")


@dataclass(frozen=True)
class Type:
    """A field's type; ``fields`` for an object, ``item`` for an array or record, ``options`` for a union."""

    kind: str
    fields: Tuple[Field, ...] = ()
    item: Optional[Type] = None
    options: Tuple[str, ...] = ()

    @property
    def open(self) -> bool:
        """An open map: a value of no fixed key set (a record keyed by data, or ``any``)."""
        return self.kind in ("record", "any")

    @property
    def nullable(self) -> bool:
        return self.kind in ("null", "any") or "null" in self.options


@dataclass(frozen=True)
class Field:
    name: str
    type: Type
    required: bool = True


@dataclass(frozen=True)
class Kind:
    """One kind of row: its discriminator value (the table's name when there is no discriminator)
    and its fields in their fixed order, discriminator excluded."""

    tag: str
    fields: Tuple[Field, ...]

    @cached_property
    def _by_name(self) -> Dict[str, Field]:
        return {field.name: field for field in self.fields}

    def field(self, name: str) -> Optional[Field]:
        return self._by_name.get(name)


@dataclass(frozen=True)
class Table:
    """A stored table's kinds. ``default``: the kind a row of an unlisted discriminator value builds as
    (opencode builds any role but ``assistant`` as a user); None: such rows stay plain dicts."""

    discriminator: Optional[str]
    kinds: Tuple[Kind, ...]
    ids: Tuple[str, ...] = ()
    default: Optional[str] = None

    def kind(self, tag: str) -> Optional[Kind]:
        return next((kind for kind in self.kinds if kind.tag == tag), None)

    def data_keys(self, kind: Kind) -> Tuple[str, ...]:
        """The fixed key order of a kind's stored JSON: discriminator, fields."""
        head = (self.discriminator,) if self.discriminator else ()
        return head + tuple(field.name for field in kind.fields)

    def keys(self, kind: Kind) -> Tuple[str, ...]:
        """The fixed key order of a kind's objects: discriminator, fields, ids."""
        return self.data_keys(kind) + self.ids


@dataclass(frozen=True)
class Access:
    field: str
    operation: str


@dataclass(frozen=True)
class Schema:
    """``records``: key paths (arrays add nothing) of records keyed by data inside open (``any``)
    values; the fields typed as records need none."""

    name: str
    tables: Dict[str, Table]
    access: Tuple[Access, ...]
    records: Tuple[Tuple[str, ...], ...] = ()

    def __hash__(self) -> int:  # the dict of tables is not hashable; equal schemas hash equal
        return hash((self.name, tuple(self.tables.items()), self.access, self.records))

    @property
    def message(self) -> Table:
        return self.tables["message"]

    @property
    def part(self) -> Optional[Table]:
        return self.tables.get("part")

    def access_fields(self) -> Tuple[str, ...]:
        return tuple(access.field for access in self.access)

    def record_paths(self) -> FrozenSet[Tuple[str, ...]]:
        """Key paths (from a row's top level; arrays add nothing) of every record keyed by data: the
        fields typed as records and the ``records`` inside open values."""
        typed = (
            path
            for table in self.tables.values()
            for kind in table.kinds
            for path, field in walk(kind.fields)
            if field.type.kind == "record"
        )
        return frozenset(typed).union(self.records)


def walk(fields: Tuple[Field, ...], path: Tuple[str, ...] = ()) -> Iterator[Tuple[Tuple[str, ...], Field]]:
    """Every field below ``fields`` with its key path (arrays do not add to a path)."""
    for field in fields:
        here = path + (field.name,)
        yield here, field
        kind = field.type
        while kind.kind == "array" and kind.item is not None:
            kind = kind.item
        if kind.kind == "object":
            yield from walk(kind.fields, here)
