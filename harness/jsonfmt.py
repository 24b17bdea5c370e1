"""Compact JSON text as JavaScript's ``JSON.stringify`` writes it.

Python's ``json`` agrees with ``JSON.stringify`` on compact separators, key
order, strings (with ``ensure_ascii=False``; a lone surrogate, which only an
escape can write, is escaped as ``JSON.stringify`` escapes it), integers and booleans. Floats
differ: Python writes ``5.0``, ``1e-05`` and ``1e+16`` where ECMAScript's
Number::toString writes ``5``, ``0.00001`` and ``10000000000000000``. Both
use the shortest digits that round-trip, so only the layout needs rewriting.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False, allow_nan=False)
# A float whose Python repr differs from JavaScript's: exponent form or a trailing ".0".
_SUSPECT = re.compile(r"\d(?:e[+-]|\.0(?![0-9]))")
# JSON tokens that can hold digits: strings (kept as they are) and numbers.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?')
_SURROGATE = re.compile("[\ud800-\udfff]")


def js_number(value: float) -> str:
    """Format a finite float the way ECMAScript's Number::toString does."""
    if not math.isfinite(value):
        raise ValueError(f"JSON has no representation for {value!r}")
    if value == 0:
        return "0"
    if value < 0:
        return "-" + js_number(-value)
    mantissa, _, exponent = repr(value).partition("e")
    whole, _, fraction = mantissa.partition(".")
    raw = whole + fraction
    stripped = raw.lstrip("0")
    digits = stripped.rstrip("0")
    # value = 0.<digits> * 10**point
    point = len(whole) + int(exponent or 0) - (len(raw) - len(stripped))
    count = len(digits)
    if count <= point <= 21:
        return digits + "0" * (point - count)
    if 0 < point <= 21:
        return digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return "0." + "0" * -point + digits
    power = point - 1
    sign = "+" if power >= 0 else "-"
    head = digits[0] if count == 1 else digits[0] + "." + digits[1:]
    return f"{head}e{sign}{abs(power)}"


def _rewrite_token(match: re.Match) -> str:
    token = match.group(0)
    if token[0] == '"' or ("." not in token and "e" not in token and "E" not in token):
        return token
    return js_number(float(token))


def js_dumps(value: Any) -> str:
    """Serialise ``value`` exactly as ``JSON.stringify(value)`` would."""
    text = _ENCODER.encode(value)
    if not text.isascii():
        text = _SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
    if _SUSPECT.search(text) is None:
        return text
    return _TOKEN.sub(_rewrite_token, text)
