"""Infer a schema from JSON rows in one streaming pass with bounded memory.

``Inference.add(row)`` takes one decoded row (a JSON object) at a time and keeps counters only:
per object path, the fields seen (each with how often it was present, null, and of which JSON
types), never the values themselves. ``schema(name)`` turns the counters into a ``Schema``.

The rules, exactly:

- **Discriminator.** Candidates are the top-level fields first seen with a string value within the
  first ``CANDIDATE_ROWS`` = 100 rows (the first ``MAX_CANDIDATES`` = 8 such fields; rows before a
  field is first seen count as rows without it). A candidate drops out as soon as it shows more than
  ``MAX_KINDS`` = 32 distinct values, or once, from row ``SETTLE_ROWS`` = 1000 on, more than 1 % of
  the rows seen lack it as a string (so fields that are plainly not discriminators stop costing
  counting time early). At row 1000 the best candidate so far (by the score below) is kept and
  the others stop being counted, so from there on each row is counted once. At the end a candidate
  must carry a string in at least ``DISCRIMINATOR_SHARE`` = 99 % of the rows and have at least 2
  distinct values. For each survivor,
  the rows are split by its value and the split is scored by how many (row, field) occurrences it
  makes required: the sum over values of rows × fields present in every row of that value, minus
  rows × fields present in every row overall. The highest positive score wins (the earlier field on
  a tie); when no split makes any field required there is no discriminator and the table has one
  kind. The table's default kind — what a row without the discriminator (at most 1 %) or with
  another value builds as — is the most frequent kind (opencode builds any role but assistant as a
  user the same way). Memory: counters per candidate and value, so at most 8 × 32 copies of a
  row's counters.
- **Record or object.** A nested object whose key set, over all rows, grows beyond ``RECORD_KEYS`` =
  32 distinct keys is a record keyed by data (``{"*": T}``, T the merge of all its values); the moment
  the 33rd key shows, its field counters are merged into one. Fewer keys: a nested object with
  fields. (A map of data keys that stays small — a few tool names — so reads as an object; edit the
  schema file to make it a record.) The top level is a record never: more than ``MAX_TOP_FIELDS`` =
  1024 distinct top-level keys means the rows have no common structure.
- **Types.** Per field, the JSON types seen: one scalar type gives that type (``int`` and ``float``
  together give ``num``); several scalars a union; null with a scalar adds ``null`` to the union;
  an object, an array or a record with null makes the field optional; containers mixed with other
  types give ``any``; an array's element type is the merge of all its elements (``any`` when every
  array was empty). A field is required when every object at its place carries it, and carries
  it non-null unless its type admits null (``"s": "str|null"``: always there, sometimes null).
- **No common structure.** No rows, more than 1024 top-level keys, or no top-level field carried by
  at least half of the rows: ``InferenceError``; so is a schema past a limit of the schema file
  (``harness.schemas.codec``: types nested deeper than 32 levels, more than 50,000 fields in all),
  which no command could read back.
- **Access fields.** The seven most frequent top-level fields (discriminator first when there is one,
  then by presence, ties in first-seen order); numbers are added, anything else counted when truthy.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

from harness.schemas.codec import from_json, to_json
from harness.schemas.model import Access, Field, Kind, Schema, Table, Type

MAX_CANDIDATES = 8
CANDIDATE_ROWS = 100
SETTLE_ROWS = 1000
MAX_KINDS = 32
DISCRIMINATOR_SHARE = 0.99
#: The share of rows a discriminator may be missing from.
_ALLOWED = 1 - DISCRIMINATOR_SHARE
RECORD_KEYS = 32
MAX_TOP_FIELDS = 1024
ACCESS_FIELDS = 7


#: JSON's scalar types as ``json.loads`` makes them (exact types: ``bool`` is not an ``int`` here).
_SCALARS = {str: "str", bool: "bool", int: "int", float: "float"}


class InferenceError(ValueError):
    """The rows have no common structure to infer a schema from."""


class Values:
    """What was seen at one place: how often, how often null, which scalar types, and the counters of
    the objects and array elements found there."""

    __slots__ = ("count", "nulls", "scalars", "obj", "items")

    def __init__(self) -> None:
        self.count = 0
        self.nulls = 0
        self.scalars: Set[str] = set()
        self.obj: Optional[Counters] = None
        self.items: Optional[Values] = None

    def add(self, value: object) -> None:
        self.count += 1
        scalar = _SCALARS.get(type(value))
        if scalar is not None:
            self.scalars.add(scalar)
        elif value is None:
            self.nulls += 1
        elif isinstance(value, dict):
            if self.obj is None:
                self.obj = Counters(RECORD_KEYS)
            self.obj.add(value)
        elif isinstance(value, list):
            if self.items is None:
                self.items = Values()
            for item in value:
                self.items.add(item)

    def merge(self, other: Values) -> None:
        self.count += other.count
        self.nulls += other.nulls
        self.scalars |= other.scalars
        if other.obj is not None:
            if self.obj is None:
                self.obj = Counters(RECORD_KEYS)
            self.obj.merge(other.obj)
        if other.items is not None:
            if self.items is None:
                self.items = Values()
            self.items.merge(other.items)

    def type(self) -> Type:
        scalars = set(self.scalars)
        if {"int", "float"} <= scalars:
            scalars -= {"int", "float"}
            scalars.add("num")
        containers = (self.obj is not None) + (self.items is not None)
        if containers > 1 or containers and scalars:
            return Type("any")
        if self.obj is not None:
            return self.obj.type()
        if self.items is not None:
            return Type("array", item=self.items.type() if self.items.count else Type("any"))
        if not scalars:
            return Type("null") if self.nulls else Type("any")
        options = tuple(sorted(scalars)) + (("null",) if self.nulls else ())
        return Type(options[0]) if len(options) == 1 else Type("union", options=options)


class Counters:
    """The counters of the objects at one place: per field its ``Values`` (first-seen order), or, once
    more than ``limit`` distinct keys have shown, one ``Values`` for all values (a record)."""

    __slots__ = ("count", "fields", "record", "limit")

    def __init__(self, limit: int) -> None:
        self.count = 0
        self.fields: Dict[str, Values] = {}
        self.record: Optional[Values] = None
        self.limit = limit

    def add(self, obj: dict) -> None:
        self.count += 1
        if self.record is not None:
            for value in obj.values():
                self.record.add(value)
            return
        fields = self.fields
        for key, value in obj.items():
            values = fields.get(key)
            if values is None:
                if len(fields) == self.limit:
                    self._become_record()
                    self.count -= 1
                    self.add(obj)
                    return
                values = fields[key] = Values()
            values.add(value)

    def _become_record(self) -> None:
        self.record = Values()
        for values in self.fields.values():
            self.record.merge(values)
        self.fields = {}

    def merge(self, other: Counters) -> None:
        self.count += other.count
        if other.record is not None and self.record is None:
            self._become_record()
        if self.record is not None:
            for values in (other.record,) if other.record is not None else tuple(other.fields.values()):
                self.record.merge(values)
            return
        for key, values in other.fields.items():
            if key not in self.fields and len(self.fields) == self.limit:
                self._become_record()
                self.count -= other.count
                self.merge(other)
                return
            self.fields.setdefault(key, Values()).merge(values)

    def required(self) -> Set[str]:
        return {key for key, values in self.fields.items() if values.count == self.count and not values.nulls}

    def field_list(self, skip: Tuple[str, ...] = ()) -> Tuple[Field, ...]:
        found = []
        for key, values in self.fields.items():
            if key in skip:
                continue
            kind = values.type()
            required = values.count == self.count and (not values.nulls or kind.nullable)
            found.append(Field(key, kind, required))
        return tuple(found)

    def type(self) -> Type:
        if self.record is not None:
            return Type("record", item=self.record.type() if self.record.count else Type("any"))
        return Type("object", fields=self.field_list())


class _Candidate:
    """A discriminator candidate's counters: one ``Counters`` per value, one for the rows without it."""

    __slots__ = ("kinds", "missing", "rest")

    def __init__(self, seen: Optional[Counters]) -> None:
        self.kinds: Dict[str, Counters] = {}
        self.rest = Counters(MAX_TOP_FIELDS)
        self.missing = 0
        if seen is not None:  # the rows before it was first seen lack it
            self.rest.merge(seen)
            self.missing = seen.count

    def add(self, row: dict, key: str) -> Optional[Counters]:
        """Count ``row`` under its value of ``key``; None when that is one value too many."""
        value = row.get(key)
        if not isinstance(value, str):
            self.missing += 1
            counters = self.rest
        else:
            counters = self.kinds.get(value)  # type: ignore[assignment]
            if counters is None:
                if len(self.kinds) == MAX_KINDS:
                    return None
                counters = self.kinds[value] = Counters(MAX_TOP_FIELDS)
        counters.add(row)
        return counters

    def merged(self) -> Counters:
        """The counters of every row it saw (field order: by kind, then the rows without it)."""
        rows = Counters(MAX_TOP_FIELDS)
        for counters in (*self.kinds.values(), self.rest):
            rows.merge(counters)
        return rows


class Inference:
    """Counters of the rows seen so far; ``add`` one row at a time, then ``schema``.

    Until ``SETTLE_ROWS`` rows, every row is counted once overall and once per candidate. Then the
    best candidate so far (``discriminator``) is kept and the others are dropped: from there on each
    row is counted once, under its kind of the kept candidate (the overall counters are their merge);
    with no candidate kept, once overall. The kept candidate must still pass every rule at the end.
    """

    def __init__(self) -> None:
        self.total = 0
        self.rows: Optional[Counters] = Counters(MAX_TOP_FIELDS)
        self.candidates: Dict[str, _Candidate] = {}
        self.dropped: Set[str] = set()

    def add(self, row: dict) -> None:
        """Count one row (a decoded JSON object); InferenceError when the top level is data-keyed."""
        self.total += 1
        if self.rows is not None:
            self._count(self.rows, row)
        if self.total <= CANDIDATE_ROWS and len(self.candidates) < MAX_CANDIDATES:
            self._enlist(row)
        for key, candidate in list(self.candidates.items()):
            counters = candidate.add(row, key)
            if counters is None or self.total >= SETTLE_ROWS and candidate.missing > _ALLOWED * self.total:
                self._drop(key, row if counters is None else None)
            else:
                self._check(counters)
        if self.total == SETTLE_ROWS and self.rows is not None:
            self._settle()

    @staticmethod
    def _count(counters: Counters, row: dict) -> None:
        counters.add(row)
        Inference._check(counters)

    @staticmethod
    def _check(counters: Counters) -> None:
        if counters.record is not None:
            raise InferenceError(f"rows with no common structure: more than {MAX_TOP_FIELDS} distinct top-level keys")

    def _enlist(self, row: dict) -> None:
        for key, value in row.items():
            fresh = key not in self.candidates and key not in self.dropped
            if isinstance(value, str) and fresh and len(self.candidates) < MAX_CANDIDATES:
                seen = Counters(MAX_TOP_FIELDS)
                seen.merge(self.rows)  # type: ignore[arg-type]  # phase one: the overall counters exist
                seen.count -= 1  # this row is counted by the candidate itself
                self.candidates[key] = _Candidate(seen if self.total > 1 else None)

    def _drop(self, key: str, pending: Optional[dict]) -> None:
        """Stop counting candidate ``key``; when it was the one kept, its counters become the overall
        counters (``pending``: a row it could not count)."""
        candidate = self.candidates.pop(key)
        self.dropped.add(key)
        if self.rows is None:
            self.rows = candidate.merged()
            if pending is not None:
                self._count(self.rows, pending)

    def _settle(self) -> None:
        kept = self.discriminator()
        for key in [key for key in self.candidates if key != kept]:
            self._drop(key, None)
        if kept is not None:
            self.rows = None

    def overall(self) -> Counters:
        """The counters of every row."""
        if self.rows is not None:
            return self.rows
        (candidate,) = self.candidates.values()
        return candidate.merged()

    def discriminator(self, rows: Optional[Counters] = None) -> Optional[str]:
        """The candidate whose split makes the most (row, field) occurrences required, if any does."""
        rows = rows or self.overall()
        baseline = rows.count * len(rows.required())
        best, best_gain = None, 0
        for key, candidate in self.candidates.items():
            if candidate.missing > _ALLOWED * rows.count or len(candidate.kinds) < 2:
                continue
            gain = sum(kind.count * len(kind.required()) for kind in candidate.kinds.values()) - baseline
            if gain > best_gain:
                best, best_gain = key, gain
        return best

    def schema(self, name: str) -> Schema:
        """The inferred schema; InferenceError when the rows share no structure."""
        rows = self.overall() if self.total else None
        if rows is None or not rows.count:
            raise InferenceError("no rows to infer a schema from")
        most = max((values.count for values in rows.fields.values()), default=0)
        if most * 2 < rows.count:
            raise InferenceError(
                f"rows with no common structure: no top-level field is in at least half of the {rows.count} rows"
            )
        key = self.discriminator(rows)
        if key is None:
            table = Table(None, (Kind(name, rows.field_list()),))
        else:
            kinds = self.candidates[key].kinds
            default = max(kinds, key=lambda tag: kinds[tag].count)
            built = tuple(Kind(tag, counters.field_list((key,))) for tag, counters in kinds.items())
            table = Table(key, built, default=default)
        schema = Schema(name, {"message": table}, self.access(rows, key))
        try:
            from_json(to_json(schema))  # what a schema file may declare
        except ValueError as error:
            raise InferenceError(f"the rows' schema is past what a schema file may declare: {error}") from None
        return schema

    @staticmethod
    def access(rows: Counters, discriminator: Optional[str]) -> Tuple[Access, ...]:
        order = list(rows.fields)
        ranked = sorted(order, key=lambda k: (k != discriminator, -rows.fields[k].count, order.index(k)))
        return tuple(Access(key, _operation(rows.fields[key].type())) for key in ranked[:ACCESS_FIELDS])


def _operation(kind: Type) -> str:
    """``add`` for a number (possibly null), ``truth`` for anything else."""
    numbers = {"int", "float", "num"}
    options = set(kind.options) - {"null"} if kind.kind == "union" else {kind.kind}
    return "add" if options and options <= numbers else "truth"


def access_for(schema: Schema, fields: Tuple[str, ...]) -> Tuple[Access, ...]:
    """Access reads of the named top-level fields, numbers added, anything else counted when truthy;
    a field of several types across kinds is counted when truthy."""
    found: List[Access] = []
    for key in fields:
        operations = {_operation(field.type) for kind in schema.message.kinds for field in [kind.field(key)] if field}
        found.append(Access(key, operations.pop() if len(operations) == 1 else "truth"))
    return tuple(found)
