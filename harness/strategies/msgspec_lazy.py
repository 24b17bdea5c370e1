"""``msgspec-lazy``: ``msgspec-decode-nogc`` with every open map kept as undecoded JSON bytes.

The same ``gc=False`` Structs decoded straight from the row's text (nested values with a fixed schema
typed as Structs too), but each open map — tool ``input`` / ``metadata`` / ``attachments``, part
``metadata``, ``error``, ``structured``, ``tools``, ``format.schema``, retry ``error`` — is a
``msgspec.Raw`` field ``<key>_raw``: its JSON bytes, not decoded, never tracked. So are the two
arrays (user summary ``diffs``, patch ``files``), which msgspec would build as tuples: the collector
tracks those until its first collection, and their allocations alone set collections off. ``o.<key>``
is a property that decodes on every read (a fresh value each time, never stored on the object, so an
object stays untracked however often it is read; keep the value when reading it repeatedly; an
array decodes into its typed Structs). Nothing of an object is ever tracked by the cyclic GC, and
building one allocates nothing the GC counts. The price: an open-map read decodes (the ``open-map``
access variant measures it), and each Raw keeps the row's whole text alive (a view into it, as
msgspec decodes; ``Raw.copy()`` would keep only the map's bytes, at about 40 % more build time).
These are the classes ``harness advise --code`` prints in its ``msgspec-lazy`` style. ``to_dict``
decodes every Raw value for ``harness verify``.
"""

from __future__ import annotations

from harness.strategies import register
from harness.strategies._msgspec import MsgspecStrategy, msgspec_builder


@register
class MsgspecLazy(MsgspecStrategy):
    name = "msgspec-lazy"
    description = "msgspec-decode-nogc with every open map kept as msgspec.Raw JSON bytes, decoded on read"
    schema_build = staticmethod(msgspec_builder(lazy=True))
