// What this runner can run: its measurers, workloads and strategies, and a job checked against them
// (known measurer, workload and strategy, declared parameters, defaults filled in). The harness plans
// JSC jobs against this catalogue (`job.mjs --describe`).

import { JobError } from "./errors.mjs";
import { CENSUS, RECORD_PATHS } from "./measure/census.mjs";
import { GCPROBE } from "./measure/gcprobe.mjs";
import { MEMORY } from "./measure/memory.mjs";
import { TIMING } from "./measure/timing.mjs";
import { checkParam } from "./params.mjs";
import { readJobFile } from "./protocol.mjs";
import { STRATEGY_NAMES } from "./strategies.mjs";
import { WORKLOADS } from "./workloads.mjs";

export const MEASURERS = Object.fromEntries([CENSUS, TIMING, GCPROBE, MEMORY].map((m) => [m.name, m]));

function choose(kind, name, known) {
  if (!Object.hasOwn(known, name)) {
    throw new JobError(`unknown ${kind} ${JSON.stringify(name)}; choose from ${Object.keys(known).join(", ")}`);
  }
  return known[name];
}

/** The job with its catalogue entries checked and every parameter default filled in. */
function checkCatalogue(job) {
  const measurer = choose("measurer", job.measurer, MEASURERS);
  const workload = choose("workload", job.workload, WORKLOADS);
  if (!measurer.workloads.includes(job.workload)) {
    throw new JobError(`the ${measurer.name} measurer runs ${measurer.workloads.join(", ")}, `
      + `not ${JSON.stringify(job.workload)}`);
  }
  if (!STRATEGY_NAMES.includes(job.strategy)) {
    throw new JobError(`unknown strategy ${JSON.stringify(job.strategy)}; choose from ${STRATEGY_NAMES.join(", ")}`);
  }
  const declared = new Map([...measurer.params, ...workload.params].map((spec) => [spec.name, spec]));
  const unknown = Object.keys(job.params).filter((name) => !declared.has(name)).sort();
  if (unknown.length) {
    throw new JobError(`${measurer.name} / ${job.workload} take no parameter ${unknown.join(", ")} `
      + `(they take: ${[...declared.keys()].join(", ") || "none"})`);
  }
  const params = {};
  for (const [name, spec] of declared) {
    params[name] = Object.hasOwn(job.params, name) ? checkParam(spec, job.params[name]) : spec.default;
  }
  return { ...job, params };
}

/** The checked job of a job file and the file's sha256; JobError when it cannot run as written. */
export function readJob(path) {
  const { job, sha256 } = readJobFile(path);
  return { job: checkCatalogue(job), sha256 };
}

/** A parameter as the harness reads it: a dict's keys by name. */
const described = ({ keys, ...spec }) => (keys ? { ...spec, keys: keys.map((key) => key.name) } : spec);

/** What this runner can run, for the harness's planner: strategy names, measurers and workloads
 * with their declared parameters (and the census's record paths, which the harness checks). */
export function catalogue() {
  const describe = ({ description, workloads, unit, params }) => ({ description, workloads, unit,
    params: params.map(described) });
  return {
    strategies: STRATEGY_NAMES,
    record_paths: RECORD_PATHS,
    measurers: Object.fromEntries(Object.values(MEASURERS).map((m) => [m.name, describe(m)])),
    workloads: Object.fromEntries(Object.entries(WORKLOADS).map(([name, w]) => [name, describe(w)])),
  };
}
