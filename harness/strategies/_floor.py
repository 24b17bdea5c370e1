"""Shared body of the decode-floor controls (not a strategy: the registry skips ``_`` modules)."""

from __future__ import annotations

import json
from typing import Any, Callable, Tuple

from harness.canonical import ROW_DATA
from harness.schema import ACCESS_PROPERTIES
from harness.strategies._kernel import item_kernel, open_map_kernel
from harness.strategies.base import Strategy


class Floor(Strategy):
    """A control whose info / part is just the decoded ``data`` (no ids, no object)."""

    control = True
    to_dict = staticmethod(dict)
    field = staticmethod(dict.get)
    access = staticmethod(item_kernel(tuple(key for key in ACCESS_PROPERTIES if key != "role")))
    open_map_access = staticmethod(open_map_kernel("items"))


def decoding(
    decode: Callable[[str], Any], refused: Tuple[type, ...] = ()
) -> Tuple[Callable[[Tuple], Any], Callable[[Tuple], Any]]:
    """``info(row)`` / ``part(row)`` that decode the row's data column and do nothing else (the data
    column is last in both tables, so one function serves both); JSON ``decode`` refuses with
    ``refused`` (a lone surrogate, which ``msgspec.json`` does not decode) is decoded by ``json.loads``."""

    def data(row: Tuple) -> Any:
        try:
            return decode(row[ROW_DATA])
        except refused:
            return json.loads(row[ROW_DATA])

    return data, data
