"""The msgspec Structs of the msgspec strategies, defined once: ``build(gc, typed)``.

``build`` returns one variant's classes (cached), or None without msgspec (it does not build on
PyPy), so every msgspec strategy module imports anywhere and reports itself unavailable.

- Info: a tagged union on ``role`` (``User`` / ``Assistant``), plus ``OtherUser`` (``role`` as a
  field of any JSON value, ``Optional[object]``) for any other role, which opencode builds as a
  user: another string, or none at all (a number, null, a list, an object, no role). Part: a
  tagged union on ``type`` (the 12 types of ``harness.schema``); any other type, string or not, is
  left to the strategy (such parts stay dicts). A tag that is not a string is never a dict key.
  The tag is also a class attribute, so ``o.role`` / ``p.type`` read as attributes.
- Top-level fields in ``harness.schema``'s fixed order (tag first, ids last). A field whose type
  admits None defaults to None (ids too, so a decoded Struct can get them afterwards);
  ``omit_defaults`` leaves them out of ``msgspec.to_builtins``. Unknown keys are ignored (dropped).
- ``typed``: nested values with a fixed schema are Structs with the same ``gc`` setting: time,
  tokens, tokens.cache, path, model, the user summary and its FileDiffs (old and new versions'
  keys), format, tool state (one class, all statuses' keys) and its time, file source with its
  text and range, agent source. Arrays of them / of strings are tuples (CPython's GC untracks a
  tuple of untracked items on its first collection; a list stays tracked). Open maps stay ``Any``,
  the dict or list as decoded: error (reference rows store ``{name, message}``, not ``{name, data}``),
  structured, metadata, tool input and attachments, format.schema, tools, retry error.
  Without ``typed`` every nested value is ``Any``.
- ``lazy`` (with ``typed``): every open map, and the arrays (summary diffs, patch files: ``Held``),
  is a ``msgspec.Raw`` field (``<key>_raw``, decoded from and encoded to ``<key>``) holding its
  JSON bytes undecoded, and a property ``<key>`` that decodes them on each read (see
  ``harness.strategies.msgspec_lazy``).
- SCHEMA.md's ``num`` is ``Union[int, float]`` (kept as stored), its ``int≥0`` is ``int``.
- What older writers omitted is optional (see ``harness.schemas.opencode``), so every row opencode
  ever stored builds. Text ``msgspec.json`` does not decode — a JSON-escaped lone surrogate, which
  ``JSON.stringify`` writes when a stream is cut inside an emoji — takes the convert path
  (``json.loads``); a lazy variant's Raw fields are then encoded by ``json.dumps``
  (``codegen.with_raw``) and a property reads such a value back with ``json.loads``.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any, Callable, Dict, NamedTuple, Optional, Tuple, Union, get_args

from harness.schema import INFO_IDS, INFO_KEYS, PART_IDS, PART_KEYS, PART_TYPES
from harness.schemas.codegen import with_raw
from harness.strategies._classes import PerKindClasses
from harness.strategies._kernel import open_map_kernel

try:
    import msgspec
except ImportError:  # PyPy, or not installed: the strategies report themselves unavailable
    msgspec = None  # type: ignore[assignment]

NUM = Union[int, float]
Opt = Optional
INFO_ID_TYPES: Dict[str, Any] = {key: Opt[str] for key in INFO_IDS}
PART_ID_TYPES: Dict[str, Any] = {key: Opt[str] for key in PART_IDS}


class Variant(NamedTuple):
    """One variant's classes: infos by role, the other-role class, parts by type, the two unions."""

    info: Dict[str, type]
    other_info: type
    part: Dict[str, type]
    info_union: Any
    part_union: Any
    lazy: bool = False


def _nullable(kind: Any) -> bool:
    return kind is Any or type(None) in get_args(kind)


#: Where an open map (a JSON value of no fixed schema) sits in the type tables below.
OPEN = Any
#: The attribute a lazy Struct keeps an undecoded value's JSON bytes in.
RAW_SUFFIX = "_raw"


class Held(NamedTuple):
    """A typed field that a lazy variant keeps as JSON bytes too, decoded into ``kind`` on read: the
    arrays (summary diffs, patch files), which msgspec would build as tuples — objects the collector
    tracks until its first collection, and whose allocations set collections off."""

    kind: Any


_LAZY_SOURCE = """def {key}(self):
    raw = self.{key}{suffix}
    if raw is None:
        return None
    try:
        return decode(raw)
    except DecodeError:
        return convert(loads(bytes(raw)), kind)
"""


def _lazy_property(key: str, kind: Any) -> property:
    """``obj.<key>``: the value of type ``kind`` decoded from ``obj.<key>_raw`` on every read (None when
    absent; ``json.loads`` for the lone surrogate ``msgspec.json`` does not decode)."""
    namespace: Dict[str, Any] = {
        "decode": msgspec.json.decode if kind is Any else msgspec.json.Decoder(kind).decode,
        "DecodeError": msgspec.DecodeError,
        "convert": msgspec.convert,
        "loads": json.loads,
        "kind": kind,
    }
    exec(compile(_LAZY_SOURCE.format(key=key, suffix=RAW_SUFFIX), f"<lazy {key}>", "exec"), namespace)
    return property(namespace[key], doc=f"{key}, decoded from its JSON bytes on each read")


def _fields(spec: Dict[str, Any], keys: Tuple[str, ...], lazy: bool) -> Tuple[list, Dict[str, str], Dict[str, Any]]:
    """defstruct fields in ``keys`` order, the renames and the properties of the lazy values."""
    fields: list = []
    rename: Dict[str, str] = {}
    properties: Dict[str, Any] = {}
    for key in keys:
        kind = spec[key]
        if lazy and (kind is OPEN or isinstance(kind, Held)):
            fields.append((key + RAW_SUFFIX, msgspec.Raw, None))
            rename[key + RAW_SUFFIX] = key
            properties[key] = _lazy_property(key, Any if kind is OPEN else kind.kind)
        else:
            fields.append((key, kind, None) if _nullable(kind) else (key, kind))
    return fields, rename, properties


@cache
def build(gc: bool, typed: bool, lazy: bool = False) -> Optional[Variant]:
    """The Struct classes with ``gc``, nested values typed or left as decoded, open maps decoded or
    ``lazy`` (``msgspec.Raw``, needs ``typed``); None without msgspec."""
    if msgspec is None:
        return None
    if lazy and not typed:
        raise ValueError("lazy open maps need typed nested values (the tool state and format hold them)")
    suffix = ("" if gc else "NoGC") + ("" if typed else "Shallow") + ("Lazy" if lazy else "")

    def struct(name: str, spec: Dict[str, Any], keys: Tuple[str, ...] = (), **options: Any) -> type:
        keys = keys or tuple(spec)
        assert set(keys) == set(spec), f"{name}: the type table and harness.schema disagree"
        fields, rename, properties = _fields(spec, keys, lazy)
        options["namespace"] = {**options.get("namespace", {}), **properties}
        return msgspec.defstruct(
            name + suffix,
            fields,
            module=__name__,
            kw_only=True,
            omit_defaults=True,
            gc=gc,
            rename=rename or None,
            **options,
        )

    n: Callable[[Any], Any] = (lambda kind: kind) if typed else (lambda kind: Any)
    held: Callable[[Any], Any] = Held if lazy else (lambda kind: kind)
    s, i, num, b = Opt[str], Opt[int], Opt[NUM], Opt[bool]
    time = n(struct("Time", {"created": int, "completed": i}))
    span = n(struct("Span", {"start": i, "end": i, "compacted": i}))
    model = n(struct("Model", {"providerID": str, "modelID": str, "variant": s}))
    path = n(struct("Path", {"cwd": str, "root": str}))
    cache = struct("Cache", {"read": NUM, "write": NUM})
    tokens = n(struct("Tokens", {"total": num, "input": NUM, "output": NUM, "reasoning": NUM, "cache": Opt[cache]}))
    diff = struct(
        "FileDiff", {"file": s, "before": s, "after": s, "patch": s, "additions": NUM, "deletions": NUM, "status": s}
    )
    summary = n(struct("Summary", {"title": s, "body": s, "diffs": held(Opt[Tuple[diff, ...]])}))
    fmt = n(struct("Format", {"type": str, "schema": OPEN, "retryCount": i}))
    state = n(
        struct(
            "ToolState",
            {
                "status": str,
                "input": OPEN,
                "raw": s,
                "output": s,
                "title": s,
                "metadata": OPEN,
                "error": s,
                "time": Opt[span],
                "attachments": OPEN,
            },
        )
    )
    source_text = struct("SourceText", {"value": str, "start": NUM, "end": NUM})
    position = struct("Position", {"line": int, "character": int})
    span_range = struct("Range", {"start": position, "end": position})
    source = n(
        struct(
            "FileSource",
            {
                "type": str,
                "text": source_text,
                "path": s,
                "range": Opt[span_range],
                "name": s,
                "kind": i,
                "clientName": s,
                "uri": s,
            },
        )
    )
    source_text, strings = n(source_text), held(n(Tuple[str, ...]))

    user = {
        "time": time,
        "format": Opt[fmt],
        "summary": Opt[summary],
        "agent": s,
        "model": Opt[model],
        "system": s,
        "tools": OPEN,
        **INFO_ID_TYPES,
    }
    assistant = {
        "time": time,
        "error": OPEN,
        "parentID": s,
        "modelID": str,
        "providerID": str,
        "mode": s,
        "agent": s,
        "path": Opt[path],
        "summary": b,
        "cost": num,
        "tokens": tokens,
        "structured": OPEN,
        "variant": s,
        "finish": s,
        **INFO_ID_TYPES,
    }
    parts = {
        "text": {"text": str, "synthetic": b, "ignored": b, "time": Opt[span], "metadata": OPEN},
        "subtask": {"prompt": str, "description": str, "agent": str, "model": Opt[model], "command": s},
        "reasoning": {"text": str, "metadata": OPEN, "time": Opt[span]},
        "file": {"mime": str, "filename": s, "url": str, "source": Opt[source]},
        "tool": {"callID": str, "tool": str, "state": state, "metadata": OPEN},
        "step-start": {"snapshot": s},
        "step-finish": {"reason": s, "snapshot": s, "cost": NUM, "tokens": tokens},
        "snapshot": {"snapshot": str},
        "patch": {"hash": str, "files": strings},
        "agent": {"name": str, "source": Opt[source_text]},
        "retry": {"attempt": int, "error": OPEN, "time": time},
        "compaction": {"auto": bool, "overflow": b, "tail_start_id": s},
    }
    info = {
        role: struct(role.title(), spec, INFO_KEYS[role][1:], tag_field="role", tag=role, namespace={"role": role})
        for role, spec in (("user", user), ("assistant", assistant))
    }
    # any JSON value (not Any, which a lazy variant would keep as Raw): the access loop reads the role
    other = struct("OtherUser", {"role": Opt[object], **user}, ("role",) + INFO_KEYS["user"][1:])
    part = {
        kind: struct(
            kind.title().replace("-", "") + "Part",
            {**parts[kind], **PART_ID_TYPES},
            PART_KEYS[kind][1:],
            tag_field="type",
            tag=kind,
            namespace={"type": kind},
        )
        for kind in PART_TYPES
    }
    return Variant(info, other, part, Union[tuple(info.values())], Union[tuple(part.values())], lazy)


def converters(variant: Optional[Variant]) -> Tuple[Callable[[Tuple], Any], Callable[[Tuple], Any]]:
    """``info(row)`` / ``part(row)`` on the convert path: ``json.loads``, ids added, ``msgspec.convert``.

    A role other than user / assistant (a string or not) builds an ``OtherUser``; an unknown part type
    (a string or not) stays the decoded dict with the ids appended (every stored key, as opencode
    keeps them). A lazy variant's ``msgspec.Raw`` fields cannot be converted from decoded values, so
    there the row's text is decoded into the class the decoded role / type picks.
    """
    if variant is None:
        return _missing, _missing
    if variant.lazy:
        return _text_converters(variant)
    loads, convert = json.loads, msgspec.convert
    infos, other, parts = variant.info, variant.other_info, variant.part

    def info(row: Tuple) -> Any:
        mid, session_id, _, _, data = row
        values = loads(data)
        values["id"] = mid
        values["sessionID"] = session_id
        role = values.get("role")
        return convert(values, infos.get(role, other) if isinstance(role, str) else other)

    def part(row: Tuple) -> Any:
        pid, message_id, session_id, _, _, data = row
        values = loads(data)
        values["id"] = pid
        values["sessionID"] = session_id
        values["messageID"] = message_id
        kind = values.get("type")
        cls = parts.get(kind) if isinstance(kind, str) else None
        return values if cls is None else convert(values, cls)

    return info, part


def _text_converters(variant: Variant) -> Tuple[Callable[[Tuple], Any], Callable[[Tuple], Any]]:
    """The convert path of a lazy variant: the role / type picked from the decoded row, then the
    row's text decoded into that class (which raises for a malformed known shape); text
    ``msgspec.json`` does not decode (a lone surrogate) is converted from the decoded row instead, its
    open maps made Raw JSON again (``codegen.with_raw``)."""
    loads, decode, convert = json.loads, msgspec.json.decode, msgspec.convert
    infos, other, parts = variant.info, variant.other_info, variant.part

    def built(data: str, values: Dict[str, Any], cls: type) -> Any:
        try:
            return decode(data, type=cls)
        except msgspec.ValidationError:
            raise
        except msgspec.DecodeError:
            return convert(with_raw(values, cls), cls)

    def info(row: Tuple) -> Any:
        mid, session_id, _, _, data = row
        values = loads(data)
        role = values.get("role")
        obj = built(data, values, infos.get(role, other) if isinstance(role, str) else other)
        obj.id = mid
        obj.sessionID = session_id
        return obj

    def part(row: Tuple) -> Any:
        pid, message_id, session_id, _, _, data = row
        values = loads(data)
        kind = values.get("type")
        cls = parts.get(kind) if isinstance(kind, str) else None
        obj = values if cls is None else built(data, values, cls)
        ids = zip(PART_IDS, (pid, session_id, message_id))
        if cls is None:
            obj.update(ids)
        else:
            for key, value in ids:
                setattr(obj, key, value)
        return obj

    return info, part


def decoders(variant: Optional[Variant]) -> Tuple[Callable[[Tuple], Any], Callable[[Tuple], Any]]:
    """``info(row)`` / ``part(row)`` decoding the JSON text straight into the Structs, ids set after.

    A cached ``msgspec.json.Decoder`` per tagged union; no intermediate dict. Assigning the ids
    measured as fast as or faster than ``msgspec.structs.replace`` (which copies). A row the union
    rejects (another role, an unknown part type, a tag that is not a string) or whose text
    ``msgspec.json`` does not decode (a lone surrogate) takes the convert path, which builds it or
    raises the validation error again for a malformed known shape.
    """
    if variant is None:
        return _missing, _missing
    convert_info, convert_part = converters(variant)
    decode_info = msgspec.json.Decoder(variant.info_union).decode
    decode_part = msgspec.json.Decoder(variant.part_union).decode
    invalid = msgspec.DecodeError  # a ValidationError too

    def info(row: Tuple) -> Any:
        mid, session_id, _, _, data = row
        try:
            obj = decode_info(data)
        except invalid:
            return convert_info(row)
        obj.id = mid
        obj.sessionID = session_id
        return obj

    def part(row: Tuple) -> Any:
        pid, message_id, session_id, _, _, data = row
        try:
            obj = decode_part(data)
        except invalid:
            return convert_part(row)
        obj.id = pid
        obj.sessionID = session_id
        obj.messageID = message_id
        return obj

    return info, part


def to_dict(obj: Any) -> Dict[str, Any]:
    """A Struct (or a fallback dict) as plain JSON data; None-valued optionals are left out."""
    if msgspec is None:
        _missing()
    return msgspec.to_builtins(obj)


def lazy_to_dict(obj: Any) -> Dict[str, Any]:
    """``to_dict`` of a lazy variant's objects: plain data with every ``Raw`` (under the open maps'
    own keys) decoded by ``json.loads``, which decodes a lone surrogate too."""
    if msgspec is None:
        _missing()
    return msgspec.to_builtins(obj, enc_hook=_raw_value)


def _raw_value(raw: Any) -> Any:
    return json.loads(bytes(raw))


def _missing(*_: Any) -> Any:
    raise RuntimeError("msgspec is not installed (it does not build on PyPy)")


class MsgspecStrategy(PerKindClasses):
    """Base of the msgspec strategies: needs msgspec (CPython only); Structs to plain data; a tool
    part's state is a Struct (typed nested values)."""

    requires = ("msgspec",)
    implementations = ("cpython",)
    to_dict = staticmethod(to_dict)
    open_map_access = staticmethod(open_map_kernel("attributes"))
