// What runs under measurement: opencode's read path (opencode.mjs), the agent loop that re-reads a
// growing session, the serve replay (serve.mjs) and the seed's 200 x 7 property-access loop.
// `WORKLOADS` is the catalogue; `prepare` binds a job's workload to its data outside measurement.

import { firstRows, GrowingSession, longestSession, openDataset, sessionExists, tooFew } from "./dataset.mjs";
import { JobError } from "./errors.mjs";
import { filterCompactedSession, injectSynthetic, page } from "./opencode.mjs";
import { param } from "./params.mjs";
import { LIMITS } from "./protocol.mjs";
import { bindServe } from "./serve.mjs";

/** The seven properties the seed's access loop reads from every info. */
export const ACCESS_PROPERTIES = ["role", "cost", "summary", "finish", "error", "variant", "structured"];

/** One agent-loop step: the prompt appends `growth` messages, the loop re-reads the history and
 * injects the synthetic part. */
export function loopIteration(session, strategy, growth) {
  session.grow(growth);
  const history = filterCompactedSession(session.conn, strategy, session.sessionId);
  injectSynthetic(history);
  return history;
}

/** Pure build throughput: every info and every part from rows already in memory. */
export function hydrateAll(strategy, messages, parts) {
  return [messages.map(strategy.info), parts.map(strategy.part)];
}

/** The seed's loop: seven properties of every info, `iterations` times; returns a checksum
 * made with the same additions, in the same order, as the harness's Python kernel. */
export function access(infos, iterations) {
  let acc = 0;
  for (let round = 0; round < iterations; round++) {
    for (let i = 0; i < infos.length; i++) {
      const o = infos[i];
      acc += o.role.length;
      const cost = o.cost;
      if (cost !== undefined && cost !== null) acc += cost;
      if (o.summary) acc += 1;
      if (o.finish) acc += 1;
      if (o.error) acc += 1;
      if (o.variant) acc += 1;
      if (o.structured) acc += 1;
    }
  }
  return acc;
}

function bindAccess(job, strategy, db) {
  const { messages } = firstRows(db, job.dataset, job.size);
  const infos = messages.map(strategy.info);
  const iterations = job.params.iterations;
  return { run: () => access(infos, iterations), units: infos.length * iterations * ACCESS_PROPERTIES.length };
}

function bindHydrateAll(job, strategy, db) {
  const { messages, parts } = firstRows(db, job.dataset, job.size);
  return { run: () => hydrateAll(strategy, messages, parts), units: messages.length + parts.length };
}

function bindPage(job, strategy, db) {
  const sessionId = job.session ?? longestSession(db, job.dataset);
  if (!sessionExists(db, sessionId)) throw new JobError(`no session ${JSON.stringify(sessionId)} in the dataset`);
  const limit = job.params.limit;
  return { run: () => page(db, strategy, sessionId, undefined, limit).items, units: limit };
}

function bindFilterCompacted(job, strategy, db) {
  const session = new GrowingSession(db, job.session ?? longestSession(db, job.dataset), job.size);
  return { run: () => filterCompactedSession(session.conn, strategy, session.sessionId), units: job.size, session };
}

function bindRunLoop(job, strategy, db, rounds) {
  const session = new GrowingSession(db, job.session ?? longestSession(db, job.dataset), job.size);
  const growth = job.params.growth;
  if (growth && rounds === undefined) {
    session.close();
    throw new JobError("this measurer calls the workload an unknown number of times, so run_loop cannot grow "
      + `the history (params.growth must be 0, got ${growth})`);
  }
  if (growth * (rounds ?? 0) > session.remaining) {
    session.close();
    throw tooFew(`session ${JSON.stringify(session.sessionId)}`, session.total, `${job.size} + ${rounds} × ${growth}`);
  }
  return { run: () => loopIteration(session, strategy, growth), units: job.size, session };
}

/** Read-site polymorphism: objects whose shape `i` has the optional keys k0..k7 the bits of `i`
 * select, in that order, then `x`, in the same pseudo-random order of shapes as the harness's
 * Python `read_site` (harness/polymorphism.py); plain objects only (strategy `spread`). */
const OPTIONAL_KEYS = ["k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"];
const MAX_SHAPES = 2 ** OPTIONAL_KEYS.length;

export function population(shapes, count) {
  let state = 12345;
  return Array.from({ length: count }, (_, index) => {
    state = Number((BigInt(state) * 1103515245n + 12345n) % 2147483648n); // exact, as in Python
    const shape = state % shapes;
    const object = {};
    OPTIONAL_KEYS.forEach((key, bit) => {
      if (shape & (1 << bit)) object[key] = bit;
    });
    object.x = index;
    return object;
  });
}

/** `x` of every object, `passes` times, at one site. */
export function readSite(objects, passes) {
  let total = 0;
  for (let pass = 0; pass < passes; pass++) {
    for (let i = 0; i < objects.length; i++) total += objects[i].x;
  }
  return total;
}

function bindReadSite(job, strategy) {
  if (strategy.name !== "spread") throw new JobError(`read_site builds plain objects (strategy spread), not ${job.strategy}`);
  if (job.size < 1 || job.size > MAX_SHAPES) {
    throw new JobError(`read_site takes 1 to ${MAX_SHAPES} shapes (the job's size), got ${job.size}`);
  }
  const objects = population(job.size, job.params.objects);
  const passes = job.params.passes;
  return { run: () => readSite(objects, passes), units: objects.length * passes };
}

/** How the history is read: only opencode's full read here (cache-aware and incremental are Python only). */
const READ_PATH = param("read_path", "str", "full", "how the history is read (full: opencode at PR #29029)",
  { choices: ["full"] });

/** The workload catalogue: what each measures, its unit, its parameters and how it binds to data. */
export const WORKLOADS = {
  access: { description: "read role, cost, summary, finish, error, variant, structured of every info, 200 times",
    unit: "read", params: [param("iterations", "int", 200, "passes over every info",
      { minimum: 1, maximum: LIMITS.passes }),
      param("reads", "str", "seed", "seed: the seed's 7 properties of every info (the open-map variant is Python only)",
        { choices: ["seed"] }),
      param("read", "str", "", "the fields of a non-built-in schema (Python only: the JSC runner reads opencode's)",
        { choices: [""] })],
    bind: bindAccess },
  hydrate_all: { description: "build every info and part from stored rows (JSON.parse included), no SQLite",
    unit: "row", params: [param("then", "str", "nothing",
      "after building: nothing (the open-map variant is Python only)", { choices: ["nothing"] })],
    bind: bindHydrateAll },
  page: { description: "one page of 50 messages, newest first, parts loaded with one IN query", unit: "message",
    params: [param("limit", "int", 50, "messages per page",
      { minimum: 1, maximum: LIMITS.messages })], bind: bindPage },
  filter_compacted: { description: "stream a session newest first down to its last compaction boundary",
    unit: "message", params: [READ_PATH], bind: bindFilterCompacted },
  run_loop: { description: "agent loop: append messages, re-read the history with filterCompacted, repeat",
    unit: "message", params: [param("growth", "int", 0, "messages the prompt appends before each re-read",
      { minimum: 0, maximum: LIMITS.messages }), READ_PATH], bind: bindRunLoop },
  serve: { description: "a long-lived opencode serve process: sessions in flight take agent-loop iterations in turn "
    + "at a set rate, each keeping its history and framework frames alive until its next one, beside an event buffer "
    + "and other long-lived state",
    unit: "message", params: [
      param("sessions", "int", 4, "sessions in flight (the dataset's longest)", { minimum: 1, maximum: 64 }),
      param("growth", "int", 10, "messages each iteration appends to its session first",
        { minimum: 0, maximum: LIMITS.messages }),
      param("rate", "float", 0, "iterations per second the process is asked for (0: back to back)",
        { minimum: 0, maximum: 1000 }),
      param("framework", "int", 0, "framework objects per row read (a closure and its environment, standing for "
        + "the Effect generator frames opencode reads its history through)", { minimum: 0, maximum: 64 }),
      param("fanout", "int", 1000, "events the process's event fan-out buffer keeps",
        { minimum: 0, maximum: 1_000_000 }),
      param("retain_mb", "int", 0, "MiB of other long-lived state the process holds (ballast)",
        { minimum: 0, maximum: 65536 })],
    bind: bindServe },
  read_site: { description: "read x of plain objects with `size` shapes (1-256) at one site; the dataset is not read",
    unit: "read", params: [param("objects", "int", 4096, "objects read per pass",
      { minimum: 1, maximum: LIMITS.objects }),
      param("passes", "int", 25, "passes over the objects per call",
      { minimum: 1, maximum: LIMITS.passes })], bind: bindReadSite },
};

/**
 * The job's workload bound to its data and strategy, for `rounds` calls (undefined: unknown):
 * `{run, units, unit, strategy, session?, close}` (serve: `serve` and its `estimate` instead of
 * `run`). Everything but `run` happens here, outside measurement.
 */
export function prepare(job, strategy, rounds) {
  const db = openDataset(job.dataset);
  try {
    const bound = WORKLOADS[job.workload].bind(job, strategy, db, rounds);
    return { ...bound, unit: WORKLOADS[job.workload].unit, strategy,
      close: () => { bound.session?.close(); bound.close?.(); db.close(); } };
  } catch (error) {
    db.close();
    throw error;
  }
}
