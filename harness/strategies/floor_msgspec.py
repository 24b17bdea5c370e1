"""``floor-msgspec``: a control, not a strategy — ``msgspec.json.decode`` of the row's data alone.

The decode floor of the msgspec strategies: an untyped decode into dicts, no ids, no Structs, so
its objects do not carry the row's full content (verify skips controls). Access as ``floor-json``.
A row's text with a lone surrogate escaped, which ``msgspec.json`` does not decode, is decoded by
``json.loads``.
"""

from __future__ import annotations

from typing import Any, Callable, Tuple, Type

from harness.strategies import register
from harness.strategies._floor import Floor, decoding


def _decoder() -> Tuple[Callable[[str], Any], Tuple[Type[BaseException], ...]]:
    import msgspec

    return msgspec.json.Decoder().decode, (msgspec.DecodeError,)


@register
class FloorMsgspec(Floor):
    name = "floor-msgspec"
    description = "control: msgspec.json.decode of the data alone (the decode floor of msgspec strategies)"
    requires = ("msgspec",)
    implementations = ("cpython",)
    schema_build = staticmethod(decoding(_decoder))
