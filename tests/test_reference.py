"""The reference profile against the public pins of the opencode perf-test generator."""

import math
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.canonical import digest, to_stored
from harness.generate import generate
from harness.generate.reference import generate_reference
from harness.measure.census import census_of
from harness.rng import MODULUS
from harness.strategies import get

PINS = [
    # seed, messages, A, info spread/fixed, part spread/fixed, parts, rng calls, bytes, sha256, sha256 data
    (
        11,
        5000,
        0,
        (47, 2),
        (16, 5),
        5000,
        53425,
        4274158,
        "e648611c810d60a4f4f0dd54e524676bc6ccef0368dd0e41e2b465a451fff0ab",
        "f8d857f1b9ae18abaccdacf4c33235a7ed7054d2da0df1c53a206d8c65dfa3d1",
    ),
    (
        11,
        2500,
        5,
        (48, 2),
        (16, 5),
        11319,
        59398,
        5515583,
        "df35795e0767c32f2cf53e5f8f8737fe89a51086111b0c20aa14109eb884a98f",
        "255830ad59da42be32a854bec2581c1edf860d453e96c3e895f45c234fe365a3",
    ),
]


def shapes(stored, strategy):
    infos = census_of(get(strategy).info(message) for message, _ in stored)
    parts = census_of(get(strategy).part(part) for _, own in stored for part in own)
    return infos, parts


@pytest.mark.parametrize(("seed", "messages", "avg", "info", "part", "parts", "calls", "size", "sha", "sha_data"), PINS)
def test_public_pins(seed, messages, avg, info, part, parts, calls, size, sha, sha_data):
    generated = generate("reference", seed, messages, avg)
    stored = list(to_stored(generated.records))
    result = digest(stored)
    assert (generated.parts, generated.rng_calls) == (parts, calls)
    assert (result.sha256, result.sha256_data) == (sha, sha_data)
    assert (result.hashed_lines, result.hashed_bytes) == (messages + parts, size)
    spread_infos, spread_parts = shapes(stored, "spread")
    fixed_infos, fixed_parts = shapes(stored, "fixed")
    assert (spread_infos.key_sets, fixed_infos.key_sets) == info
    assert (spread_parts.key_sets, fixed_parts.key_sets) == part
    # Optional keys are always added in one order, so orders and sets agree.
    assert (spread_infos.key_orders, spread_parts.key_orders) == (spread_infos.key_sets, spread_parts.key_sets)


def test_parts_by_type_of_the_first_pin():
    records, _ = generate_reference(11, 5000, 0)
    kinds = Counter(part["data"]["type"] for _, parts in records for part in parts)
    assert kinds == {"reasoning": 756, "step-finish": 768, "step-start": 509, "text": 1967, "tool": 1000}


DRAWS_PER_PART = {"text": 5, "reasoning": 3, "tool": 3, "step-start": 2, "step-finish": 3}


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, MODULUS - 1), messages=st.integers(0, 60), avg=st.sampled_from([0, 1, 2.5, 5, 9]))
def test_structure_and_draw_count_at_any_seed(seed, messages, avg):
    records, calls = generate_reference(seed, messages, avg)
    assert len(records) == messages
    roles = Counter(row["data"]["role"] for row, _ in records)
    assert (roles["user"], roles["assistant"]) == (math.ceil(messages / 2), messages // 2)
    expected = 0
    for index, (row, parts) in enumerate(records):
        assert row["id"] == f"msg_{index:08d}"
        assert 1 <= len(parts) <= max(1, math.floor(avg * 1.5))
        expected += (4 if index % 2 == 0 else 8) + 1
        for position, part in enumerate(parts):
            assert part["id"] == f"prt_{index:08d}_{position:03d}"
            assert part["time_created"] == row["time_created"] + position
            expected += DRAWS_PER_PART[part["data"]["type"]]
    assert calls == expected


def test_message_ids_are_not_truncated_past_eight_digits():
    from harness.generate.reference import message_id

    assert message_id(123456789) == "msg_123456789"
