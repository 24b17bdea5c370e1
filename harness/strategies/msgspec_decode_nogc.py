"""``msgspec-decode-nogc``: the ``msgspec-nogc`` Structs decoded straight from the row's JSON text.

The combination SEED.md points at: no intermediate dict (a cached ``msgspec.json.Decoder`` of each
tagged union reads the text, then the ids are assigned) and ``gc=False`` on every Struct, top level
and nested (time, tokens, tokens.cache, path, model, user summary and its diffs, format, tool state
and its time, file / agent source). Still tracked: open maps msgspec builds as dicts (error,
structured, metadata, tool input, tools, ...) when they hold a container, and unknown-type parts
(dicts).
"""

from __future__ import annotations

from harness.strategies import register
from harness.strategies._msgspec import MsgspecStrategy, msgspec_builder


@register
class MsgspecDecodeNoGC(MsgspecStrategy):
    name = "msgspec-decode-nogc"
    description = "msgspec gc=False Structs decoded straight from the JSON text, nested values typed too"
    schema_build = staticmethod(msgspec_builder(gc=False, decode=True))
