"""The end-of-run headline table: 100 columns at most, the access figure raw and net of the control."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from rich.console import Console

from harness.analysis.summary import HEADLINES, WIDTH, net_reads, print_summary
from harness.metrics import NS_PER_READ
from harness.runs.results import TIDY_COLUMNS
from harness.strategies import all_strategies
from harness.strategy_names import ACCESS_CONTROL

SMOKE_RUN = Path(__file__).parent / "data" / "smoke-run"


def _tidy(path, strategies, interpreters):
    """A tidy table with every headline figure, at its widest, for each strategy and interpreter."""
    with open(path / "tidy.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=TIDY_COLUMNS)
        writer.writeheader()
        for interpreter in interpreters:
            for index, strategy in enumerate(strategies):
                for headline in HEADLINES.values():
                    value = 0.42 if headline.metric.unit == "ratio" else 123456.0 + index
                    if strategy == ACCESS_CONTROL and headline.metric == NS_PER_READ:
                        value = 20.0
                    writer.writerow(
                        {
                            "interpreter": interpreter,
                            "implementation": interpreter.split()[0],
                            "strategy": strategy,
                            "workload": headline.workload,
                            "measurer": headline.measurer,
                            "gc_mode": headline.mode or "",
                            "size": 5000,
                            "metric": headline.metric.name,
                            "value": value,
                            "dataset": f"{headline.origin or 'realistic'}-s11-m5000.sqlite",
                            "origin": headline.origin or "realistic",
                        }
                    )


def test_the_summary_fits_100_columns_with_the_longest_names(tmp_path):
    names = sorted(all_strategies())
    longest = max(names, key=len)
    strategies = names + [f"cached:{longest}"]
    _tidy(tmp_path, strategies, ["CPython 3.13.1", "PyPy 3.9.18"])
    out = io.StringIO()
    print_summary(tmp_path, Console(file=out, width=WIDTH, force_terminal=False))
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= WIDTH
    for strategy in strategies:  # every name whole on one line, not folded
        assert any(f" {strategy} " in line for line in lines), strategy
    titles = [line.split(":")[0] for line in lines if ": medians; info shapes" in line]
    assert titles == ["CPython 3.13.1", "PyPy 3.9.18"]
    assert any("123,456" in line and "123,436" in line for line in lines)  # raw and net (raw - 20)


def test_net_reads_subtract_the_control_of_the_same_interpreter():
    raw = {
        ("CPython", "spread"): 100.0,
        ("CPython", "slots"): 40.0,
        ("CPython", ACCESS_CONTROL): 25.0,
        ("PyPy", "spread"): 10.0,
    }
    assert net_reads(raw) == {("CPython", "spread"): 75.0, ("CPython", "slots"): 15.0}


def test_a_table_of_an_older_schema_is_read_as_upgraded():
    """A schema-1 table has no origin column: read through ``load_tidy`` it gets the manifest's, so the
    info shapes of the reference data are shown (a plain read of the CSV found no origin and left
    the column out)."""
    out = io.StringIO()
    print_summary(SMOKE_RUN, Console(file=out, width=WIDTH, force_terminal=False))
    lines = out.getvalue().splitlines()
    header, spread = (
        next(line.split() for line in lines if line.split()[:1] == [name]) for name in ("strategy", "spread")
    )
    assert (header[1], spread[1]) == ("shapes", "40")  # spread's info key sets on the reference data
