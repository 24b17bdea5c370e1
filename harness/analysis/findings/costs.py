"""Findings on what the shapes cost in the collector, in memory and in the agent loop."""

from __future__ import annotations

from typing import Any, List, Optional

from harness.analysis.findings.model import BASELINE, Finding, Notes, against, best, by_median, messages_of, scenes
from harness.analysis.selection import largest, per_process, real_data, select, with_gc_mode
from harness.metrics import GC_S, GC_SHARE, LAST_ITERATION_S, LOOP_SLOPE, PEAK_BYTES_PER_MESSAGE, WALL_S
from harness.numbers import in_processes
from harness.uncertainty import Estimate, compare


def gc_cost(frame: Any) -> Optional[Finding]:
    """The collector's share of a rebuild with spread, and the strategy that spends least in it."""
    rows = largest(real_data(select(frame, "gcprobe", "hydrate_all", mode="enabled")))
    shares = scenes(rows[rows["metric"] == GC_SHARE.name])
    gc_seconds = scenes(rows[rows["metric"] == GC_S.name])
    notes = Notes()
    for (interpreter, dataset, size), own in sorted(gc_seconds.items()):
        share = shares.get((interpreter, dataset, size), {})
        if BASELINE not in own or len(own) < 2:
            continue
        least = best(own, GC_S)
        spread = Estimate.of(own[BASELINE])
        text = (
            f"on {interpreter}, rebuilding {messages_of(size, dataset)} spread spends "
            f"{Estimate.of(share.get(BASELINE, [])).text(GC_SHARE.show)} of its wall time in GC "
            f"({spread.text(GC_S.show)})"
        )
        if least != BASELINE:
            text += f"; {least} the least: {_gc_phrase(own[least], share.get(least, []))}"
            text += f", {against(own[least], own[BASELINE], 'spread', GC_S.show)}"
        notes.parts.append(text)
        for name in by_median(own):
            versus = compare(own[name], own[BASELINE])
            notes.table.append(
                {
                    "interpreter": interpreter,
                    "strategy": name,
                    "GC share": Estimate.of(share.get(name, [])).text(GC_SHARE.show),
                    "GC s": Estimate.of(own[name]).text(GC_S.show),
                    "GC s vs spread": "—" if name == BASELINE else versus.text(show=GC_S.show),
                }
            )
            if name != BASELINE:
                notes.claim("GC s of a rebuild", interpreter, name, BASELINE, versus)
    return notes.finding("gc_cost", "What the collector takes")


def _gc_phrase(gc_values: List[float], share_values: List[float]) -> str:
    if gc_values and max(gc_values) == 0:
        return f"no collection ran {in_processes(len(gc_values))}"
    return f"{Estimate.of(share_values).text(GC_SHARE.show)} ({Estimate.of(gc_values).text(GC_S.show)})"


def gc_controls(frame: Any) -> Optional[Finding]:
    """The controls beside the GC figures: the same rebuild with the collector disabled (or frozen)."""
    rows = largest(real_data(select(frame, "gcprobe", "hydrate_all", WALL_S.name)))
    walls = scenes(with_gc_mode(rows), ("interpreter", "dataset", "size", "gc_mode"))
    notes = Notes()
    for interpreter, dataset, size in sorted({key[:3] for key in walls}):
        enabled = walls.get((interpreter, dataset, size, "enabled"), {})
        ratios = []
        for mode in ("disabled", "freeze"):
            control = walls.get((interpreter, dataset, size, mode), {})
            for name in sorted(set(control) & set(enabled)):
                found = compare(control[name], enabled[name])
                ratios.append((mode, name, found))
                notes.table.append(
                    {
                        "interpreter": interpreter,
                        "strategy": name,
                        "control": _control_label(mode),
                        "GC enabled s": Estimate.of(enabled[name]).text(WALL_S.show),
                        "control s": Estimate.of(control[name]).text(WALL_S.show),
                        "control / enabled": found.text(),
                    }
                )
                notes.claim(f"rebuild wall time, {_control_label(mode)}", interpreter, name, "GC enabled", found)
        if not ratios:
            continue
        mode, name, found = next((item for item in ratios if item[1] == BASELINE), ratios[0])
        text = (
            f"on {interpreter}, with {_control_label(mode)} {name} rebuilds {messages_of(size, dataset)} "
            f"in {found.text('its GC-enabled wall time')}"
        )
        others = [item for item in ratios if item[:2] != (mode, name)]
        if others:
            low, high = min(item[2].value for item in others), max(item[2].value for item in others)
            established = sum(item[2].established for item in others)
            text += f" (the {len(others)} other controls: {low:.2f}×–{high:.2f}×, {established} of them established)"
        notes.parts.append(text)
    return notes.finding("gc_controls", "The GC controls")


def _control_label(mode: str) -> str:
    return "gc.freeze()" if mode == "freeze" else "the collector disabled"


def lowest_memory(frame: Any) -> Optional[Finding]:
    rows = largest(real_data(select(frame, "memory", "hydrate_all", PEAK_BYTES_PER_MESSAGE.name)))
    notes = Notes()
    for (interpreter, dataset, size), own in sorted(scenes(rows).items()):
        if len(own) < 2:
            continue
        lowest = best(own, PEAK_BYTES_PER_MESSAGE)
        text = f"on {interpreter}, rebuilding {messages_of(size, dataset)} {lowest} peaks lowest, at "
        text += f"{Estimate.of(own[lowest]).text(PEAK_BYTES_PER_MESSAGE.show)} per message"
        if BASELINE in own and lowest != BASELINE:
            text += f", {against(own[lowest], own[BASELINE], 'spread', PEAK_BYTES_PER_MESSAGE.show)}"
        notes.parts.append(text)
        for name in by_median(own):
            versus = compare(own[name], own[BASELINE]) if BASELINE in own else None
            notes.table.append(
                {
                    "interpreter": interpreter,
                    "strategy": name,
                    "peak B/message": Estimate.of(own[name]).text(PEAK_BYTES_PER_MESSAGE.show),
                    "vs spread": "—" if versus is None or name == BASELINE else versus.text(),
                }
            )
            if versus is not None and name != BASELINE:
                notes.claim("peak bytes per message", interpreter, name, BASELINE, versus)
    return notes.finding("memory", "Memory")


def loop_growth(frame: Any) -> Optional[Finding]:
    """How each agent-loop iteration grows with the history, per strategy and read path."""
    rows = select(frame, "gcprobe", "run_loop", LOOP_SLOPE.name, variant=None, mode="enabled")
    slopes = per_process(rows, ("interpreter", "strategy", "read_path"))
    lasts = per_process(
        select(frame, "gcprobe", "run_loop", LAST_ITERATION_S.name, variant=None, mode="enabled"),
        ("interpreter", "strategy", "read_path"),
    )
    notes = Notes()
    for interpreter in sorted({key[0] for key in slopes}):
        own = {f"{key[1]} · {key[2] or 'full'}": values for key, values in slopes.items() if key[0] == interpreter}
        if len(own) < 2:
            continue
        base = (
            f"{BASELINE} · full" if f"{BASELINE} · full" in own else max(own, key=lambda k: Estimate.of(own[k]).median)
        )
        flattest = best(own, LOOP_SLOPE)
        per_1k = LOOP_SLOPE.show
        text = (
            f"on {interpreter}, an agent-loop iteration with {base} grows "
            f"{Estimate.of(own[base]).text(per_1k)} per 1,000 messages of history"
        )
        if flattest != base:
            difference = compare(own[flattest], own[base])
            text += (
                f"; {flattest} the least, {Estimate.of(own[flattest]).text(per_1k)} "
                f"({difference.text('against it', per_1k)})"
            )
        notes.parts.append(text)
        for (name, path), values in sorted(
            ((key[1], key[2] or "full"), values) for key, values in slopes.items() if key[0] == interpreter
        ):
            label = f"{name} · {path}"
            versus = compare(values, own[base])
            notes.table.append(
                {
                    "interpreter": interpreter,
                    "strategy · read path": label,
                    "ms per iteration per 1k": Estimate.of(values).text(per_1k),
                    "last iteration": Estimate.of(lasts.get((interpreter, name, path), [])).text(LAST_ITERATION_S.show),
                    f"vs {base}": "—" if label == base else versus.text(show=per_1k),
                }
            )
            if label != base:
                notes.claim("loop growth per 1k history", interpreter, label, base, versus)
    return notes.finding("loop_growth", "The agent loop as the history grows")
