"""Whether a figure changed between two runs: a verdict that does not call noise a finding.

A timing figure (pyperf) is **changed** only when all of these hold:

1. each side has *enough samples* (below);
2. pyperf's own test says the two differ, as ``python -m pyperf compare_to`` decides (Student's
   two-sample t-test at 95 % over all values: ``harness.uncertainty.pooled_t_test``, pyperf's rule);
3. B/A (of the medians) lies beyond the threshold: above ``threshold`` or below ``1 / threshold``.
   The default, 1.10, is asv's default factor (``harness compare --threshold`` sets another); a
   significant change smaller than that is reported unchanged, with the t-score.

**Enough samples** follows pyperf's sample-size rule (``Benchmark.required_nprocesses``, the
"Not enough samples" warning of ``pyperf check``): the unit is the mean of one worker process,
and the 95 % confidence interval of the mean over processes must be narrow enough. pyperf asks
for a width of 1 % (the precision of a 1 % claim); a verdict at a 10 % threshold needs the
interval within the threshold's margin, so the width here is ``threshold - 1`` (±5 % at 1.10).
With the few processes a quick plan has, the interval uses Student's t for ``n - 1`` degrees of
freedom (pyperf's own t table, ``harness.uncertainty.t95``) where pyperf's formula uses 1.96, the
many-process limit; one process never suffices, since it gives no spread between processes at all.

Exact figures (census counts) need no test: any difference is a change. Instruction counts
(callgrind) need none either — the same build, code, data and hash seed execute the same
instructions, so there is no noise to test against — but a code change elsewhere (an import, a
dict resized at another moment) moves them a little: B/A beyond ``COUNT_THRESHOLD`` (0.5 %) or
below its inverse is a change, within it unchanged (CodSpeed's model). Figures of the other
measurers keep no samples to test, so their ratio is shown with the verdict ``untested``. A timing
whose pyperf file is not the one its job's result recorded is ``unverified`` (``harness.analysis.compare``):
no test is run on a file nothing vouches for.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

from harness.uncertainty import pooled_t_test, t95

#: B/A beyond this factor (or below its inverse) can be called changed.
THRESHOLD = 1.10
#: B/A of instruction counts beyond this factor (or below its inverse) is a change; no samples are needed.
COUNT_THRESHOLD = 1.005
#: Most processes a "N needed" hint computes (beyond it: "over MAX_PROCESSES needed").
MAX_PROCESSES = 1000

CHANGED, UNCHANGED = "changed", "unchanged"
NOT_ENOUGH, UNTESTED, NO_DATA = "not enough samples", "untested", "no pyperf data"
MACHINE_DIFFERED, UNVERIFIED = "machine state differed", "unverified"
#: Verdicts that say nothing about whether the figure moved.
NOT_COMPARABLE = (NOT_ENOUGH, UNTESTED, NO_DATA, MACHINE_DIFFERED, UNVERIFIED)


@dataclass(frozen=True)
class Verdict:
    label: str  # one of CHANGED, UNCHANGED, NOT_COMPARABLE
    detail: str = ""  # why, in a few words

    def __str__(self) -> str:
        return f"{self.label} ({self.detail})" if self.detail else self.label


@dataclass(frozen=True)
class Samples:
    """The per-process means of one pyperf benchmark and what they can support."""

    processes: int
    cv: Optional[float]  # coefficient of variation of the process means; None below 2 processes
    needed: Optional[int]  # processes the rule asks for at this cv; None when beyond MAX_PROCESSES

    @property
    def enough(self) -> bool:
        return self.needed is not None and self.processes >= self.needed


def process_means(bench: Any) -> List[float]:
    """The mean value of each worker process that produced values (calibration runs have none)."""
    return [statistics.mean(run.values) for run in bench.get_runs() if run.values]


def _half_width(cv: float, processes: int) -> float:
    return t95(processes - 1) * cv / math.sqrt(processes)


def samples(bench: Any, threshold: float = THRESHOLD) -> Samples:
    """Whether a benchmark has enough processes for a verdict at ``threshold`` (module docstring)."""
    means = process_means(bench)
    if len(means) < 2:
        return Samples(len(means), None, None)
    average = statistics.mean(means)
    cv = statistics.stdev(means) / average if average else math.inf
    margin = (threshold - 1) / 2
    needed = next((n for n in range(2, MAX_PROCESSES + 1) if _half_width(cv, n) <= margin), None)
    return Samples(len(means), cv, needed)


def _describe(side: str, found: Samples) -> str:
    wanted = "2" if found.cv is None else str(found.needed) if found.needed else f"over {MAX_PROCESSES}"
    return f"{side}: {found.processes} process{'es' if found.processes != 1 else ''}, {wanted} needed"


def timing_verdict(bench_a: Any, bench_b: Any, ratio: Optional[float], threshold: float = THRESHOLD) -> Verdict:
    """The verdict on two pyperf benchmarks whose medians give ``ratio`` = B/A."""
    if bench_a is None or bench_b is None:
        return Verdict(NO_DATA)
    short = [
        _describe(side, found)
        for side, found in (("A", samples(bench_a, threshold)), ("B", samples(bench_b, threshold)))
        if not found.enough
    ]
    if short:
        return Verdict(NOT_ENOUGH, "; ".join(short))
    tested = pooled_t_test(bench_a.get_values(), bench_b.get_values())
    if tested is None:  # pyperf's test does not run (e.g. unequal value counts)
        return Verdict(UNTESTED, "pyperf's t-test did not run")
    t_score, significant = tested
    if not significant:
        return Verdict(UNCHANGED, f"not significant, t={t_score:.2f}")
    if ratio is None or 1 / threshold < ratio < threshold:
        return Verdict(UNCHANGED, f"significant, t={t_score:.2f}, within {threshold:.2f}x")
    return Verdict(CHANGED, f"{'slower' if ratio > 1 else 'faster'}, t={t_score:.2f}")


def exact_verdict(a: float, b: float) -> Verdict:
    """Counts from the same code and data: any difference is a change."""
    same = a == b or (math.isnan(a) and math.isnan(b))
    return Verdict(UNCHANGED, "exact") if same else Verdict(CHANGED, "exact figure")


def count_verdict(a: float, b: float) -> Verdict:
    """Instruction counts: changed when B/A lies beyond ``COUNT_THRESHOLD`` (either way), else unchanged."""
    if a == b:
        return Verdict(UNCHANGED, "same count")
    if a <= 0 or b <= 0 or math.isnan(a) or math.isnan(b):
        return Verdict(CHANGED, "count")
    ratio = b / a
    if 1 / COUNT_THRESHOLD <= ratio <= COUNT_THRESHOLD:
        return Verdict(UNCHANGED, f"count within {COUNT_THRESHOLD:.3f}x")
    return Verdict(CHANGED, f"{'more' if ratio > 1 else 'fewer'} instructions")


def run_samples(run_dir: Any, threshold: float = THRESHOLD) -> List[Dict[str, Any]]:
    """For every timing figure of a run (its processes' runs merged): its processes, the spread of
    their means and whether they are enough for a verdict at ``threshold`` (what ``harness compare``
    can say about it)."""
    from harness.runs.results import job_results
    from harness.runs.suite import figure_benchmarks

    found = []
    for tag, benchmarks in figure_benchmarks(Path(run_dir), job_results(Path(run_dir))).items():
        for bench in benchmarks:
            counted, metadata = samples(bench, threshold), bench.get_metadata()
            found.append(
                {
                    "interpreter": tag,
                    "workload": metadata.get("harness_workload", "?"),
                    "strategy": metadata.get("harness_strategy", "?"),
                    "size": metadata.get("harness_size", "?"),
                    "processes": counted.processes,
                    "spread of process means": counted.cv,
                    "processes needed": counted.needed,
                    f"verdict at {threshold:.2f}x": "supported" if counted.enough else "not enough samples",
                }
            )
    return found
