"""``msgspec-lazy``: ``msgspec-decode-nogc`` with every open map kept as undecoded JSON bytes.

The same ``gc=False`` Structs decoded straight from the row's text (nested values with a fixed schema
typed as Structs too), but each open map — tool ``input`` / ``metadata`` / ``attachments``, part
``metadata``, ``error``, ``structured``, ``tools``, ``format.schema``, retry ``error`` — is a
``msgspec.Raw`` field ``<key>_raw``: its JSON bytes, not decoded, never tracked. ``o.<key>`` is a
property that decodes them on every read (a fresh dict each time, never stored on the object, so an
object stays untracked however often it is read; keep the value when reading it repeatedly).
Nothing of an object is tracked by the cyclic GC: Structs are ``gc=False``, Raw is no container and
tuples of untracked items leave the GC at their first collection. The price: an open-map read
decodes (the ``open-map`` access variant measures it), and each Raw keeps the row's whole text
alive (a view into it, as msgspec decodes; ``Raw.copy()`` would keep only the map's bytes).
``to_dict`` encodes and decodes the object, so every open map is decoded for ``harness verify``.
"""

from __future__ import annotations

from harness.strategies import register
from harness.strategies._msgspec_types import MsgspecStrategy, build, decoders, lazy_to_dict

_info, _part = decoders(build(gc=False, typed=True, lazy=True))


@register
class MsgspecLazy(MsgspecStrategy):
    name = "msgspec-lazy"
    description = "msgspec-decode-nogc with every open map kept as msgspec.Raw JSON bytes, decoded on read"

    info = staticmethod(_info)
    part = staticmethod(_part)
    to_dict = staticmethod(lazy_to_dict)
