// What runs under measurement: opencode's read path (page / hydrate / stream / filterCompacted,
// as message-v2.ts has them at PR #29029), the agent loop that re-reads a growing session, and
// the seed's 200 x 7 property-access loop. `WORKLOADS` is the catalogue; `prepare` binds a job's
// workload to its data outside measurement.

import { firstRows, GrowingSession, longestSession, MESSAGE_COLUMNS, openDataset, PART_COLUMNS,
  sessionExists, tooFew } from "./dataset.mjs";
import { JobError } from "./errors.mjs";
import { param } from "./params.mjs";
import { LIMITS } from "./protocol.mjs";

export const PAGE_SIZE = 50;
/** What the agent loop injects into the newest user message's parts list. */
export const SYNTHETIC_PART = { type: "text", text: "", synthetic: true };
/** The seven properties the seed's access loop reads from every info. */
export const ACCESS_PROPERTIES = ["role", "cost", "summary", "finish", "error", "variant", "structured"];

const FIRST_PAGE = `SELECT ${MESSAGE_COLUMNS} FROM message WHERE session_id = ?
  ORDER BY time_created DESC, id DESC LIMIT ?`;
const OLDER_PAGE = `SELECT ${MESSAGE_COLUMNS} FROM message WHERE session_id = ?
  AND (time_created < ? OR (time_created = ? AND id < ?)) ORDER BY time_created DESC, id DESC LIMIT ?`;

function partsQuery(count) {
  return `SELECT ${PART_COLUMNS} FROM part WHERE message_id IN (${Array(count).fill("?").join(", ")})
  ORDER BY message_id, id`;
}

/** `{info, parts}` per message row, all their parts loaded with one IN query; every `parts`
 * array is new, even when the strategy caches its objects (callers push onto it). */
export function hydrate(db, strategy, rows) {
  const byMessage = new Map();
  if (rows.length > 0) {
    for (const row of db.query(partsQuery(rows.length)).all(...rows.map((row) => row.id))) {
      const next = strategy.part(row);
      const list = byMessage.get(row.message_id);
      if (list) list.push(next);
      else byMessage.set(row.message_id, [next]);
    }
  }
  return rows.map((row) => ({ info: strategy.info(row), parts: byMessage.get(row.id) ?? [] }));
}

/** Up to `limit` messages older than `before` ({id, time}), returned oldest first, with whether
 * there are more and the cursor to them. */
export function page(db, strategy, sessionId, before, limit = PAGE_SIZE) {
  const rows = before === undefined
    ? db.query(FIRST_PAGE).all(sessionId, limit + 1)
    : db.query(OLDER_PAGE).all(sessionId, before.time, before.time, before.id, limit + 1);
  if (rows.length === 0 && before === undefined && !sessionExists(db, sessionId)) {
    throw new JobError(`no session ${JSON.stringify(sessionId)} in the dataset`);
  }
  const more = rows.length > limit;
  const slice = more ? rows.slice(0, limit) : rows;
  const items = hydrate(db, strategy, slice);
  items.reverse();
  const tail = slice.at(-1);
  return { items, more, cursor: more ? { id: tail.id, time: tail.time_created } : undefined };
}

/** Every message of a session, newest to oldest, fetched page by page. */
export function* stream(db, strategy, sessionId) {
  let before;
  while (true) {
    const next = page(db, strategy, sessionId, before);
    for (let i = next.items.length - 1; i >= 0; i--) yield next.items[i];
    if (!next.more) return;
    before = next.cursor;
  }
}

/** opencode's `filterCompacted`: walk newest to oldest, stop at the last finished compaction,
 * return the kept messages in chronological order with a retained tail moved after its summary. */
export function filterCompacted(messages) {
  const result = [];
  const completed = new Set();
  let retain;
  for (const message of messages) {
    result.push(message);
    const info = message.info;
    if (retain) {
      if (info.id === retain) break;
      continue;
    }
    if (info.role === "user" && completed.has(info.id)) {
      const part = message.parts.find((item) => item.type === "compaction");
      if (!part) continue;
      if (!part.tail_start_id) break;
      retain = part.tail_start_id;
      if (info.id === retain) break;
      continue;
    }
    if (info.role === "assistant" && info.summary && info.finish && !info.error) completed.add(info.parentID);
  }
  result.reverse();
  return moveRetainedTail(result);
}

function moveRetainedTail(result) {
  const hasTail = (item) => item.type === "compaction" && item.tail_start_id !== undefined;
  const compactionIndex = result.findLastIndex((msg) => msg.info.role === "user" && msg.parts.some(hasTail));
  if (compactionIndex < 0) return result;
  const compaction = result[compactionIndex];
  const tailId = compaction.parts.find(hasTail).tail_start_id;
  const summaryIndex = result.findIndex((msg, index) => index > compactionIndex && msg.info.role === "assistant"
    && msg.info.summary && msg.info.parentID === compaction.info.id);
  const tailIndex = tailId ? result.findIndex((msg) => msg.info.id === tailId) : -1;
  if (tailIndex >= 0 && tailIndex < compactionIndex && summaryIndex > compactionIndex) {
    return [...result.slice(compactionIndex, summaryIndex + 1), ...result.slice(tailIndex, compactionIndex),
      ...result.slice(summaryIndex + 1)];
  }
  return result;
}

/** `filterCompacted(stream(session))`: pages read only down to the compaction boundary, as at the PR. */
export function filterCompactedSession(db, strategy, sessionId) {
  return filterCompacted(stream(db, strategy, sessionId));
}

/** One agent-loop step: the prompt appends `growth` messages, the loop re-reads the history and
 * pushes a synthetic part onto the newest user message's (fresh) parts array. */
export function loopIteration(session, strategy, growth) {
  session.grow(growth);
  const history = filterCompactedSession(session.conn, strategy, session.sessionId);
  for (let i = history.length - 1; i >= 0; i--) {
    if (history[i].info.role === "user") {
      history[i].parts.push(SYNTHETIC_PART);
      break;
    }
  }
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
    unit: "row", params: [], bind: bindHydrateAll },
  page: { description: "one page of 50 messages, newest first, parts loaded with one IN query", unit: "message",
    params: [param("limit", "int", 50, "messages per page",
      { minimum: 1, maximum: LIMITS.messages })], bind: bindPage },
  filter_compacted: { description: "stream a session newest first down to its last compaction boundary",
    unit: "message", params: [READ_PATH], bind: bindFilterCompacted },
  run_loop: { description: "agent loop: append messages, re-read the history with filterCompacted, repeat",
    unit: "message", params: [param("growth", "int", 0, "messages the prompt appends before each re-read",
      { minimum: 0, maximum: LIMITS.messages }), READ_PATH], bind: bindRunLoop },
  read_site: { description: "read x of plain objects with `size` shapes (1-256) at one site; the dataset is not read",
    unit: "read", params: [param("objects", "int", 4096, "objects read per pass",
      { minimum: 1, maximum: LIMITS.objects }),
      param("passes", "int", 25, "passes over the objects per call",
      { minimum: 1, maximum: LIMITS.passes })], bind: bindReadSite },
};

/**
 * The job's workload bound to its data and strategy, for `rounds` calls (undefined: unknown):
 * `{run, units, unit, strategy, session?, close}`. Everything but `run` happens here,
 * outside measurement.
 */
export function prepare(job, strategy, rounds) {
  const db = openDataset(job.dataset);
  try {
    const bound = WORKLOADS[job.workload].bind(job, strategy, db, rounds);
    return { ...bound, unit: WORKLOADS[job.workload].unit, strategy,
      close: () => { bound.session?.close(); db.close(); } };
  } catch (error) {
    db.close();
    throw error;
  }
}
