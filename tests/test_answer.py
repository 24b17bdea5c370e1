"""The answer: its written rule (``choose``), never spread as its own fix, never a division by zero, and
the table and sentence read from a run's tidy figures alone."""

import pytest

pd = pytest.importorskip("pandas")

from tidy_frames import CP, figure, frame  # noqa: E402

from harness.analysis.answer import RULE, answer_rows, answers, choose, formatted, pick_read_path  # noqa: E402

TIGHT = (0.99, 1.0, 1.01)
PYPY = "PyPy 3.9.16"


def times(value):
    return [value * factor for factor in TIGHT]


def rebuild(strategy, wall, gc, interpreter=CP, origin="realistic", size=5000):
    return [
        *figure("gcprobe", "hydrate_all", strategy, "wall_s", times(wall), size, origin, interpreter),
        *figure("gcprobe", "hydrate_all", strategy, "gc_s", times(gc), size, origin, interpreter),
        *figure("gcprobe", "hydrate_all", strategy, "gc_share", times(gc / wall), size, origin, interpreter),
        *figure("gcprobe", "hydrate_all", strategy, "rows_per_s", times(size / wall), size, origin, interpreter),
    ]


def loop(strategy, path, last, slope):
    variant = "" if path == "full" else f"read_path={path}"
    values = {
        "last_iteration_s": times(last),
        "largest_history": [6000] * 3,
        "seconds_per_iteration_per_1k_history": times(slope),
    }
    return [
        row
        for metric, found in values.items()
        for row in figure(
            "gcprobe", "run_loop", strategy, metric, found, 1000, "realistic", read_path=path, variant=variant
        )
    ]


RUN = frame(
    rebuild("spread", 0.50, 0.155),
    rebuild("fixed", 0.45, 0.12),
    rebuild("msgspec-nogc", 0.30, 0.03),
    rebuild("msgspec-lazy", 0.09, 0.0),
    rebuild("floor-json", 0.08, 0.0),  # a control: faster, no GC, and never the answer
    rebuild("spread", 0.1, 0.1, size=1000),  # a smaller rebuild: not the one the rule reads
    loop("spread", "full", 0.30, 0.05),
    loop("cached:msgspec-lazy", "cache-aware", 0.08, 0.004),
    loop("msgspec-lazy", "incremental", 0.02, 0.001),
    figure("timing", "access", "msgspec-lazy", "ns_per_read", times(600), 2000, "realistic", variant="reads=open-map"),
    figure("timing", "access", "msgspec-nogc", "ns_per_read", times(80), 2000, "realistic", variant="reads=open-map"),
    figure(
        "timing", "access", "msgspec-lazy-memo", "ns_per_read", times(100), 2000, "realistic", variant="reads=open-map"
    ),
    figure("census", "hydrate_all", "msgspec-lazy", "pinned_row_bytes_per_message", 1650, 2000, "realistic"),
)


def test_the_rule_names_the_fastest_rebuild_among_those_that_remove_most_of_spreads_gc():
    walls = {"spread": times(0.5), "fixed": times(0.3), "nogc": times(0.35), "lazy": times(0.4)}
    gc = {"spread": times(0.2), "fixed": times(0.15), "nogc": times(0.05), "lazy": [0.0, 0.0, 0.0]}
    found = choose(walls, gc)
    assert found.strategy == "nogc" and found.reason == ""  # fixed is faster but keeps 75 % of spread's GC
    assert "lazy" not in found.ties  # established slower than nogc


def test_the_rule_never_names_spread_and_says_why_nothing_beats_it():
    walls = {"spread": times(0.5), "fixed": times(0.55), "slots": times(0.45)}
    gc = {"spread": times(0.2), "fixed": times(0.19), "slots": times(0.18)}
    found = choose(walls, gc)
    assert found.strategy is None and found.reason.startswith("no strategy removes half of spread's GC time")
    slow = choose({"spread": times(0.5), "lazy": times(0.6)}, {"spread": times(0.2), "lazy": [0.0] * 3})
    assert slow.strategy is None and "lazy removes most of spread's GC time but rebuilds no faster" in slow.reason
    none = choose({"spread": times(0.5), "lazy": times(0.1)}, {"spread": [0.0] * 3, "lazy": [0.0] * 3})
    assert none.strategy is None and "spread ran no collection" in none.reason  # no division by zero
    assert choose({"lazy": times(0.1)}, {"lazy": [0.0] * 3}).reason.startswith("the run has no GC-enabled rebuild")


def test_the_read_path_is_the_fastest_loop_of_the_strategy_or_its_cached_form():
    loops = {("msgspec-lazy", "incremental"): times(0.02), ("cached:msgspec-lazy", "cache-aware"): times(0.01)}
    assert pick_read_path("msgspec-lazy", {**loops, ("spread", "full"): times(0.001)}) == (
        "cached:msgspec-lazy",
        "cache-aware",
    )
    assert pick_read_path("fixed", loops) is None


def test_the_answer_of_a_run_with_its_figures_and_price():
    (found,) = answers(RUN)
    assert (found.interpreter, found.strategy, found.read_path) == (CP, "msgspec-lazy", "incremental")
    assert found.text.startswith(f"On {CP}: msgspec-lazy, with the incremental read path. Rebuilding 5,000 messages")
    assert "it runs no collection in any of its 3 processes against spread's 155 ms [" in found.text
    assert "takes 0.18× spread's wall time (95 % CI" in found.text
    assert "one agent-loop iteration at a 6,000-message history takes 20.0 ms [" in found.text
    assert "0.07× the time of spread's full read (95 % CI" in found.text
    assert "reading an open map (a tool input) takes 7.50× the time of msgspec-nogc" in found.text
    assert "(msgspec-lazy-memo, which keeps what it decodes, 1.25× the time of msgspec-nogc" in found.text
    assert "keep 1,650 B of row text per message alive" in found.text


def test_pypy_without_msgspec_is_told_nothing_beats_spread():
    run = frame(
        rebuild("spread", 0.40, 0.206, PYPY),  # the highest GC share of the table
        rebuild("fixed", 0.42, 0.20, PYPY),
        rebuild("slots", 0.38, 0.19, PYPY),
    )
    (found,) = answers(run)
    assert found.strategy is None and found.text.startswith(
        f"On {PYPY}, rebuilding 5,000 messages of realistic-s11-m5000.sqlite: nothing here beats spread — no strategy"
    )


def test_datasets_are_chosen_by_origin_so_an_imported_one_answers():
    imported = frame(
        rebuild("spread", 0.5, 0.2, origin="opencode-import"),
        rebuild("msgspec-lazy", 0.1, 0.0, origin="opencode-import"),
        rebuild("fixed", 0.01, 0.0, origin="reference", size=50000),  # the seed's rows: not while real data exists
    )
    (found,) = answers(imported)
    assert found.strategy == "msgspec-lazy" and "the run has no agent loop of msgspec-lazy" in found.text
    only_reference = frame(
        rebuild("spread", 0.5, 0.2, origin="reference"), rebuild("slots", 0.2, 0.05, origin="reference")
    )
    assert answers(only_reference)[0].strategy == "slots"


def test_the_table_has_a_row_per_strategy_and_read_path_with_intervals():
    rows = answer_rows(RUN)
    shown = [(row["strategy"], row["read path"]) for row in rows]
    assert shown[:3] == [("msgspec-lazy", "incremental"), ("cached:msgspec-lazy", "cache-aware"), ("spread", "full")]
    assert ("floor-json", "—") not in shown and ("msgspec-nogc", "—") in shown
    best = formatted(rows[0])
    assert best["GC s"] == "0 s (the same in 3 processes)" and best["rows/s × floor"] == "0.89×"
    assert best["loop ms"].startswith("20.0 ms [") and best["history"] == "6,000"
    cached = formatted(rows[1])
    assert cached["GC s"] == best["GC s"]  # a cached strategy's rebuild is its base's
    assert formatted(next(row for row in rows if row["strategy"] == "msgspec-nogc"))["loop ms"] == "—"


def test_a_run_without_a_rebuild_has_no_answer_and_the_rule_is_written_down():
    assert answers(frame()) == [] and answer_rows(frame()) == []
    assert "nothing here beats spread" in RULE and "never its own fix" in RULE
