"""The noise trial: does what a run publishes survive a busy machine?

Two runs of one plan from one commit, the second with a CPU hog beside it (``harness trial``), are
held to four checks (``checks``), each a pass or a fail with what it saw:

- **answer**: the answer (``harness.analysis.answer``) is present in both, on the same interpreters, and
  names the same strategy and read path on each (or says "nothing here beats spread" in both);
- **findings**: no finding of one run contradicts the other — no comparison established one way in
  A and the other way in B (``Finding.claims``; "not established" in either is no contradiction);
- **compare**: ``harness compare`` calls no figure changed;
- **ratios**: the spread / fixed access ratio (the seed's read loop) and the msgspec-lazy / spread
  rebuild ratio (GC-enabled rebuild wall time) differ by at most ``RATIO_DRIFT`` between the runs.

Driver side: needs pandas.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from harness.metrics import NS_PER_READ, WALL_S, Metric

#: How far the two headline ratios may move between the quiet and the busy run.
RATIO_DRIFT = 0.15
#: The ratios held to RATIO_DRIFT: name -> (measurer, workload, metric, origins, A strategy, B strategy).
RATIOS: Dict[str, Tuple[str, str, Metric, Any, str, str]] = {
    "spread / fixed access": ("timing", "access", NS_PER_READ, "reference", "spread", "fixed"),
    "msgspec-lazy / spread rebuild": ("gcprobe", "hydrate_all", WALL_S, None, "msgspec-lazy", "spread"),
}


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


def _answers(frame: Any) -> Dict[str, Tuple[Optional[str], str]]:
    from harness.analysis.answer import answers

    return {answer.interpreter: (answer.strategy, answer.read_path) for answer in answers(frame)}


def answer_check(frame_a: Any, frame_b: Any) -> Check:
    a, b = _answers(frame_a), _answers(frame_b)
    if not a or not b:
        return Check("answer", False, f"no answer in run {'A' if not a else 'B'}")
    said = "; ".join(f"{name}: {a.get(name)} vs {b.get(name)}" for name in sorted(set(a) | set(b)))
    same = set(a) == set(b) and all(a[name] == b[name] for name in a)
    return Check("answer", same, said)


def contradictions(found_a: List[Any], found_b: List[Any]) -> List[str]:
    """The subjects a finding of A and a finding of B establish in opposite directions."""

    def claims(found: List[Any]) -> Dict[str, int]:
        return {subject: way for finding in found for subject, way in finding.claims.items()}

    a, b = claims(found_a), claims(found_b)
    return sorted(subject for subject in set(a) & set(b) if a[subject] * b[subject] < 0)


def findings_check(frame_a: Any, frame_b: Any) -> Check:
    from harness.analysis.findings import findings

    found_a, found_b = findings(frame_a), findings(frame_b)
    failed = [f"{run}: {item.title}" for run, own in (("A", found_a), ("B", found_b)) for item in own if item.failed]
    found = contradictions(found_a, found_b)
    detail = f"{len(found)} contradicted" + (f": {'; '.join(found)}" if found else "")
    if failed:
        detail += f"; failed to compute: {', '.join(failed)}"
    return Check("findings", not found and not failed, detail)


def compare_check(run_a: Path, run_b: Path, frame_a: Any, frame_b: Any) -> Check:
    from harness.analysis.compare import compare_runs
    from harness.analysis.verdict import CHANGED

    comparison = compare_runs(run_a, run_b, frame_a, frame_b)
    changed = [row for row in comparison.rows if row.verdict.label == CHANGED]
    listed = "; ".join(f"{row.strategy} {row.workload} {row.metric} {row.verdict}" for row in changed[:5])
    return Check("compare", not changed, comparison.summary() + (f" — changed: {listed}" if listed else ""))


def ratios(frame: Any, name: str) -> Dict[str, float]:
    """One of RATIOS in a run, per interpreter that has both sides (ratio of geometric means over
    processes)."""
    from harness.analysis.selection import largest, per_process, real_data, select
    from harness.uncertainty import compare

    measurer, workload, metric, origin, a, b = RATIOS[name]
    rows = select(
        frame, measurer, workload, metric.name, origin=origin, mode="enabled" if measurer == "gcprobe" else None
    )
    values = per_process(largest(real_data(rows) if origin is None else rows), ("interpreter", "strategy"))
    return {
        str(interpreter): compare(values[(interpreter, a)], values[(interpreter, b)]).value
        for interpreter in sorted({key[0] for key in values})
        if (interpreter, a) in values and (interpreter, b) in values
    }


def ratio_check(frame_a: Any, frame_b: Any) -> Check:
    said, passed = [], True
    for name in RATIOS:
        found_a, found_b = ratios(frame_a, name), ratios(frame_b, name)
        if not found_a or set(found_a) != set(found_b):
            said.append(f"{name}: on {sorted(found_a) or 'no interpreter'} in A, {sorted(found_b) or 'none'} in B")
            passed = False
            continue
        for interpreter, a in found_a.items():
            drift = found_b[interpreter] / a - 1
            passed &= abs(drift) <= RATIO_DRIFT
            said.append(f"{name} on {interpreter} {a:.3f} vs {found_b[interpreter]:.3f} ({drift:+.1%})")
    return Check("ratios", passed, f"{'; '.join(said)}; at most ±{RATIO_DRIFT:.0%} allowed")


def checks(run_a: Path, run_b: Path) -> List[Check]:
    """The four checks of two runs (module docstring)."""
    from harness.runs.results import load_tidy

    frame_a, frame_b = load_tidy(run_a), load_tidy(run_b)
    return [
        answer_check(frame_a, frame_b),
        findings_check(frame_a, frame_b),
        compare_check(Path(run_a), Path(run_b), frame_a, frame_b),
        ratio_check(frame_a, frame_b),
    ]
