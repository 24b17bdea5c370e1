"""opencode's MessageV2 shapes: discriminators and the fixed key order per shape.

The fixed orders are those of the normalised builders of opencode PR #29029
(``info()`` / ``part()``): declaration order with the ids moved last. Every
hydration strategy and the shape census take their key lists from here.
"""

from __future__ import annotations

from typing import Dict, FrozenSet, Tuple

SESSION_ID_KEY = "sessionID"
MESSAGE_ID_KEY = "messageID"
INFO_IDS: Tuple[str, ...] = ("id", SESSION_ID_KEY)
PART_IDS: Tuple[str, ...] = ("id", SESSION_ID_KEY, MESSAGE_ID_KEY)

ROLES: Tuple[str, ...] = ("user", "assistant")

#: Fixed info keys per role, ids included. Any role other than ``assistant`` builds as ``user``.
INFO_KEYS: Dict[str, Tuple[str, ...]] = {
    "user": ("role", "time", "format", "summary", "agent", "model", "system", "tools") + INFO_IDS,
    "assistant": (
        "role",
        "time",
        "error",
        "parentID",
        "modelID",
        "providerID",
        "mode",
        "agent",
        "path",
        "summary",
        "cost",
        "tokens",
        "structured",
        "variant",
        "finish",
    )
    + INFO_IDS,
}

#: The 12 part types in the order of opencode's union.
PART_TYPES: Tuple[str, ...] = (
    "text",
    "subtask",
    "reasoning",
    "file",
    "tool",
    "step-start",
    "step-finish",
    "snapshot",
    "patch",
    "agent",
    "retry",
    "compaction",
)

_PART_FIELDS: Dict[str, Tuple[str, ...]] = {
    "text": ("text", "synthetic", "ignored", "time", "metadata"),
    "subtask": ("prompt", "description", "agent", "model", "command"),
    "reasoning": ("text", "metadata", "time"),
    "file": ("mime", "filename", "url", "source"),
    "tool": ("callID", "tool", "state", "metadata"),
    "step-start": ("snapshot",),
    "step-finish": ("reason", "snapshot", "cost", "tokens"),
    "snapshot": ("snapshot",),
    "patch": ("hash", "files"),
    "agent": ("name", "source"),
    "retry": ("attempt", "error", "time"),
    "compaction": ("auto", "overflow", "tail_start_id"),
}

#: Fixed part keys per type, ids included.
PART_KEYS: Dict[str, Tuple[str, ...]] = {kind: ("type",) + fields + PART_IDS for kind, fields in _PART_FIELDS.items()}

#: Where the schema holds records keyed by data rather than by the schema (``map<str, X>``): the key
#: path from an info or part down to the record (list items do not add to a path). The census
#: counts objects found there as data-keyed records, every other object below the top level as a
#: nested schema object; no fixed top-level key list touches either.
RECORD_PATHS: FrozenSet[Tuple[str, ...]] = frozenset(
    {
        ("tools",),  # user info: tool name -> enabled
        ("state", "metadata", "diagnostics"),  # edit / write tool result: file path -> LSP diagnostics
        ("error", "data", "responseHeaders"),  # APIError (assistant error, retry part): header -> value
        ("error", "data", "metadata"),  # APIError: map<str, str>
    }
)

#: Nested objects of a fixed schema that hold open maps: a tool part's ``state`` (every status's keys)
#: and a user's output ``format``.
NESTED_KEYS: Dict[str, Tuple[str, ...]] = {
    "state": ("status", "input", "raw", "output", "title", "metadata", "error", "time", "attachments"),
    "format": ("type", "schema", "retryCount"),
}

#: Open maps — JSON values of no fixed schema (records, ``Any``) — per role, part type and nested
#: object of ``NESTED_KEYS``: what a lazy strategy keeps as undecoded JSON until it is read.
OPEN_MAPS: Dict[str, Tuple[str, ...]] = {
    "user": ("tools",),
    "assistant": ("error", "structured"),
    "text": ("metadata",),
    "reasoning": ("metadata",),
    "tool": ("metadata",),
    "retry": ("error",),
    "state": ("input", "metadata", "attachments"),
    "format": ("schema",),
}

#: The seven properties the seed's access test reads from every info.
ACCESS_PROPERTIES: Tuple[str, ...] = ("role", "cost", "summary", "finish", "error", "variant", "structured")


def info_keys(role: object) -> Tuple[str, ...]:
    """Fixed key order for an info with this ``role`` (any other value, string or not, builds as user)."""
    return INFO_KEYS["assistant" if role == "assistant" else "user"]


def part_keys(kind: object, data: dict) -> Tuple[str, ...]:
    """Fixed key order for a part; a type that is not one of ``PART_TYPES`` (or not a string at all:
    a number, null, a list, an object) keeps its stored keys in stored order."""
    keys = PART_KEYS.get(kind) if isinstance(kind, str) else None
    if keys is not None:
        return keys
    return tuple(data) + PART_IDS
