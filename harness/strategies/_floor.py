"""Shared body of the decode-floor controls (not a strategy: the registry skips ``_`` modules)."""

from __future__ import annotations

import json
from typing import Any, Callable, Tuple, Type

from harness.schemas.model import Schema
from harness.strategies._from_schema import Builder, FromSchema, Functions, nowhere
from harness.strategies._kernel import access_kernel, open_map_kernel


class Floor(FromSchema):
    """A control whose info / part is just the decoded ``data`` (no ids, no object)."""

    control = True
    field = staticmethod(dict.get)
    open_map_access = staticmethod(open_map_kernel("items"))


def decoding(decoder: Callable[[], Tuple[Callable[[str], Any], Tuple[Type[BaseException], ...]]]) -> Builder:
    """The builder of a control whose info and part decode the row's data column and do nothing else
    (the data column is last in both tables, so one function serves both); ``decoder()`` gives the
    decode and what it refuses that ``json.loads`` decodes (a lone surrogate, which ``msgspec.json``
    does not). The dicts are read with ``.get``: no key is sure to be there."""

    def build(schema: Schema) -> Functions:
        decode, refused = decoder()

        def data(row: Tuple) -> Any:
            try:
                return decode(row[-1])
            except refused:
                return json.loads(row[-1])

        return {"info": data, "part": data, "to_dict": dict, "access": access_kernel(schema, "items", nowhere)}

    return build
