"""The per-runtime answers (harness.analysis.runtimes) and their findings, from hand-made tidy frames."""

import pytest

pd = pytest.importorskip("pandas")

from harness.analysis.findings import jsc_structures, read_site_cliff  # noqa: E402
from harness.analysis.runtimes import costs, fix_removes, read_site, shapes_by_place, steepest_steps  # noqa: E402
from harness.runs import results  # noqa: E402

CP, JSC = "CPython 3.13.0", "JSC Bun 1.4.5"
REAL, REF = "realistic-s11-m10000.sqlite", "reference-s11-m5000.sqlite"


def row(interpreter, strategy, measurer, workload, metric, value, dataset=REAL, size=5000, mode=""):
    return {
        "interpreter": interpreter,
        "implementation": interpreter.split()[0],
        "strategy": strategy,
        "workload": workload,
        "measurer": measurer,
        "gc_mode": mode,
        "size": size,
        "metric": metric,
        "value": float(value),
        "unit": "",
        "n": 1,
        "mad": None,
        "job": f"{interpreter}-{strategy}-{metric}-{size}",
        "dataset": dataset,
        "origin": "reference" if dataset == REF else "realistic",
    }


def frame(rows):
    found = pd.DataFrame(rows, columns=list(results.TIDY_COLUMNS))
    for name in results.TIDY_TEXT:
        found[name] = found[name].astype("string").fillna("")
    return found.astype(results.TIDY_TYPES)


def census(interpreter, strategy, dataset=REAL, **values):
    return [
        row(interpreter, strategy, "census", "hydrate_all", metric, value, dataset) for metric, value in values.items()
    ]


ORDERS = {
    "spread": dict(info_key_orders=90, part_key_orders=50, nested_key_orders=170, record_key_orders=200),
    "fixed": dict(info_key_orders=2, part_key_orders=11, nested_key_orders=170, record_key_orders=200),
}
STRUCTURES = {
    "spread": dict(info_structures=90, part_structures=50, nested_structures=170, record_structures=200)
    | dict(info_chain_structures=350, part_chain_structures=240, nested_chain_structures=300)
    | dict(record_chain_structures=400, chain_structures=1100),
    "fixed": dict(info_structures=2, part_structures=11, nested_structures=170, record_structures=200)
    | dict(info_chain_structures=29, part_chain_structures=75, nested_chain_structures=300)
    | dict(record_chain_structures=400, chain_structures=760),
}


@pytest.fixture()
def tidy():
    rows = []
    for strategy in ("spread", "fixed"):
        rows += census(CP, strategy, **ORDERS[strategy])
        rows += census(JSC, strategy, **ORDERS[strategy], **STRUCTURES[strategy])
    rows += census(JSC, "spread", REF, info_structures=47, part_structures=16)
    rows += census(JSC, "fixed", REF, info_structures=2, part_structures=5)
    for interpreter, spread, fixed in ((CP, 30.0, 20.0), (JSC, 9.0, 3.0)):
        rows.append(row(interpreter, "spread", "timing", "access", "ns_per_read", spread, REF))
        rows.append(row(interpreter, "fixed", "timing", "access", "ns_per_read", fixed, REF))
    rows.append(row(CP, "spread", "gcprobe", "hydrate_all", "gc_share", 0.5, mode="enabled"))
    rows.append(row(CP, "fixed", "gcprobe", "hydrate_all", "gc_share", 0.4, mode="enabled"))
    rows.append(row(CP, "fixed", "gcprobe", "hydrate_all", "gc_share", 0.01, mode="disabled"))
    for shapes, cp, jsc in ((1, 20.0, 1.0), (2, 40.0, 1.2), (8, 42.0, 1.4), (16, 43.0, 7.0)):
        for process in (0.99, 1.0, 1.01):  # three processes a percent apart
            rows.append(row(CP, "slots", "timing", "read_site", "ns_per_read", cp * process, REF, shapes))
            rows.append(row(JSC, "spread", "timing", "read_site", "ns_per_read", jsc * process, REF, shapes))
    return frame(rows)


def test_shapes_by_place_per_runtime(tidy):
    table = shapes_by_place(tidy)
    cp = table[table["runtime"] == CP].iloc[0]
    assert (cp["counted"], cp["top-level"], cp["nested schema objects"], cp["data-keyed records"], cp["all"]) == (
        "key orders",
        140,
        170,
        200,
        510,
    )
    jsc = table[table["runtime"] == JSC].set_index("counted")
    assert list(jsc.index) == ["key orders", "Structures", "Structures with chains"]
    assert jsc.loc["Structures with chains", "top-level"] == 590 and jsc.loc["Structures with chains", "all"] == 1100


def test_fix_removes_the_top_level_only(tidy):
    table = fix_removes(tidy).set_index(["runtime", "counted", "place"])
    top = table.loc[(CP, "key orders", "top-level")]
    assert (top["spread"], top["fixed"]) == (140, 13) and top["removed"] == pytest.approx(127 / 140)
    assert table.loc[(JSC, "Structures", "data-keyed records"), "removed"] == 0
    assert table.loc[(JSC, "Structures with chains", "all"), "fixed"] == 760


def test_costs_pair_spread_with_fixed(tidy):
    table = costs(tidy).set_index(["runtime", "figure"])
    assert table.loc[(JSC, "access ns/read"), "spread / fixed"] == 3.0
    assert table.loc[(CP, "GC share of rebuild"), "fixed"] == 0.4  # the GC-disabled control is not pooled
    assert (JSC, "GC share of rebuild") not in table.index


def test_read_site_lines_and_their_steepest_step(tidy):
    wide = read_site(tidy)
    assert list(wide.index) == [1, 2, 8, 16]
    assert set(wide.columns) == {f"{CP} · __slots__ class", f"{JSC} · plain object"}
    steps = steepest_steps(wide).set_index("line")
    assert steps.loc[f"{CP} · __slots__ class", "steepest step"] == "1 → 2 shapes"
    assert steps.loc[f"{JSC} · plain object", "steepest step"] == "8 → 16 shapes"
    assert steps.loc[f"{JSC} · plain object", "× at the step"] == pytest.approx(5.0)


def test_findings_use_the_runs_own_figures(tidy):
    structures = jsc_structures(tidy)
    assert "47 → 2" in structures.text and "16 → 5" in structures.text
    assert "760" not in structures.text and "still have 383 distinct Structures" in structures.text
    cliff = read_site_cliff(tidy)
    assert f"{CP} · __slots__ class from 1 to 16 shapes 2.15× (95 % CI" in cliff.text
    assert (
        "steepest established step 1 → 2 (×2.00)" in cliff.text
        and "steepest established step 8 → 16 (×5.00)" in cliff.text
    )
    assert cliff.claims == {
        f"read site · {CP} · __slots__ class · most vs 1 shapes": 1,
        f"read site · {JSC} · plain object · most vs 1 shapes": 1,
    }
    empty = frame([])
    assert jsc_structures(empty) is None and read_site_cliff(empty) is None
