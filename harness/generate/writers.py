"""Writer versions of the ``realistic`` profile: the key orders each code version stored rows in.

Where a version stores an object in the schema's order (``harness.schemas.OPENCODE``: a part's type
and fields, today's tool state, the tokens and their cache, a file diff less the keys that version
does not write), the order is the schema's; the other orders are the versions' own. Keys absent
from a row are skipped.
"""

from __future__ import annotations

from typing import Dict, NamedTuple, Tuple

from harness.schemas.model import walk
from harness.schemas.opencode import OPENCODE


def _fields(table: str, tag: str, *path: str) -> Tuple[str, ...]:
    """The schema's field order of the object at ``path`` (arrays walked through) in kind ``tag``."""
    kind = OPENCODE.tables[table].kind(tag)
    found = dict(walk(kind.fields))[path].type  # type: ignore[union-attr]
    while found.item is not None:
        found = found.item
    return tuple(field.name for field in found.fields)


def _without(keys: Tuple[str, ...], *dropped: str) -> Tuple[str, ...]:
    return tuple(key for key in keys if key not in dropped)


_PART = OPENCODE.tables["part"]
#: The schema's key order of a stored part per type: its type, then its fields.
PART_ORDERS: Dict[str, Tuple[str, ...]] = {kind.tag: _PART.data_keys(kind) for kind in _PART.kinds}
_TOKENS = _fields("message", "assistant", "tokens")
_CACHE = _fields("message", "assistant", "tokens", "cache")
_DIFF = _fields("message", "user", "summary", "diffs")
_STATE = _fields("part", "tool", "state")


class Writer(NamedTuple):
    """One code version's key orders: infos, nested objects and parts (keys absent from a row are skipped)."""

    user: Tuple[str, ...]
    assistant: Tuple[str, ...]
    tokens: Tuple[str, ...]  # has "total" only on versions that write it
    cache: Tuple[str, ...]
    filediff: Tuple[str, ...]
    state: Tuple[str, ...]  # tool state keys, all statuses
    parts: Dict[str, Tuple[str, ...]]
    newer: bool  # writes compaction tail_start_id


def _part_orders(**overrides: Tuple[str, ...]) -> Dict[str, Tuple[str, ...]]:
    """The schema's key order per part type, with per-version overrides (``_`` for ``-``)."""
    orders = dict(PART_ORDERS)
    orders.update({name.replace("_", "-"): order for name, order in overrides.items()})
    return orders


_OLD_TOOL = ("type", "tool", "callID", "state", "metadata")
_OLD_FINISH = ("reason", "snapshot", "type", "tokens", "cost")
_OLD_REASONING = ("type", "text", "time", "metadata")
_OLD_DIFF = _without(_DIFF, "patch")
_NEW_DIFF = _without(_DIFF, "before", "after")
_BASE_TOKENS = _without(_TOKENS, "total")

#: Writer versions, oldest first; ``RealisticParams.writer_weights`` picks one per session.
WRITERS: Tuple[Writer, ...] = (
    Writer(
        ("role", "time", "agent", "mode", "model", "tools", "system", "format"),
        (
            "system",
            "parentID",
            "role",
            "mode",
            "path",
            "cost",
            "tokens",
            "modelID",
            "providerID",
            "time",
            "agent",
            "summary",
            "variant",
        ),
        _BASE_TOKENS,
        _CACHE,
        _OLD_DIFF,
        ("status", "input", "raw", "output", "title", "metadata", "time", "error", "attachments"),
        _part_orders(
            tool=_OLD_TOOL,
            step_finish=_OLD_FINISH,
            reasoning=_OLD_REASONING,
            file=("type", "url", "filename", "mime", "source"),
            text=("type", "text", "time", "synthetic", "ignored", "metadata"),
        ),
        False,
    ),
    Writer(
        ("role", "time", "tools", "agent", "model", "mode", "system", "format"),
        (
            "parentID",
            "role",
            "mode",
            "agent",
            "path",
            "cost",
            "tokens",
            "modelID",
            "providerID",
            "time",
            "summary",
            "variant",
            "system",
        ),
        _BASE_TOKENS,
        ("write", "read"),
        _OLD_DIFF,
        ("status", "input", "raw", "output", "title", "metadata", "time", "error", "attachments"),
        _part_orders(
            tool=_OLD_TOOL,
            step_finish=_OLD_FINISH,
            reasoning=_OLD_REASONING,
            text=("type", "synthetic", "text", "ignored", "time", "metadata"),
        ),
        False,
    ),
    Writer(
        ("role", "time", "agent", "model", "system", "format", "tools", "mode"),
        (
            "role",
            "parentID",
            "mode",
            "agent",
            "variant",
            "path",
            "summary",
            "cost",
            "tokens",
            "modelID",
            "providerID",
            "time",
        ),
        _TOKENS,
        _CACHE,
        _NEW_DIFF,
        ("status", "input", "raw", "output", "error", "metadata", "title", "time", "attachments"),
        _part_orders(
            step_finish=("type", "reason", "snapshot", "tokens", "cost"),
            text=("type", "text", "synthetic", "ignored", "time", "metadata"),
        ),
        True,
    ),
    Writer(
        ("role", "time", "format", "agent", "model", "system", "tools", "mode"),
        (
            "role",
            "time",
            "parentID",
            "modelID",
            "providerID",
            "mode",
            "agent",
            "path",
            "summary",
            "cost",
            "tokens",
            "variant",
        ),
        _BASE_TOKENS + ("total",),
        _CACHE,
        _NEW_DIFF,
        _STATE,
        _part_orders(),
        True,
    ),
)


#: Key orders of user-supplied parts per client (TUI, desktop / web, SDK, ACP): opencode stores
#: a prompt's parts by spreading the client's JSON, so their key order is the client's.
CLIENTS: Tuple[Dict[str, Tuple[str, ...]], ...] = (
    _part_orders(),
    _part_orders(
        file=("type", "url", "mime", "filename", "source"),
        agent=("type", "source", "name"),
        subtask=("type", "agent", "description", "prompt", "model", "command"),
    ),
    _part_orders(file=("type", "url", "filename", "mime", "source"), text=("type", "ignored", "text")),
    _part_orders(
        file=("type", "filename", "mime", "url", "source"),
        subtask=("type", "description", "prompt", "agent", "command", "model"),
    ),
)
