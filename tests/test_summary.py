"""The end-of-run headline table: 100 columns at most, the access figure raw and net of the control."""

from __future__ import annotations

import csv
import io

from rich.console import Console

from harness.analysis.summary import ACCESS_CONTROL, HEADLINES, WIDTH, net_reads, print_summary
from harness.results import TIDY_COLUMNS
from harness.strategies import all_strategies


def _tidy(path, strategies, interpreters):
    """A tidy table with every headline figure, at its widest, for each strategy and interpreter."""
    with open(path / "tidy.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=TIDY_COLUMNS)
        writer.writeheader()
        for interpreter in interpreters:
            for index, strategy in enumerate(strategies):
                for measurer, workload, metric, origin, mode in HEADLINES.values():
                    value = 0.42 if metric.endswith("share") else 123456.0 + index
                    if strategy == ACCESS_CONTROL and metric == "ns_per_read":
                        value = 20.0
                    writer.writerow(
                        {
                            "interpreter": interpreter,
                            "strategy": strategy,
                            "workload": workload,
                            "measurer": measurer,
                            "gc_mode": mode or "",
                            "size": 5000,
                            "metric": metric,
                            "value": value,
                            "dataset": f"{origin or 'realistic'}-s11-m5000.sqlite",
                            "origin": origin or "realistic",
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
