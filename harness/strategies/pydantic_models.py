"""``pydantic``: a pydantic v2 ``BaseModel`` per role and per part type, validated from the row's
JSON text (``validate_json``) through discriminated unions (``TypeAdapter``) on ``role`` / ``type``.

The models are built from ``harness.schemas.OPENCODE``: a model's fields are its kind's fixed key
list (``Table.keys``), all optional (default ``None``), legacy keys ignored. A field the schema
types as a scalar is typed (``str``; ``num`` and ``float`` as ``float``; ``int``; ``bool``; a union
with null as its one other scalar) and an array of scalars as a ``List`` of it (``files``); every
other value (objects, records, ``any``: time, tokens, model, path, error, state, source, metadata,
format, tools, structured, a user's ``summary``) is ``Any`` and stays the plain dicts / lists
pydantic's JSON parser makes. The ids are ``str``. A role other than ``assistant`` validates as
user, keeping its value whatever its type (the discriminator of a table with a default kind is
``Any``); a part type that is not one of the 12 (another string, or no string at all) validates as
``Dict[str, Any]`` (every stored key). The ids are assigned after validation (``obj.id = ...``).
User models lack assistant fields, so the access loop reads those with ``getattr(o, "k", None)``
(through ``BaseModel.__getattr__``).
Needs ``pydantic`` 2; models are built on first use of ``info`` / ``part``, so the module imports
(and ``harness list`` reports it unavailable) without it. Text pydantic's JSON parser refuses — a
JSON-escaped lone surrogate, which ``JSON.stringify`` writes when a stream is cut inside an emoji —
is decoded by ``json.loads`` and validated from Python (``validate_python``).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Callable, Dict, List, Optional, Tuple, Union

from harness.schemas import OPENCODE
from harness.schemas.codegen import class_name
from harness.schemas.model import Table, Type
from harness.strategies import register
from harness.strategies._classes import Built, PerKindClasses

#: Python types of the schema's scalars (``num``: int or float, validated as float).
_SCALARS: Dict[str, type] = {"str": str, "int": int, "float": float, "num": float, "bool": bool}
#: The union member a row of no kind of a table without a default validates as.
_UNKNOWN = "unknown"


def python_type(kind: Type) -> Any:
    """A field's annotation (before ``Optional``): its scalar, a list of an array's scalar, else ``Any``."""
    if kind.kind == "array" and kind.item is not None:
        item = python_type(kind.item)
        return Any if item is Any else List[item]  # type: ignore[valid-type]
    options = [option for option in kind.options if option != "null"] if kind.kind == "union" else [kind.kind]
    return _SCALARS.get(options[0], Any) if len(options) == 1 else Any


def model_fields(table: Table) -> Dict[str, Dict[str, Any]]:
    """Per kind of ``table``: its fields' annotations in fixed key order, discriminator and ids included."""
    fixed: Dict[str, Any] = dict.fromkeys(table.ids, str)
    if table.discriminator:  # a table with a default kind keeps any value there
        fixed[table.discriminator] = Any if table.default else str
    found = {}
    for kind in table.kinds:
        types = {**fixed, **{field.name: python_type(field.type) for field in kind.fields}}
        found[kind.tag] = {key: types[key] for key in table.keys(kind)}
    return found


def tagger(table: Table) -> Callable[[Dict[str, Any]], str]:
    """The union member a decoded row validates as: the kind its discriminator names, else the
    table's default kind, else ``unknown`` (a value that is not a string, a list say, is never looked up);
    a table without a discriminator has one kind, which every row is."""
    key = table.discriminator
    if key is None:
        only = table.kinds[0].tag
        return lambda values: only
    tags, default = frozenset(kind.tag for kind in table.kinds), table.default or _UNKNOWN

    def tag(values: Dict[str, Any]) -> str:
        found = values.get(key)
        return found if isinstance(found, str) and found in tags else default

    return tag


def _build() -> Dict[str, Callable]:
    from pydantic import BaseModel, ConfigDict, Discriminator, Tag, TypeAdapter, ValidationError, create_model

    config = ConfigDict(protected_namespaces=())

    def adapter(name: str, suffix: str, *extra: Any) -> TypeAdapter:
        table = OPENCODE.tables[name]
        members = [
            Annotated[
                create_model(  # type: ignore[call-overload]
                    class_name(tag, suffix),
                    __config__=config,
                    **{key: (Optional[kind], None) for key, kind in fields.items()},
                ),
                Tag(tag),
            ]
            for tag, fields in model_fields(table).items()
        ]
        # a union built at runtime: it has no static type form to check against TypeAdapter's
        union: Any = Annotated[Union[tuple(members + list(extra))], Discriminator(tagger(table))]
        return TypeAdapter(union)

    info_adapter = adapter("message", "Info")
    part_adapter = adapter("part", "Part", Annotated[Dict[str, Any], Tag(_UNKNOWN)])
    validate_info, validate_part = info_adapter.validate_json, part_adapter.validate_json
    # JSON pydantic's parser refuses but json.loads reads (a lone surrogate): validated from Python; a
    # row invalid either way raises the second error
    info_from_python, part_from_python, loads = info_adapter.validate_python, part_adapter.validate_python, json.loads

    def info(row: Tuple) -> BaseModel:
        mid, session_id, _, _, data = row
        try:
            obj = validate_info(data)
        except ValidationError:
            obj = info_from_python(loads(data))
        obj.id = mid
        obj.sessionID = session_id
        return obj

    def part(row: Tuple) -> Any:
        pid, message_id, session_id, _, _, data = row
        try:
            obj = validate_part(data)
        except ValidationError:
            obj = part_from_python(loads(data))
        if type(obj) is dict:
            obj["id"], obj["sessionID"], obj["messageID"] = pid, session_id, message_id
        else:
            obj.id, obj.sessionID, obj.messageID = pid, session_id, message_id
        return obj

    return {"info": info, "part": part}


@register
class Pydantic(PerKindClasses):
    name = "pydantic"
    description = "pydantic v2 BaseModel per role / part type, discriminated unions, validate_json"
    requires = ("pydantic",)

    info = Built(_build)
    part = Built(_build)

    @staticmethod
    def to_dict(obj: Any) -> Dict[str, Any]:
        return dict(obj) if isinstance(obj, dict) else obj.model_dump()
