"""Shared helpers of the class-based strategies (not a strategy: the registry skips ``_`` modules).

- class factories: ``build_classes(make)`` makes one class per role and per part type from the
  schema's key lists; ``make(name, keys)`` is the strategy's own factory (``slots_class`` here).
- ``hydrators(infos, parts)``: the generic row -> object builders; each class is called
  positionally with the row's values for its key list (absent keys as ``None``, legacy keys
  dropped). A role other than ``assistant`` builds as a user, whatever its value; a part type that
  is not one of the schema's (another string, or no string at all: a number, null, a list, an
  object) stays the spread dict, which is exactly ``canonical_part``'s content.
- ``to_dict``: the fields of an object (``cls._keys``) without ``None``s, or a copy of a dict.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

from harness.schema import INFO_KEYS, PART_KEYS, ROLES
from harness.strategies._kernel import ASSISTANT_ONLY, attribute_kernel, open_map_kernel
from harness.strategies.base import Strategy

#: (constructor, keys): the constructor takes the values of ``keys`` positionally; a key of None
#: is never in a decoded row (JSON keys are strings), so its value is always None.
Entry = Tuple[Callable[..., Any], Tuple[Optional[str], ...]]


def class_name(kind: str, suffix: str) -> str:
    """``step-finish`` -> ``StepFinishPart``."""
    return "".join(word.capitalize() for word in kind.split("-")) + suffix


def build_classes(make: Callable[[str, Tuple[str, ...]], type]) -> Tuple[Dict[str, Entry], Dict[str, Entry]]:
    """Entries per role and per part type of classes ``make(name, keys)``; each gets ``_keys``."""

    def entry(name: str, keys: Tuple[str, ...]) -> Entry:
        cls = make(name, keys)
        cls._keys = keys  # type: ignore[attr-defined]
        return cls, keys

    return (
        {role: entry(class_name(role, "Info"), INFO_KEYS[role]) for role in ROLES},
        {kind: entry(class_name(kind, "Part"), keys) for kind, keys in PART_KEYS.items()},
    )


def slots_class(name: str, keys: Sequence[str]) -> type:
    """A ``__slots__`` class whose ``__init__`` takes ``keys`` positionally."""
    namespace: Dict[str, Any] = {}
    body = "".join(f"\n    self.{key} = {key}" for key in keys)
    exec(compile(f"def __init__(self, {', '.join(keys)}):{body}", f"<{name}.__init__>", "exec"), namespace)
    return type(name, (), {"__slots__": tuple(keys), "__init__": namespace["__init__"]})


def hydrators(infos: Dict[str, Entry], parts: Dict[str, Entry]) -> Tuple[Callable, Callable]:
    """``info(row)`` / ``part(row)`` building the entries' classes from stored rows."""
    loads = json.loads
    user, assistant = infos["user"], infos["assistant"]

    def info(row: Tuple) -> Any:
        mid, session_id, _, _, data = row
        values = loads(data)
        values["id"] = mid
        values["sessionID"] = session_id
        make, keys = assistant if values.get("role") == "assistant" else user
        return make(*map(values.get, keys))

    def part(row: Tuple) -> Any:
        pid, message_id, session_id, _, _, data = row
        values = loads(data)
        values["id"] = pid
        values["sessionID"] = session_id
        values["messageID"] = message_id
        kind = values.get("type")
        entry = parts.get(kind) if isinstance(kind, str) else None  # a list or a dict cannot be a key
        if entry is None:  # unknown type: every stored key plus the ids
            return values
        return entry[0](*map(values.get, entry[1]))

    return info, part


def to_dict(obj: Any) -> Dict[str, Any]:
    """Plain JSON data of a generated-class object (``None`` = absent) or of a fallback dict."""
    if isinstance(obj, dict):
        return dict(obj)
    values = ((key, getattr(obj, key, None)) for key in obj._keys)
    return {key: value for key, value in values if value is not None}


@cache
def _once(build: Callable[[], Dict[str, Callable]]) -> Callable[[], Dict[str, Callable]]:
    """``build`` called at most once, however many ``Built`` attributes share it."""
    return cache(build)


class Built:
    """A static method built on first access, for strategies whose classes need a package:
    importing the module stays cheap and works without it. ``build()`` (cached) returns a dict
    of functions; the attribute then replaces itself with ``staticmethod(function)``."""

    def __init__(self, build: Callable[[], Dict[str, Callable]]) -> None:
        self.build = _once(build)

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type) -> Callable:
        function = self.build()[self.name]
        setattr(owner, self.name, staticmethod(function))
        return function


class PerKindClasses(Strategy):
    """Base of the strategies with one class per role and per part type: plain-data ``to_dict``
    and the access loop that reads the assistant-only properties with ``getattr``."""

    to_dict = staticmethod(to_dict)
    access = staticmethod(attribute_kernel(ASSISTANT_ONLY))
    open_map_access = staticmethod(open_map_kernel("attribute-item"))
