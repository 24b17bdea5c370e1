"""The answer the report opens with: which strategy (and agent-loop read path) makes the cost go away.

The rule (``RULE``, quoted in the report and the README) is applied per interpreter by ``choose``,
a pure function of per-process figures, which ``harness advise`` uses as well; ``answers`` reads
them from a run's tidy table (driver side, pandas) and words each answer with its intervals.

The answer table (``answer_rows``), per strategy × read path, "—" where the run lacks a figure:

- ``GC share`` / ``GC s``: the rebuild the rule reads (gcprobe ``hydrate_all``, GC enabled, the
  largest dataset of realistic data): share of the wall time spent in collections, and those
  seconds over all rounds; median over processes with the 95 % interval of the mean.
- ``rows/s × floor``: rows that rebuild built per second (GC included) over ``floor-json``'s
  (``json.loads`` alone) in the same kind of job.
- ``peak B/msg``: peak bytes per message of one rebuild (memory ``hydrate_all``).
- ``loop ms``: one agent-loop iteration at the largest history measured (the GC probe's last
  iteration, which appends before it reads; timing ``run_loop`` where the run has no GC probe of
  the loop); ``history`` is that size.
- ``slope ms/1k``: how an iteration grows per 1,000 messages of history (gcprobe ``run_loop``).

The rebuild columns of ``cached:<name>`` are ``<name>``'s (the rebuild of a cached strategy would
measure cache hits). ``read path`` is the job's own column (``full`` by default); "—" for a
strategy the run measured only rebuilding.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from harness.metrics import (
    DEEP_BYTES_PER_MESSAGE,
    GC_S,
    GC_SHARE,
    LARGEST_HISTORY,
    LAST_ITERATION_S,
    LOOP_SLOPE,
    NS_PER_READ,
    PEAK_BYTES_PER_MESSAGE,
    PINNED_ROW_BYTES_PER_MESSAGE,
    ROWS_PER_S,
    SECONDS_PER_CALL,
    WALL_S,
)
from harness.numbers import in_processes, times
from harness.strategy_names import CONTROLS, JSON_FLOOR, uncached
from harness.uncertainty import Estimate, compare

BASELINE = "spread"
NO_LOOP = "—"  # the read path of a strategy measured only rebuilding
SPREAD_WALL = "spread's wall time"
SPREAD_LOOP = "the time of spread's full read"
#: "Most" of spread's GC time: a strategy qualifies when its GC seconds are at most this share of spread's.
GC_REMOVED = 0.5
RULE = (
    "The answer names, per interpreter, the strategy with the lowest median rebuild time (GC included, as an "
    "application pays it) among those whose rebuild spends at most half of spread's GC seconds — a strategy that "
    "ran no collection qualifies best — and with it the read path of its agent loop (the strategy or its "
    'cached: form) with the lowest time per iteration at the largest history measured. It says "nothing here '
    "beats spread\" when no strategy removes half of spread's GC time, or when the one that does rebuilds no "
    "faster than spread. Spread is never its own fix, and controls (floors) are never named. The rebuild is the GC "
    "probe's, GC enabled, on the largest dataset of realistic data (generated realistic, an opencode import or an "
    "application's rows; the reference rows only when the run has nothing else), medians over its processes."
)
COLUMNS = (
    "interpreter",
    "strategy",
    "read path",
    "GC share",
    "GC s",
    "rows/s × floor",
    "peak B/msg",
    "loop ms",
    "history",
    "slope ms/1k",
)


@dataclass(frozen=True)
class Choice:
    """What the rule picks on one interpreter: a strategy, or None with the reason nothing beats spread."""

    strategy: Optional[str]
    reason: str = ""
    ties: Tuple[str, ...] = ()  # qualifying strategies not established slower than the one picked


def choose(walls: Mapping[str, Sequence[float]], gc_seconds: Mapping[str, Sequence[float]]) -> Choice:
    """The rule (``RULE``) over per-process GC-enabled rebuild wall and GC seconds per strategy
    (controls already left out)."""
    if BASELINE not in walls or BASELINE not in gc_seconds:
        return Choice(None, "the run has no GC-enabled rebuild of spread to measure a fix against")
    spread_gc = median(gc_seconds[BASELINE])
    candidates = sorted(name for name in walls if name != BASELINE and name in gc_seconds)
    if spread_gc <= 0:
        return Choice(None, "spread ran no collection in this rebuild, so there is no GC time to remove")
    if not candidates:
        return Choice(None, "the run rebuilt no strategy beside spread")
    removing = [name for name in candidates if median(gc_seconds[name]) <= GC_REMOVED * spread_gc]
    if not removing:
        least = min(candidates, key=lambda name: (median(gc_seconds[name]), name))
        return Choice(
            None,
            f"no strategy removes half of spread's GC time ({GC_S.show(spread_gc)}; the least, {least}, "
            f"{GC_S.show(median(gc_seconds[least]))})",
        )
    best = min(removing, key=lambda name: (median(walls[name]), name))
    if median(walls[best]) >= median(walls[BASELINE]):
        return Choice(
            None,
            f"{best} removes most of spread's GC time but rebuilds no faster "
            f"({compare(walls[best], walls[BASELINE]).text(SPREAD_WALL)})",
        )
    ties = tuple(name for name in removing if name != best and not compare(walls[name], walls[best]).established)
    return Choice(best, "", ties)


def pick_read_path(strategy: str, loops: Mapping[Tuple[str, str], Sequence[float]]) -> Optional[Tuple[str, str]]:
    """(strategy as run, read path) of ``strategy``'s family (itself or ``cached:`` it) whose loop
    iteration at the largest history is fastest; None when the run has no loop of it."""
    family = {key: values for key, values in loops.items() if uncached(key[0]) == strategy}
    if not family:
        return None
    return min(family, key=lambda key: (median(family[key]), key))


# ---------------------------------------------------------------- from a run's tidy table


def _rebuild_rows(frame: Any) -> Any:
    """The GC-enabled gcprobe rebuild rows the rule reads: realistic data, the largest size."""
    from harness.analysis.selection import largest, real_data, select

    return largest(real_data(select(frame, "gcprobe", "hydrate_all", mode="enabled")))


def _by_strategy(rows: Any, metric: str, interpreter: str) -> Dict[str, List[float]]:
    from harness.analysis.selection import per_process

    own = rows[(rows["metric"] == metric) & (rows["interpreter"] == interpreter)]
    return {key[0]: values for key, values in per_process(own, ("strategy",)).items() if key[0] not in CONTROLS}


def loop_figures(frame: Any) -> Dict[str, Dict[Tuple[str, str], Dict[str, Any]]]:
    """Per interpreter, per (strategy, read path): one loop iteration's per-process seconds at the
    largest history (``seconds``) and that history, and the slope per 1k messages (``slope``).

    The iteration is the GC probe's last one — the loop appends messages, then reads, as an agent
    loop does — on every interpreter whose run has it; timing ``run_loop`` (a steady read of an
    unchanged history) only on an interpreter without it, so that one interpreter's figures are
    never of both kinds."""
    from harness.analysis.selection import per_process, select

    by = ("interpreter", "strategy", "read_path")
    probed = select(frame, "gcprobe", "run_loop", variant=None, mode="enabled")
    lasts = per_process(probed[probed["metric"] == LAST_ITERATION_S.name], by)
    history = per_process(probed[probed["metric"] == LARGEST_HISTORY.name], by)
    found: Dict[str, Dict[Tuple[str, str], Dict[str, Any]]] = {}
    for (interpreter, strategy, path), values in lasts.items():
        entry = found.setdefault(str(interpreter), {}).setdefault((str(strategy), str(path)), {})
        entry.update(seconds=values, history=max(history.get((interpreter, strategy, path), [float("nan")])))
    timed = select(frame, "timing", "run_loop", SECONDS_PER_CALL.name, variant=None)
    for (interpreter, strategy, path), own in timed.groupby(list(by)):
        if str(interpreter) in found:
            continue
        at = own[own["size"] == own["size"].max()]
        entry = {"seconds": [float(v) for v in at["value"]], "history": float(at["size"].max())}
        found.setdefault(str(interpreter), {})[(str(strategy), str(path))] = entry
    slopes = per_process(probed[probed["metric"] == LOOP_SLOPE.name], by)
    for (interpreter, strategy, path), values in slopes.items():
        found.setdefault(str(interpreter), {}).setdefault((str(strategy), str(path)), {})["slope"] = values
    return found


def answer_rows(frame: Any) -> List[Dict[str, Any]]:
    """The answer table's rows (COLUMNS; Estimates and numbers, unformatted), per interpreter
    fastest loop first, then least GC."""
    from harness.analysis.selection import largest, per_process, real_data, select

    rebuild = _rebuild_rows(frame)
    memory = largest(real_data(select(frame, "memory", "hydrate_all", PEAK_BYTES_PER_MESSAGE.name)))
    peaks = per_process(memory)
    loops = loop_figures(frame)
    rows = []
    for interpreter in sorted(set(rebuild["interpreter"].astype(str)) | set(loops)):
        shares = _by_strategy(rebuild, GC_SHARE.name, interpreter)
        gc_s = _by_strategy(rebuild, GC_S.name, interpreter)
        rates = {
            key[0]: median(values)
            for key, values in per_process(
                rebuild[(rebuild["metric"] == ROWS_PER_S.name) & (rebuild["interpreter"] == interpreter)], ("strategy",)
            ).items()
        }
        own_loops = loops.get(interpreter, {})
        keys = set(own_loops) | {(name, NO_LOOP) for name in gc_s if not any(uncached(s) == name for s, _ in own_loops)}
        for strategy, path in keys:
            base = uncached(strategy)
            row: Dict[str, Any] = {"interpreter": interpreter, "strategy": strategy, "read path": path or "full"}
            if base in gc_s:
                row.update({"GC share": Estimate.of(shares.get(base, [])), "GC s": Estimate.of(gc_s[base])})
            if base in rates and rates.get(JSON_FLOOR):
                row["rows/s × floor"] = rates[base] / rates[JSON_FLOOR]
            if (interpreter, base) in peaks:
                row["peak B/msg"] = Estimate.of(peaks[(interpreter, base)])
            loop = own_loops.get((strategy, path), {})
            if loop.get("seconds"):
                row.update({"loop ms": Estimate.of(loop["seconds"]), "history": loop.get("history")})
            if loop.get("slope"):
                row["slope ms/1k"] = Estimate.of(loop["slope"])
            rows.append(row)

    def order(row: Dict[str, Any]) -> tuple:
        inf = float("inf")
        loop, gc = row.get("loop ms"), row.get("GC s")
        return (
            row["interpreter"],
            loop.median if loop else inf,
            gc.median if gc else inf,
            row["strategy"],
            row["read path"],
        )

    return sorted(rows, key=order)


def formatted(row: Dict[str, Any]) -> Dict[str, str]:
    """A row as the table shows it: medians with their intervals, "—" for a missing figure."""
    shown = {
        "GC share": lambda v: v.text(GC_SHARE.show),
        "GC s": lambda v: v.text(GC_S.show),
        "rows/s × floor": times,
        "peak B/msg": lambda v: v.text(PEAK_BYTES_PER_MESSAGE.show),
        "loop ms": lambda v: v.text(LAST_ITERATION_S.show),
        "history": LARGEST_HISTORY.show,
        "slope ms/1k": lambda v: v.text(LOOP_SLOPE.show),
    }
    return {
        column: shown[column](row[column]) if column in shown and column in row else str(row.get(column, "—"))
        for column in COLUMNS
    }


@dataclass(frozen=True)
class Answer:
    """The answer on one interpreter: the strategy (None: nothing here beats spread), its read path
    ("" when the run has no agent loop of it) and the sentence that says so with its figures."""

    interpreter: str
    strategy: Optional[str]
    read_path: str
    text: str


def answers(frame: Any) -> List[Answer]:
    """The answer per interpreter that has a GC-enabled rebuild on this run (``RULE``)."""
    rebuild = _rebuild_rows(frame)
    loops = loop_figures(frame)
    found = []
    for interpreter in sorted(set(rebuild["interpreter"].astype(str))):
        walls = _by_strategy(rebuild, WALL_S.name, interpreter)
        gc_s = _by_strategy(rebuild, GC_S.name, interpreter)
        choice = choose(walls, gc_s)
        scene = rebuild[rebuild["interpreter"] == interpreter]
        where = f"{int(scene['size'].max()):,} messages of {scene['dataset'].iloc[0]}"
        if choice.strategy is None:
            text = f"On {interpreter}, rebuilding {where}: nothing here beats spread — {choice.reason}."
            found.append(Answer(interpreter, None, "", text))
            continue
        own_loops = {key: entry["seconds"] for key, entry in loops.get(interpreter, {}).items() if entry.get("seconds")}
        picked = pick_read_path(choice.strategy, own_loops)
        found.append(_worded(frame, interpreter, choice, picked, walls, gc_s, where, loops.get(interpreter, {})))
    return found


def _worded(
    frame: Any,
    interpreter: str,
    choice: Choice,
    picked: Optional[Tuple[str, str]],
    walls: Dict[str, List[float]],
    gc_s: Dict[str, List[float]],
    where: str,
    loops: Dict[Tuple[str, str], Dict[str, Any]],
) -> Answer:
    """The sentence of an answer that names a strategy: its rebuild against spread's, its loop
    iteration against spread's full read, and what it costs."""
    best = str(choice.strategy)
    name = picked[0] if picked else best
    head = f"On {interpreter}: {name}" + (f", with the {picked[1] or 'full'} read path" if picked else "")
    spread_gc = Estimate.of(gc_s[BASELINE])
    if max(gc_s[best]) == 0:
        gc_text = f"runs no collection {in_processes(len(gc_s[best]))}"
    else:
        gc_text = f"spends {Estimate.of(gc_s[best]).text(GC_S.show)} in GC"
    said = [
        f"rebuilding {where} it {gc_text} against spread's {spread_gc.text(GC_S.show)}, and takes "
        f"{compare(walls[best], walls[BASELINE]).text(SPREAD_WALL)}"
    ]
    if choice.ties:
        said.append(f"not established slower: {', '.join(choice.ties)}")
    if picked:
        loop = loops[picked]
        text = f"one agent-loop iteration at a {LARGEST_HISTORY.show(loop['history'])}-message history takes"
        text += f" {Estimate.of(loop['seconds']).text(LAST_ITERATION_S.show)}"
        spread_loop = loops.get((BASELINE, "full"), {}).get("seconds")
        if spread_loop:
            text += f", {compare(loop['seconds'], spread_loop).text(SPREAD_LOOP)}"
        said.append(text)
    else:
        said.append(f"the run has no agent loop of {best}")
    price = [p for p in (_open_map_price(frame, interpreter, best), _memory_price(frame, interpreter, best)) if p]
    body = "; ".join(said)
    text = f"{head}. {body[0].upper()}{body[1:]}." + (f" The price: {'; '.join(price)}." if price else "")
    return Answer(interpreter, best, picked[1] if picked else "", text)


#: A lazy strategy's form that keeps what a read decodes (``msgspec-lazy`` → ``msgspec-lazy-memo``).
MEMO_SUFFIX = "-memo"


def _open_map_price(frame: Any, interpreter: str, strategy: str) -> Optional[str]:
    """What reading an open map costs ``strategy`` against the fastest other strategy (access open-map),
    and its memoised form's cost when the run measured one."""
    from harness.analysis.selection import largest, per_process, select

    values = per_process(largest(select(frame, "timing", "access", NS_PER_READ.name, variant="reads=open-map")))
    own = values.get((interpreter, strategy))
    others = {key[1]: found for key, found in values.items() if key[0] == interpreter and key[1] != strategy}
    if own is None or not others:
        return None
    fastest = min(sorted(others), key=lambda name: median(others[name]))
    against = f"the time of {fastest}"
    text = f"reading an open map (a tool input) takes {compare(own, others[fastest]).text(against)}"
    memo = strategy + MEMO_SUFFIX
    if memo in others and memo != fastest:
        text += f" ({memo}, which keeps what it decodes, {compare(others[memo], others[fastest]).text(against)})"
    return text


def _memory_price(frame: Any, interpreter: str, strategy: str) -> Optional[str]:
    from harness.analysis.selection import largest, per_process, real_data, select

    census = largest(real_data(select(frame, "census", "hydrate_all")))
    pinned = per_process(census[census["metric"] == PINNED_ROW_BYTES_PER_MESSAGE.name]).get((interpreter, strategy))
    if not pinned:
        return None
    text = f"its objects keep {PINNED_ROW_BYTES_PER_MESSAGE.show(median(pinned))} of row text per message alive"
    deep = per_process(census[census["metric"] == DEEP_BYTES_PER_MESSAGE.name]).get((interpreter, strategy))
    if deep:
        text += f" beside {DEEP_BYTES_PER_MESSAGE.show(median(deep))} of their own"
    return text
