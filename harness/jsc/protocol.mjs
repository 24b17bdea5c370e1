// The job protocol as harness/protocol/protocol.json describes it for both runners (this one and the
// Python measurers): reading and checking a job file, and the sealed result a job produces.
//
// A job file is checked as the harness checks it: JSON object, nesting, key names, types and bounds.
// A result is the protocol's keys as JSON.stringify writes them, up to the last member, followed by
// the protocol's seal: `"result_sha256"`, the sha256 of the bytes before it. The harness checks the
// seal on the bytes written, so no side needs the other's JSON encoder.

import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { JobError } from "./errors.mjs";

const PROTOCOL = JSON.parse(readFileSync(new URL("../protocol/protocol.json", import.meta.url), "utf8"));
export const RESULT_VERSION = PROTOCOL.result_version;
/** Upper bounds of the counts a job file holds, by name (protocol.json says which counts). */
export const LIMITS = Object.fromEntries(Object.entries(PROTOCOL.limits).map(([name, { maximum }]) => [name, maximum]));
const FIELDS = PROTOCOL.job.fields;
const [SEAL_HEAD, SEAL_TAIL] = PROTOCOL.result.seal.split("{sha256}");

const hash = (data) => createHash("sha256").update(data).digest("hex");
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** A JSON value's kind, as the protocol names kinds. */
function kindOf(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (Number.isInteger(value)) return "int";
  return { number: "float", string: "str", boolean: "bool", object: "dict" }[typeof value];
}

/** A count as the harness writes it: 10,000,000. */
export const formatCount = (value) => value.toLocaleString("en-US");

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
  let bytes;
  let text;
  try {
    bytes = readFileSync(path);
    text = UTF8.decode(bytes);
  } catch (error) {
    throw new JobError(`cannot read job ${path}: ${error.message}`);
  }
  if (depth(text) > PROTOCOL.job.max_depth) {
    throw new JobError(`job ${path} nests deeper than ${PROTOCOL.job.max_depth} levels`);
  }
  let data;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new JobError(`job ${path} is not JSON: ${error.message}`);
  }
  if (kindOf(data) !== "dict") throw new JobError(`job ${path} is not a JSON object`);
  return { data, sha256: hash(bytes) };
}

function checkField(key, value) {
  const { types, minimum, maximum } = FIELDS[key];
  if (!types.includes(kindOf(value))) {
    throw new JobError(`job key ${JSON.stringify(key)} must be ${types.join(" or ")}, `
      + `got ${kindOf(value)} ${JSON.stringify(value).slice(0, 60)}`);
  }
  if (maximum !== undefined && !(minimum <= value && value <= LIMITS[maximum])) {
    const bounds = `${minimum} to ${formatCount(LIMITS[maximum])}`;
    throw new JobError(`job ${key} must be an integer from ${bounds}, got ${value}`);
  }
}

/** The job of a job file, every field checked and every default filled in, and the file's sha256. */
export function readJobFile(path) {
  const { data, sha256 } = parseJob(path);
  const unknown = Object.keys(data).filter((key) => !Object.hasOwn(FIELDS, key)).sort();
  if (unknown.length) throw new JobError(`unknown job keys: ${unknown.join(", ")}`);
  const missing = Object.keys(FIELDS).filter((key) => FIELDS[key].required && !Object.hasOwn(data, key));
  if (missing.length) throw new JobError(`incomplete job: ${missing.join(", ")} missing`);
  for (const [key, value] of Object.entries(data)) checkField(key, value);
  if (data.verify_dataset) throw new JobError("verify_dataset is not supported by the JSC runner");
  if (data.schema != null) throw new JobError("an edited schema is not supported by the JSC runner");
  const job = Object.fromEntries(Object.entries(FIELDS).map(([key, { default: fallback }]) => [key,
    Object.hasOwn(data, key) ? data[key] : structuredClone(fallback)]));
  return { job, sha256 };
}

/** How a result names a file written beside it: path relative to the result, size and hash. */
function artifactEntry(file, out) {
  return { path: relative(dirname(resolve(out)), resolve(file)), bytes: statSync(file).size,
    sha256: hash(readFileSync(file)) };
}

/** The bytes of a result file: `body` as indented JSON up to its last member, then the seal. */
function sealed(body) {
  const text = JSON.stringify(body, null, 2);
  const content = Buffer.from(text.slice(0, text.lastIndexOf("}")).trimEnd(), "utf8");
  return Buffer.concat([content, Buffer.from(`${SEAL_HEAD}${hash(content)}${SEAL_TAIL}`, "utf8")]);
}

/** The sealed result file of a finished job, to be written to `out`. */
export function resultBytes(job, jobSha256, started, outcome, env, out) {
  return sealed({ result_version: RESULT_VERSION, job, job_sha256: jobSha256, status: "ok", started,
    finished: Date.now() / 1000, environment: env, figures: outcome.figures, extra: outcome.extra ?? {},
    artifacts: Object.fromEntries(Object.entries(outcome.artifacts ?? {}).map(([name, file]) => [name,
      artifactEntry(file, out)])) });
}
