"""The end of a run: per interpreter the headline table (100 columns at most, the access figure raw and net
of the control, no empty column), the fastest loop of each read path and the answer."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

pytest.importorskip("pandas")

from rich.console import Console  # noqa: E402
from tidy_frames import figure, frame  # noqa: E402

from harness.analysis.answer import answers  # noqa: E402
from harness.analysis.summary import HEADERS, HEADLINES, WIDTH, net_reads, print_summary  # noqa: E402
from harness.metrics import NS_PER_READ  # noqa: E402
from harness.runs.results import load_tidy  # noqa: E402
from harness.strategies import all_strategies  # noqa: E402
from harness.strategy_names import ACCESS_CONTROL  # noqa: E402

SMOKE_RUN = Path(__file__).parent / "data" / "smoke-run"


CP, PYPY = "CPython 3.13.1", "PyPy 3.9.18"
LONGEST = max(all_strategies(), key=len)
TIGHT = (0.99, 1.0, 1.01)


def spread_of(value):
    return [value * factor for factor in TIGHT]


def loop(strategy, path, seconds, interpreter=CP):
    """An agent loop's last iteration at a 6,000-message history, three processes."""
    variant = "" if path == "full" else f"read_path={path}"
    found = {"last_iteration_s": spread_of(seconds), "largest_history": [6000] * 3}
    return [
        row
        for metric, values in found.items()
        for row in figure(
            "gcprobe", "run_loop", strategy, metric, values, 1000, "realistic", interpreter, "", path, variant
        )
    ]


def headlines(strategy, index, interpreter):
    """Every headline figure of a strategy, at its widest (the access control's raw read: 20 ns)."""
    rows = []
    for headline in HEADLINES.values():
        value = 0.42 if headline.metric.unit == "ratio" else 123456.0 + index
        if strategy == ACCESS_CONTROL and headline.metric == NS_PER_READ:
            value = 20.0
        origin = headline.origin or "realistic"
        rows += figure(
            headline.measurer,
            headline.workload,
            strategy,
            headline.metric.name,
            value,
            5000,
            origin,
            interpreter,
            headline.mode or "",
        )
    return rows


def rebuild(strategy, wall, gc, interpreter=CP):
    """The GC-enabled rebuild the answer reads."""
    return [
        row
        for metric, value in (("wall_s", wall), ("gc_s", gc))
        for row in figure("gcprobe", "hydrate_all", strategy, metric, spread_of(value), 5000, "realistic", interpreter)
    ]


def write_run(path, *figures):
    """A run directory holding just the tidy table of ``figures`` (read as a bare table)."""
    frame(*figures).to_csv(path / "tidy.csv", index=False)
    return path


def widest_run(path):
    """Every strategy (and the cached form of the longest name) with every headline figure at its
    widest on two interpreters, a loop of each read path and a rebuild that answers."""
    strategies = [*sorted(all_strategies()), f"cached:{LONGEST}"]
    figures = [headlines(name, index, it) for it in (CP, PYPY) for index, name in enumerate(strategies)]
    figures += [rebuild("spread", 0.5, 0.15), rebuild(LONGEST, 0.2, 0.0)]
    figures += [loop("spread", "full", 0.3), loop(f"cached:{LONGEST}", "cache-aware", 0.1)]
    figures += [loop(LONGEST, "full", 0.25), loop(LONGEST, "incremental", 0.02)]
    return write_run(path, *figures)


def printed(run, width=WIDTH):
    out = io.StringIO()
    print_summary(run, Console(file=out, width=width, force_terminal=False))
    return out.getvalue().splitlines()


def test_the_summary_fits_100_columns_with_the_longest_names(tmp_path):
    lines = printed(widest_run(tmp_path))
    assert max(len(line) for line in lines) <= WIDTH
    for strategy in [*all_strategies(), f"cached:{LONGEST}"]:  # every name whole on one line, not folded
        assert any(f" {strategy} " in line for line in lines), strategy
    titles = [line.split(":")[0] for line in lines if ": medians; info shapes of the reference data; net" in line]
    assert titles == [CP, PYPY]
    assert any("123,456" in line and "123,436" in line for line in lines)  # raw and net (raw - 20)


def test_each_interpreter_shows_the_fastest_loop_of_each_read_path_and_its_answer(tmp_path):
    run = widest_run(tmp_path)
    lines = printed(run)
    loops = [line.split() for line in lines if line.split()[:1] in (["full"], ["cache-aware"], ["incremental"])]
    assert loops == [
        ["full", LONGEST, "250", "0.83×", "[0.81–0.85]"],  # faster than spread's full read
        ["cache-aware", f"cached:{LONGEST}", "100", "0.33×", "[0.33–0.34]"],
        ["incremental", LONGEST, "20.0", "0.07×", "[0.07–0.07]"],
    ]
    answer = answers(load_tidy(run))[0]
    assert answer.strategy == LONGEST and answer.read_path == "incremental"
    said = " ".join(lines)
    assert f"Answer: {answer.text}"[:60] in said  # the report's words (wrapped to the width)
    assert said.index("incremental") < said.index("Answer:") < said.index(f"{PYPY}: medians")


@pytest.mark.parametrize("width", [60, 45])
def test_a_narrow_terminal_gets_the_figures_in_several_tables_with_every_name_whole(tmp_path, width):
    lines = printed(widest_run(tmp_path), width)
    assert max(len(line) for line in lines) <= width
    headers = [line.split() for line in lines if line.startswith(" strategy ")]
    assert len(headers) > 2  # two interpreters, more than one table each
    shown = [header for found in headers for header in found[1:]]
    for header in HEADERS.values():  # every figure in one of them, its header whole
        assert header.split("\n")[-1] in shown, header
    for strategy in [*all_strategies(), f"cached:{LONGEST}"]:
        assert any(f" {strategy} " in line for line in lines), strategy


def is_row(line: str) -> bool:
    """A line of a table's headers or rows (indented, not a rule)."""
    return line.startswith(" ") and not line.lstrip().startswith("─")


def test_no_column_is_empty_for_every_row_of_its_interpreter_and_spread_leads(tmp_path):
    figures = [headlines(name, 0, CP) for name in ("slots", ACCESS_CONTROL, "spread", "fixed")]
    figures.append(figure("timing", "hydrate_all", "fixed", "ns_per_row", 900.0, interpreter=PYPY))
    lines = printed(write_run(tmp_path, *figures))
    start = next(i for i, line in enumerate(lines) if line.startswith(PYPY))
    cpython, pypy = lines[:start], lines[start : lines.index("Findings")]
    assert pypy[0] == f"{PYPY}: medians"  # nothing of columns it lacks
    assert [line.split() for line in pypy[2:4]] == [["hydrate"], ["strategy", "ns/row"]]  # its one figure
    assert [line.split() for line in pypy if is_row(line)][2:] == [["fixed", "900"]]
    names = [line.split()[0] for line in cpython if is_row(line)]
    assert names[names.index("spread") :] == ["spread", "fixed", "slots", ACCESS_CONTROL]  # controls last


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
