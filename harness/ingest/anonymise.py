"""Anonymisation of imported rows: no content survives, every shape and size does.

- **String values** become a token of the same length, derived from a keyed hash (SHAKE-256 of a
  secret key and the string), so the same string maps to the same token everywhere in a dataset.
  Each character is replaced by one of its own class, so the Python string's kind (ASCII,
  Latin-1, UCS-2, UCS-4) and its UTF-8 and JSON byte lengths are kept: ASCII letters and digits
  and printable ASCII → ASCII letters; the characters JSON writes as a two-character escape
  (``"``, ``\\``, backspace, form feed, newline, carriage return, tab) → one of those seven; other
  control characters (a six-character ``\\u00XX`` escape) → another of them; Latin-1 → Latin-1
  letters; U+0100–U+07FF → Cyrillic; the rest of the BMP → CJK ideographs; astral → CJK extension
  B. What survives is the *position* of the escaped characters (where a text had line breaks or
  quotes, not which). A lone surrogate (only JSON escapes can make one) becomes an ideograph.
  One-character strings below U+0100 (which CPython shares) map one to one within their class.
- **Ids** (``ses_`` / ``msg_`` / ``prt_`` + 12 hex digits of creation time + 14 base62 characters)
  keep their prefix and time digits, so they stay unique, sort in creation order and keep
  pointing at each other (``parentID``, ``tail_start_id``, the id columns); the 14 random
  characters become base62 from the keyed hash. Strings not of that form are tokens as above.
- **Discriminator values** stay: ``role``, part ``type``, tool ``state.status``, ``error.name``,
  ``format.type``, a file's ``source.type`` (and those of files attached to a tool result), so
  strategies build the same classes. Empty strings stay empty.
- **Keys**: field names of the schema stay (``SCHEMA_KEYS``), wherever they appear. Keys that are
  data are mapped like string values but injectively (a key whose token is taken, by another key
  or a field name, gets the next one from a counter): the keys of the records keyed by data
  (``harness.schema.RECORD_PATHS``: tool names, file paths, header names) and every other key
  anywhere inside the open maps (``OPEN_PATHS``: tool input and metadata, provider metadata,
  structured output, a JSON schema), except the keys that lead to a record (``diagnostics`` inside
  a tool's metadata), so the census finds the records where it did. The census puts every nested
  object's key tuple in one set, wherever it sits; keys mapped one to one, and field names kept in
  and outside open maps alike, keep each of its counts. Unknown part types keep their keys (a
  newer writer's field names) and lose their string values; should one of those names also be a
  key inside an open map, it is mapped there, and a key tuple found in both places counts twice.
- Numbers, booleans, nulls, nesting, key sets and key orders are kept exactly.

The key is random per import and never stored: tokens cannot be looked up in a dictionary of
likely strings, and two imports of one database tokenise differently.
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import Any, Dict, FrozenSet, Optional, Set, Tuple

from harness.schema import INFO_KEYS, NESTED_KEYS, PART_KEYS, RECORD_PATHS

Path_ = Tuple[str, ...]

#: Objects whose every key (at any depth) is data: JSON values of no fixed schema.
OPEN_PATHS: FrozenSet[Path_] = frozenset(
    {("metadata",), ("structured",), ("state", "input"), ("state", "metadata"), ("format", "schema")}
)
#: String values that choose a class or a variant: kept.
DISCRIMINATORS: FrozenSet[Path_] = frozenset(
    {
        ("role",),
        ("type",),
        ("state", "status"),
        ("error", "name"),
        ("format", "type"),
        ("source", "type"),
        ("state", "attachments", "type"),
        ("state", "attachments", "source", "type"),
    }
)
#: Field names of opencode's schema, top level and nested (SCHEMA.md): kept wherever they appear,
#: inside open maps too, so that a key tuple found both inside and outside an open map stays one.
SCHEMA_KEYS: FrozenSet[str] = frozenset(
    {key for keys in (*INFO_KEYS.values(), *PART_KEYS.values(), *NESTED_KEYS.values()) for key in keys}
    | {"created", "completed", "start", "end", "compacted"}  # time spans
    | {"total", "input", "output", "reasoning", "cache", "read", "write", "cwd", "root"}  # tokens, path
    | {"providerID", "modelID", "variant", "title", "body", "diffs"}  # model, user summary
    | {"file", "before", "after", "patch", "additions", "deletions", "status"}  # FileDiff, both versions
    | {"name", "data", "message", "ref", "statusCode", "isRetryable", "responseHeaders", "responseBody"}
    | {"metadata", "retries", "value", "path", "range", "line", "character", "kind", "clientName", "uri"}
    | {"text", "type", "schema", "retryCount"}  # error variants, file and agent sources, format
)
#: Paths are followed this deep (every path above is shorter); below, one path stands for all.
_DEPTH = 1 + max(len(path) for path in OPEN_PATHS | DISCRIMINATORS | RECORD_PATHS)
_DEEP: Path_ = ("",) * (_DEPTH + 1)
_RECORD_PREFIXES: FrozenSet[Path_] = frozenset(path[:end] for path in RECORD_PATHS for end in range(1, len(path) + 1))

#: Tokens of short strings are remembered (values repeat: names, models, paths, ids), up to this
#: many at a time (then forgotten at once): bounded memory.
_REMEMBERED, _REMEMBERED_LENGTH = 100_000, 256
_ID = re.compile(r"(ses|msg|prt)_([0-9a-f]{12})([0-9A-Za-z]{14})")
_BASE62 = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ESCAPE2 = b'"\\\b\f\n\r\t'
_ESCAPE6 = bytes(code for code in range(32) if code not in _ESCAPE2)


def _table(alphabet: bytes) -> bytes:
    """A 256-byte translation table spreading every byte over ``alphabet``."""
    return bytes(alphabet[index % len(alphabet)] for index in range(256))


def _mask(members: bytes) -> bytes:
    return bytes(0xFF if index in members else 0 for index in range(256))


_LETTERS = _BASE62[10:]
_BASE62_TABLE, _PLAIN_TABLE = _table(_BASE62), _table(_LETTERS)
_ESCAPE2_TABLE, _ESCAPE6_TABLE = _table(_ESCAPE2), _table(_ESCAPE6)
_ESCAPE2_MASK, _ESCAPE6_MASK = _mask(_ESCAPE2), _mask(_ESCAPE6)
_ESCAPED = _ESCAPE2 + _ESCAPE6
_LATIN1_LETTERS = [chr(code) for code in range(0xC0, 0x100) if code not in (0xD7, 0xF7)]
#: (first code point of a class, how many code points it has) for the characters beyond Latin-1.
_WIDE_CLASSES = ((0x410, 0x40), (0x4E00, 0x5200), (0x20000, 0xA6E0))


def _ascii_token(text: bytes, stream: bytes) -> bytes:
    """An ASCII token for ASCII ``text``: letters (no digits: fewer places where the JSON writer
    must look for a number to rewrite), escaped characters of their class."""
    token = stream.translate(_PLAIN_TABLE)
    if len(text.translate(None, _ESCAPED)) == len(text):
        return token
    value = int.from_bytes(token, "big")
    for mask, table in ((_ESCAPE2_MASK, _ESCAPE2_TABLE), (_ESCAPE6_MASK, _ESCAPE6_TABLE)):
        where = int.from_bytes(text.translate(mask), "big")
        if where:
            value ^= (value ^ int.from_bytes(stream.translate(table), "big")) & where
    return value.to_bytes(len(text), "big")


def _wide_char(char: str, draw: int) -> str:
    code = ord(char)
    if code < 0x80:
        return _ascii_token(char.encode(), draw.to_bytes(4, "big")[-1:]).decode()
    if code < 0x100:
        return _LATIN1_LETTERS[draw % len(_LATIN1_LETTERS)]
    first, size = _WIDE_CLASSES[0 if code < 0x800 else 2 if code > 0xFFFF else 1]
    return chr(first + draw % size)


class Anonymiser:
    """Tokens for one dataset: the same string gives the same token, keys stay distinct."""

    def __init__(self, key: Optional[bytes] = None) -> None:
        self._key = os.urandom(32) if key is None else key
        self._keys: Dict[str, str] = {}
        self._taken: Set[str] = set(SCHEMA_KEYS)
        self._single = self._permutation()
        self._recent: Dict[str, str] = {}

    def _permutation(self) -> Dict[str, str]:
        """A keyed one-to-one map of the one-character strings below U+0100 within their classes:
        CPython keeps one shared object per such string, so a map that merged two of them would
        change the count of distinct objects (the census's deep bytes)."""
        printable = bytes(code for code in range(0x20, 0x80) if code not in _ESCAPE2)
        single: Dict[str, str] = {}
        for members in (printable, _ESCAPE2, _ESCAPE6, bytes(range(0x80, 0x100))):
            chars = [chr(code) for code in members]
            shuffled = sorted(chars, key=lambda char: self._stream(char, 8, 1))
            single.update(zip(chars, shuffled))
        return single

    def _stream(self, text: str, size: int, counter: int = 0) -> bytes:
        seed = self._key + counter.to_bytes(4, "big") + text.encode("utf-8", "surrogatepass")
        return hashlib.shake_256(seed).digest(size)

    def _token(self, text: str, counter: int = 0) -> str:
        if text.isascii():
            raw = text.encode()
            return _ascii_token(raw, self._stream(text, len(raw), counter)).decode()
        stream = self._stream(text, 3 * len(text), counter)
        return "".join(
            _wide_char(char, int.from_bytes(stream[3 * index : 3 * index + 3], "big"))
            for index, char in enumerate(text)
        )

    def string(self, text: str) -> str:
        """The token of a string value (an id keeps its prefix and time digits)."""
        token = self._recent.get(text)
        if token is None:
            token = self._string(text)
            if len(text) <= _REMEMBERED_LENGTH:
                if len(self._recent) >= _REMEMBERED:
                    self._recent.clear()
                self._recent[text] = token
        return token

    def _string(self, text: str) -> str:
        if len(text) < 2:
            return self._single.get(text) or self._token(text) if text else text
        found = _ID.fullmatch(text)
        if found is None:
            return self._token(text)
        tail = self._stream(text, 14).translate(_BASE62_TABLE).decode()
        return f"{found.group(1)}_{found.group(2)}{tail}"

    def key(self, text: str) -> str:
        """The token of a key that is data: as ``string``, unless another key has that token."""
        token = self._keys.get(text)
        if token is not None:
            return token
        token, counter = self.string(text), 0
        while token in self._taken:
            counter += 1
            if counter > 10_000:
                raise ValueError(f"no free token of length {len(text)} for another key")
            token = self._token(text, counter)
        self._keys[text] = token
        self._taken.add(token)
        return token

    def data(self, value: Dict[str, Any]) -> Dict[str, Any]:
        """An info's or a part's ``data`` object, anonymised."""
        return self._object(value, (), False)

    def _value(self, value: Any, path: Path_, inside_open: bool) -> Any:
        if type(value) is str:
            return value if not inside_open and path in DISCRIMINATORS else self.string(value)
        if type(value) is dict:
            return self._object(value, path, inside_open)
        if type(value) is list:
            return [self._value(item, path, inside_open) for item in value]
        return value

    def _object(self, value: Dict[str, Any], path: Path_, inside_open: bool) -> Dict[str, Any]:
        inside_open = inside_open or path in OPEN_PATHS
        keyed = inside_open or path in RECORD_PATHS
        deep = len(path) >= _DEPTH
        out = {}
        for key, item in value.items():
            below = _DEEP if deep else (*path, key)
            opened = inside_open
            if keyed and key not in SCHEMA_KEYS and below not in _RECORD_PREFIXES:
                key, opened = self.key(key), True
            if type(item) is str:  # the common case, without a call
                out[key] = item if not opened and below in DISCRIMINATORS else self.string(item)
            else:
                out[key] = self._value(item, below, opened)
        return out
