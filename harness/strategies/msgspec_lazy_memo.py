"""``msgspec-lazy-memo``: ``msgspec-lazy`` whose open maps are decoded once, on their first read.

The same Structs decoded straight from the row's text, every open map and the two arrays kept as
``msgspec.Raw`` fields ``<key>_raw``; but ``o.<key>`` is a ``functools.cached_property``: the first
read decodes and stores the value in the object's ``__dict__``, and every later read finds it there
(a non-data descriptor: the instance dict wins, no Python call). A class holding a Raw field takes
``dict=True``, which msgspec allows only with ``gc=True``. msgspec leaves such a Struct untracked
when no field holds an object of a GC type, as none does once built, and its ``__dict__`` does not
exist until a read; but a Struct holding one of those (a tool part its state, a user its summary)
would be tracked, so it stays ``gc=False`` and its own open maps decode on each read. Building thus
tracks what ``msgspec-lazy`` does (nothing), at a GC header and a dict pointer more per object of
the memo classes (24 bytes on 3.9, 32 on 3.11–3.13); their allocations still count toward
generation 0, so a build sets off young collections, which find nothing to traverse. What a read
keeps is tracked as CPython tracks it: the ``__dict__`` holding a dict or list is always tracked,
and so is a decoded value holding one; a dict of atoms only is not. The memo is no field:
``__struct_fields__``, the census's shape, equality, encoding and ``to_dict`` see the Raw only. A
memoised value is the same object on every read: mutating it mutates the memo, not the Raw (what
the object encodes to). These are the classes ``python_source`` prints in its ``msgspec-lazy-memo``
style.
"""

from __future__ import annotations

from harness.strategies import register
from harness.strategies._msgspec import MsgspecStrategy, msgspec_builder


@register
class MsgspecLazyMemo(MsgspecStrategy):
    name = "msgspec-lazy-memo"
    description = "msgspec-lazy whose open maps are decoded on their first read and kept on the object"
    schema_build = staticmethod(msgspec_builder(lazy=True, memo=True))
