"""The answer table and its finding: per strategy × read path, from a run's tidy figures alone."""

import pytest

pd = pytest.importorskip("pandas")

from harness import results  # noqa: E402
from harness.answer import answer_finding, answer_rows, formatted, read_path  # noqa: E402

CP = "CPython 3.11.7"
REALISTIC = "realistic-s11-m50000.sqlite"
GROWTH = "realistic-s11-m101000-k1-p1.sqlite"


def tidy(*rows):
    """A tidy frame from (measurer, workload, strategy, metric, value, size, variant, dataset)."""
    records = [
        {
            "interpreter": CP,
            "implementation": "CPython",
            "strategy": strategy,
            "workload": workload,
            "measurer": measurer,
            "gc_mode": "enabled" if measurer in ("gcprobe", "memory") else "",
            "variant": variant,
            "size": size,
            "metric": metric,
            "value": float(value),
            "unit": "",
            "n": 1,
            "mad": 0.0,
            "job": f"{measurer}-{strategy}-{size}-{variant}",
            "dataset": dataset,
        }
        for measurer, workload, strategy, metric, value, size, variant, dataset in rows
    ]
    return pd.DataFrame(records, columns=list(results.TIDY_COLUMNS)).astype(results.TIDY_TYPES)


def rebuild(strategy, gc_s, share, rows_per_s, peak):
    return [
        ("gcprobe", "hydrate_all", strategy, "gc_s", gc_s, 50000, "", REALISTIC),
        ("gcprobe", "hydrate_all", strategy, "gc_share", share, 50000, "", REALISTIC),
        ("gcprobe", "hydrate_all", strategy, "rows_per_s", rows_per_s, 50000, "", REALISTIC),
        ("gcprobe", "hydrate_all", strategy, "gc_s", 999, 10000, "", REALISTIC),  # a smaller size: ignored
        ("memory", "hydrate_all", strategy, "peak_bytes_per_message", peak, 50000, "", REALISTIC),
    ]


def loop(strategy, variant, at_1k, at_50k):
    return [
        ("timing", "run_loop", strategy, "seconds_per_call", at_1k, 1000, variant, GROWTH),
        ("timing", "run_loop", strategy, "seconds_per_call", at_50k, 50000, variant, GROWTH),
    ]


RUN = tidy(
    *rebuild("spread", 20.0, 0.6, 20_000, 9000),
    *rebuild("floor-json", 21.0, 0.6, 25_000, 8000),
    *rebuild("msgspec-lazy", 0.01, 0.002, 200_000, 4000),
    *loop("spread", "", 0.1, 4.0),
    *loop("cached:msgspec-lazy", "read_path=cache-aware", 0.01, 0.4),
    *loop("msgspec-lazy", "read_path=incremental", 0.002, 0.02),
    ("timing", "access", "msgspec-lazy", "ns_per_read", 900, 2000, "reads=open-map", REALISTIC),
    ("timing", "access", "spread", "ns_per_read", 30, 2000, "reads=open-map", REALISTIC),
    ("timing", "access", "msgspec-lazy", "ns_per_read", 10, 2000, "", REALISTIC),  # the seed variant: not this
    ("census", "hydrate_all", "msgspec-lazy", "pinned_row_bytes_per_message", 1350, 50000, "", REALISTIC),
)


def test_read_path_comes_from_the_variant():
    assert read_path("") == "full" and read_path(None) == "full"
    assert read_path("growth=2,read_path=incremental") == "incremental"


def test_one_row_per_strategy_and_read_path_fastest_loop_first():
    rows = answer_rows(RUN)
    assert [(row["strategy"], row["read path"]) for row in rows] == [
        ("msgspec-lazy", "incremental"),
        ("cached:msgspec-lazy", "cache-aware"),
        ("spread", "full"),
    ]
    best, cached, spread = rows[0], rows[1], rows[2]
    assert best["loop ms"] == pytest.approx(20.0) and best["history"] == 50000
    assert best["slope ms/1k"] == pytest.approx((20 - 2) / 49) and spread["slope ms/1k"] == pytest.approx(3900 / 49)
    assert best["GC s"] == 0.01 and best["rows/s × floor"] == pytest.approx(8.0) and best["peak B/msg"] == 4000
    assert {key: cached[key] for key in ("GC s", "peak B/msg")} == {"GC s": 0.01, "peak B/msg": 4000}  # its base's
    rebuilt_only = answer_rows(tidy(*rebuild("slots", 1.0, 0.1, 1e4, 10)))
    assert [(row["strategy"], row["read path"]) for row in rebuilt_only] == [("slots", "—")]
    assert "loop ms" not in rebuilt_only[0] and formatted(rebuilt_only[0])["loop ms"] == "—"


def test_the_finding_names_the_combination_its_numbers_and_its_price():
    found = answer_finding(RUN)
    assert found is not None and found.key == "answer"
    text = found.text
    assert text.startswith(
        f"What makes the cost go away: on {CP}, msgspec-lazy with the incremental read path takes 20 ms per loop read"
    )
    assert "(200× less than spread with the full read)" in text
    assert "(0.5% of spread's)" in text
    assert "spends 0.01 s (0.2%) in GC rebuilding the history, 2,000× less than spread" in text
    assert "at 8.00× the json.loads floor's rows/s" in text
    assert "reading an open map (a tool input) costs 900 ns against 30 ns with spread (30.0×)" in text
    assert "keep 1,350 B of row text per message alive" in text


def test_a_run_without_the_figures_has_no_answer():
    empty = tidy()
    assert answer_rows(empty) == [] and answer_finding(empty) is None
    only_rebuild = tidy(*rebuild("spread", 20.0, 0.6, 20_000, 9000), *rebuild("msgspec-lazy", 0.1, 0.01, 9e4, 10))
    found = answer_finding(only_rebuild)
    assert found is not None and f"on {CP}, msgspec-lazy spends 0.1 s (1.0%) in GC" in found.text
    assert "200× less than spread" in found.text
