"""``floor-json``: a control, not a strategy — ``json.loads`` of the row's data and nothing else.

The decode floor of every strategy that starts from ``json.loads``: no ids are added and no
object is built, so its objects do not carry the row's full content (verify skips controls).
Its access loop reads the decoded dicts with ``.get``.
"""

from __future__ import annotations

import json

from harness.strategies import register
from harness.strategies._floor import Floor, decoding


@register
class FloorJson(Floor):
    name = "floor-json"
    description = "control: json.loads of the data alone (the decode floor of dict-based strategies)"
    schema_build = staticmethod(decoding(lambda: (json.loads, ())))
