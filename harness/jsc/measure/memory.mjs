// Memory: what one workload's result costs on the JavaScriptCore heap.
//
// The job's input (rows; for access the infos it reads; for the read-path workloads the scratch
// session of `size` messages) is prepared first. After a full synchronous collection the heap
// is read, the workload runs `params.rounds` times (default 1; each round's result replaces the
// previous one) and its last result is kept; the heap is read before and after a final full
// collection. Figures (bytes unless named): `retained_heap_bytes` (heapStats().heapSize after
// collection minus before: the kept result, cells plus butterflies plus extra memory the heap
// accounts for), `retained_extra_bytes` (the extraMemorySize part: malloc'd string and buffer
// storage reported to the GC), `retained_cells` (heapStats().objectCount), per message too;
// `heap_at_end_bytes` (heapSize before the final collection: result plus uncollected garbage),
// `rss_before_bytes` / `rss_after_bytes` / `rss_growth_bytes`, `max_rss_bytes` (getrusage) and
// `allocator_peak_bytes` (mimalloc's peak for the whole process). A "message" carries its parts.
// `params.gc_mode: disabled` runs with BUN_JSC_useGC=0: JSC then reports a heap size of 0, so
// only RSS figures are produced. `params.capture` names a file for a JSC heap snapshot
// (Bun.generateHeapSnapshot(), Web Inspector format) taken with the result alive.

import { writeFileSync } from "node:fs";
import { heapReading, settle } from "../heap.mjs";
import { param } from "../params.mjs";
import { LIMITS } from "../protocol.mjs";
import { figure } from "../stats.mjs";
import { makeStrategy } from "../strategies.mjs";
import { prepare } from "../workloads.mjs";

/** Messages the kept result holds (null when the workload builds none). */
function messagesHeld(job, result) {
  if (job.workload === "access") return null;
  if (job.workload === "hydrate_all") return result[0].length;
  return result.length;
}

function measure(job) {
  const prepared = prepare(job, makeStrategy(job.strategy), job.params.rounds);
  try {
    settle();
    const before = heapReading();
    let kept = null;
    for (let round = 0; round < job.params.rounds; round++) {
      kept = null;
      kept = prepared.run();
    }
    const atEnd = heapReading();
    settle();
    const after = heapReading();
    if (job.params.capture) writeFileSync(job.params.capture, JSON.stringify(Bun.generateHeapSnapshot()));
    return { before, atEnd, after, maxRssBytes: process.resourceUsage().maxRSS * 1024,
      messages: messagesHeld(job, kept) };
  } finally {
    prepared.close();
  }
}

function combine(job, [run]) {
  const { before, atEnd, after, maxRssBytes, messages } = run.outcome;
  const n = job.params.rounds;
  const figures = [];
  const add = (metric, value, unit = "bytes") => figures.push(figure(metric, value, unit, n));
  const perMessage = (metric, value, unit = "bytes") => {
    add(metric, value, unit);
    if (messages) add(`${metric}_per_message`, value / messages, unit);
  };
  if (job.params.gc_mode === "enabled") {
    perMessage("retained_heap_bytes", after.heapBytes - before.heapBytes);
    perMessage("retained_extra_bytes", after.extraBytes - before.extraBytes);
    perMessage("retained_cells", after.cells - before.cells, "cells");
    add("heap_at_end_bytes", atEnd.heapBytes);
  }
  add("rss_before_bytes", before.rssBytes);
  add("rss_after_bytes", after.rssBytes);
  perMessage("rss_growth_bytes", after.rssBytes - before.rssBytes);
  add("max_rss_bytes", maxRssBytes);
  add("allocator_peak_bytes", after.allocatorPeakBytes);
  return { figures, extra: { messages, rounds: n, gc_mode: job.params.gc_mode, before, at_end: atEnd, after },
    artifacts: job.params.capture ? { capture: job.params.capture } : {} };
}

export const MEMORY = {
  name: "memory",
  description: "retained heap bytes / cells per message (heapStats), RSS, allocator peak; optional heap snapshot",
  workloads: ["access", "hydrate_all", "page", "filter_compacted", "run_loop"],
  params: [
    param("rounds", "int", 1, "workload calls in the measured region (run_loop: loop iterations)",
      { minimum: 1, maximum: LIMITS.rounds }),
    param("gc_mode", "str", "enabled", "the collector during measurement", { choices: ["enabled", "disabled"] }),
    param("capture", "str", "", "where a JSC heap snapshot goes (empty: none)"),
  ],
  env: (job) => (job.params.gc_mode === "disabled" ? { BUN_JSC_useGC: "0" } : {}),
  processes: () => 1,
  measure,
  combine,
};
