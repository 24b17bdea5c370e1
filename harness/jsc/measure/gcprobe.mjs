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
//
// serve (serve.mjs) is a process, not a call: ballast, one warm-up iteration per session, then a
// window of `params.rounds` iterations taken in turn, due every 1 / `params.rate` seconds (idle
// until due with `await Bun.sleep`, so the event loop and JSC's GC timers run), each session's
// state alive between its iterations. Markers `i<j>` enclose iteration j and `w<j>` the gap after
// it, so GC is attributed to iterations (`gc_s`, `gc_share` of the iterations' wall) and to the
// gaps (`gc_idle_s`); `gc_cpu_share` is both over the main thread's CPU seconds in the window.
// After each iteration RSS, heap size and live Structures are read (a walk of the heap); the
// process's clock stops meanwhile: the next iteration is due that much later, and the readings'
// CPU and wall seconds are left out of `cpu_s`, `main_thread_cpu_s` (they run on the main thread),
// `elapsed_s` and `idle_seconds`. At the peak (after the last iteration,
// every state alive) a full collection runs, then the heap's cells are counted by class.

import { writeSync } from "node:fs";
import { heapSize, heapStats } from "bun:jsc";
import { heldMs, parseGcLog, sumTallies } from "../gclog.mjs";
import { settle, structureCount } from "../heap.mjs";
import { param } from "../params.mjs";
import { LIMITS } from "../protocol.mjs";
import { ballastRecords } from "../serve.mjs";
import { cpuByKind, threadCpu } from "../threads.mjs";
import { figure, median, slope } from "../stats.mjs";
import { makeStrategy } from "../strategies.mjs";
import { prepare } from "../workloads.mjs";

/** The least growth of the history, as a share of it, the loop's slope is fit over (SLOPE_SPAN in Python). */
const SLOPE_SPAN = 0.1;

/** A marker line on stderr, between (never inside) JSC's own log lines from this thread. */
function mark(kind, label) {
  writeSync(2, `\n@@${kind} ${label}\n`);
}

/** Messages a run_loop call returned (filterCompacted's kept history), rows a hydrate_all call built. */
function resultSize(job, result) {
  return job.workload === "run_loop" ? result.length : result[0].length + result[1].length;
}

function measureCalls(job) {
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

/** Seconds on a monotonic clock. */
const now = () => Bun.nanoseconds() / 1e9;

/** CPU seconds of the process so far (all threads). */
function cpuNow() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** What is read after each serve iteration, and the CPU and wall seconds reading it took. */
function observe() {
  const before = cpuNow();
  const began = now();
  const reading = { rss_bytes: process.memoryUsage().rss, heap_bytes: heapSize(), structures: structureCount() };
  return { reading, cpu: cpuNow() - before, wall: now() - began };
}

/** The serve window: `rounds` iterations, due every 1 / `rate` seconds (0: back to back) on the
 * process's clock, which stops while the harness observes (so observations take no idle time from
 * the process, and their CPU and wall seconds are left out of the window's). Their records hold
 * their GC seconds as 0: only the log, read by the parent, has them. */
async function serveWindow(serve, rounds, rate) {
  const steps = [];
  const spans = [];
  let observing = 0;
  let paused = 0;
  let lag = 0;
  const threadsBefore = threadCpu();
  const cpuBefore = cpuNow();
  const start = now();
  for (let j = 0; j < rounds; j++) {
    if (rate > 0) {
      const due = start + paused + j / rate;
      const early = due - now();
      if (early > 0) await Bun.sleep(early * 1000);
      lag = Math.max(0, now() - due);
    }
    if (j > 0) mark("end", `w${j - 1}`);
    mark("begin", `i${j}`);
    const cpu = cpuNow();
    const begin = now();
    const step = serve.iteration(j);
    const end = now();
    const cpuSeconds = cpuNow() - cpu;
    mark("end", `i${j}`);
    mark("begin", `w${j}`);
    const seen = observe();
    observing += seen.cpu;
    paused += seen.wall;
    steps.push({ round: j, ...step, seconds: end - begin, cpu_seconds: cpuSeconds, gc_seconds: 0, gc_idle_seconds: 0,
      idle_seconds: 0, ...seen.reading });
    spans.push({ begin, end, observed: seen.wall });
  }
  const finish = now();
  const cpuSeconds = cpuNow() - cpuBefore - observing;
  const threads = cpuByKind(threadsBefore, threadCpu());
  mark("end", `w${rounds - 1}`);
  steps.forEach((step, j) => {
    step.idle_seconds = (j + 1 < rounds ? spans[j + 1].begin : finish) - spans[j].end - spans[j].observed;
  });
  threads.main -= observing;  // the readings ran on the main thread
  return { calls: steps, elapsed: finish - start - paused, cpuSeconds, threads, lag };
}

async function measureServe(job) {
  const prepared = prepare(job, makeStrategy(job.strategy), job.params.rounds);
  try {
    const { serve } = prepared;
    serve.retain();
    serve.warmUp();
    const window = await serveWindow(serve, job.params.rounds, job.params.rate);
    settle();
    const heapCounts = heapStats().objectTypeCounts;
    return { ...window, heapCounts, events: serve.events.published, framesHeld: serve.framesHeld,
      sessions: serve.sessions.map((session) => session.growing.sessionId),
      cache: prepared.strategy.cacheStats?.() ?? null, estimate: prepared.estimate };
  } finally {
    prepared.close();
  }
}

/** The figures and extra of a serve run: per-iteration records with their GC, window totals, peak counts. */
function combineServe(job, { outcome, stderr }) {
  const log = parseGcLog(stderr);
  const tally = (label) => log.regions.get(label);
  const gcSeconds = (label) => (tally(label) ? heldMs(tally(label)) / 1000 : 0);
  const iterations = outcome.calls.map((call) => ({ ...call, gc_seconds: gcSeconds(`i${call.round}`),
    gc_idle_seconds: gcSeconds(`w${call.round}`) }));
  const n = iterations.length;
  const sum = (values) => values.reduce((total, value) => total + value, 0);
  const seconds = iterations.map((call) => call.seconds);
  const wall = sum(seconds);
  const { threads, heapCounts } = outcome;
  const figures = [figure("wall_s", wall, "s", n), figure("elapsed_s", outcome.elapsed, "s", n),
    figure("iteration_s", median(seconds), "s", n), figure("last_iteration_s", seconds.at(-1), "s"),
    figure("largest_history", Math.max(...iterations.map((call) => call.history)), "messages"),
    figure("cpu_s", outcome.cpuSeconds, "s", n),
    figure("cpu_utilisation", outcome.elapsed ? outcome.cpuSeconds / outcome.elapsed : 0, "ratio", n),
    figure("main_thread_cpu_s", threads.main, "s", n), figure("gc_thread_cpu_s", threads.gc, "s", n),
    figure("jit_thread_cpu_s", threads.jit, "s", n)];
  if (job.params.gc_mode === "enabled") {
    const inIterations = sumTallies(iterations.map((call) => tally(`i${call.round}`)).filter(Boolean));
    const idle = sum(iterations.map((call) => call.gc_idle_seconds));
    const held = heldMs(inIterations) / 1000;
    figures.push(...gcFigures(inIterations, wall, n), figure("gc_idle_s", idle, "s", n),
      figure("gc_cpu_share", threads.main ? (held + idle) / threads.main : 0, "ratio", n),
      figure("peak_heap_bytes", Math.max(...iterations.map((call) => call.heap_bytes)), "bytes", n));
  }
  figures.push(figure("lag_s", outcome.lag, "s"),
    figure("peak_rss_bytes", Math.max(...iterations.map((call) => call.rss_bytes)), "bytes", n),
    figure("structures", heapCounts.Structure ?? 0, "cells"), figure("plain_objects", heapCounts.Object ?? 0, "cells"),
    figure("closures", heapCounts.Function ?? 0, "cells"),
    figure("lexical_environments", heapCounts.JSLexicalEnvironment ?? 0, "cells"));
  const { sessions, growth, rate, framework, fanout, retain_mb: retainMb } = job.params;
  return { figures, extra: { iterations, sessions: outcome.sessions,
    config: { sessions, growth, rate, framework, fanout, retain_mb: retainMb,
      ballast_records: ballastRecords(retainMb) },
    heap_counts: heapCounts, events: outcome.events, frames_held: outcome.framesHeld, cache: outcome.cache,
    estimate: outcome.estimate, gc_mode: job.params.gc_mode } };
}

function combineCalls(job, [run]) {
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
  const warm = calls.slice(1);  // the slope as the Python probe fits it (loop_slope): after the first iteration
  if (job.workload === "run_loop" && warm.length >= 2
      && warm.at(-1).history - warm[0].history >= SLOPE_SPAN * warm[0].history) {
    const history = warm.map((call) => call.history / 1000);
    figures.push(figure("seconds_per_iteration_per_1k_history", slope(history, warm.map((c) => c.seconds)), "s", n),
      figure("gc_seconds_per_iteration_per_1k_history", slope(history, warm.map((c) => c.gc_seconds)), "s", n));
  }
  const outside = heldMs(log.outside) / 1000;
  return { figures, extra: { iterations: calls, rounds: n, gc_mode: job.params.gc_mode, session: outcome.session,
    units: outcome.units, cache: outcome.cache, gc_outside_calls_s: outside, gc_log: "BUN_JSC_logGC=1" } };
}

export const GCPROBE = {
  name: "gcprobe",
  description: "JSC GC log (BUN_JSC_logGC=1): pause share of wall time per call, eden / full collections; serve: "
    + "a long-lived process replayed, GC in and between its iterations, CPU, RSS and the heap at its peak",
  workloads: ["hydrate_all", "run_loop", "serve"],
  params: [
    param("rounds", "int", 5,
      "workload calls in the measured region (run_loop: loop iterations; serve: the process's iterations)",
      { minimum: 1, maximum: LIMITS.rounds }),
    param("gc_mode", "str", "enabled", "the collector during measurement", { choices: ["enabled", "disabled"] }),
  ],
  env: (job) => ({ BUN_JSC_logGC: "1", ...(job.params.gc_mode === "disabled" ? { BUN_JSC_useGC: "0" } : {}) }),
  processes: () => 1,
  /** The outcome of one worker; a promise for serve, which idles between iterations. */
  measure: (job) => (job.workload === "serve" ? measureServe(job) : measureCalls(job)),
  combine: (job, runs) => (job.workload === "serve" ? combineServe(job, runs[0]) : combineCalls(job, runs)),
};
