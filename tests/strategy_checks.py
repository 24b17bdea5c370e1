"""Helpers for tests of strategies: skip what is unavailable here, compare content row by row, a
schema of one's own."""

import json

import pytest

from harness.schemas import loads
from harness.strategies import get
from harness.strategies.equivalence import canonical_info, canonical_part, difference


def usable(strategy, name=None):
    """``strategy`` (a strategy class, or a registered name) when it is available here; otherwise
    the test is skipped with the reason."""
    if isinstance(strategy, str):
        strategy, name = get(strategy), strategy
    ok, reason = strategy.available()
    if not ok:
        pytest.skip(f"{name} unavailable here: {reason}")
    return strategy


def strict_difference(strategy, records):
    """(row id, where) of the first row whose content the strategy does not hold exactly (no key
    lost, none added), or None."""
    for message, parts in records:
        found = difference(canonical_info(message), strategy.to_dict(strategy.info(message)))
        if found:
            return message[0], found
        for part in parts:
            found = difference(canonical_part(part), strategy.to_dict(strategy.part(part)))
            if found:
                return part[0], found
    return None


def one_table_schema(fields: dict, access: dict):
    """A schema named ``things`` of one message table without a discriminator: one kind of
    ``fields``, an ``id`` added, and the access loop's reads ``access``."""
    spec = {"discriminator": None, "default": None, "ids": ["id"], "kinds": {"thing": fields}}
    text = {"format": "shape-harness-schema", "version": 1, "name": "things", "tables": {"message": spec}}
    return loads(json.dumps({**text, "access": access}))
