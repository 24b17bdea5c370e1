"""``pydantic``: a pydantic v2 ``BaseModel`` per role and per part type, validated from the row's
JSON text (``validate_json``) through discriminated unions (``TypeAdapter``) on ``role`` / ``type``.

Fields are the ``harness.schema`` key list of the role / type, all optional (default ``None``),
legacy keys ignored. Scalars are typed (``str`` / ``float`` / ``bool`` / ``int``, ``files`` as
``List[str]``); every nested value (time, tokens, model, path, error, state, source, metadata,
format, tools, structured, and ``summary``, a dict on users and a bool on assistants) is ``Any``
and stays the plain dicts / lists pydantic's JSON parser makes. A role other than ``assistant``
validates as user, keeping its value whatever its type (``role`` is ``Any``); a part type that is
not one of the 12 (another string, or no string at all) validates as ``Dict[str, Any]`` (every
stored key). The ids are assigned after validation (``obj.id = ...``). User models lack assistant
fields, so the access loop reads those with ``getattr(o, "k", None)`` (through
``BaseModel.__getattr__``).
Needs ``pydantic`` 2; models are built on first use of ``info`` / ``part``, so the module imports
(and ``harness list`` reports it unavailable) without it. Text pydantic's JSON parser refuses — a
JSON-escaped lone surrogate, which ``JSON.stringify`` writes when a stream is cut inside an emoji —
is decoded by ``json.loads`` and validated from Python (``validate_python``).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Callable, Dict, List, Optional, Tuple, Union

from harness.schema import PART_KEYS
from harness.strategies import register
from harness.strategies._classes import Built, PerKindClasses, build_classes

_SCALARS: Dict[str, Any] = {
    **dict.fromkeys(
        (
            "agent",
            "system",
            "parentID",
            "modelID",
            "providerID",
            "mode",
            "variant",
            "finish",
            "text",
            "prompt",
            "description",
            "command",
            "mime",
            "filename",
            "url",
            "callID",
            "tool",
            "snapshot",
            "reason",
            "hash",
            "name",
            "tail_start_id",
            "type",
            "id",
            "sessionID",
            "messageID",
        ),
        str,
    ),
    "cost": float,
    "attempt": int,
    "files": List[str],
    **dict.fromkeys(("synthetic", "ignored", "auto", "overflow"), bool),
}


def _build() -> Dict[str, Callable]:
    from pydantic import BaseModel, ConfigDict, Discriminator, Tag, TypeAdapter, ValidationError, create_model

    config = ConfigDict(protected_namespaces=())

    def model(name: str, keys: Tuple[str, ...]) -> type:
        fields = {key: (Optional[_SCALARS.get(key, Any)], None) for key in keys}
        return create_model(name, __config__=config, **fields)  # type: ignore[call-overload]

    infos, parts = build_classes(model)
    roles = [Annotated[cls, Tag(role)] for role, (cls, _) in infos.items()]
    kinds = [Annotated[cls, Tag(kind)] for kind, (cls, _) in parts.items()]
    kinds.append(Annotated[Dict[str, Any], Tag("unknown")])
    info_adapter = TypeAdapter(
        Annotated[Union[tuple(roles)], Discriminator(lambda v: "assistant" if v.get("role") == "assistant" else "user")]
    )
    part_adapter = TypeAdapter(Annotated[Union[tuple(kinds)], Discriminator(_part_tag)])
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


def _part_tag(values: Dict[str, Any]) -> str:
    """The union member a decoded part validates as: its type when that is one of the 12, else ``unknown``
    (a type that is not a string, a list say, is never looked up)."""
    kind = values.get("type")
    return kind if isinstance(kind, str) and kind in PART_KEYS else "unknown"


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
