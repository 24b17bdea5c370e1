"""What per-process values can claim: a figure's interval, and whether one figure differs from another.

Every figure of a run is measured in several fresh processes, interleaved with the other strategies
of its sweep (``harness.runs.runner.plan``); each process gives one value (a timing job's median of its
pyperf values, a GC probe's seconds over its rounds). The process is the unit: values within one
process are not independent of each other.

- ``Estimate``: a figure over its processes: the median, and the 95 % interval of the mean from
  Student's t with n − 1 degrees of freedom.
- ``compare(a, b)``: figure A against figure B. Where every value is positive, the ratio of their
  geometric means with a 95 % interval from Welch's t on the logarithms of the values (Welch–
  Satterthwaite degrees of freedom, rounded down: the interval errs on the wide side). Where a value
  is zero or negative (a GC time of 0 s, a slope), the difference of the means with Welch's t
  interval instead. t quantiles are pyperf's own table (``t95``, below).
- ``difference(a, b)``: the difference of the means with Welch's t interval, whatever the signs (a
  share's change in points).

A comparison is **established** only when each side has at least ``MIN_PROCESSES`` values and the
interval excludes 1 (a ratio) or 0 (a difference); otherwise it is "not established" — never
"beyond the noise" from one process. Pure Python: the analysis, ``advise`` and the terminal use it.

pyperf's statistics, vendored: ``t95`` (its table of Student's t quantiles) and ``pooled_t_test``
(the test ``python -m pyperf compare_to`` runs), as pyperf 2.11.0 has them in its private modules
``pyperf._utils`` and ``pyperf._compare``. pyperf is pinned only from below, and a release may move
or change a private module, so the harness keeps its own copy, and ``tests/test_pyperf_statistics.py``
pins the copy to the installed pyperf's own answers.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Callable, Optional, Sequence, Tuple

#: Fewest processes per side a comparison may rest on (one gives no spread between processes).
MIN_PROCESSES = 2
METHOD = "95 % Welch t interval over per-process values (on their logarithms for a ratio)"


def span(low: float, high: float, show: Callable[[float], str]) -> str:
    """``low–high``, or ``low to high`` where a dash would read as a minus sign."""
    return f"{show(low)}{'–' if low >= 0 else ' to '}{show(high)}"


#: Student's t 95 % two-sided quantiles for 1 to 30 degrees of freedom, three decimals (pyperf's table).
_T95_TABLE = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip
#: Beyond the table, pyperf's bands: from this many degrees of freedom on, this quantile (31 to 39
#: take the table's last, 30's).
_T95_BANDS = ((200, 1.960), (100, 1.984), (80, 1.990), (60, 2.000), (50, 2.009), (40, 2.021))


def t95(df: int) -> float:
    """Student's t 95 % two-sided quantile for ``df`` >= 1 degrees of freedom, as pyperf's
    ``tdist95conf_level`` gives it: its table to 30 and its bands beyond (each band the quantile of
    its lowest df; from 200 on, the normal limit 1.960)."""
    if df < 1:
        raise ValueError(f"Student's t needs at least 1 degree of freedom, got {df}")
    return next((value for lowest, value in _T95_BANDS if df >= lowest), _T95_TABLE[min(df, 30) - 1])


def pooled_t_test(a: Sequence[float], b: Sequence[float]) -> Optional[Tuple[float, bool]]:
    """Student's two-sample, two-sided t-test at 95 % as ``pyperf compare_to`` runs it on two
    benchmarks' values: the t score of mean(a) − mean(b) over the pooled variance, and whether it is
    significant (|t| >= ``t95`` of len(a) + len(b) − 2). None where pyperf's test does not run: sides
    of unequal sizes (pyperf then says "significant" without a score; ``pyperf._compare``), a single
    value a side, no spread at all, or a float overflow."""
    if len(a) != len(b) or len(a) < 2:
        return None
    try:
        mean_a, mean_b = statistics.mean(a), statistics.mean(b)
        squares = math.fsum((x - mean_a) ** 2 for x in a) + math.fsum((x - mean_b) ** 2 for x in b)
        error = squares / float(len(a) + len(b) - 2) / len(a)
        score = (mean_a - mean_b) / math.sqrt(error * 2)
    except (ArithmeticError, ValueError):
        return None
    return score, abs(score) >= t95(len(a) + len(b) - 2)


def _t95(df: float) -> float:
    """``t95`` for a fractional df (Welch–Satterthwaite), rounded down: the interval errs on the wide side."""
    return t95(max(1, math.floor(df)))


@dataclass(frozen=True)
class Estimate:
    """One figure over its processes."""

    values: Tuple[float, ...]

    @classmethod
    def of(cls, values: Sequence[float]) -> Estimate:
        return cls(tuple(float(value) for value in values if value == value))

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else math.nan

    @property
    def interval(self) -> Optional[Tuple[float, float]]:
        """The 95 % interval of the mean (None below MIN_PROCESSES values)."""
        if self.n < MIN_PROCESSES:
            return None
        mean = statistics.fmean(self.values)
        half = _t95(self.n - 1) * statistics.stdev(self.values) / math.sqrt(self.n)
        return mean - half, mean + half

    def text(self, show: Callable[[float], str]) -> str:
        """``median [low–high]`` (``median (1 process)``; ``—`` without a value); the interval is the
        mean's."""
        if not self.values:
            return "—"
        bounds = self.interval
        if bounds is None:
            return f"{show(self.median)} ({self.n} process{'' if self.n == 1 else 'es'})"
        if bounds[0] == bounds[1]:
            return f"{show(self.median)} (the same in {self.n} processes)"
        return f"{show(self.median)} [{span(bounds[0], bounds[1], show)}]"


@dataclass(frozen=True)
class Comparison:
    """Figure A against figure B: a ratio (A/B of geometric means) or a difference (A − B of means)."""

    kind: str  # "ratio" or "difference"
    value: float
    low: Optional[float]
    high: Optional[float]
    n_a: int
    n_b: int

    @property
    def enough(self) -> bool:
        return min(self.n_a, self.n_b) >= MIN_PROCESSES and self.low is not None

    @property
    def neutral(self) -> float:
        return 1.0 if self.kind == "ratio" else 0.0

    @property
    def established(self) -> bool:
        """Whether A and B differ: enough processes and an interval that excludes no difference."""
        return self.enough and not (self.low <= self.neutral <= self.high)  # type: ignore[operator]

    @property
    def direction(self) -> int:
        """+1 when A is established above B, -1 below, 0 not established."""
        if not self.established:
            return 0
        return 1 if self.value > self.neutral else -1

    def interval_text(self, show: Optional[Callable[[float], str]] = None) -> str:
        """``95 % CI low–high``, or why there is no interval."""
        if not self.enough:
            fewest = min(self.n_a, self.n_b)
            return f"{fewest} process{'' if fewest == 1 else 'es'} on a side: no interval"
        return f"95 % CI {span(self.low, self.high, show or (lambda value: f'{value:.2f}'))}"  # type: ignore[arg-type]

    def text(self, of: str = "", show: Optional[Callable[[float], str]] = None) -> str:
        """``1.60× fixed's time (95 % CI 1.42–1.81)``, or ``…, not established (…)``; ``of`` names
        what B is (a ratio) or what A is set against (a difference: ``+0.155 s against spread``)."""
        if self.kind == "ratio":
            shown, interval = f"{self.value:.2f}×", self.interval_text()
        else:
            show = show or (lambda value: f"{value:.3g}")
            signed = lambda value: ("+" if value >= 0 else "−") + show(abs(value))  # noqa: E731
            shown, interval = signed(self.value), self.interval_text(signed)
        core = f"{shown} {of}".strip()
        return f"{core} ({interval})" if self.established else f"{core}, not established ({interval})"


def _welch(a: Sequence[float], b: Sequence[float]) -> Tuple[float, Optional[float]]:
    """Mean difference of a and b and the half-width of its 95 % Welch interval (None: too few)."""
    difference = statistics.fmean(a) - statistics.fmean(b)
    if min(len(a), len(b)) < MIN_PROCESSES:
        return difference, None
    var_a, var_b = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    total = var_a + var_b
    if total == 0:
        return difference, 0.0
    share_a, share_b = var_a / total, var_b / total  # Welch-Satterthwaite on shares: no underflow of tiny variances
    df = 1 / (share_a**2 / (len(a) - 1) + share_b**2 / (len(b) - 1))
    return difference, _t95(df) * math.sqrt(total)


def _exp(value: float) -> float:
    """``e**value``, infinite where a float cannot hold it (a ratio bound of values 1e-226 apart)."""
    try:
        return math.exp(value)
    except OverflowError:
        return math.inf


def compare(a: Sequence[float], b: Sequence[float]) -> Comparison:
    """Figure A (per-process values ``a``) against figure B (module docstring)."""
    a = [float(value) for value in a if value == value]
    b = [float(value) for value in b if value == value]
    if not a or not b:
        raise ValueError("a comparison needs at least one value per side")
    if min(a + b) > 0:
        log_ratio, half = _welch([math.log(v) for v in a], [math.log(v) for v in b])
        bounds = (None, None) if half is None else (_exp(log_ratio - half), _exp(log_ratio + half))
        return Comparison("ratio", _exp(log_ratio), bounds[0], bounds[1], len(a), len(b))
    return difference(a, b)


def difference(a: Sequence[float], b: Sequence[float]) -> Comparison:
    """A − B: the difference of the means of ``a`` and ``b`` with its 95 % Welch interval, whatever
    the values' signs (shares, where a difference in points is the figure; ``compare`` takes a ratio
    of positive values instead). NaN values are dropped; ValueError when a side has none."""
    a = [float(value) for value in a if value == value]
    b = [float(value) for value in b if value == value]
    if not a or not b:
        raise ValueError("a comparison needs at least one value per side")
    found, half = _welch(a, b)
    bounds = (None, None) if half is None else (found - half, found + half)
    return Comparison("difference", found, bounds[0], bounds[1], len(a), len(b))
