"""``msgspec-nogc``: the ``msgspec`` Structs with ``gc=False`` on every class, top level and nested.

Same classes and convert path as ``msgspec`` (``json.loads``, ids added, ``msgspec.convert``), but
no Struct is ever tracked by the cyclic GC: infos, parts and their typed nested values (time, tokens,
tokens.cache, path, model, user summary and its diffs, format, tool state and its time, file / agent
source). What stays tracked: open maps kept as the dicts ``json.loads`` made (error, structured,
metadata, tool input / attachments, format.schema) when they hold a container (a dict of only
atomic values is untracked), lists inside them, and unknown-type parts (dicts). Tuples of untracked
items (patch files, summary diffs) leave the GC at their first collection.
gc=False is safe here: the objects form no reference cycles.
"""

from __future__ import annotations

from harness.strategies import register
from harness.strategies._msgspec import MsgspecStrategy, msgspec_builder


@register
class MsgspecNoGC(MsgspecStrategy):
    name = "msgspec-nogc"
    description = "msgspec Structs with gc=False everywhere, nested values typed Structs too"
    schema_build = staticmethod(msgspec_builder(gc=False))
