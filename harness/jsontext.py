"""JSON text as JavaScript writes it. ``JSON.stringify`` writes no ``NaN``, no ``Infinity`` and no
number beyond a double, all of which Python's ``json`` reads (``1e400`` as ``inf``); a row holding
one was not written by opencode, and the measurers could not write it back: ``loads`` refuses it."""

from __future__ import annotations

import json
import math
from typing import Any


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is no JSON number")


def _number(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text} is beyond a double: no JSON number JavaScript writes")
    return value


def loads(text: str) -> Any:
    """``json.loads``, refusing ``NaN``, ``±Infinity`` and numbers beyond a double (ValueError)."""
    return json.loads(text, parse_constant=_constant, parse_float=_number)
