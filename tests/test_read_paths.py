"""The three read paths of the agent loop: each returns what ``full`` (opencode at PR #29029) returns,
after every step of a session that grows, is rewritten and compacts; cache-aware hits read no data;
incremental reads only what changed; bad read paths are refused."""

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sessions import assistant_data, user_data

from harness.jsonfmt import js_dumps
from harness.store import create_tables
from harness.strategies import get
from harness.strategies.equivalence import difference
from harness.workloads.binding import MissingSession
from harness.workloads.catalogue import READ_PATHS
from harness.workloads.incremental import IncrementalHistory, Layout
from harness.workloads.opencode import SYNTHETIC_PART
from harness.workloads.read_paths import ReadPathError, history_reader

SESSION = "ses_paths"
OTHER = "ses_other"


class Session:
    """A session written the way opencode writes one: rows inserted and rewritten in place, every
    write stamped ``time_updated`` from a clock that never goes back (it may stand still)."""

    def __init__(self) -> None:
        self.conn = sqlite3.connect(":memory:")
        create_tables(self.conn)
        for session in (SESSION, OTHER):
            self.conn.execute("INSERT INTO session VALUES (?, 't', 0, 0)", (session,))
        self.clock = 0
        self.count = 0
        self.ids: list = []
        self.data: dict = {}  # message id -> its data
        self.parts: dict = {}  # message id -> [part id, ...]

    def tick(self, step: int) -> int:
        self.clock += step
        return self.clock

    def add_message(self, data: dict, parts: list, step: int, session: str = SESSION) -> str:
        mid = f"msg_{self.count:06d}"
        self.count += 1
        now = self.tick(step)
        self.conn.execute("INSERT INTO message VALUES (?, ?, ?, ?, ?)", (mid, session, now, now, js_dumps(data)))
        if session == SESSION:
            self.ids.append(mid)
            self.data[mid] = data
            self.parts[mid] = []
        for part in parts:
            self.add_part(mid, part, 0, session)
        return mid

    def add_part(self, mid: str, part: dict, step: int, session: str = SESSION) -> None:
        now = self.tick(step)
        pid = f"prt_{mid[4:]}_{len(self.parts.get(mid, ())):02d}"
        self.conn.execute("INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)", (pid, mid, session, now, now, js_dumps(part)))
        if session == SESSION:
            self.parts[mid].append(pid)

    def rewrite(self, mid: str, data: dict, step: int) -> None:
        """Rewrite a message; its time_updated moves (a second write to one row in the same
        millisecond would keep it, and every cache keyed by (id, time_updated) — opencode's too —
        would keep serving the old row)."""
        (updated,) = self.conn.execute("SELECT time_updated FROM message WHERE id = ?", (mid,)).fetchone()
        now = self.tick(step if self.clock + step > updated else 1)
        self.data[mid] = data
        self.conn.execute("UPDATE message SET data = ?, time_updated = ? WHERE id = ?", (js_dumps(data), now, mid))

    def users(self) -> list:
        return [mid for mid in self.ids if self.data[mid]["role"] == "user"]

    def assistants(self) -> list:
        return [mid for mid in self.ids if self.data[mid]["role"] == "assistant"]


TOOL_PART = {
    "type": "tool",
    "callID": "c1",
    "tool": "bash",
    "state": {"status": "completed", "input": {"command": "ls"}, "output": "a", "title": "ls", "metadata": {}},
}


def plain(strategy, history) -> list:
    """A history as plain data: each message's info and parts through the strategy's ``to_dict``."""
    return [{"info": strategy.to_dict(m["info"]), "parts": [strategy.to_dict(p) for p in m["parts"]]} for m in history]


def first_difference(expected: list, actual: list):
    if len(expected) != len(actual):
        return f"{len(expected)} messages expected, {len(actual)} found"
    return next(filter(None, (difference(e, a, f"[{i}]") for i, (e, a) in enumerate(zip(expected, actual)))), None)


def inject(strategy, history) -> None:
    """What the agent loop does to a history: a synthetic part in the newest user message's list."""
    for message in reversed(history):
        if strategy.field(message["info"], "role") == "user":
            message["parts"].append(SYNTHETIC_PART)
            return


def read_paths_machine(name: str) -> type:
    """A state machine that checks ``cache-aware`` and ``incremental`` against ``full`` after every
    step, for strategy ``name``."""

    class ReadPaths(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.session = Session()
            self.strategy = get(name)
            conn = self.session.conn
            # pages of 3 messages: the cursors page through ties of time_created (same-millisecond writes)
            self.full = history_reader("full", conn, self.strategy, SESSION, limit=3)
            self.cached = get(f"cached:{name}")
            self.cache_aware = history_reader("cache-aware", conn, self.cached, SESSION, limit=3)
            self.incremental = history_reader("incremental", conn, self.strategy, SESSION)

        steps = st.integers(0, 2)  # clock advance per write: 0 writes in the same millisecond

        @rule(tools=st.booleans(), step=steps)
        def user(self, tools, step):
            self.session.add_message(user_data(tools), [{"type": "text", "text": "hi"}], step)

        @precondition(lambda self: self.session.users())
        @rule(data=st.data(), summary=st.booleans(), finish=st.booleans(), error=st.booleans(), step=steps)
        def assistant(self, data, summary, finish, error, step):
            parent = data.draw(st.sampled_from(self.session.users()))
            parts = [{"type": "step-start"}, TOOL_PART, {"type": "text", "text": "ok"}]
            self.session.add_message(assistant_data(parent, summary, finish, error), parts, step)

        @rule(data=st.data(), auto=st.booleans(), tail=st.booleans(), step=steps)
        def compaction(self, data, auto, tail, step):
            """A compaction request, with a tail_start_id (an existing message or, rarely, a missing one)
            or without, answered by a summary assistant that may still be running."""
            part = {"type": "compaction", "auto": auto}
            if tail:  # an older message, the marker itself, its summary (newer), or no message at all
                marker, summary = (f"msg_{self.session.count + step:06d}" for step in (0, 1))
                older = self.session.ids[-3:] + self.session.ids[:1]
                part["tail_start_id"] = data.draw(st.sampled_from([marker, summary, "msg_missing", *older]))
            marker = self.session.add_message(user_data(False), [part], step)
            finish = data.draw(st.booleans())
            self.session.add_message(assistant_data(marker, True, finish, False), [{"type": "text", "text": "sum"}], 0)

        @precondition(lambda self: self.session.assistants())
        @rule(data=st.data(), step=steps)
        def rewrite_assistant(self, data, step):
            """A message rewritten in place (it finished, failed, became a summary — even of a newer
            user, which opencode never writes but the walk must still agree on): time_updated moves."""
            mid = data.draw(st.sampled_from(self.session.assistants()))
            parent = data.draw(st.sampled_from([self.session.data[mid]["parentID"], self.session.users()[-1]]))
            flags = {key: data.draw(st.sampled_from([True, True, False])) for key in ("summary", "finish")}
            flags["error"] = data.draw(st.booleans())
            self.session.rewrite(mid, assistant_data(parent, **flags), step)

        @precondition(lambda self: self.session.ids)
        @rule(data=st.data(), step=steps)
        def add_part(self, data, step):
            mid = data.draw(st.sampled_from(self.session.ids))
            self.session.add_part(mid, {"type": "text", "text": "more"}, step)

        @rule(step=steps)
        def other_session(self, step):
            """Rows of another session never show up."""
            self.session.add_message(user_data(True), [{"type": "text", "text": "elsewhere"}], step, OTHER)

        @invariant()
        def every_path_reads_what_full_reads(self):
            expected = self.full()
            for label, read, strategy in (
                ("cache-aware", self.cache_aware, self.cached),
                ("incremental", self.incremental, self.strategy),
            ):
                actual = read()
                found = first_difference(plain(self.strategy, expected), plain(strategy, actual))
                assert found is None, f"{label} differs from full: {found}"
                inject(strategy, actual)  # must not leak into the next read

    ReadPaths.__name__ = ReadPaths.__qualname__ = f"ReadPaths_{name.replace('-', '_')}"
    return ReadPaths


SETTINGS = settings(max_examples=40, stateful_step_count=25, deadline=None)
TestReadPathsFixed = read_paths_machine("fixed").TestCase
TestReadPathsFixed.settings = SETTINGS
TestReadPathsSlotsLazy = read_paths_machine("slots-lazy").TestCase
TestReadPathsSlotsLazy.settings = SETTINGS
TestReadPathsTuples = read_paths_machine("tuples").TestCase
TestReadPathsTuples.settings = SETTINGS


@pytest.mark.requires("msgspec")
class TestReadPathsMsgspecLazy(read_paths_machine("msgspec-lazy").TestCase):
    settings = SETTINGS


# ---------------------------------------------------------------- what each path reads


def grown_session(messages: int = 12) -> Session:
    session = Session()
    for _ in range(messages // 2):
        user = session.add_message(user_data(False), [{"type": "text", "text": "hi"}], 1)
        session.add_message(assistant_data(user, False, True, False), [{"type": "step-start"}, TOOL_PART], 1)
    return session


def data_reads(conn: sqlite3.Connection, read) -> list:
    """The statements ``read()`` sends that select a data column."""
    statements: list = []
    conn.set_trace_callback(statements.append)
    try:
        read()
    finally:
        conn.set_trace_callback(None)
    return [sql for sql in statements if "data" in sql.split("FROM")[0]]


def test_a_warm_cache_aware_read_reads_no_data_and_builds_nothing():
    session = grown_session()
    strategy = get("cached:fixed")
    read = history_reader("cache-aware", session.conn, strategy, SESSION)
    assert data_reads(session.conn, read)  # cold: the rows are read and built
    misses = strategy.info_cache.misses + strategy.part_cache.misses
    assert data_reads(session.conn, read) == []
    assert strategy.info_cache.misses + strategy.part_cache.misses == misses
    assert strategy.info_cache.hits == 12 and strategy.part_cache.hits == 18


def test_a_warm_cache_aware_read_sends_two_key_queries_through_covering_indexes():
    """One page of keys (``KEY_PAGE`` messages), one query of their parts' keys, each answered by an
    index alone."""
    session = grown_session()
    strategy = get("cached:fixed")
    read = history_reader("cache-aware", session.conn, strategy, SESSION)
    read()
    statements: list = []
    session.conn.set_trace_callback(statements.append)
    read()
    session.conn.set_trace_callback(None)
    assert len(statements) == 2
    for sql in statements:
        plan = " ".join(str(row[-1]) for row in session.conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
        assert "COVERING INDEX" in plan, plan


def test_a_cache_aware_read_rereads_only_an_updated_row():
    session = grown_session()
    strategy = get("cached:fixed")
    read = history_reader("cache-aware", session.conn, strategy, SESSION)
    read()
    mid = session.assistants()[0]
    session.rewrite(mid, assistant_data(session.data[mid]["parentID"], True, True, False), 1)
    statements = data_reads(session.conn, read)
    assert len(statements) == 1 and strategy.info_cache.misses == 13
    assert strategy.field(read()[1]["info"], "summary") is True


def test_full_with_a_row_cache_still_parses_every_row(monkeypatch):
    """opencode's ORM parses ``data`` before the cache sees the row: a hit costs a decode on full."""
    import harness.strategies.cache as cache

    parsed = []
    monkeypatch.setattr(cache, "ORM_PARSE", lambda text: parsed.append(text))
    strategy = get("cached:fixed")
    session = grown_session()
    read = history_reader("full", session.conn, strategy, SESSION)
    read()
    assert parsed == []  # every row missed: built (and decoded) once
    read()
    assert len(parsed) == 12 + 18 and strategy.info_cache.hits == 12


def test_an_incremental_read_builds_only_new_and_updated_rows():
    session = grown_session()
    built = []
    base = get("fixed")

    class Counting(base):
        @staticmethod
        def info(row):
            built.append(row[0])
            return base.info(row)

    read = IncrementalHistory(session.conn, Counting, SESSION)
    assert len(read()) == 12 and len(built) == 12
    read()
    assert len(built) == 12
    mid = session.assistants()[-1]
    session.rewrite(mid, assistant_data(session.data[mid]["parentID"], False, False, False), 1)
    new = session.add_message(user_data(False), [], 1)
    assert len(read()) == 13 and built[12:] == [mid, new]


def test_an_incremental_read_copies_only_the_newest_user_message():
    """The one message the agent loop mutates gets a fresh dict and parts list; the others are shared
    between reads and read-only (their parts a tuple)."""
    session = grown_session(4)
    strategy = get("fixed")
    read = history_reader("incremental", session.conn, strategy, SESSION)
    first = read()
    inject(strategy, first)
    second = read()
    assert [len(m["parts"]) for m in second] == [1, 2, 1, 2]
    assert [type(m["parts"]) for m in second] == [tuple, tuple, list, tuple]
    assert second[2] is not first[2] and all(second[i] is first[i] for i in (0, 1, 3))


def test_an_incremental_read_appends_new_messages_and_replaces_updated_ones_in_place():
    session = grown_session(6)
    strategy = get("fixed")
    read = IncrementalHistory(session.conn, strategy, SESSION)
    before = read()
    mid = session.assistants()[0]
    session.rewrite(mid, assistant_data(session.data[mid]["parentID"], False, False, True), 1)
    session.add_message(user_data(False), [{"type": "text", "text": "again"}], 1)
    after = read()
    assert len(after) == 7 and strategy.field(after[6]["info"], "role") == "user"
    assert strategy.field(after[1]["info"], "error") and not strategy.field(before[1]["info"], "error")
    assert all(after[i] is before[i] for i in (0, 2, 3, 5))  # unchanged: shared, not rebuilt
    assert after[4] is not before[4]  # the newest user message then, copied on each read
    assert read.counts == {"reads": 2, "rewalks": 0}


def test_an_incremental_read_walks_again_only_when_the_boundary_moves():
    session = grown_session(4)
    strategy = get("fixed")
    read = IncrementalHistory(session.conn, strategy, SESSION)
    read()
    marker = session.add_message(user_data(False), [{"type": "compaction", "auto": True}], 1)
    assert len(read()) == 5 and read.counts["rewalks"] == 0  # no finished summary yet: nothing moves
    session.add_message(assistant_data(marker, True, True, False), [{"type": "text", "text": "sum"}], 1)
    assert [m["info"]["id"] for m in read()] == session.ids[4:] and read.counts["rewalks"] == 1
    session.add_message(user_data(False), [{"type": "text", "text": "next"}], 1)
    assert len(read()) == 3 and read.counts == {"reads": 4, "rewalks": 1}


@pytest.mark.parametrize("path", READ_PATHS)
def test_every_path_refuses_a_missing_session(path):
    session = grown_session(2)
    strategy = get("cached:fixed" if path == "cache-aware" else "fixed")
    with pytest.raises(MissingSession):
        history_reader(path, session.conn, strategy, "ses_nope")()


def test_bad_read_paths_are_refused():
    session = grown_session(2)
    with pytest.raises(ReadPathError, match="unknown read path 'partial'; choose from full, cache-aware"):
        history_reader("partial", session.conn, get("fixed"), SESSION)
    with pytest.raises(ReadPathError, match="cache-aware needs a row cache: use strategy 'cached:fixed'"):
        history_reader("cache-aware", session.conn, get("fixed"), SESSION)


@given(st.data())
def test_a_layout_places_each_message_where_its_arrangement_puts_it(data):
    """``Layout.place`` is ``Layout.arrange`` read backwards: a kept message's index, -1 for one
    the boundary or the tail move leaves out."""
    total = data.draw(st.integers(1, 30))
    start = data.draw(st.integers(0, total - 1))
    length = total - start
    layout = Layout(start)
    if length >= 3 and data.draw(st.booleans()):
        tail, compaction, summary = sorted(data.draw(st.sets(st.integers(0, length - 1), min_size=3, max_size=3)))
        layout = Layout(start, compaction, summary, tail)
    arranged = layout.arrange(list(range(start, total)))
    for at in range(total):
        assert layout.place(at) == (arranged.index(at) if at in arranged else -1)
