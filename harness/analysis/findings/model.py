"""What a finding is, and the helpers every finder shares (driver side, pandas).

A finding is one sentence with its headline figure and, for every comparison, the interval the
figure's processes give (``harness.uncertainty``); its supporting figures are a table beneath it,
and its ``claims`` say, per comparison, which way it went (+1, −1, or 0 for not established), so
that two runs can be checked for findings that contradict each other (``harness.analysis.trial``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from harness.analysis.selection import per_process
from harness.metrics import HIGHER, Metric
from harness.strategy_names import CONTROLS
from harness.uncertainty import Comparison, Estimate, compare

# The seed's JavaScriptCore figures (opencode PR #29029, 5,000 reference messages): spread -> fixed.
SEED_SHAPES = {"info": (47, 2), "part": (16, 5)}


SEED_MESSAGES = 5000


BASELINE = "spread"


FIXED_TIME = "fixed's time"


@dataclass(frozen=True)
class Finding:
    key: str
    title: str
    text: str
    table: Tuple[Dict[str, str], ...] = ()
    claims: Dict[str, int] = field(default_factory=dict)
    failed: bool = False


@dataclass(frozen=True)
class Finder:
    key: str
    title: str
    needs: str  # what the run must have measured for this finding
    find: Callable[[Any], Optional[Finding]]


@dataclass(frozen=True)
class Review:
    found: List[Finding]
    lacking: List[Finder]  # finders whose data the run does not have


class Notes:
    """What a finder gathers: clauses of its sentence, table rows and claims."""

    def __init__(self) -> None:
        self.parts: List[str] = []
        self.table: List[Dict[str, str]] = []
        self.claims: Dict[str, int] = {}

    def claim(self, quantity: str, interpreter: str, a: str, b: str, comparison: Comparison) -> None:
        """Record A against B under a subject that names the pair in sorted order, so that two runs
        that compare the same pair either way round get the same subject."""
        first, second, sign = (a, b, 1) if a <= b else (b, a, -1)
        self.claims[f"{quantity} · {interpreter} · {first} vs {second}"] = comparison.direction * sign

    def finding(self, key: str, title: str) -> Optional[Finding]:
        if not self.parts:
            return None
        text = "; ".join(self.parts)
        return Finding(key, title, text[0].upper() + text[1:] + ".", tuple(self.table), dict(self.claims))


def scenes(rows: Any, by: tuple = ("interpreter", "dataset", "size")) -> Dict[tuple, Dict[str, List[float]]]:
    """Per (interpreter, dataset, size): each strategy's per-process values (controls left out)."""
    found: Dict[tuple, Dict[str, List[float]]] = {}
    for key, values in per_process(rows, (*by, "strategy")).items():
        if key[-1] not in CONTROLS:
            found.setdefault(key[:-1], {})[key[-1]] = values
    return found


def messages_of(size: Any, dataset: Any) -> str:
    return f"{int(size):,} messages of {dataset}"


def against(a: List[float], b: List[float], name: str, show: Callable[[float], str]) -> str:
    """``0.21× spread's (95 % CI …)`` or, where a value is 0, the difference with its interval."""
    found = compare(a, b)
    return found.text(f"{name}'s" if found.kind == "ratio" else f"against {name}", show)


def best(own: Dict[str, List[float]], metric: Metric) -> str:
    """The strategy whose median is best by ``metric``'s direction (lowest unless higher is better);
    of equal medians the first name."""
    pick = max if metric.better == HIGHER else min
    return pick(sorted(own), key=lambda name: Estimate.of(own[name]).median)


def by_median(own: Dict[str, List[float]]) -> List[str]:
    """The strategies in order of their medians, smallest first."""
    return sorted(own, key=lambda name: Estimate.of(own[name]).median)
