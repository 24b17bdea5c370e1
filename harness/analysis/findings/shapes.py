"""Findings on how many shapes there are: key sets against the seed's, JavaScriptCore's own
Structures, and whether CPython kept its instances compact (census counts: exact)."""

from __future__ import annotations

from typing import Any, Optional

from harness.analysis.findings.model import BASELINE, SEED_MESSAGES, SEED_SHAPES, Finding, Notes
from harness.analysis.selection import medians, select
from harness.metrics import COMPACT_LAYOUT_SHARE, KEY_SETS, STRUCTURES


def shape_counts(frame: Any) -> Optional[Finding]:
    rows = select(frame, "census", origin="reference")
    found = {}
    for role in ("info", "part"):
        values = medians(select(rows, metric=KEY_SETS[role].name), ("strategy",))
        if (BASELINE,) not in values or ("fixed",) not in values:
            return None
        found[role] = (int(values[(BASELINE,)]), int(values[("fixed",)]))
    sizes = sorted({int(size) for size in select(rows, metric=KEY_SETS["info"].name)["size"].dropna()})
    size_text = ", ".join(f"{size:,}" for size in sizes) or "?"
    if found == SEED_SHAPES:
        verdict = "exactly the seed's JavaScriptCore figures (47 → 2, 16 → 5)"
    elif sizes == [SEED_MESSAGES]:
        verdict = "which does NOT match the seed's 47 → 2 and 16 → 5"
    else:
        verdict = (
            f"not the seed's 47 → 2 / 16 → 5, which are for {SEED_MESSAGES:,} messages "
            f"(this run's reference dataset has {size_text})"
        )
    text = (
        f"Spread vs fixed key sets on the reference dataset: info {found['info'][0]} → {found['info'][1]}, "
        f"part {found['part'][0]} → {found['part'][1]}, {verdict}."
    )
    table = tuple(
        {
            "objects": role,
            "spread": str(pair[0]),
            "fixed": str(pair[1]),
            "seed (JSC)": "{} → {}".format(*SEED_SHAPES[role]),
        }
        for role, pair in found.items()
    )
    claims = {
        f"key sets · {role} · fixed vs spread": (pair[1] > pair[0]) - (pair[1] < pair[0])
        for role, pair in found.items()
    }
    return Finding("shapes", "How many shapes", text, table, claims)


def jsc_structures(frame: Any) -> Optional[Finding]:
    """JavaScriptCore's own Structure counts (heap snapshot), reference and realistic, spread → fixed."""
    from harness.analysis.runtimes import fix_removes

    rows = select(frame, "census", origin="reference", implementation="JSC")
    values = medians(rows, ("interpreter", "strategy", "metric"))
    removed = fix_removes(frame)
    notes = Notes()
    for interpreter in sorted({key[0] for key in values}):
        found = {
            role: [values.get((interpreter, name, STRUCTURES[role].name)) for name in (BASELINE, "fixed")]
            for role in ("info", "part")
        }
        pairs = {
            role: (spread, fixed) for role, (spread, fixed) in found.items() if spread is not None and fixed is not None
        }
        if len(pairs) < len(found):
            continue
        text = (
            f"on {interpreter} the reference dataset's infos had {pairs['info'][0]:.0f} → {pairs['info'][1]:.0f} "
            f"Structures and its parts {pairs['part'][0]:.0f} → {pairs['part'][1]:.0f} (spread → fixed)"
        )
        own = removed[(removed["runtime"] == interpreter) & (removed["counted"] == "Structures")]
        left = own.set_index("place")["fixed"].to_dict() if not own.empty else {}
        if left.get("all"):
            below = left["nested schema objects"] + left["data-keyed records"]
            text += (
                f"; on realistic data fixed objects still have {left['all']:.0f} distinct Structures, "
                f"{below:.0f} of them below the top level ({left['data-keyed records']:.0f} in data-keyed records)"
            )
        notes.parts.append(text)
        for role, (spread, fixed) in pairs.items():
            notes.table.append(
                {"runtime": interpreter, "objects": role, "spread": f"{spread:.0f}", "fixed": f"{fixed:.0f}"}
            )
            notes.claims[f"Structures · {interpreter} · {role} fixed vs spread"] = (fixed > spread) - (fixed < spread)
    if notes.parts:
        notes.table.append(
            {"runtime": "seed (published)", "objects": "info / part", "spread": "47 / 16", "fixed": "2 / 5"}
        )
    return notes.finding("jsc_structures", "JavaScriptCore Structures, measured")


def key_sharing(frame: Any) -> Optional[Finding]:
    values = medians(select(frame, "census", metric=COMPACT_LAYOUT_SHARE.name))
    notes = Notes()
    for interpreter in sorted({key[0] for key in values}):
        shares = {name: values.get((interpreter, name)) for name in ("instance-dict", "dataclass")}
        if all(share is None for share in shares.values()):
            continue
        held = [f"{name} {COMPACT_LAYOUT_SHARE.show(share)}" for name, share in shares.items() if share is not None]
        instance = shares["instance-dict"]
        verdict = (
            ""
            if instance is None
            else " — instance key-sharing held"
            if instance >= 0.99
            else " — instance key-sharing broke for some objects"
            if instance > 0
            else " — instance key-sharing broke (every instance has its own dict)"
        )
        notes.parts.append(f"on {interpreter}, compact layout {', '.join(held)}{verdict}")
        for name, share in shares.items():
            if share is not None:
                notes.table.append(
                    {
                        "interpreter": interpreter,
                        "strategy": name,
                        "compact instances": COMPACT_LAYOUT_SHARE.show(share),
                    }
                )
    return notes.finding("key_sharing", "Lookups: CPython key-sharing / inline values")
