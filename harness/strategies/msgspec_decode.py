"""``msgspec-decode``: the ``msgspec`` Structs decoded straight from the row's JSON text.

Same classes as ``msgspec`` (``gc=True``, tagged unions on ``role`` / ``type``, nested values with a
fixed schema typed as Structs: time, tokens, tokens.cache, path, model, user summary and its diffs,
format, tool state and its time, file / agent source), but no intermediate dict: a cached
``msgspec.json.Decoder`` of each tagged union reads the text, then the ids are assigned. Open maps
(error, structured, metadata, tool input, tools, ...) are dicts msgspec builds. GC-tracked as
``msgspec``: Structs holding a container or Struct (msgspec leaves those of only atomic values
untracked), open maps holding containers, lists. A row the union rejects (a role other than user /
assistant, an unknown part type) goes through the generated ``<table>_from_json`` (``OtherMessage``
/ the dict).
"""

from __future__ import annotations

from harness.strategies import register
from harness.strategies._msgspec import MsgspecStrategy, msgspec_builder


@register
class MsgspecDecode(MsgspecStrategy):
    name = "msgspec-decode"
    description = "msgspec Structs decoded straight from the JSON text by a cached tagged-union Decoder"
    schema_build = staticmethod(msgspec_builder(gc=True, decode=True))
