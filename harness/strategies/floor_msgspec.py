"""``floor-msgspec``: a control, not a strategy — ``msgspec.json.decode`` of the row's data alone.

The decode floor of the msgspec strategies: an untyped decode into dicts, no ids, no Structs, so
its objects do not carry the row's full content (verify skips controls). Access as ``floor-json``.
A row's text with a lone surrogate escaped, which ``msgspec.json`` does not decode, is decoded by
``json.loads``.
"""

from __future__ import annotations

from harness.strategies import register
from harness.strategies._floor import Floor, decoding

try:
    from msgspec import DecodeError
    from msgspec.json import Decoder
except ImportError:  # PyPy: msgspec does not build there
    Decoder = None

_info, _part = decoding(Decoder().decode, (DecodeError,)) if Decoder is not None else decoding(lambda text: None)


@register
class FloorMsgspec(Floor):
    name = "floor-msgspec"
    description = "control: msgspec.json.decode of the data alone (the decode floor of msgspec strategies)"
    requires = ("msgspec",)
    implementations = ("cpython",)

    info = staticmethod(_info)
    part = staticmethod(_part)
