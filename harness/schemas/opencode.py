"""``OPENCODE``: opencode's MessageV2 schema, the built-in one and the single place it is written.

Everything else about opencode's shapes derives from it: ``harness.schema``'s key lists, the
pydantic models, the JS runner's builders (``harness/jsc/schema.json``, written by
``write_key_orders``), the realistic generator's current key orders. It is a schema file's JSON
value (``harness.schemas.codec``) read as any other.

Key orders are those of the normalised builders of opencode PR #29029 (``info()`` / ``part()``):
declaration order with the ids moved last. Field types are those the msgspec strategies declare,
with SCHEMA.md's ``num`` as ``num`` and ``int≥0`` as ``int``. A field whose type admits null is
optional. A row of any role but ``assistant`` builds as a user; a part of an unknown type stays a dict.

Required is what every writer since message v2 stored, not what today's writer stores: opencode's
JSON migration copied the older writers' files into its tables unvalidated, so what they omitted
is optional here: a user's ``agent`` and ``model`` (the earliest users are ``{role, time}``), an
assistant's ``parentID`` (absent or null), ``mode``, ``agent``, ``path`` and ``cost``, the tokens'
``cache``, a step-finish's ``reason``, a reasoning part's ``time`` and the ``start`` of a time span
(a tool state's ``{}`` or ``{end}``; a pending state is ``{status}`` alone). Keys of no field (an
early assistant's ``system`` list) are dropped, never refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

from harness.atomic import write_text
from harness.schemas.codec import FORMAT, VERSION, from_json, key_orders_json
from harness.schemas.model import Schema

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

_INFO_IDS = ["id", "sessionID"]

OPENCODE: Schema = from_json(
    {
        "format": FORMAT,
        "version": VERSION,
        "name": "opencode",
        "tables": {
            # ids in row-column order: the row's id, its session id, a part's message id
            "message": {"discriminator": "role", "default": "user", "ids": _INFO_IDS, "kinds": _INFOS},
            "part": {"discriminator": "type", "default": None, "ids": _INFO_IDS + ["messageID"], "kinds": _PARTS},
        },
        # the seed's access loop: ``len`` of the role, the cost added, the truth of the other five
        "access": {
            "role": "len",
            "cost": "add",
            "summary": "truth",
            "finish": "truth",
            "error": "truth",
            "variant": "truth",
            "structured": "truth",
        },
        "records": [
            ["state", "metadata", "diagnostics"],  # edit / write tool result: file path -> LSP diagnostics
            ["error", "data", "responseHeaders"],  # APIError (assistant error, retry part): header -> value
            ["error", "data", "metadata"],  # APIError: map<str, str>
        ],
    }
)


def write_key_orders(path: Path, schema: Schema = OPENCODE) -> None:
    """Write the key orders the JS runner's builders read (``harness/jsc/schema.json`` for opencode)."""
    write_text(path, key_orders_json(schema))
