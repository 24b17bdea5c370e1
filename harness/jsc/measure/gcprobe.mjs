// GC probe: how much of a workload's wall time JavaScriptCore's collector takes.
//
// The worker runs with BUN_JSC_logGC=1, so JSC logs every collection on stderr (see gclog.mjs),
// and writes a marker around every workload call; the runner attributes each logged pause to
// the call it happened in. GC time = stop-the-world pauses (`p=`, as JSC measures them) +
// collection epilogues + synchronous sweeps: the time the mutator was held. Not included:
// lazy sweeping done in allocation slow paths (JSC logs no time for it) and concurrent marking
// on helper threads while the mutator runs (`gc_cycle_s` is the wall span of collections, an
// upper bound; `gc_thread_cpu_s` is the CPU time of JSC's "HeapHelper" threads, `jit_thread_cpu_s`
// of its compiler threads, `main_thread_cpu_s` of the mutator, from /proc/self/task/*/schedstat;
// `cpu_s` is process CPU time, all threads). GC share = GC seconds / wall
// seconds of the measured calls. Workloads: hydrate_all rebuilt `params.rounds` times (each
// round's objects replace the previous round's) and run_loop grown by `params.growth` messages
// for `params.rounds` iterations from `size` messages (per-iteration time and GC time kept, and
// the slopes over history size reported). `params.gc_mode: disabled` runs with BUN_JSC_useGC=0
// (no collections: the same work without GC); there is no counterpart of gc.freeze().

import { writeSync } from "node:fs";
import { heapSize } from "bun:jsc";
import { heldMs, parseGcLog, sumTallies } from "../gclog.mjs";
import { param } from "../params.mjs";
import { LIMITS } from "../protocol.mjs";
import { cpuByKind, threadCpu } from "../threads.mjs";
import { figure, slope } from "../stats.mjs";
import { makeStrategy } from "../strategies.mjs";
import { prepare } from "../workloads.mjs";

/** A marker line on stderr, between (never inside) JSC's own log lines from this thread. */
function mark(kind, label) {
  writeSync(2, `\n@@${kind} ${label}\n`);
}

/** Messages a run_loop call returned (filterCompacted's kept history), rows a hydrate_all call built. */
function resultSize(job, result) {
  return job.workload === "run_loop" ? result.length : result[0].length + result[1].length;
}

function measure(job) {
  const rounds = job.params.rounds;
  const prepared = prepare(job, makeStrategy(job.strategy), rounds);
  try {
    const heapBefore = heapSize();
    const cpuBefore = process.cpuUsage();
    const threadsBefore = threadCpu();
    const calls = [];
    for (let round = 0; round < rounds; round++) {
      mark("begin", round);
      const begin = Bun.nanoseconds();
      const result = prepared.run();
      const seconds = (Bun.nanoseconds() - begin) / 1e9;
      mark("end", round);
      calls.push({ history: prepared.session?.size ?? null, kept: resultSize(job, result), seconds,
        heap_bytes: heapSize() });
    }
    const cpu = process.cpuUsage(cpuBefore);
    const threads = cpuByKind(threadsBefore, threadCpu());
    return { calls, heapBefore, heapAfter: heapSize(), cpuSeconds: (cpu.user + cpu.system) / 1e6, threads,
      units: prepared.units, cache: prepared.strategy.cacheStats?.() ?? null, session: prepared.session?.sessionId };
  } finally {
    prepared.close();
  }
}

function gcFigures(tally, wall, n) {
  const s = (ms) => ms / 1000;
  const held = s(heldMs(tally));
  return [
    figure("gc_s", held, "s", n), figure("gc_share", wall ? held / wall : 0, "ratio", n),
    figure("gc_pause_s", s(tally.pauseMs), "s", n), figure("gc_epilogue_s", s(tally.epilogueMs), "s", n),
    figure("gc_sweep_s", s(tally.sweepMs), "s", n), figure("gc_cycle_s", s(tally.cycleMs), "s", n),
    figure("gc_pauses", tally.pauses, "count", n), figure("gc_max_pause_s", s(tally.maxPauseMs), "s", n),
    figure("eden_collections", tally.collections.Eden, "count", n),
    figure("full_collections", tally.collections.Full, "count", n),
    figure("eden_pause_s", s(tally.pauseMsByScope.Eden), "s", n),
    figure("full_pause_s", s(tally.pauseMsByScope.Full), "s", n),
  ];
}

function combine(job, [run]) {
  const { outcome, stderr } = run;
  const log = parseGcLog(stderr);
  const n = outcome.calls.length;
  const calls = outcome.calls.map((call, round) => {
    const tally = log.regions.get(String(round));
    return { ...call, gc_seconds: tally ? heldMs(tally) / 1000 : 0 };
  });
  const wall = calls.reduce((total, call) => total + call.seconds, 0);
  const { threads } = outcome;
  const figures = [figure("wall_s", wall, "s", n), figure("cpu_s", outcome.cpuSeconds, "s", n),
    figure("main_thread_cpu_s", threads.main, "s", n), figure("gc_thread_cpu_s", threads.gc, "s", n),
    figure("jit_thread_cpu_s", threads.jit, "s", n)];
  if (job.params.gc_mode === "enabled") {
    figures.push(...gcFigures(sumTallies([...log.regions.values()]), wall, n),
      figure("heap_before_bytes", outcome.heapBefore, "bytes", n),
      figure("heap_after_bytes", outcome.heapAfter, "bytes", n));
  }
  if (job.workload === "run_loop") {
    const history = calls.map((call) => call.history / 1000);
    figures.push(figure("seconds_per_iteration_per_1k_history", slope(history, calls.map((c) => c.seconds)), "s", n),
      figure("gc_seconds_per_iteration_per_1k_history", slope(history, calls.map((c) => c.gc_seconds)), "s", n));
  }
  const outside = heldMs(log.outside) / 1000;
  return { figures, extra: { iterations: calls, rounds: n, gc_mode: job.params.gc_mode, session: outcome.session,
    units: outcome.units, cache: outcome.cache, gc_outside_calls_s: outside, gc_log: "BUN_JSC_logGC=1" } };
}

export const GCPROBE = {
  name: "gcprobe",
  description: "JSC GC log (BUN_JSC_logGC=1): pause share of wall time per call, eden / full collections",
  workloads: ["hydrate_all", "run_loop"],
  params: [
    param("rounds", "int", 5, "workload calls in the measured region (run_loop: loop iterations)",
      { minimum: 1, maximum: LIMITS.rounds }),
    param("gc_mode", "str", "enabled", "the collector during measurement", { choices: ["enabled", "disabled"] }),
  ],
  env: (job) => ({ BUN_JSC_logGC: "1", ...(job.params.gc_mode === "disabled" ? { BUN_JSC_useGC: "0" } : {}) }),
  processes: () => 1,
  measure,
  combine,
};
