"""``msgspec-nogc-shallow``: ``gc=False`` top-level Structs whose nested values stay dicts.

One untracked Struct per info / part (role and type tagged unions, fixed field order, convert path
as ``msgspec``), but every nested value is typed ``Any``: time, tokens, path, model, summary, tool
state, ... stay the dicts and lists ``json.loads`` made. So the GC still tracks every nested dict
that holds a container (``tokens`` holds ``cache``, a tool ``state`` holds ``input`` and ``time``, a
summary holds its ``diffs`` list) and every list — SEED.md measured this variant spending about as
much time in GC as spread dicts; the harness shows it against ``msgspec-nogc``.
"""

from __future__ import annotations

from harness.strategies import register
from harness.strategies._kernel import open_map_kernel
from harness.strategies._msgspec import MsgspecStrategy, msgspec_builder


@register
class MsgspecNoGCShallow(MsgspecStrategy):
    name = "msgspec-nogc-shallow"
    description = "msgspec Structs with gc=False at the top level only; nested values stay dicts"
    open_map_access = staticmethod(open_map_kernel("attribute-item"))
    schema_build = staticmethod(msgspec_builder(gc=False, nested=False))
