// Reading JavaScriptCore's GC log (`BUN_JSC_logGC=1` on stderr) with the runner's own markers.
//
// JSC prints, per collection (times in ms, from MonotonicTime, as JSC measured them):
//   [GC<heap>: START <M|C> <capacity>kb => <Eden|Full>Collection, ... p=<pause>ms (max ..)...]
//   [GC<heap>: <M|C> ... p=<pause>ms (max ..)...]            one line per further increment
//   ... => <kb>kb, p=<pause>ms (max ..), cycle <ms>ms END]    the last increment and the cycle
//   [GC<heap>: epilogue <ms>ms]                             finalisation on the mutator thread
//   [GC<heap>: Full sweep: <kb>kb => <kb>kb, <ms>ms]        a synchronous sweep (Bun.gc(true))
// `p=` is one stop-the-world increment (from stopping the mutator to resuming it); `cycle` is the
// wall span of the whole collection, concurrent marking included. The runner writes markers
// `@@begin <label>` / `@@end <label>` on its own lines to attribute pauses to workload calls.

const NUMBER = "[0-9]+(?:\\.[0-9]*)?(?:e[-+]?[0-9]+)?";
const TOKENS = new RegExp([
  "@@(?<marker>begin|end) (?<label>\\S+)",
  "START [MC] [0-9]+kb => (?<scope>Eden|Full)Collection",
  `p=(?<pause>${NUMBER})ms`,
  `cycle (?<cycle>${NUMBER})ms END`,
  `epilogue (?<epilogue>${NUMBER})ms`,
  `Full sweep: [0-9]+kb => [0-9]+kb, (?<sweep>${NUMBER})ms`,
].join("|"), "g");

function emptyTally() {
  return { pauseMs: 0, epilogueMs: 0, sweepMs: 0, cycleMs: 0, pauses: 0, maxPauseMs: 0,
    collections: { Eden: 0, Full: 0 }, pauseMsByScope: { Eden: 0, Full: 0 } };
}

/** Milliseconds the mutator was held by the GC in a tally: pauses, epilogues, synchronous sweeps. */
export function heldMs(tally) {
  return tally.pauseMs + tally.epilogueMs + tally.sweepMs;
}

/**
 * GC activity per marked region: `{regions: Map(label -> tally), outside: tally}`. A pause
 * counts in the region whose markers enclose the line that reports it.
 */
export function parseGcLog(text) {
  const regions = new Map();
  const outside = emptyTally();
  let current = outside;
  let scope = "Eden";
  for (const match of text.matchAll(TOKENS)) {
    const g = match.groups;
    if (g.marker === "begin") {
      current = emptyTally();
      regions.set(g.label, current);
    } else if (g.marker === "end") {
      current = outside;
    } else if (g.scope) {
      scope = g.scope;
      current.collections[scope]++;
    } else if (g.pause) {
      const ms = Number(g.pause);
      current.pauseMs += ms;
      current.pauses++;
      current.maxPauseMs = Math.max(current.maxPauseMs, ms);
      current.pauseMsByScope[scope] += ms;
    } else if (g.cycle) {
      current.cycleMs += Number(g.cycle);
    } else if (g.epilogue) {
      current.epilogueMs += Number(g.epilogue);
    } else if (g.sweep) {
      current.sweepMs += Number(g.sweep);
    }
  }
  return { regions, outside };
}

/** The sum of several tallies. */
export function sumTallies(tallies) {
  const total = emptyTally();
  for (const tally of tallies) {
    for (const key of ["pauseMs", "epilogueMs", "sweepMs", "cycleMs", "pauses"]) total[key] += tally[key];
    total.maxPauseMs = Math.max(total.maxPauseMs, tally.maxPauseMs);
    for (const scope of ["Eden", "Full"]) {
      total.collections[scope] += tally.collections[scope];
      total.pauseMsByScope[scope] += tally.pauseMsByScope[scope];
    }
  }
  return total;
}
