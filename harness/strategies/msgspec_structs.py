"""``msgspec``: msgspec Structs, tagged unions on ``role`` / ``type``, converted from ``json.loads`` output.

One Struct class per role and per part type (``harness.strategies._msgspec``: the classes ``harness
advise --code`` prints, with ``gc=True``), fields in the fixed key order, absent optionals None. The
row's JSON is decoded to dicts first, the ids are added, and ``msgspec.convert`` builds the Struct:
the "convert an already-parsed row" path. Nested values with a fixed schema are typed Structs too
(time, tokens, tokens.cache, path, model, user summary and its diffs, format, tool state and its time,
file / agent source); open maps (error, structured, metadata, tool input, ...) stay the dicts
``json.loads`` made. GC-tracked (``gc=True``): every Struct holding a container or another Struct
(infos, parts, tokens, summary, tool state, file source); msgspec leaves a Struct of only atomic
values (time, path, model, cache) untracked, as CPython does such dicts; plus open maps holding
containers, and lists. Unknown part types stay dicts; other roles build as ``OtherMessage``.
"""

from __future__ import annotations

from harness.strategies import register
from harness.strategies._msgspec import MsgspecStrategy, msgspec_builder


@register
class MsgspecStructs(MsgspecStrategy):
    name = "msgspec"
    description = "msgspec Structs (tagged unions, nested Structs) converted from json.loads output"
    schema_build = staticmethod(msgspec_builder(gc=True))
