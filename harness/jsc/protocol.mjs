// The job protocol: reading and checking a job file, and the result a job produces.
//
// A job names one (measurer, strategy, workload, size) on one dataset. It is checked as the
// harness checks it: the file (JSON object, nesting, key names and types), then the catalogue
// (measurer, workload, strategy, declared parameters, defaults filled in).

import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { JobError } from "./errors.mjs";
import { CENSUS, RECORD_PATHS } from "./measure/census.mjs";
import { GCPROBE } from "./measure/gcprobe.mjs";
import { MEMORY } from "./measure/memory.mjs";
import { TIMING } from "./measure/timing.mjs";
import { checkParam } from "./params.mjs";
import { pythonJson } from "./pyjson.mjs";
import { STRATEGY_NAMES } from "./strategies.mjs";
import { WORKLOADS } from "./workloads.mjs";

/** Version 3, as harness/measure/job.py: figures carry "mad"; the result carries "job_sha256", its
 * "artifacts" (every file it names beside itself: path relative to the result, bytes, sha256) and
 * "result_sha256" (the hash of everything else in it, as Python's compact sorted JSON). */
export const RESULT_VERSION = 3;
const hash = (data) => createHash("sha256").update(data).digest("hex");
const MAX_JOB_DEPTH = 32;

export const MEASURERS = Object.fromEntries([CENSUS, TIMING, GCPROBE, MEMORY].map((m) => [m.name, m]));

const REQUIRED = ["id", "measurer", "strategy", "workload", "dataset", "size"];
const FIELD_TYPES = {
  id: ["string"], measurer: ["string"], strategy: ["string"], workload: ["string"], dataset: ["string"],
  size: ["int"], session: ["string", "null"], params: ["object"], verify_dataset: ["boolean"],
  interpreter: ["string", "null"], schema: ["string", "null"],
};
const DEFAULTS = { session: null, params: {}, verify_dataset: false, interpreter: null, schema: null };

function kindOf(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (Number.isInteger(value)) return "int";
  return typeof value;
}

/** Deepest bracket nesting of a JSON text (strings skipped), without parsing it. */
function depth(text) {
  let current = 0;
  let deepest = 0;
  let inString = false;
  let escaped = false;
  for (const char of text) {
    if (inString) {
      if (escaped) escaped = false;
      else if (char === "\\") escaped = true;
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
    } else if (char === "[" || char === "{") {
      deepest = Math.max(deepest, ++current);
    } else if (char === "]" || char === "}") {
      current--;
    }
  }
  return deepest;
}

function parseJob(path) {
  let text;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new JobError(`cannot read job ${path}: ${error.message}`);
  }
  if (depth(text) > MAX_JOB_DEPTH) throw new JobError(`job ${path} nests deeper than ${MAX_JOB_DEPTH} levels`);
  let data;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new JobError(`job ${path} is not JSON: ${error.message}`);
  }
  if (kindOf(data) !== "object") throw new JobError(`job ${path} is not a JSON object`);
  return { data, sha256: hash(text) };
}

function checkFields(data) {
  const unknown = Object.keys(data).filter((key) => !Object.hasOwn(FIELD_TYPES, key)).sort();
  if (unknown.length) throw new JobError(`unknown job keys: ${unknown.join(", ")}`);
  const missing = REQUIRED.filter((key) => !Object.hasOwn(data, key));
  if (missing.length) throw new JobError(`incomplete job: ${missing.join(", ")} missing`);
  for (const [key, value] of Object.entries(data)) {
    if (!FIELD_TYPES[key].includes(kindOf(value))) {
      throw new JobError(`job key ${JSON.stringify(key)} must be ${FIELD_TYPES[key].join(" or ")}, `
        + `got ${kindOf(value)} ${JSON.stringify(value).slice(0, 60)}`);
    }
  }
  if (data.size < 0) throw new JobError(`job size must be a non-negative integer, got ${data.size}`);
  if (data.verify_dataset) throw new JobError("verify_dataset is not supported by the JSC runner");
  if (data.schema != null) throw new JobError("an edited schema is not supported by the JSC runner");
  return Object.fromEntries(Object.keys(FIELD_TYPES).map((key) => [key, Object.hasOwn(data, key) ? data[key]
    : DEFAULTS[key]]));
}

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
    throw new JobError(`the ${measurer.name} measurer runs ${measurer.workloads.join(", ")}, not ${JSON.stringify(job.workload)}`);
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
  const { data, sha256 } = parseJob(path);
  return { job: checkCatalogue(checkFields(data)), sha256 };
}

/** What this runner can run, for the harness's planner: strategy names, measurers and workloads
 * with their declared parameters (and the census's record paths, which the harness checks). */
export function catalogue() {
  const describe = ({ description, workloads, unit, params }) => ({ description, workloads, unit, params });
  return {
    strategies: STRATEGY_NAMES,
    record_paths: RECORD_PATHS,
    measurers: Object.fromEntries(Object.values(MEASURERS).map((m) => [m.name, describe(m)])),
    workloads: Object.fromEntries(Object.entries(WORKLOADS).map(([name, w]) => [name, describe(w)])),
  };
}

/** How a result names a file written beside it: path relative to the result, size and hash. */
function artifactEntry(file, out) {
  return { path: relative(dirname(resolve(out)), resolve(file)), bytes: statSync(file).size,
    sha256: hash(readFileSync(file)) };
}

/** The result record of a finished job, to be written to `out`. */
export function resultRecord(job, jobSha256, started, outcome, env, out) {
  const result = { result_version: RESULT_VERSION, job, job_sha256: jobSha256, status: "ok", started,
    finished: Date.now() / 1000, environment: env, figures: outcome.figures, extra: outcome.extra ?? {},
    artifacts: Object.fromEntries(Object.entries(outcome.artifacts ?? {}).map(([name, file]) => [name,
      artifactEntry(file, out)])) };
  result.result_sha256 = hash(pythonJson(result, true));
  return result;
}
