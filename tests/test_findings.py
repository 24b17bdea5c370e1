"""Findings: one sentence each with its interval, a table beneath, claims; what the run lacks is said."""

from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")

from tidy_frames import CP, figure, frame  # noqa: E402

from harness.analysis import findings as findings_module  # noqa: E402
from harness.analysis.findings import (  # noqa: E402
    FINDERS,
    best_access,
    findings,
    gc_controls,
    gc_cost,
    key_order_access,
    key_sharing,
    loop_growth,
    review,
    shape_counts,
)
from harness.analysis.selection import with_gc_mode  # noqa: E402
from harness.runs import results  # noqa: E402

FIXTURE = Path(__file__).parent / "data" / "smoke-run"
TIGHT = (0.99, 1.0, 1.01)  # three processes a percent apart


def spread(values, scale):
    return [value * scale for value in values]


def test_a_schema_1_run_still_gives_its_findings():
    tidy = results.load_tidy(FIXTURE)
    found = {item.key: item for item in findings(tidy)}
    assert list(found) == ["shapes", "gc_controls", "loop_growth", "best_access"]
    assert found["shapes"].text.startswith(
        "Spread vs fixed key sets on the reference dataset: info 40 → 2, part 15 → 5"
    )
    assert "which are for 5,000 messages (this run's reference dataset has 300)" in found["shapes"].text
    assert "1 process on a side: no interval" in found["gc_controls"].text  # one process: never established
    assert all(way == 0 for item in found.values() if item.key != "shapes" for way in item.claims.values())


def test_an_empty_run_lacks_every_finding_and_says_what_each_needs():
    found = review(frame())
    assert found.found == [] and [finder.key for finder in found.lacking] == [finder.key for finder in FINDERS]
    assert all(finder.needs for finder in found.lacking)


def test_a_finder_that_fails_is_shown_failed_not_dropped(monkeypatch):
    def broken(tidy):
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(findings_module, "FINDERS", (findings_module.Finder("x", "X", "x", broken),))
    (item,) = review(frame()).found
    assert item.failed and item.text == "Could not be computed: ZeroDivisionError: float division by zero."


def test_shapes_match_the_seed_on_5000_reference_messages():
    tidy = frame(
        figure("census", "hydrate_all", "spread", "info_key_sets", 47),
        figure("census", "hydrate_all", "fixed", "info_key_sets", 2),
        figure("census", "hydrate_all", "spread", "part_key_sets", 16),
        figure("census", "hydrate_all", "fixed", "part_key_sets", 5),
    )
    found = shape_counts(tidy)
    assert "exactly the seed's JavaScriptCore figures" in found.text
    assert found.claims == {"key sets · info · fixed vs spread": -1, "key sets · part · fixed vs spread": -1}
    assert shape_counts(tidy.assign(value=tidy["value"] + 1)).text.endswith("NOT match the seed's 47 → 2 and 16 → 5.")
    assert shape_counts(tidy[tidy["strategy"] == "spread"]) is None  # no fixed census: lacking
    realistic = tidy.assign(origin="realistic")
    assert shape_counts(realistic) is None  # chosen by the data's origin, not by a name


def test_key_order_states_each_ratio_with_its_interval_or_not_established():
    same = frame(
        figure("timing", "access", "spread-filled", "ns_per_read", spread(TIGHT, 30.0)),
        figure("timing", "access", "fixed", "ns_per_read", spread(TIGHT, 29.7)),
        figure("timing", "access", "spread", "ns_per_read", spread(TIGHT, 48.0)),
    )
    found = key_order_access(same)
    assert "key order alone (spread-filled: the same keys and reads as fixed) reads in 1.01× fixed's time" in found.text
    assert "not established (95 % CI" in found.text
    assert "the spread code as written (varied keys, .get reads) reads in 1.62× fixed's time (95 % CI 1.5" in found.text
    assert found.claims == {
        f"access ns per read · {CP} · fixed vs spread-filled": 0,
        f"access ns per read · {CP} · fixed vs spread": -1,
    }
    one_process = frame(
        figure("timing", "access", "spread", "ns_per_read", 60.0),
        figure("timing", "access", "fixed", "ns_per_read", 30.0),
    )
    text = key_order_access(one_process).text  # twice as slow, but from one process: never "beyond the noise"
    assert "2.00× fixed's time, not established (1 process on a side: no interval)" in text
    pypy = one_process.assign(interpreter="PyPy 7.3.11", implementation="PyPy")
    assert key_order_access(pypy) is None  # a CPython question
    assert "pypy" in [item.key for item in findings(pypy)]


def test_gc_cost_says_no_collection_ran_instead_of_dividing_by_zero():
    tidy = frame(
        figure("gcprobe", "hydrate_all", "spread", "gc_s", spread(TIGHT, 0.155), origin="realistic"),
        figure("gcprobe", "hydrate_all", "spread", "gc_share", spread(TIGHT, 0.30), origin="realistic"),
        figure("gcprobe", "hydrate_all", "msgspec-lazy", "gc_s", [0.0, 0.0, 0.0], origin="realistic"),
        figure("gcprobe", "hydrate_all", "msgspec-lazy", "gc_share", [0.0, 0.0, 0.0], origin="realistic"),
    )
    found = gc_cost(tidy)
    assert (
        "spread spends 30.0% [" in found.text
        and "msgspec-lazy the least: no collection ran in any of its 3" in found.text
    )
    assert "−155 ms against spread (95 % CI" in found.text
    assert found.claims == {f"GC s of a rebuild · {CP} · msgspec-lazy vs spread": -1}
    assert [row["strategy"] for row in found.table] == ["msgspec-lazy", "spread"]


def test_gc_controls_is_one_sentence_with_a_table_of_every_control():
    rows = []
    for name, enabled, disabled in (("spread", 0.5, 0.3), ("fixed", 0.45, 0.31), ("slots", 0.5, 0.49)):
        rows.append(figure("gcprobe", "hydrate_all", name, "wall_s", spread(TIGHT, enabled), origin="realistic"))
        rows.append(
            figure(
                "gcprobe",
                "hydrate_all",
                name,
                "wall_s",
                spread(TIGHT, disabled),
                origin="realistic",
                gc_mode="disabled",
            )
        )
    found = gc_controls(frame(*rows))
    assert found.text.count(";") == 0 and found.text.startswith(
        f"On {CP}, with the collector disabled spread rebuilds 5,000 messages of realistic-s11-m5000.sqlite in 0.60×"
    )
    assert "(the 2 other controls: 0.69×–0.98×, 1 of them established)" in found.text
    assert len(found.table) == 3 and {row["strategy"] for row in found.table} == {"spread", "fixed", "slots"}


def test_loop_growth_compares_read_paths_with_a_difference_where_slopes_may_be_negative():
    tidy = frame(
        figure(
            "gcprobe",
            "run_loop",
            "spread",
            "seconds_per_iteration_per_1k_history",
            spread(TIGHT, 0.05),
            read_path="full",
        ),
        figure(
            "gcprobe",
            "run_loop",
            "msgspec-lazy",
            "seconds_per_iteration_per_1k_history",
            [-0.001, 0.0005, 0.001],
            read_path="incremental",
            variant="read_path=incremental",
        ),
    )
    found = loop_growth(tidy)
    assert f"On {CP}, an agent-loop iteration with spread · full grows 50.0 ms [" in found.text
    assert "msgspec-lazy · incremental the least" in found.text and "against it (95 % CI −" in found.text
    assert found.claims == {f"loop growth per 1k history · {CP} · msgspec-lazy · incremental vs spread · full": -1}


def test_the_fastest_access_names_what_it_cannot_tell_apart_and_never_a_control():
    tidy = frame(
        figure("timing", "access", "spread", "ns_per_read", spread(TIGHT, 130)),
        figure("timing", "access", "slots", "ns_per_read", spread(TIGHT, 100)),
        figure("timing", "access", "msgspec", "ns_per_read", [90, 100, 110]),
        figure("timing", "access", "floor-access", "ns_per_read", spread(TIGHT, 20)),
    )
    found = best_access(tidy)
    assert found.text.startswith(f"On {CP}, msgspec reads fastest, 100.0 ns [")
    assert "not established slower: slots" in found.text and "floor-access" not in found.text
    table = {row["strategy"]: row for row in found.table}
    assert table["slots"]["net of floor-access"] == "80.0 ns" and set(table) == {"spread", "slots", "msgspec"}


def test_key_sharing_names_the_interpreter_and_says_whether_it_held():
    tidy = frame(
        figure("census", "hydrate_all", "instance-dict", "compact_layout_share", 0.0),
        figure("census", "hydrate_all", "dataclass", "compact_layout_share", 1.0),
    )
    found = key_sharing(tidy)
    assert f"{CP}, compact layout instance-dict 0.0%, dataclass 100.0%" in found.text
    assert "broke (every instance has its own dict)" in found.text
    assert key_sharing(frame(figure("census", "hydrate_all", "spread", "info_key_sets", 3))) is None


def test_gc_mode_defaults_to_enabled_for_gc_measurers_only():
    rows = frame(
        figure("gcprobe", "hydrate_all", "spread", "gc_share", 0.5, gc_mode="disabled"),
        figure("gcprobe", "run_loop", "spread", "gc_share", 0.5),
        figure("timing", "access", "spread", "ns_per_read", 20),
    ).assign(gc_mode=["disabled", "", ""])
    assert list(with_gc_mode(rows)["gc_mode"]) == ["disabled", "enabled", ""]


def test_the_controls_left_out_are_the_strategies_that_declare_themselves_controls():
    from harness.strategies import all_strategies
    from harness.strategy_names import CONTROLS

    assert {name for name, strategy in all_strategies().items() if strategy.control} == CONTROLS
