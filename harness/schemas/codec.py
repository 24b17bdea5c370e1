"""A schema as readable JSON a user can edit, and back; nonsense fails with the file and the JSON path.

The file::

    {"format": "shape-harness-schema", "version": 1, "name": "orders",
     "tables": {"message": {"discriminator": "kind", "default": null, "ids": [],
                            "kinds": {"refund": {"amount": "num", "note?": "str|null", "reply?": "any"},
                                      ...}}},
     "access": {"kind": "len", "amount": "add", "note": "truth"},
     "records": [["reply", "headers"]]}

A kind (and a nested object) is a JSON object from field name to type, in the fixed field order; a
name ending in ``?`` is optional (rows may lack it). A type is a string — a scalar (``str``, ``int``,
``float``, ``num``, ``bool``, ``null``), ``any``, or scalars joined by ``|`` (``str|null``) — an
object of fields, ``{"*": T}`` (a record keyed by data, values of type T) or ``[T]`` (an array of T).
``default`` names the kind a row of any other discriminator value builds as (null: such rows stay
dicts, or are refused where objects are needed); ``ids`` are the keys the store adds from the row's
columns (row id, session id, a part's message id). ``access`` is the access workload's reads in
order, each field with its operation: ``len`` (add its length), ``add`` (add the number), ``truth``
(add 1 when truthy); None values are skipped. ``add`` on a field some kind types as other than a
number, or ``len`` on one typed as a number or a bool, is nonsense too. ``records`` (optional, none
when absent) lists the key paths of records keyed by data inside open values: each path passes
through a field typed ``any`` before its last key (a field that is itself a record is typed
``{"*": T}`` instead); arrays on the way add nothing to a path.

Limits, so that no file takes minutes to read and build strategies from (a file past one is refused
as it is read; inference refuses rows whose schema would pass one, and its own limits keep the
kinds and fields of rows with a common structure inside them): ``MAX_FIELDS`` fields in one kind
or nested object, ``MAX_KINDS`` kinds in a table, ``MAX_DEPTH`` levels of nested types,
``MAX_SCHEMA_FIELDS`` fields in all, ``MAX_FIELDS`` access reads and as many record paths, each at
most ``MAX_DEPTH`` keys long.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from harness.schemas.model import KINDS, OPERATIONS, SCALARS, TABLES, Access, Field, Kind, Schema, Table, Type, walk

FORMAT = "shape-harness-schema"
VERSION = 1
OPTIONAL = "?"
RECORD = "*"
MAX_FIELDS = 1024
MAX_KINDS = 256
MAX_DEPTH = 32
MAX_SCHEMA_FIELDS = 50_000


class SchemaError(ValueError):
    """A schema file that cannot be read or says nothing sensible; the message names file and path."""


class SchemaMismatch(SchemaError):
    """A stored row its schema does not describe — of a kind it does not list when it has no default
    kind, lacking a required field, holding a value of another type; the message names the row."""

    def __init__(self, schema: str, row: object, problem: str) -> None:
        super().__init__(f"row {row!r} does not fit schema {schema!r}: {problem}")


class _Nonsense(ValueError):
    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"at {path}: {problem}")


class _Count:
    """The fields read so far from one schema file, refused past ``MAX_SCHEMA_FIELDS``."""

    def __init__(self) -> None:
        self.fields = 0

    def add(self, count: int, path: str) -> None:
        self.fields += count
        if self.fields > MAX_SCHEMA_FIELDS:
            raise _Nonsense(path, f"a schema declares at most {MAX_SCHEMA_FIELDS} fields in all")


# -- to JSON -------------------------------------------------------------------------------------


def type_to_json(kind: Type) -> Any:
    if kind.kind == "union":
        return "|".join(kind.options)
    if kind.kind == "object":
        return fields_to_json(kind.fields)
    if kind.kind == "array":
        return [type_to_json(kind.item)]  # type: ignore[arg-type]
    if kind.kind == "record":
        return {RECORD: type_to_json(kind.item)}  # type: ignore[arg-type]
    return kind.kind


def fields_to_json(fields: Tuple[Field, ...]) -> Dict[str, Any]:
    return {field.name + ("" if field.required else OPTIONAL): type_to_json(field.type) for field in fields}


def to_json(schema: Schema) -> Dict[str, Any]:
    """The file's JSON value; ``records`` only when there are some (a file without them reads as none)."""
    value = {
        "format": FORMAT,
        "version": VERSION,
        "name": schema.name,
        "tables": {
            name: {
                "discriminator": table.discriminator,
                "default": table.default,
                "ids": list(table.ids),
                "kinds": {kind.tag: fields_to_json(kind.fields) for kind in table.kinds},
            }
            for name, table in schema.tables.items()
        },
        "access": {access.field: access.operation for access in schema.access},
    }
    if schema.records:
        value["records"] = [list(path) for path in schema.records]
    return value


def dumps(schema: Schema) -> str:
    return json.dumps(to_json(schema), indent=2, ensure_ascii=False) + "\n"


def key_orders(schema: Schema) -> Dict[str, Any]:
    """What a builder of fixed-shape objects needs of a schema: per table its discriminator, default
    kind, ids and each kind's fixed key order (``Table.keys``); the record paths, sorted."""
    return {
        "about": f"generated from schema {schema.name!r} by harness.schemas.codec.key_orders: do not edit",
        "tables": {
            name: {
                "discriminator": table.discriminator,
                "default": table.default,
                "ids": list(table.ids),
                "keys": {kind.tag: list(table.keys(kind)) for kind in table.kinds},
            }
            for name, table in schema.tables.items()
        },
        "record_paths": sorted(list(path) for path in schema.record_paths()),
    }


def key_orders_json(schema: Schema) -> str:
    return json.dumps(key_orders(schema), indent=2, ensure_ascii=False) + "\n"


# -- from JSON -----------------------------------------------------------------------------------


def _expect(value: Any, kind: type, path: str, what: str) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise _Nonsense(path, f"expected {what}, found {json.dumps(value)[:40]}")
    return value


def _name(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise _Nonsense(path, f"expected a non-empty name, found {json.dumps(value)[:40]}")
    return value


def type_from_json(value: Any, path: str, depth: int = 0, count: Optional[_Count] = None) -> Type:
    """The type a JSON value describes, ``depth`` levels of nested types below a kind."""
    if isinstance(value, (list, dict)) and depth >= MAX_DEPTH:
        raise _Nonsense(path, f"types nest at most {MAX_DEPTH} levels deep")
    if isinstance(value, str):
        options = tuple(value.split("|"))
        if len(options) == 1:
            if value not in KINDS or value in ("union", "object", "array", "record"):
                raise _Nonsense(path, f"unknown type {value!r}; use {', '.join(SCALARS)}, any, |, {{...}} or [...]")
            return Type(value)
        unknown = [option for option in options if option not in SCALARS]
        if unknown:
            raise _Nonsense(path, f"a union joins scalars ({', '.join(SCALARS)}), not {unknown[0]!r}")
        return Type("union", options=options)
    if isinstance(value, list):
        if len(value) != 1:
            raise _Nonsense(path, f"an array type is [T], one element type, not {len(value)}")
        return Type("array", item=type_from_json(value[0], f"{path}[0]", depth + 1, count))
    if isinstance(value, dict):
        if RECORD in value:
            if len(value) != 1:
                raise _Nonsense(path, f'a record type is {{"{RECORD}": T}} alone, with no other keys')
            return Type("record", item=type_from_json(value[RECORD], f"{path}.{RECORD}", depth + 1, count))
        return Type("object", fields=fields_from_json(value, path, depth + 1, count))
    raise _Nonsense(path, f"expected a type, found {json.dumps(value)[:40]}")


def fields_from_json(value: Any, path: str, depth: int = 0, count: Optional[_Count] = None) -> Tuple[Field, ...]:
    """The fields a JSON object lists (a kind, or a nested object ``depth`` levels below one)."""
    _expect(value, dict, path, "an object of fields")
    if len(value) > MAX_FIELDS:
        raise _Nonsense(path, f"{len(value)} fields; a kind or an object has at most {MAX_FIELDS}")
    count = count or _Count()
    count.add(len(value), path)
    fields: List[Field] = []
    seen = set()
    for key, kind in value.items():
        required = not key.endswith(OPTIONAL)
        name = key if required else key[: -len(OPTIONAL)]
        if not name:
            raise _Nonsense(path, f"field name {key!r} is empty")
        if name in seen:
            raise _Nonsense(path, f"field {name!r} is listed twice")
        seen.add(name)
        fields.append(Field(name, type_from_json(kind, f"{path}.{key}", depth, count), required))
    return tuple(fields)


def _table(value: Any, path: str, count: _Count) -> Table:
    _expect(value, dict, path, "a table object")
    unknown = set(value) - {"discriminator", "default", "ids", "kinds"}
    if unknown:
        raise _Nonsense(path, f"unknown key {sorted(unknown)[0]!r}")
    discriminator = value.get("discriminator")
    if discriminator is not None:
        _name(discriminator, f"{path}.discriminator")
    ids = tuple(_name(v, f"{path}.ids[{i}]") for i, v in enumerate(_expect(value.get("ids", []), list, path, "a list")))
    kinds_value = _expect(value.get("kinds"), dict, f"{path}.kinds", "an object of kinds")
    if not kinds_value:
        raise _Nonsense(f"{path}.kinds", "a table needs at least one kind")
    if discriminator is None and len(kinds_value) != 1:
        raise _Nonsense(f"{path}.kinds", "a table without a discriminator has exactly one kind")
    if len(kinds_value) > MAX_KINDS:
        raise _Nonsense(f"{path}.kinds", f"{len(kinds_value)} kinds; a table has at most {MAX_KINDS}")
    kinds = tuple(
        Kind(tag, fields_from_json(fields, f"{path}.kinds.{tag}", 0, count)) for tag, fields in kinds_value.items()
    )
    for kind in kinds:
        clash = {field.name for field in kind.fields} & ({discriminator} | set(ids))
        if clash:
            raise _Nonsense(f"{path}.kinds.{kind.tag}", f"field {sorted(clash)[0]!r} is the discriminator or an id")
    default = value.get("default")
    if default is not None and default not in kinds_value:
        raise _Nonsense(f"{path}.default", f"{default!r} is not one of the kinds")
    return Table(discriminator, kinds, ids, default)


def from_json(value: Any) -> Schema:
    """The schema a JSON value describes; ValueError ``at <path>: <problem>`` otherwise."""
    _expect(value, dict, "$", "a schema object")
    if value.get("format") != FORMAT:
        raise _Nonsense("$.format", f"expected {FORMAT!r}, found {json.dumps(value.get('format'))[:40]}")
    if value.get("version") != VERSION:
        raise _Nonsense("$.version", f"this harness reads schema version {VERSION}, found {value.get('version')!r}")
    name = _name(value.get("name"), "$.name")
    tables_value = _expect(value.get("tables"), dict, "$.tables", "an object of tables")
    if "message" not in tables_value:
        raise _Nonsense("$.tables", "a schema needs a 'message' table")
    unknown = [key for key in tables_value if key not in TABLES]
    if unknown:
        raise _Nonsense(f"$.tables.{unknown[0]}", f"unknown table; the tables are {', '.join(TABLES)}")
    count = _Count()
    tables = {key: _table(tables_value[key], f"$.tables.{key}", count) for key in TABLES if key in tables_value}
    access: List[Access] = []
    reads = _expect(value.get("access", {}), dict, "$.access", "an object of field: operation")
    if len(reads) > MAX_FIELDS:
        raise _Nonsense("$.access", f"{len(reads)} reads; the access loop makes at most {MAX_FIELDS}")
    for key, operation in reads.items():
        if operation not in OPERATIONS:
            raise _Nonsense(f"$.access.{key}", f"expected an operation of {', '.join(OPERATIONS)}, found {operation!r}")
        access.append(Access(_name(key, "$.access"), operation))
        _check_operation(tables["message"], key, operation)
    return Schema(name, tables, tuple(access), _records(value.get("records", []), tables))


def _records(value: Any, tables: Dict[str, Table]) -> Tuple[Tuple[str, ...], ...]:
    """The record paths a JSON list gives, each checked to lead through an ``any`` field."""
    _expect(value, list, "$.records", "a list of key paths")
    if len(value) > MAX_FIELDS:
        raise _Nonsense("$.records", f"{len(value)} record paths; a schema has at most {MAX_FIELDS}")
    open_paths = {
        path
        for table in tables.values()
        for kind in table.kinds
        for path, field in walk(kind.fields)
        if field.type.kind == "any"
    }
    records = []
    for i, keys in enumerate(value):
        where = f"$.records[{i}]"
        _expect(keys, list, where, "a key path (a list of keys)")
        if not 1 < len(keys) <= MAX_DEPTH:
            raise _Nonsense(where, f"a record path has 2 to {MAX_DEPTH} keys, not {len(keys)}")
        path = tuple(_name(key, f"{where}[{j}]") for j, key in enumerate(keys))
        if not any(path[:end] in open_paths for end in range(1, len(path))):
            raise _Nonsense(where, f"no field typed any lies on {'.'.join(path)} before its last key")
        records.append(path)
    return tuple(records)


#: The types an access operation can apply to (``any`` and ``null`` always can: checked when read).
_OPERANDS = {"add": {"int", "float", "num"}, "len": {"str", "array", "object", "record"}}


def _check_operation(table: Table, key: str, operation: str) -> None:
    """``_Nonsense`` when ``operation`` cannot apply to field ``key`` as some kind types it."""
    wanted = _OPERANDS.get(operation)
    if wanted is None:
        return
    for kind in table.kinds:
        field = kind.field(key)
        if field is None:
            continue
        found = set(field.type.options) if field.type.kind == "union" else {field.type.kind}
        wrong = found - wanted - {"any", "null"}
        if wrong:
            raise _Nonsense(f"$.access.{key}", f"{operation!r} cannot apply to {sorted(wrong)[0]} (kind {kind.tag!r})")


def loads(text: str, source: str = "<schema>") -> Schema:
    """Parse a schema's JSON text; SchemaError naming ``source`` and the JSON path otherwise."""
    try:
        value = json.loads(text)
    except ValueError as error:
        raise SchemaError(f"{source}: not JSON: {error}") from None
    try:
        return from_json(value)
    except (ValueError, RecursionError) as error:
        raise SchemaError(f"{source}: {error}") from None


def load_schema(path: Path) -> Schema:
    """The schema in a JSON file; SchemaError (one line: the file and where it is wrong) otherwise."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SchemaError(f"cannot read schema {path}: {getattr(error, 'strerror', None) or error}") from None
    return loads(text, str(path))
