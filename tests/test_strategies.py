"""What every registered strategy owes every row, checked here once for all of them on both
profiles: the row's content (and, but for the dict spreads, nothing else), the access loop's
value, the fields workloads read. Design-specific properties live in test_strategies_classes.py
and test_strategies_msgspec.py."""

import dataclasses
import json
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seed_access import expected_access, expected_open_map
from strategy_checks import strict_difference, usable

import harness.strategies as registry
from harness.canonical import to_stored
from harness.cli import main
from harness.generate import generate
from harness.generate.realistic import RealisticParams, generate_realistic
from harness.schemas import OPENCODE
from harness.strategies import all_strategies
from harness.strategies.equivalence import first_difference
from harness.strategies.fixed import Fixed
from harness.strategy_names import uncached

DATASETS = {
    "reference": lambda: generate("reference", 5, 300, 5),
    "realistic": lambda: generate("realistic", 5, 400),
}
_cache = {}


def stored(profile):
    if profile not in _cache:
        _cache[profile] = list(to_stored(DATASETS[profile]().records))
    return _cache[profile]


STRATEGIES = sorted(name for name, strategy in all_strategies().items() if not strategy.control)
CACHED = ["cached:fixed", "cached:slots"]
#: Dicts spread from the stored row: they keep the keys outside the fixed lists (legacy keys),
#: which every other strategy drops, as opencode's fixed builders do.
SPREADS = {"spread", "spread-filled"}


def content_difference(name, strategy, rows):
    """(row id, where) of the first row whose content the strategy loses, or — unless it is a
    dict spread — to which it adds a key; None when every row is kept exactly."""
    base = uncached(name)
    if base in SPREADS:
        return first_difference(strategy, rows)
    return strict_difference(strategy, rows)


@pytest.mark.parametrize("profile", DATASETS)
@pytest.mark.parametrize("name", STRATEGIES + CACHED)
def test_every_row_keeps_its_content(name, profile):
    assert content_difference(name, usable(name), stored(profile)) is None


@pytest.mark.parametrize("profile", DATASETS)
@pytest.mark.parametrize("name", sorted(all_strategies()) + CACHED)
def test_access_kernel_reads_the_seven_properties(name, profile):
    strategy = usable(name)
    messages = [message for message, _ in stored(profile)]
    expected = expected_access(messages, 3)
    assert expected > 3 * len(messages)  # every role's length at least, and costs and flags besides
    assert strategy.access([strategy.info(row) for row in messages], 3) == expected


@pytest.mark.parametrize("profile", DATASETS)
@pytest.mark.parametrize("name", sorted(all_strategies()) + CACHED)
def test_open_map_kernel_reads_every_tool_input(name, profile):
    strategy = usable(name)
    rows = [part for _, parts in stored(profile) for part in parts]
    expected = expected_open_map(rows, 2)
    assert expected >= 2 * sum(json.loads(row[-1])["type"] == "tool" for row in rows) > 0  # inputs have keys
    tools = [part for part in map(strategy.part, rows) if strategy.field(part, "type") == "tool"]
    assert strategy.open_map_access(tools, 2) == expected


@pytest.mark.parametrize("name", STRATEGIES)
def test_field_reads_ids_and_discriminators(name):
    strategy = usable(name)
    message, parts = stored("reference")[1]
    info = strategy.info(message)
    assert (strategy.field(info, "id"), strategy.field(info, "role")) == (message[0], "assistant")
    part = strategy.part(parts[0])
    assert strategy.field(part, "messageID") == message[0]
    assert strategy.field(part, "type") == json.loads(parts[0][-1])["type"]


def assert_every_strategy_keeps(rows):
    for name, strategy in all_strategies().items():
        if strategy.available()[0] and not strategy.control:
            assert content_difference(name, strategy, rows) is None, name


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    messages=st.integers(0, 40),
    legacy=st.floats(0, 1),
    compaction_every=st.integers(0, 20),
    sessions=st.integers(1, 3),
)
def test_equivalence_holds_for_random_realistic_parameters(seed, messages, legacy, compaction_every, sessions):
    params = dataclasses.replace(
        RealisticParams(), legacy_key_prob=legacy, compaction_every=compaction_every, sessions=sessions
    )
    assert_every_strategy_keeps(list(to_stored(generate_realistic(seed, messages, params)[0])))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), messages=st.integers(1, 40), avg=st.sampled_from([0, 1, 5]))
def test_equivalence_holds_for_any_reference_seed(seed, messages, avg):
    assert_every_strategy_keeps(list(to_stored(generate("reference", seed, messages, avg).records)))


class DropsCost(Fixed):
    name = "drops-cost"
    description = "broken on purpose: loses the cost"

    @staticmethod
    def to_dict(obj):
        return {key: value for key, value in Fixed.to_dict(obj).items() if key != "cost"}


def test_verify_catches_a_strategy_that_drops_data(monkeypatch, capsys):
    monkeypatch.setitem(registry._REGISTRY, DropsCost.name, DropsCost)
    assert main(["verify", "--messages", "20", "--strategies", "fixed,drops-cost"]) == 1
    out, err = capsys.readouterr()
    assert "fixed: ok (20 messages)" in out
    assert err.startswith("drops-cost: row msg_00000001 differs at cost: expected 0.0")
    assert "found None" in err


def test_verify_all_passes_on_the_realistic_profile(capsys):
    assert main(["verify", "--profile", "realistic", "--messages", "200"]) == 0
    out = capsys.readouterr().out
    assert out.count(": ok (200 messages)") == sum(
        s.available()[0] and not s.control for s in all_strategies().values()
    )


def test_controls_are_not_verified(capsys):
    assert main(["verify", "--messages", "5", "--strategies", "floor-json"]) == 2
    assert "is a control, not a strategy" in capsys.readouterr().err


def test_explicitly_named_unavailable_strategy_is_a_usage_error(monkeypatch, capsys):
    class Missing(Fixed):
        name = "needs-missing"
        description = "x"
        requires = ("no_such_module_here",)

    monkeypatch.setitem(registry._REGISTRY, Missing.name, Missing)
    assert main(["verify", "--messages", "5", "--strategies", "needs-missing"]) == 2
    assert "unavailable here: needs no_such_module_here" in capsys.readouterr().err
    assert main(["verify", "--messages", "5"]) == 0
    assert "note: skipping strategy needs-missing" in capsys.readouterr().err


def test_dicts_of_fixed_keys_hold_the_strings_a_read_names():
    """``o["summary"]`` finds its key by identity, as with literal key lists: the schema's optional
    field names are cut from ``"summary?"``, equal strings but not the interned ones a read's constant
    is, and a lookup with those compares text."""
    row = stored("realistic")[1][0]
    for strategy in (usable("fixed"), registry.for_schema(usable("fixed"), OPENCODE)):
        info = strategy.info(row)
        assert "summary" in info and all(key is sys.intern(key) for key in info)
