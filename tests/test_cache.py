"""Row cache invariants: keyed on (id, time_updated), bounded, counted, never sharing parts lists."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sessions import SESSION, SessionBuilder

from harness.canonical import MESSAGE_UPDATED, to_stored
from harness.generate import generate
from harness.strategies import get
from harness.strategies.cache import MISSING, RowCache, with_row_cache
from harness.workloads.opencode import page


def build(row):
    return {"built": row}


def fetch(cache, key, updated):
    """The cache's builder for (id, time_updated) rows."""
    return cache.in_front_of(build, 1)((key, updated))


def test_hit_only_while_time_updated_is_unchanged():
    cache = RowCache(10)
    first = fetch(cache, "a", 1)
    assert fetch(cache, "a", 1) is first
    rebuilt = fetch(cache, "a", 2)
    assert rebuilt is not first and rebuilt == {"built": ("a", 2)}
    assert fetch(cache, "a", 2) is rebuilt
    assert cache.stats() == {"size": 1, "capacity": 10, "hits": 2, "misses": 2, "evictions": 0}


def test_fifo_drops_the_oldest_tenth_when_full():
    cache = RowCache(20, "fifo")
    for index in range(20):
        fetch(cache, f"r{index}", 0)
    fetch(cache, "r0", 0)  # a hit does not refresh FIFO order
    fetch(cache, "new", 0)
    assert cache.evictions == 2 and len(cache) == 19
    assert list(cache.entries)[:2] == ["r2", "r3"] and "r0" not in cache.entries


def test_lru_drops_the_least_recently_used():
    cache = RowCache(3, "lru")
    for key in "abc":
        fetch(cache, key, 0)
    fetch(cache, "a", 0)
    fetch(cache, "d", 0)
    assert set(cache.entries) == {"a", "c", "d"} and cache.evictions == 1


@pytest.mark.parametrize("policy", ["fifo", "lru"])
def test_lookup_many_hits_only_rows_cached_at_their_time_updated(policy):
    cache = RowCache(10, policy)
    built = {key: fetch(cache, key, 1) for key in "abc"}
    found = cache.lookup_many([("a", 1), ("b", 2), ("x", 1), ("c", 1)], 1)
    assert found == [built["a"], MISSING, MISSING, built["c"]] and found[0] is built["a"]
    assert cache.hits == 2 and cache.misses == 3
    if policy == "lru":  # hits move to the recent end
        assert list(cache.entries) == ["b", "a", "c"]


@given(
    st.sampled_from(["fifo", "lru"]),
    st.integers(1, 30),
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 2)), max_size=200),
)
def test_bound_and_counters_hold_for_any_sequence(policy, capacity, requests):
    cache = RowCache(capacity, policy)
    for key, updated in requests:
        value = fetch(cache, str(key), updated)
        assert value == {"built": (str(key), updated)}
        assert len(cache) <= capacity
    assert cache.hits + cache.misses == len(requests)
    assert cache.misses - cache.evictions >= len(cache)


@pytest.mark.parametrize(
    ("capacity", "policy", "message"), [(0, "fifo", "at least 1"), (5, "random", "unknown eviction policy")]
)
def test_bad_configuration(capacity, policy, message):
    with pytest.raises(ValueError, match=message):
        RowCache(capacity, policy)


def test_cached_strategy_reuses_objects_and_rebuilds_updated_rows():
    builder = SessionBuilder()
    builder.turn()
    strategy = with_row_cache(get("fixed"), info_capacity=100, part_capacity=100)
    first = page(builder.conn, strategy, SESSION).items
    second = page(builder.conn, strategy, SESSION).items
    assert all(a["info"] is b["info"] for a, b in zip(first, second))
    assert strategy.info_cache.hits == 2 and strategy.part_cache.hits == 3
    builder.conn.execute(
        "UPDATE message SET time_updated = time_updated + 1, "
        'data = replace(data, \'"agent":"build"\', \'"agent":"plan"\') WHERE id = ?',
        (builder.ids[0],),
    )
    third = page(builder.conn, strategy, SESSION).items
    assert third[0]["info"] is not first[0]["info"] and third[0]["info"]["agent"] == "plan"
    assert third[1]["info"] is first[1]["info"]


def test_parts_lists_are_fresh_so_callers_can_mutate_them():
    builder = SessionBuilder()
    builder.turn()
    strategy = get("cached:spread")
    first = page(builder.conn, strategy, SESSION).items
    first[0]["parts"].append("injected")
    second = page(builder.conn, strategy, SESSION).items
    assert second[0]["parts"] is not first[0]["parts"]
    assert "injected" not in second[0]["parts"] and len(second[0]["parts"]) == 1
    assert second[0]["parts"][0] is first[0]["parts"][0]


def test_cached_strategy_builds_what_its_base_builds_once_per_row_version():
    stored = list(to_stored(generate("reference", 3, 30, 2).records))
    messages = [message for message, _ in stored]
    parts = [part for _, own in stored for part in own]
    base, cached = get("slots"), get("cached:slots")
    assert cached.name == "cached:slots" and get("cached:slots").info_cache is not cached.info_cache
    infos = [cached.info(row) for row in messages]
    assert all(cached.info(row) is obj for row, obj in zip(messages, infos))  # built once, then reused
    assert (cached.info_cache.misses, cached.info_cache.hits) == (30, 30)
    assert [cached.to_dict(obj) for obj in infos] == [base.to_dict(base.info(row)) for row in messages]
    assert cached.access(infos, 2) == base.access([base.info(row) for row in messages], 2)
    assert [cached.to_dict(cached.part(row)) for row in parts] == [base.to_dict(base.part(row)) for row in parts]
    assert parts and (cached.part_cache.misses, cached.part_cache.hits) == (len(parts), 0)
    first = list(messages[0])
    first[MESSAGE_UPDATED] += 1  # the row was updated: its object is rebuilt
    newer = tuple(first)
    assert cached.info(newer) is not infos[0] and cached.info_cache.misses == 31
