"""Anonymisation of imported rows, by allow-list: no content survives, every shape and size does.

What stays is what opencode's schema (``harness.schemas.OPENCODE``, with the records of
``harness.schema.RECORD_PATHS``) names, and only where it names it:

- **Field names at their position**: the fields of a row's kind (its role or part type), those of
  the objects nested in them (``time``, ``tokens``, a tool ``state``, a file ``source``…) and the
  ids. Any other key of those objects — a field the schema does not have there — is mapped, and
  everything below it is mapped as well.
- **Discriminator values the schema knows**: a message's ``role`` when it is ``user`` or
  ``assistant``, a part's ``type`` when it is one of the twelve. A row of another role builds as a
  user (as opencode builds it): its user fields stay, its role is mapped. A part of another type
  keeps its ``type`` key alone. Values that choose a variant below the top (tool ``status``, error
  ``name``, ``format.type``, ``source.type``) are plain strings to the schema and are mapped like
  any string: nothing measured reads them.
- **Inside the values of no fixed schema** (``any``: tool ``input`` and ``metadata``, provider
  ``metadata``, ``structured``, ``error``, ``attachments``; records: ``tools``, and those of
  ``RECORD_PATHS`` — LSP diagnostics keyed by file path, response headers) a key stays when it is
  a word of the schema (``VOCABULARY``: its field names, and the keys on the way to its records);
  every other key is mapped. The JSON decoder keeps one string per distinct key of a row, and the
  census counts those strings, the nested key tuples wherever they sit and the records where they
  are: a field name kept in the schema's objects is kept in the open values of the same row, or
  the figures would change.

Everything else is mapped:

- **Strings** become a token of the same length, derived from a keyed hash (SHAKE-256 of a secret
  key and the string), so the same string maps to the same token everywhere in a dataset. Each
  character is replaced by one of its own class, so the Python string's kind (ASCII, Latin-1,
  UCS-2, UCS-4) and its UTF-8 and JSON byte lengths are kept: ASCII letters and digits and
  printable ASCII → ASCII letters; the characters JSON writes as a two-character escape (``"``,
  ``\\``, backspace, form feed, newline, carriage return, tab) → one of those seven; other control
  characters (a six-character ``\\u00XX`` escape) → another of them; Latin-1 → Latin-1 letters;
  U+0100–U+07FF → Cyrillic; the rest of the BMP → CJK ideographs; astral → CJK extension B; a lone
  surrogate (only a JSON escape makes one, and ``js_dumps`` writes it as one) → a lone surrogate
  of its half. What survives is the *position* of the escaped characters (where a text
  had line breaks or quotes, not which). One-character strings below U+0100 (which CPython shares)
  map one to one within their class. Empty strings stay empty.
- **Ids** (``ses_`` / ``msg_`` / ``prt_`` + 12 hex digits of creation time + 14 base62 characters)
  keep their prefix and time digits, so they stay unique, sort in creation order and keep
  pointing at each other (``parentID``, ``tail_start_id``, the id columns); the 14 random
  characters become base62 from the keyed hash. Strings not of that form are tokens as above.
- **Keys** are mapped like strings but one to one (a key whose token is taken, by another key or a
  word of the schema, gets the next one from a counter), so key sets, key orders and the census's
  counts of them are kept.
- Numbers, booleans, nulls, nesting, list lengths and key orders are kept exactly.

The key is random per import and never stored: tokens cannot be looked up in a dictionary of
likely strings, and two imports of one database tokenise differently.
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import Any, Dict, FrozenSet, Iterable, Optional, Set

from harness.schema import RECORD_PATHS
from harness.schemas.model import Field, Schema, Table, Type, walk
from harness.schemas.opencode import OPENCODE


def _vocabulary(schema: Schema) -> FrozenSet[str]:
    """Every field name of ``schema`` at any depth, its discriminators and ids, and the keys on the
    way to opencode's records."""
    words = {key for path in RECORD_PATHS for key in path}
    for table in schema.tables.values():
        words.update(table.ids)
        words.update([table.discriminator] if table.discriminator else [])
        for kind in table.kinds:
            words.update(path[-1] for path, _ in walk(kind.fields))
    return frozenset(words)


#: The words of opencode's schema: kept as keys inside its open values.
VOCABULARY: FrozenSet[str] = _vocabulary(OPENCODE)


class _Place:
    """Where a value sits in the schema. Either an object of known fields (``fields``: each name with
    the place of its value; any other key is mapped, and its value is ``_UNNAMED``), or a value
    whose keys are data (``fields`` None: keys in ``keep`` stay, the others are mapped, every value
    is at ``item``). String values in ``tags`` stay; every other string is mapped."""

    __slots__ = ("fields", "keep", "item", "tags")

    def __init__(
        self,
        fields: Optional[Dict[str, _Place]] = None,
        keep: FrozenSet[str] = frozenset(),
        item: Optional[_Place] = None,
        tags: FrozenSet[str] = frozenset(),
    ) -> None:
        self.fields = fields
        self.keep = keep
        self.item = self if item is None else item
        self.tags = tags


#: A value of which the schema names nothing (a scalar's, an unknown field's): all of it is mapped.
_UNNAMED = _Place()
#: A value of no fixed schema (``any``): the schema's words stay as keys, at any depth.
_OPEN = _Place(keep=VOCABULARY)


def _place(kind: Type) -> _Place:
    while kind.kind == "array" and kind.item is not None:  # a list's items sit where the list does
        kind = kind.item
    if kind.kind == "object":
        return _object_place(kind.fields)
    if kind.kind == "record" and kind.item is not None:
        return _Place(keep=VOCABULARY, item=_place(kind.item))
    return _OPEN if kind.kind == "any" else _UNNAMED


def _object_place(fields: Iterable[Field], known: Optional[Dict[str, _Place]] = None) -> _Place:
    places = dict(known or {})
    places.update((field.name, _place(field.type)) for field in fields)
    return _Place(fields=places)


class _TablePlaces:
    """The place of each kind of a table's rows, and of a row of a discriminator value it lacks."""

    def __init__(self, table: Table) -> None:
        top = {name: _UNNAMED for name in table.ids}
        if table.discriminator:
            top[table.discriminator] = _Place(tags=frozenset(kind.tag for kind in table.kinds))
        self.discriminator = table.discriminator
        self.kinds = {kind.tag: _object_place(kind.fields, top) for kind in table.kinds}
        self.default = self.kinds[table.default] if table.default else _object_place((), top)

    def of(self, value: Dict[str, Any]) -> _Place:
        tag = value.get(self.discriminator) if self.discriminator else None
        return self.kinds.get(tag, self.default) if type(tag) is str else self.default


_TABLES: Dict[str, _TablePlaces] = {name: _TablePlaces(table) for name, table in OPENCODE.tables.items()}

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
    if 0xD800 <= code < 0xE000:  # a lone surrogate: one of its own half, a six-character escape too
        return chr((code & 0xFC00) + draw % 0x400)
    first, size = _WIDE_CLASSES[0 if code < 0x800 else 2 if code > 0xFFFF else 1]
    return chr(first + draw % size)


class Anonymiser:
    """Tokens for one dataset: the same string gives the same token, keys stay distinct."""

    def __init__(self, key: Optional[bytes] = None) -> None:
        self._key = os.urandom(32) if key is None else key
        self._keys: Dict[str, str] = {}
        self._taken: Set[str] = set(VOCABULARY)
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
        """The token of a key that is data: as ``string``, never a word of the schema nor another
        key's token."""
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

    def data(self, value: Dict[str, Any], table: str) -> Dict[str, Any]:
        """A ``data`` object of ``table`` (``message``: an info; ``part``), anonymised."""
        return self._object(value, _TABLES[table].of(value))

    def _value(self, value: Any, place: _Place) -> Any:
        if type(value) is str:
            return value if value in place.tags else self.string(value)
        if type(value) is dict:
            return self._object(value, place)
        if type(value) is list:
            return [self._value(item, place) for item in value]
        return value

    def _object(self, value: Dict[str, Any], place: _Place) -> Dict[str, Any]:
        fields = place.fields
        out = {}
        for key, item in value.items():
            if fields is None:
                below = place.item
                if key not in place.keep:
                    key = self.key(key)
            else:
                below = fields.get(key)  # type: ignore[assignment]
                if below is None:
                    key, below = self.key(key), _UNNAMED
            if type(item) is str:  # the common case, without a call
                out[key] = item if item in below.tags else self.string(item)
            else:
                out[key] = self._value(item, below)
        return out
