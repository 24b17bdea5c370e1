"""Which schema a dataset's rows follow: the one its manifest records, an edited file, or opencode's.

A dataset imported from rows records its inferred schema in its manifest (``"schema"``) and writes it
beside the dataset as ``<dataset file name>.schema.json`` for the user to read and edit. The manifest's
copy is the authority; an edited file is used only when given (``--schema FILE``, a job's ``schema``).
A dataset whose manifest records no schema (generated or imported from opencode) is opencode's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Optional, Union

from harness.schemas.codec import SchemaError, from_json, load_schema
from harness.schemas.model import Schema
from harness.schemas.opencode import OPENCODE

SCHEMA_SUFFIX = ".schema.json"


def schema_path(dataset: Path) -> Path:
    """Where a dataset's editable schema file lives: the whole file name plus ``.schema.json``."""
    dataset = Path(dataset)
    return dataset.with_name(dataset.name + SCHEMA_SUFFIX)


def schema_of(manifest: Mapping[str, Any], override: Optional[Union[str, Path]] = None, where: str = "") -> Schema:
    """The schema of a dataset with this manifest; ``override`` (a schema file) wins when given.
    SchemaError (one line) for an override that is nonsense or a manifest whose record is."""
    if override is not None:
        return load_schema(Path(override))
    recorded = manifest.get("schema")
    if recorded is None:
        return OPENCODE
    try:
        return from_json(recorded)
    except ValueError as error:
        raise SchemaError(f"the schema recorded in {where or 'the dataset'}'s manifest: {error}") from None


def is_opencode(schema: Schema) -> bool:
    return schema == OPENCODE
