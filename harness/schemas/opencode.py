"""``OPENCODE``: opencode's MessageV2 schema as a schema object, the built-in one.

Key orders, discriminators, ids and open maps are ``harness.schema``'s (a test checks they agree);
field types are those the msgspec strategies declare (``harness.strategies._msgspec_types``), with
SCHEMA.md's ``num`` as ``num`` and ``int≥0`` as ``int``. A field whose type admits null is optional.
A row of any role but ``assistant`` builds as a user; a part of an unknown type stays a dict.

Required is what every writer since message v2 stored, not what today's writer stores: opencode's
JSON migration copied the older writers' files into its tables unvalidated, so what they omitted
is optional here: a user's ``agent`` and ``model`` (the earliest users are ``{role, time}``), an
assistant's ``parentID`` (absent or null), ``mode``, ``agent``, ``path`` and ``cost``, the tokens'
``cache``, a step-finish's ``reason``, a reasoning part's ``time`` and the ``start`` of a time span
(a tool state's ``{}`` or ``{end}``; a pending state is ``{status}`` alone). Keys of no field (an
early assistant's ``system`` list) are dropped, never refused.
"""

from __future__ import annotations

from typing import Any, Dict

from harness.schema import ACCESS_PROPERTIES, INFO_IDS, PART_IDS
from harness.schemas.codec import fields_from_json
from harness.schemas.model import Access, Kind, Schema, Table

_TIME = {"created": "int", "completed?": "int|null"}
_SPAN = {"start?": "int|null", "end?": "int|null", "compacted?": "int|null"}
_MODEL = {"providerID": "str", "modelID": "str", "variant?": "str|null"}
_TOKENS = {
    "total?": "num|null",
    "input": "num",
    "output": "num",
    "reasoning": "num",
    "cache?": {"read": "num", "write": "num"},
}
_DIFF = {
    "file?": "str|null",
    "before?": "str|null",
    "after?": "str|null",
    "patch?": "str|null",
    "additions": "num",
    "deletions": "num",
    "status?": "str|null",
}
_SOURCE_TEXT = {"value": "str", "start": "num", "end": "num"}
_POSITION = {"line": "int", "character": "int"}
_SOURCE = {
    "type": "str",
    "text": _SOURCE_TEXT,
    "path?": "str|null",
    "range?": {"start": _POSITION, "end": _POSITION},
    "name?": "str|null",
    "kind?": "int|null",
    "clientName?": "str|null",
    "uri?": "str|null",
}
_STATE = {
    "status": "str",
    "input?": "any",
    "raw?": "str|null",
    "output?": "str|null",
    "title?": "str|null",
    "metadata?": "any",
    "error?": "str|null",
    "time?": _SPAN,
    "attachments?": "any",
}

_INFOS: Dict[str, Dict[str, Any]] = {
    "user": {
        "time": _TIME,
        "format?": {"type": "str", "schema?": "any", "retryCount?": "int|null"},
        "summary?": {"title?": "str|null", "body?": "str|null", "diffs?": [_DIFF]},
        "agent?": "str|null",
        "model?": _MODEL,
        "system?": "str|null",
        "tools?": {"*": "bool"},
    },
    "assistant": {
        "time": _TIME,
        "error?": "any",
        "parentID?": "str|null",
        "modelID": "str",
        "providerID": "str",
        "mode?": "str|null",
        "agent?": "str|null",
        "path?": {"cwd": "str", "root": "str"},
        "summary?": "bool|null",
        "cost?": "num|null",
        "tokens": _TOKENS,
        "structured?": "any",
        "variant?": "str|null",
        "finish?": "str|null",
    },
}

_PARTS: Dict[str, Dict[str, Any]] = {
    "text": {"text": "str", "synthetic?": "bool|null", "ignored?": "bool|null", "time?": _SPAN, "metadata?": "any"},
    "subtask": {"prompt": "str", "description": "str", "agent": "str", "model?": _MODEL, "command?": "str|null"},
    "reasoning": {"text": "str", "metadata?": "any", "time?": _SPAN},
    "file": {"mime": "str", "filename?": "str|null", "url": "str", "source?": _SOURCE},
    "tool": {"callID": "str", "tool": "str", "state": _STATE, "metadata?": "any"},
    "step-start": {"snapshot?": "str|null"},
    "step-finish": {"reason?": "str|null", "snapshot?": "str|null", "cost": "num", "tokens": _TOKENS},
    "snapshot": {"snapshot": "str"},
    "patch": {"hash": "str", "files": ["str"]},
    "agent": {"name": "str", "source?": _SOURCE_TEXT},
    "retry": {"attempt": "int", "error?": "any", "time": _TIME},
    "compaction": {"auto": "bool", "overflow?": "bool|null", "tail_start_id?": "str|null"},
}

#: The seed's access loop: ``len`` of the role, the cost added, the truth of the other five.
_OPERATIONS = {"role": "len", "cost": "add"}


def _kinds(spec: Dict[str, Dict[str, Any]], where: str) -> tuple:
    return tuple(Kind(tag, fields_from_json(fields, f"{where}.{tag}")) for tag, fields in spec.items())


OPENCODE = Schema(
    name="opencode",
    tables={
        "message": Table("role", _kinds(_INFOS, "message"), INFO_IDS, default="user"),
        "part": Table("type", _kinds(_PARTS, "part"), PART_IDS, default=None),
    },
    access=tuple(Access(key, _OPERATIONS.get(key, "truth")) for key in ACCESS_PROPERTIES),
)
