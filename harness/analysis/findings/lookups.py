"""Findings on what reads cost: the seed's read loop, dict key order, one read site meeting more
shapes, and PyPy's maps."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from harness.analysis.findings.model import BASELINE, FIXED_TIME, Finding, Notes, best, by_median, scenes
from harness.analysis.selection import implementations, largest, per_process, select
from harness.metrics import NS_PER_READ
from harness.strategy_names import ACCESS_CONTROL
from harness.uncertainty import Estimate, compare


def best_access(frame: Any) -> Optional[Finding]:
    """The fastest 200 × 7 read loop, and every strategy against it."""
    rows = largest(select(frame, "timing", "access", NS_PER_READ.name))
    floors = per_process(rows[rows["strategy"] == ACCESS_CONTROL], ("interpreter",))
    notes = Notes()
    for (interpreter, _, _), own in sorted(scenes(rows).items()):
        if len(own) < 2:
            continue
        fastest = best(own, NS_PER_READ)
        ties = [name for name in own if name != fastest and not compare(own[name], own[fastest]).established]
        text = f"on {interpreter}, {fastest} reads fastest, {Estimate.of(own[fastest]).text(NS_PER_READ.show)} per read"
        if BASELINE in own and fastest != BASELINE:
            text += f"; spread takes {compare(own[BASELINE], own[fastest]).text('its time')}"
        if ties:
            text += f"; not established slower: {', '.join(sorted(ties))}"
        notes.parts.append(text)
        floor = floors.get((interpreter,))
        for name in by_median(own):
            versus = compare(own[name], own[fastest])
            net = Estimate.of(own[name]).median - Estimate.of(floor).median if floor else None
            notes.table.append(
                {
                    "interpreter": interpreter,
                    "strategy": name,
                    "ns per read": Estimate.of(own[name]).text(NS_PER_READ.show),
                    f"net of {ACCESS_CONTROL}": "—" if net is None else NS_PER_READ.show(net),
                    f"vs {fastest}": "—" if name == fastest else versus.text(),
                }
            )
            if name != fastest:
                notes.claim("access ns per read", interpreter, name, fastest, versus)
    return notes.finding("best_access", "Lookups: the seed's read loop")


def key_order_access(frame: Any) -> Optional[Finding]:
    """Key order alone (``spread-filled`` vs ``fixed``: same keys, same reads, only the order
    varies) and the spread code as written (``spread``: varied keys, ``.get`` reads), on CPython."""
    rows = largest(select(frame, "timing", "access", NS_PER_READ.name, implementation="CPython"))
    notes = Notes()
    for (interpreter, _, _), own in sorted(scenes(rows).items()):
        if "fixed" not in own:
            continue
        clauses = []
        for name, what in (
            ("spread-filled", "key order alone (spread-filled: the same keys and reads as fixed)"),
            (BASELINE, "the spread code as written (varied keys, .get reads)"),
        ):
            if name not in own:
                continue
            found = compare(own[name], own["fixed"])
            clauses.append(f"{what} reads in {found.text(FIXED_TIME)}")
            notes.table.append(
                {
                    "interpreter": interpreter,
                    "strategy": name,
                    "ns per read": Estimate.of(own[name]).text(NS_PER_READ.show),
                    "fixed ns per read": Estimate.of(own["fixed"]).text(NS_PER_READ.show),
                    "vs fixed": found.text(),
                }
            )
            notes.claim("access ns per read", interpreter, name, "fixed", found)
        if clauses:
            notes.parts.append(f"on {interpreter}, " + " and ".join(clauses))
    return notes.finding("key_order", "Lookups: does dict key order cost anything")


def read_site_cliff(frame: Any) -> Optional[Finding]:
    """What one read site pays as it meets more shapes, per runtime and object kind: the most shapes
    against one, and the steepest established step between neighbouring counts."""
    from harness.analysis.runtimes import kind_label

    values = per_process(select(frame, "timing", "read_site", NS_PER_READ.name), ("interpreter", "strategy", "size"))
    kinds = implementations(frame)
    lines: Dict[str, Dict[int, List[float]]] = {}
    for (interpreter, strategy, size), found in values.items():
        label = f"{interpreter} · {kind_label(kinds.get(interpreter, ''), strategy)}"
        lines.setdefault(label, {})[int(size)] = found
    notes = Notes()
    for label, points in sorted(lines.items()):
        sizes = sorted(points)
        if len(sizes) < 2:
            continue
        overall = compare(points[sizes[-1]], points[sizes[0]])
        steps = [(compare(points[b], points[a]), a, b) for a, b in zip(sizes, sizes[1:])]
        rises = [step for step in steps if step[0].direction > 0]
        clause = f"{label} from {sizes[0]} to {sizes[-1]} shapes {overall.text()}"
        if rises:
            step, a, b = max(rises, key=lambda item: item[0].value)
            clause += f", steepest established step {a} → {b} (×{step.value:.2f})"
        notes.parts.append(clause)
        notes.table.append(
            {
                "line": label,
                f"{sizes[0]} shape ns": Estimate.of(points[sizes[0]]).text(NS_PER_READ.show),
                "most shapes ns": Estimate.of(points[sizes[-1]]).text(NS_PER_READ.show),
                "most / one": overall.text(),
                "established steps": ", ".join(f"{a} → {b} ×{s.value:.2f}" for s, a, b in rises) or "none",
            }
        )
        notes.claims[f"read site · {label} · most vs {sizes[0]} shapes"] = overall.direction
    return notes.finding("read_site", "Lookups: one read site meeting more shapes")


def pypy(frame: Any) -> Optional[Finding]:
    rows = largest(select(frame, "timing", "access", NS_PER_READ.name, implementation="PyPy"))
    notes = Notes()
    for (interpreter, _, _), own in sorted(scenes(rows).items()):
        text = (
            f"on {interpreter} (real hidden classes: maps), "
            + ", ".join(f"{name} {Estimate.of(values).text(NS_PER_READ.show)}" for name, values in sorted(own.items()))
            + " per read"
        )
        if BASELINE in own and "fixed" in own:
            found = compare(own[BASELINE], own["fixed"])
            text += f"; spread takes {found.text(FIXED_TIME)}"
            notes.claim("access ns per read", interpreter, BASELINE, "fixed", found)
        notes.parts.append(text)
        notes.table += [
            {"interpreter": interpreter, "strategy": name, "ns per read": Estimate.of(values).text(NS_PER_READ.show)}
            for name, values in sorted(own.items())
        ]
    return notes.finding("pypy", "PyPy")
