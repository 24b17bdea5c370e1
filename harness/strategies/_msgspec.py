"""The msgspec strategies built from a schema (not a strategy: the registry skips ``_`` modules).

Their classes are the Structs ``harness.schemas.codegen`` prints for the schema (``python_source``,
executed here once per schema, style and ``gc``), so the code ``harness advise --code`` hands out is
the code that was measured: one Struct per kind, tagged unions on the discriminator, the tag also a
class attribute; fields in the kind's fixed order, optional ones defaulting to None (left out of
``to_dict``), ids last; nested objects Structs of their own, arrays tuples, open values as decoded
(``Any``); a row of another discriminator value builds as ``Other<Table>`` (the default kind's
fields, the discriminator kept as stored), a part of an unlisted type stays its dict. Two paths:

- ``convert``: ``json.loads``, the ids added, ``msgspec.convert`` into the class of the row's kind;
- ``decode``: the row's text decoded straight into the Structs by a ``msgspec.json.Decoder`` of each
  table's union, the ids set afterwards (measured as fast as or faster than
  ``msgspec.structs.replace``, which copies); what the union refuses (another discriminator value,
  an unlisted part type) or ``msgspec.json`` does not decode (a lone surrogate) takes the convert
  path, or for the lazy classes, whose Raw fields cannot be converted from decoded values, the
  generated ``<table>_from_json``.

``shallow`` types every nested value ``Any`` (kept as ``json.loads`` made it). A row the classes
refuse (a required field missing, a value of another type) raises ``Refused``: a ``SchemaMismatch``
naming the row, and the ``msgspec.ValidationError`` msgspec users expect.
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache
from typing import Any, Callable, Dict, Tuple, Union

from harness.schemas.codec import SchemaMismatch
from harness.schemas.codegen import attribute, python_source
from harness.schemas.model import Field, Schema, Table, Type
from harness.strategies._classes import PerKindClasses, class_reads
from harness.strategies._from_schema import (
    ID_COLUMNS,
    Builder,
    Functions,
    hydrator,
    refusal,
    row_kind,
    table_hydrators,
)
from harness.strategies._kernel import open_map_kernel

try:
    import msgspec
except ImportError:  # PyPy, or not installed: the strategies report themselves unavailable
    msgspec = None  # type: ignore[assignment]

#: Nested values: what ``shallow`` types ``any``.
NESTED = ("object", "array", "record")

#: ``{choose}`` the class of the row's kind, then ``msgspec.convert`` from the decoded row.
_CONVERT = """{decode}
    {entry}
    try:
        return convert(values, entry)
    except invalid as error:
        raise refused(schema_name, row[0], str(error)) from None"""
#: The row's text decoded into the table's union, the ids set; anything else through ``slow``.
_DECODE = """try:
        obj = decode({data})
    except invalid:
        return slow(row)
    {set_ids}
    return obj"""


def _msgspec() -> Any:
    if msgspec is None:
        raise RuntimeError("msgspec is not installed (it does not build on PyPy)")
    return msgspec


@cache
def namespace(schema: Schema, style: str, gc: bool) -> Dict[str, Any]:
    """The names the generated source defines, executed once (strategies of one style share their
    classes); no ``__future__`` flags inherited, so msgspec sees real annotations."""
    _msgspec()
    found: Dict[str, Any] = {}
    source = python_source(schema, style, gc=gc)
    exec(compile(source, f"<{style} classes of {schema.name}>", "exec", dont_inherit=True), found)
    return found


def shallow(schema: Schema) -> Schema:
    """``schema`` with every nested value (an object, an array, a record) typed ``any``."""

    def flat(field: Field) -> Field:
        return replace(field, type=Type("any")) if field.type.kind in NESTED else field

    tables = {
        name: replace(table, kinds=tuple(replace(kind, fields=tuple(map(flat, kind.fields))) for kind in table.kinds))
        for name, table in schema.tables.items()
    }
    return replace(schema, tables=tables)


@cache
def _refused() -> type:
    class Refused(SchemaMismatch, _msgspec().ValidationError):  # type: ignore[misc]
        """A row the Structs refuse: named for the harness, a validation error for msgspec users."""

    return Refused


def classes(found: Dict[str, Any], table: Table, name: str) -> Dict[str, Any]:
    """``kinds`` and ``default`` of the generated classes: the class per discriminator value, the
    other-value class (None without a default kind; the only class without a discriminator)."""
    kinds = found[f"{name.upper()}_CLASSES"]
    other = found[f"{name.upper()}_OTHER"] if table.discriminator else next(iter(kinds.values()))
    return {"kinds": kinds, "default": other}


def msgspec_builder(
    gc: bool = False, decode: bool = False, nested: bool = True, lazy: bool = False, memo: bool = False
) -> Builder:
    """The builder of the Structs with ``gc``, on the ``decode`` or the convert path, ``nested``
    values typed (else ``shallow``), ``lazy`` (the ``msgspec-lazy`` style: open values and arrays
    kept as ``msgspec.Raw``, decoded on each read; decode path, ``gc=False``), ``memo`` (with
    ``lazy``: the ``msgspec-lazy-memo`` style, each decoded on its first read and kept)."""

    def build(schema: Schema) -> Functions:
        package = _msgspec()
        style = "msgspec-lazy-memo" if memo else "msgspec-lazy" if lazy else "msgspec"
        found = namespace(schema if nested else shallow(schema), style, gc)
        label = f"{style}, gc={gc}"
        refused, invalid = _refused(), package.ValidationError

        def converting(table: Table, name: str) -> Callable:
            return hydrator(
                schema,
                name,
                _CONVERT,
                label,
                convert=package.convert,
                invalid=invalid,
                refused=refused,
                schema_name=schema.name,
                **classes(found, table, name),
            )

        def decoding(table: Table, name: str) -> Callable:
            union = tuple(classes(found, table, name)["kinds"].values())
            # what the union refuses: the convert path, but Raw fields are not converted from values
            slow = _slow(schema, table, name, found[f"{name}_from_json"]) if lazy else converting(table, name)
            decoder = package.json.Decoder(Union[union]).decode
            return hydrator(schema, name, _DECODE, label, decode=decoder, invalid=package.DecodeError, slow=slow)

        return {
            **class_reads(schema),
            **table_hydrators(schema, decoding if decode or lazy else converting),
            "to_dict": to_dict,
        }

    return build


def _slow(schema: Schema, table: Table, name: str, from_json: Callable[[str], Any]) -> Callable[[Tuple], Any]:
    """The rows a lazy table's union refuses, through the generated ``<table>_from_json``: a row of
    another discriminator value (the other-value class, or a part's dict), text ``msgspec.json`` does
    not decode; a row of a listed kind that does not fit raises ``Refused``."""
    kind_of, refuse, refused = row_kind(schema, name), refusal(schema, name), _refused()
    ids = tuple((attribute(key), column) for key, column in zip(table.ids, ID_COLUMNS[name]))

    def slow(row: Tuple) -> Any:
        try:
            obj = from_json(row[-1])
        except msgspec.ValidationError as error:
            values, kind = kind_of(row)
            if kind is None:
                return refuse(values, row)
            raise refused(schema.name, row[0], str(error)) from None
        if type(obj) is dict:  # a part of an unlisted kind, which from_json keeps as its dict
            return refuse(kind_of(row)[0], row)
        for attr, column in ids:
            setattr(obj, attr, row[column])
        return obj

    return slow


def to_dict(obj: Any) -> Dict[str, Any]:
    """A Struct (or a fallback dict) as plain JSON data, every ``msgspec.Raw`` decoded by
    ``json.loads`` (a lone surrogate too); None-valued optionals are left out."""
    return _msgspec().to_builtins(obj, enc_hook=_raw_value)


def _raw_value(raw: Any) -> Any:
    return json.loads(bytes(raw))


class MsgspecStrategy(PerKindClasses):
    """Base of the msgspec strategies: needs msgspec (CPython only); a tool part's state is a Struct
    (typed nested values)."""

    requires = ("msgspec",)
    implementations = ("cpython",)
    open_map_access = staticmethod(open_map_kernel("attributes"))
