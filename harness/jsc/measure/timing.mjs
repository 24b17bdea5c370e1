// Timing: wall-clock seconds per workload call, median and MAD over several calls in each of
// `pyperf.processes` fresh worker processes (default 1), and nanoseconds per unit (per read for
// access, per row for hydrate_all, per message for the read-path workloads).
//
// Per process: `pyperf.warmups` calls (default 2) whose times are kept apart, then
// `pyperf.values` values (default 10), each the mean of `pyperf.loops` calls (default 1), timed
// with Bun.nanoseconds(). Known biases: the JIT tiers up during the first calls (warm-ups absorb
// most of it); a call's objects are collected during later calls, so GC of earlier garbage is
// part of the figure, as in a rebuild loop; the machine is shared, so compare medians.

import { param } from "../params.mjs";
import { LIMITS } from "../protocol.mjs";
import { figure, mad, median } from "../stats.mjs";
import { makeStrategy } from "../strategies.mjs";
import { prepare } from "../workloads.mjs";

/** The settings a job may give in `params.pyperf` (pyperf's names; loops are never calibrated here). */
const SETTINGS = [
  param("processes", "int", 1, "worker processes", { minimum: 1, maximum: LIMITS.processes }),
  param("values", "int", 10, "values per process", { minimum: 1, maximum: LIMITS.values }),
  param("warmups", "int", 2, "warm-up values per process, not kept", { minimum: 0, maximum: LIMITS.values }),
  param("loops", "int", 1, "workload calls per value", { minimum: 1, maximum: LIMITS.loops }),
];
const DEFAULTS = Object.fromEntries(SETTINGS.map((setting) => [setting.name, setting.default]));

function settings(job) {
  return { ...DEFAULTS, ...job.params.pyperf };
}

/** Where every call's result goes, so that the JIT cannot prove the work unused and drop it. */
export let sink;

/** Seconds per call, averaged over `loops` calls. */
function timeCalls(run, loops) {
  const begin = Bun.nanoseconds();
  for (let i = 0; i < loops; i++) sink = run();
  return (Bun.nanoseconds() - begin) / 1e9 / loops;
}

function measure(job) {
  const { values, warmups, loops } = settings(job);
  const prepared = prepare(job, makeStrategy(job.strategy));
  try {
    const warm = Array.from({ length: warmups }, () => timeCalls(prepared.run, loops));
    const timed = Array.from({ length: values }, () => timeCalls(prepared.run, loops));
    return { values: timed, warmups: warm, units: prepared.units, unit: prepared.unit,
      cache: prepared.strategy.cacheStats?.() ?? null };
  } finally {
    prepared.close();
  }
}

function combine(job, runs) {
  const values = runs.flatMap((run) => run.outcome.values);
  const { units, unit } = runs[0].outcome;
  const centre = median(values);
  const spread = mad(values);
  return {
    figures: [figure("seconds_per_call", centre, "s", values.length, spread),
      figure(`ns_per_${unit}`, centre / units * 1e9, "ns", values.length, spread / units * 1e9)],
    extra: { units, unit, settings: settings(job), pyperf_json: null,
      processes: runs.map((run) => ({ values: run.outcome.values, warmups: run.outcome.warmups,
        cache: run.outcome.cache })) },
  };
}

export const TIMING = {
  name: "timing",
  description: "seconds per call (median, MAD) and ns per read / row / message, in-process repetitions",
  workloads: ["access", "hydrate_all", "page", "filter_compacted", "run_loop", "read_site"],
  params: [
    param("pyperf", "dict", {}, "processes, values, warmups, loops (pyperf's names)", { keys: SETTINGS }),
    param("pyperf_json", "str", "", "accepted for the harness's runner; the JSC runner writes no pyperf file"),
  ],
  env: () => ({}),
  processes: (job) => settings(job).processes,
  measure,
  combine,
};
