"""The opencode read path: paging, hydration, filter_compacted, the agent loop."""

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sessions import SESSION, SessionBuilder, message_ids

from harness.measure.catalogue import check
from harness.protocol.job import Job, JobError
from harness.strategies import get
from harness.strategies.base import Strategy
from harness.workloads.binding import MissingSession, prepare
from harness.workloads.history import GrowingSession, loop_iteration, run_loop
from harness.workloads.opencode import SYNTHETIC_PART, filter_compacted, page, stream

STRATEGIES = ["spread", "fixed"]


@pytest.fixture(params=STRATEGIES)
def strategy(request):
    return get(request.param)


def test_pages_walk_newest_first_and_return_oldest_first(strategy):
    builder = SessionBuilder()
    for _ in range(60):
        builder.turn()  # 120 messages
    first = page(builder.conn, strategy, SESSION, limit=50)
    assert message_ids(first.items, strategy) == builder.ids[70:]
    assert first.more and first.cursor == (70 * 1000, builder.ids[70])
    second = page(builder.conn, strategy, SESSION, first.cursor, limit=50)
    assert message_ids(second.items, strategy) == builder.ids[20:70]
    third = page(builder.conn, strategy, SESSION, second.cursor, limit=50)
    assert message_ids(third.items, strategy) == builder.ids[:20] and not third.more and third.cursor is None
    assert message_ids(stream(builder.conn, strategy, SESSION), strategy) == builder.ids[::-1]


def test_hydrate_groups_parts_in_id_order(strategy):
    builder = SessionBuilder()
    builder.turn()
    items = page(builder.conn, strategy, SESSION).items
    assert [[strategy.field(p, "type") for p in item["parts"]] for item in items] == [["text"], ["step-start", "text"]]
    assert all(
        strategy.field(p, "messageID") == strategy.field(item["info"], "id") for item in items for p in item["parts"]
    )


def test_missing_session(strategy):
    builder = SessionBuilder()
    with pytest.raises(MissingSession, match="no session 'ses_nope'"):
        page(builder.conn, strategy, "ses_nope")
    with pytest.raises(MissingSession):
        run_loop(builder.conn, strategy, "ses_nope", 1, 1)


def test_no_boundary_keeps_everything(strategy):
    builder = SessionBuilder()
    for _ in range(3):
        builder.turn()
    assert message_ids(filter_compacted(builder.conn, strategy, SESSION), strategy) == builder.ids


def test_stops_at_finished_compaction(strategy):
    builder = SessionBuilder()
    builder.turn()
    marker = builder.user(compaction={"auto": True})
    builder.assistant(marker, summary=True)
    builder.turn()
    kept = message_ids(filter_compacted(builder.conn, strategy, SESSION), strategy)
    assert kept == builder.ids[2:]


@pytest.mark.parametrize("path", ["full", "cache-aware"])
def test_pages_are_read_only_down_to_the_boundary(path):
    """As ``filterCompacted(stream(id))`` at the PR: the walk stops at the boundary, and so do the pages."""
    from harness.workloads.read_paths import history_reader

    builder = SessionBuilder()
    for _ in range(20):
        builder.turn()  # 40 older messages: 10 more pages of 4
    marker = builder.user(compaction={"auto": True})
    builder.assistant(marker, summary=True)
    builder.turn()
    strategy = get("cached:fixed" if path == "cache-aware" else "fixed")
    pages = []
    builder.conn.set_trace_callback(lambda sql: pages.append(sql) if "ORDER BY time_created DESC" in sql else None)
    kept = message_ids(history_reader(path, builder.conn, strategy, SESSION, limit=4)(), strategy)
    assert kept == builder.ids[40:]
    assert len(pages) == 1  # the four newest messages reach the marker; the whole session is 11 pages


def test_failed_summary_is_no_boundary(strategy):
    builder = SessionBuilder()
    builder.turn()
    marker = builder.user(compaction={"auto": True})
    builder.assistant(marker, summary=True, error=True)
    builder.turn()
    assert message_ids(filter_compacted(builder.conn, strategy, SESSION), strategy) == builder.ids


def test_tail_start_keeps_tail_and_moves_it_after_the_summary(strategy):
    builder = SessionBuilder()
    builder.turn()  # 0, 1
    tail = builder.turn()  # 2, 3
    marker = builder.user(compaction={"auto": False, "tail_start_id": tail})  # 4
    summary = builder.assistant(marker, summary=True)  # 5
    builder.turn()  # 6, 7
    kept = message_ids(filter_compacted(builder.conn, strategy, SESSION), strategy)
    assert kept == [marker, summary, builder.ids[2], builder.ids[3], builder.ids[6], builder.ids[7]]


def brute_force(session):
    """Which messages filterCompacted keeps, worked out declaratively from the whole history."""
    ids, roles, messages = session["ids"], session["roles"], session["messages"]
    boundary = None
    for index in range(len(ids) - 1, -1, -1):
        compaction = messages[index]["compaction"]
        if roles[index] != "user" or compaction is None:
            continue
        if any(
            roles[later] == "assistant"
            and messages[later]["summary"]
            and messages[later]["finish"]
            and not messages[later]["error"]
            and messages[later]["parent"] == ids[index]
            for later in range(index + 1, len(ids))
        ):
            boundary = index
            break
    start = 0
    if boundary is not None:
        tail = messages[boundary]["compaction"].get("tail_start_id")
        start = boundary if not tail else ids.index(tail) if tail in ids[: boundary + 1] else 0
    kept = list(range(start, len(ids)))
    # Then the newest kept compaction with a tail moves [marker .. its summary] before the tail.
    markers = [
        i
        for i in kept
        if roles[i] == "user"
        and messages[i]["compaction"]
        and messages[i]["compaction"].get("tail_start_id") is not None
    ]
    if markers:
        marker = markers[-1]
        tail_id = messages[marker]["compaction"]["tail_start_id"]
        summary = next(
            (
                i
                for i in kept
                if i > marker
                and roles[i] == "assistant"
                and messages[i]["summary"]
                and messages[i]["parent"] == ids[marker]
            ),
            None,
        )
        tail = next((i for i in kept if ids[i] == tail_id), None)
        if summary is not None and tail is not None and tail < marker:
            kept = (
                [i for i in kept if marker <= i <= summary]
                + [i for i in kept if tail <= i < marker]
                + [i for i in kept if i > summary]
            )
    return [ids[i] for i in kept]


@st.composite
def histories(draw):
    builder = SessionBuilder()
    record = {"ids": builder.ids, "roles": [], "messages": []}
    users = []
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["turn", "compaction", "orphan-summary"]))
        if kind == "turn" or not users:
            user = builder.user()
            users.append(user)
            record["roles"].append("user")
            record["messages"].append({"compaction": None})
            parent = user
        else:
            tail = draw(st.one_of(st.none(), st.sampled_from(users)))
            compaction = {"auto": True} if tail is None else {"auto": True, "tail_start_id": tail}
            if kind == "compaction":
                parent = builder.user(compaction=compaction)
                users.append(parent)
                record["roles"].append("user")
                record["messages"].append({"compaction": compaction})
            else:
                parent = draw(st.sampled_from(users))
        summary, finish, error = draw(st.booleans()), draw(st.booleans()), draw(st.booleans())
        builder.assistant(parent, summary=summary, finish=finish, error=error)
        record["roles"].append("assistant")
        record["messages"].append(
            {"summary": summary, "finish": finish, "error": error, "parent": parent, "compaction": None}
        )
    return builder, record


@settings(max_examples=60, deadline=None)
@given(histories(), st.sampled_from(STRATEGIES))
def test_filter_compacted_matches_brute_force(history, name):
    builder, record = history
    strategy = get(name)
    kept = message_ids(filter_compacted(builder.conn, strategy, SESSION), strategy)
    assert kept == brute_force(record)


def test_run_loop_grows_the_session_as_asked(strategy):
    builder = SessionBuilder()
    for _ in range(20):
        builder.turn()
    steps = run_loop(builder.conn, strategy, SESSION, iterations=5, growth=4, start=10)
    assert steps == [(14, 14), (18, 18), (22, 22), (26, 26), (30, 30)]
    with pytest.raises(ValueError, match="has 40 messages; 10 \\+ 8 × 4 were asked for"):
        run_loop(builder.conn, strategy, SESSION, iterations=8, growth=4, start=10)


def test_agent_loop_injection_never_reaches_the_cache():
    builder = SessionBuilder()
    for _ in range(5):
        builder.turn()
    strategy = get("cached:fixed")
    session = GrowingSession(builder.conn, SESSION, start=4)
    first = loop_iteration(session, strategy, growth=2)
    newest_user = [m for m in first if strategy.field(m["info"], "role") == "user"][-1]
    assert newest_user["parts"][-1] is SYNTHETIC_PART
    second = loop_iteration(session, strategy, growth=2)
    assert strategy.info_cache.hits > 0
    assert all(part is not SYNTHETIC_PART for message in second[:-2] for part in message["parts"])


@pytest.mark.parametrize("path", ["full", "cache-aware", "incremental"])
def test_run_loop_reads_the_same_history_through_every_read_path(path):
    builder = SessionBuilder()
    for _ in range(20):
        builder.turn()
    strategy = get("cached:fixed" if path == "cache-aware" else "fixed")
    steps = run_loop(builder.conn, strategy, SESSION, iterations=5, growth=4, start=10, read_path=path)
    assert steps == [(14, 14), (18, 18), (22, 22), (26, 26), (30, 30)]


def test_the_scratch_session_stamps_writes_from_a_clock_that_never_goes_back(dataset):
    """A stored row holds its last update's time; replayed, it is written when it was created."""
    source = sqlite3.connect(dataset)
    (session_id,) = source.execute("SELECT id FROM session").fetchone()
    assert source.execute("SELECT count(*) FROM message WHERE time_updated > time_created").fetchone()[0] > 0
    session = GrowingSession(source, session_id, start=100)
    for _ in range(4):
        session.grow(50)
    for table in ("message", "part"):
        stamps = session.conn.execute(f"SELECT time_created, time_updated FROM {table} ORDER BY rowid").fetchall()
        written = [updated for _, updated in stamps]
        assert written == sorted(written) and all(updated >= created for created, updated in stamps)


# --- hydrate_all's `then`: what the rebuild does after building -------------------------------------


def _hydrate_all(dataset, name, **params):
    return prepare(check(Job("j", "gcprobe", name, "hydrate_all", str(dataset), 100, params=params)))


@pytest.mark.requires("msgspec")
@pytest.mark.parametrize("then", [None, "nothing", "open-map"])
def test_hydrate_all_then_reads_every_tool_input_once_or_nothing(dataset, then):
    """The default builds only (every existing job); open-map then reads each tool part's
    state.input once, inside the call: a memo then holds it, and nothing else."""
    prepared = _hydrate_all(dataset, "msgspec-lazy-memo", **({} if then is None else {"then": then}))
    try:
        infos, parts = prepared.run()
    finally:
        prepared.close()
    assert len(infos) == 100 and prepared.units == len(infos) + len(parts)
    tools = [part for part in parts if part.type == "tool" and part.state.input_raw is not None]
    assert tools
    memos = [vars(part.state) for part in tools]
    assert all(memo == ({"input": part.state.input} if then == "open-map" else {}) for memo, part in zip(memos, tools))


def test_hydrate_all_then_open_map_needs_the_strategys_kernel(dataset):
    plugin = type("NoOpenMap", (get("fixed"),), {"name": "no-open-map", "open_map_access": Strategy.open_map_access})
    job = check(Job("j", "gcprobe", "no-open-map", "hydrate_all", str(dataset), 100, params={"then": "open-map"}))
    with pytest.raises(JobError, match="strategy 'no-open-map' has no open-map access loop"):
        prepare(job, strategy=plugin)
