"""Findings: generated from the numbers of a run, each omitted when its data is missing."""

from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")

from harness import results  # noqa: E402
from harness.findings import findings, key_order_access, key_sharing, shape_counts, with_gc_mode  # noqa: E402

FIXTURE = Path(__file__).parent / "data" / "smoke-run"
CP = "CPython 3.11.7"


def frame(*rows):
    """A tidy frame from (strategy, workload, measurer, metric, value[, dataset, job, mad, interp])."""
    records = []
    for row in rows:
        strategy, workload, measurer, metric, value, *rest = row
        dataset, job, mad, interpreter = rest + [None] * (4 - len(rest)) if rest else (None,) * 4
        interpreter = interpreter or CP
        job = job or f"cp311-{measurer}-{workload}-{strategy}-5000"
        mode = job.rsplit("-", 1)[-1]
        records.append(
            {
                "interpreter": interpreter,
                "implementation": interpreter.split()[0],
                "strategy": strategy,
                "workload": workload,
                "measurer": measurer,
                "gc_mode": mode if mode in ("enabled", "disabled", "freeze") else "",
                "size": 5000,
                "metric": metric,
                "value": float(value),
                "unit": "",
                "n": 1,
                "mad": mad,
                "job": job,
                "dataset": dataset or "reference-s11-m5000.sqlite",
            }
        )
    return pd.DataFrame(records, columns=list(results.TIDY_COLUMNS)).astype(results.TIDY_TYPES)


def keys(found):
    return [item.key for item in found]


def test_fixture_findings():
    tidy = results.load_tidy(FIXTURE)
    found = {item.key: item for item in findings(tidy, results.load_manifest(FIXTURE))}
    assert list(found) == ["shapes", "best_access", "gc_controls", "growth"]
    assert found["shapes"].text.startswith(
        "Spread vs fixed key sets on the reference dataset: info 40 → 2, part 15 → 5"
    )
    assert "which are for 5,000 messages (this run's reference dataset has 300)" in found["shapes"].text
    assert found["shapes"].numbers["info spread→fixed"] == "40 → 2"
    assert found["best_access"].numbers == {f"{CP} spread": "24.5 ns"}
    assert "with GC disabled took 44% of the GC-enabled wall time" in found["gc_controls"].text
    assert "fixed on CPython 3.11.7 grows 47.81 ms per iteration" in found["growth"].text


def test_an_empty_run_has_no_findings():
    assert findings(frame()) == []


def test_shapes_match_the_seed_on_5000_reference_messages():
    tidy = frame(
        ("spread", "hydrate_all", "census", "info_key_sets", 47),
        ("fixed", "hydrate_all", "census", "info_key_sets", 2),
        ("spread", "hydrate_all", "census", "part_key_sets", 16),
        ("fixed", "hydrate_all", "census", "part_key_sets", 5),
    )
    found = shape_counts(tidy, {})
    assert "exactly the seed's JavaScriptCore figures" in found.text
    assert shape_counts(tidy.assign(value=tidy["value"] + 1), {}).text.endswith(
        "NOT match the seed's 47 → 2 and 16 → 5."
    )
    assert shape_counts(tidy[tidy["strategy"] == "spread"], {}) is None  # no fixed census: omitted
    realistic = tidy.assign(dataset="realistic-s11-m5000.sqlite")
    assert shape_counts(realistic, {}) is None  # only the reference dataset counts


def test_key_order_compares_the_control_and_spread_with_fixed():
    same = frame(
        ("spread-filled", "access", "timing", "ns_per_read", 30, None, None, 1.0),
        ("fixed", "access", "timing", "ns_per_read", 29.5, None, None, 1.0),
    )
    text = key_order_access(same, {}).text
    assert "key order alone (spread-filled: same keys and reads as fixed) read at 30.0 ns" in text
    assert "within the noise (2 × MAD 1.0 ns): no measurable cost" in text and "as written" not in text
    apart = frame(
        ("spread", "access", "timing", "ns_per_read", 48, None, None, 0.5),
        ("fixed", "access", "timing", "ns_per_read", 30, None, None, 0.5),
    )
    text = key_order_access(apart, {}).text
    assert "the spread code as written (varied keys, .get reads) read at 48.0 ns" in text
    assert "(1.60×), beyond the noise (MAD 0.5 ns)" in text and "key order alone" not in text
    assert key_order_access(apart[apart["strategy"] == "spread"], {}) is None
    pypy = frame(
        ("spread", "access", "timing", "ns_per_read", 400, None, None, 1.0, "PyPy 7.3.11"),
        ("fixed", "access", "timing", "ns_per_read", 3, None, None, 1.0, "PyPy 7.3.11"),
    )
    assert key_order_access(pypy, {}) is None  # a CPython question
    assert "pypy" in keys(findings(pypy))


def test_key_sharing_names_the_interpreter_and_says_whether_it_held():
    tidy = frame(
        ("instance-dict", "hydrate_all", "census", "compact_layout_share", 0.0),
        ("dataclass", "hydrate_all", "census", "compact_layout_share", 1.0),
    )
    found = key_sharing(tidy, {})
    assert f"{CP}: compact layout instance-dict 0.0%, dataclass 100.0%" in found.text
    assert "broke (every instance has its own dict)" in found.text
    assert key_sharing(frame(("spread", "hydrate_all", "census", "info_key_sets", 3)), {}) is None


def test_gc_and_memory_findings_need_two_strategies():
    one = frame(("spread", "hydrate_all", "gcprobe", "gc_share", 0.5, "r", "j-enabled"))
    assert keys(findings(one)) == []
    two = pd.concat(
        [
            one,
            frame(
                ("msgspec-nogc", "hydrate_all", "gcprobe", "gc_share", 0.01, "r", "k-enabled"),
                ("msgspec-nogc", "hydrate_all", "gcprobe", "gc_share", 0.0, "r", "k-disabled"),
            ),
        ]
    )
    found = {item.key: item for item in findings(two)}
    assert found["gc_lowest"].text == (
        "GC share: on CPython 3.11.7 msgspec-nogc had the lowest GC share in the rebuild loop, 1.0% vs spread 50.0%."
    )
    assert list(found["gc_lowest"].numbers.items()) == [(f"{CP} msgspec-nogc", "1.0%"), (f"{CP} spread", "50.0%")]
    memory = frame(
        ("spread", "hydrate_all", "memory", "peak_bytes_per_message", 12000),
        ("slots", "hydrate_all", "memory", "peak_bytes_per_message", 6000),
    )
    (lowest,) = findings(memory)
    assert (
        lowest.text == "Lowest peak memory per message: on CPython 3.11.7 slots at 6,000 B/message vs spread 12,000 B."
    )
    assert lowest.numbers == {f"{CP} slots": "6,000 B", f"{CP} spread": "12,000 B"}


def test_gc_mode_defaults_to_enabled_for_gc_measurers_only():
    rows = frame(
        ("spread", "hydrate_all", "gcprobe", "gc_share", 0.5, None, "x-disabled"),
        ("spread", "run_loop", "gcprobe", "gc_share", 0.5, None, "x-100"),
        ("spread", "access", "timing", "ns_per_read", 20),
    )
    assert list(with_gc_mode(rows)["gc_mode"]) == ["disabled", "enabled", ""]


def test_a_control_is_never_the_fastest_strategy():
    from harness.findings import best_access

    found = best_access(
        frame(
            ("spread", "access", "timing", "ns_per_read", 130),
            ("slots", "access", "timing", "ns_per_read", 100),
            ("floor-access", "access", "timing", "ns_per_read", 20),
        ),
        {},
    )
    assert found is not None and "slots" in found.text and "floor-access" not in found.text
