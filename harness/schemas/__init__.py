"""Schemas as data: the schema object, its JSON file, the built-in opencode schema.

``OPENCODE`` is opencode's schema, the one place it is written (``harness.schema``'s key lists, the
JS runner's key orders and the generator's current ones derive from it); ``load_schema(path)`` reads an
edited or inferred one (``harness.schemas.codec`` describes the file); ``infer`` builds one from rows
in one pass; ``codegen.python_source`` writes the classes a user can paste.
"""

from __future__ import annotations

from harness.schemas.codec import SchemaError, SchemaMismatch, dumps, load_schema, loads
from harness.schemas.model import Access, Field, Kind, Schema, Table, Type
from harness.schemas.opencode import OPENCODE

__all__ = [
    "OPENCODE",
    "Access",
    "Field",
    "Kind",
    "Schema",
    "SchemaError",
    "SchemaMismatch",
    "Table",
    "Type",
    "dumps",
    "load_schema",
    "loads",
]
