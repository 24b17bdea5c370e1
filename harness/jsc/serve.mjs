// The serve workload: a replay of one long-lived opencode-serve process. Several sessions are in
// flight, each running agent-loop iterations in turn; between two iterations of a session the
// process keeps alive what its suspended prompt holds (the history it read and the framework
// frames it read it through), the last events it published to its subscribers (a fixed-capacity
// ring), and other long-lived state (ballast). What a serve builds depends on the dataset, the
// strategy, the history size, the parameters and the rounds only: no clock or random input
// decides which rows are read or which events are kept.
//
// Before anything is loaded the memory the serve will need is estimated from the stored rows it
// will read, and a serve that would not fit in the machine's available memory is refused.

import { readFileSync } from "node:fs";
import { GrowingSession, sessionsBySize, tooFew } from "./dataset.mjs";
import { JobError } from "./errors.mjs";
import { filterCompactedSession, injectSynthetic } from "./opencode.mjs";

const MIB = 2 ** 20;
const GIB = 2 ** 30;
/** The estimate's terms: the process itself, per MiB of ballast, per stored byte of a history
 * (built objects outweigh their JSON), per frame (a closure and its environment). */
const BASE_BYTES = 256 * MIB;
const BALLAST_BYTES_PER_MIB = 1.25 * MIB;
const HISTORY_BYTES_PER_STORED_BYTE = 12;
const FRAME_CELLS = 2;
const CELL_BYTES = 200;
/** A ballast record's share of `retain_mb`: a small object and its 1,000-character string. */
const BALLAST_RECORD_BYTES = 1100;
const BALLAST_TEXT_LENGTH = 1000;
/** A refusal leaves this share of the available memory as headroom. */
const AVAILABLE_SHARE = 0.8;

/** The `count` sessions with the most messages (ties: the smallest id) and their sizes. */
export function longestSessions(db, path, count) {
  const rows = sessionsBySize(db, count);
  if (rows.length < count) throw new JobError(`dataset ${path} has ${rows.length} sessions; ${count} were asked for`);
  return rows;
}

/** Messages one session grows by over a serve: its warm-up iteration and its share of `rounds`. */
const iterationsPerSession = (rounds, sessions) => 1 + Math.ceil(rounds / sessions);

/** JobError unless every session (`longestSessions` rows) holds what a serve reads of it. */
export function checkLengths(sessions, start, rounds, growth) {
  const per = iterationsPerSession(rounds, sessions.length);
  for (const { session_id: id, messages } of sessions) {
    if (messages < start + per * growth) {
      throw tooFew(`session ${JSON.stringify(id)}`, messages, `${start} + ${per} × ${growth}`);
    }
  }
}

/** Stored JSON bytes and rows of a session's first `limit` messages and of their parts. */
const STORED = `WITH kept AS (SELECT id, data FROM message WHERE session_id = ? ORDER BY time_created, id LIMIT ?),
  owned AS (SELECT data FROM part WHERE message_id IN (SELECT id FROM kept))
  SELECT (SELECT coalesce(sum(length(CAST(data AS BLOB))), 0) FROM kept)
    + (SELECT coalesce(sum(length(CAST(data AS BLOB))), 0) FROM owned) AS bytes,
    (SELECT count(*) FROM kept) + (SELECT count(*) FROM owned) AS rows`;

/**
 * The memory a serve needs, from the rows it will read: per session the first
 * start + (1 + ceil(rounds / sessions)) × growth messages and their parts (`stored_bytes` of JSON,
 * `rows`); estimate_bytes = 256 MiB + retain_mb × 1.25 MiB + 12 × stored + 2 × framework × rows × 200.
 */
export function estimate(db, sessionIds, start, rounds, growth, framework, retainMb) {
  const limit = start + iterationsPerSession(rounds, sessionIds.length) * growth;
  const query = db.query(STORED);
  let stored = 0;
  let rows = 0;
  for (const id of sessionIds) {
    const found = query.get(id, limit);
    stored += found.bytes;
    rows += found.rows;
  }
  const ballast = retainMb * BALLAST_BYTES_PER_MIB;
  const histories = HISTORY_BYTES_PER_STORED_BYTE * stored;
  const frames = FRAME_CELLS * framework * rows * CELL_BYTES;
  return { stored_bytes: stored, rows, ballast_bytes: ballast, histories_bytes: histories, frames_bytes: frames,
    estimate_bytes: BASE_BYTES + ballast + histories + frames };
}

/** MemAvailable of /proc/meminfo in bytes; null where there is none. */
export function availableBytes() {
  let text;
  try {
    text = readFileSync("/proc/meminfo", "utf8");
  } catch {
    return null;
  }
  const found = /^MemAvailable:\s+(\d+) kB/m.exec(text);
  return found ? Number(found[1]) * 1024 : null;
}

/** JobError when an `estimate` exceeds 80 % of the memory available (none known: no check). */
export function checkMemory(needs, available = availableBytes()) {
  if (available === null || needs.estimate_bytes <= AVAILABLE_SHARE * available) return;
  const gib = (bytes) => (bytes / GIB).toFixed(1);
  throw new JobError(`serve needs about ${gib(needs.estimate_bytes)} GiB (ballast ${gib(needs.ballast_bytes)} GiB, `
    + `histories ${gib(needs.histories_bytes)} GiB, frames ${gib(needs.frames_bytes)} GiB) and the machine has `
    + `${gib(available)} GiB available; lower retain_mb, sessions, the history or framework`);
}

/** Records of ballast `retain_mb` MiB make. */
export const ballastRecords = (retainMb) => Math.floor(retainMb * MIB / BALLAST_RECORD_BYTES);

/** One framework frame: a closure over the row read and its index (a Function and its environment),
 * standing for an Effect generator frame opencode reads a row through. */
function frame(row, k) {
  return () => row.id.length + k;
}

/** `strategy` with `framework` frames made, and pushed onto `frames`, before every row it builds. */
function framed(strategy, framework, frames) {
  const wrap = (build) => (row) => {
    for (let k = 0; k < framework; k++) frames.push(frame(row, k));
    return build(row);
  };
  return { ...strategy, info: wrap(strategy.info), part: wrap(strategy.part) };
}

/** The process's event fan-out buffer: the last `capacity` events published, in a ring. */
class EventRing {
  constructor(capacity) {
    this.slots = new Array(capacity).fill(null);
    this.published = 0;
  }

  publish(event) {
    if (this.slots.length) this.slots[this.published % this.slots.length] = event;
    this.published++;
  }

  /** The events kept, oldest first. */
  kept() {
    const capacity = this.slots.length;
    if (this.published <= capacity) return this.slots.slice(0, this.published);
    const oldest = this.published % capacity;
    return [...this.slots.slice(oldest), ...this.slots.slice(0, oldest)];
  }
}

/**
 * The serve process over `sessionIds`, each a GrowingSession started at `start` messages. One
 * strategy object (so one row cache, for `cached:` strategies) serves every session. A session's
 * `state` is what its suspended prompt keeps alive until its next iteration: `{history, frames}`.
 */
export class ServeProcess {
  constructor(db, strategy, sessionIds, { start, limit, growth, framework, fanout, retainMb }) {
    this.strategy = strategy;
    this.growth = growth;
    this.framework = framework;
    this.retainMb = retainMb;
    this.sessions = [];
    try {
      for (const id of sessionIds) this.sessions.push({ growing: new GrowingSession(db, id, start, limit), state: null });
    } catch (error) {
      this.close();
      throw error;
    }
    this.events = new EventRing(fanout);
    this.ballast = [];
  }

  /** Take on the ballast: `retain_mb` MiB of records, each an object with a unique string, held until the end. */
  retain() {
    const count = ballastRecords(this.retainMb);
    for (let i = 0; i < count; i++) this.ballast.push({ id: i, text: String(i).padStart(BALLAST_TEXT_LENGTH, ".") });
  }

  /** One iteration of every session, in order, back to back. */
  warmUp() {
    for (let s = 0; s < this.sessions.length; s++) this.step(s);
  }

  /** Iteration `j`: the next step of session j mod K; `{session, history, kept}`. */
  iteration(j) {
    return this.step(j % this.sessions.length);
  }

  /** Grow session `s`, read its history through the framed strategy, inject the synthetic part,
   * publish the newest messages' events, and keep the history and frames until its next step. */
  step(s) {
    const session = this.sessions[s];
    session.growing.grow(this.growth);
    const frames = [];
    const strategy = this.framework ? framed(this.strategy, this.framework, frames) : this.strategy;
    const history = filterCompactedSession(session.growing.conn, strategy, session.growing.sessionId);
    injectSynthetic(history);
    this.publish(history);
    session.state = { history, frames };
    return { session: s, history: session.growing.size, kept: history.length };
  }

  /** Events of the last `growth` messages of a history, oldest first: the info, then each part. */
  publish(history) {
    for (let i = Math.max(0, history.length - this.growth); i < history.length; i++) {
      const { info, parts } = history[i];
      this.events.publish({ type: "message.updated", info });
      for (const part of parts) this.events.publish({ type: "message.part.updated", part });
    }
  }

  /** Frames every session's state holds. */
  get framesHeld() {
    return this.sessions.reduce((total, session) => total + (session.state?.frames.length ?? 0), 0);
  }

  close() {
    for (const session of this.sessions) session.growing.close();
  }
}

/** The serve process over the dataset's `sessions` longest sessions, refused before anything is
 * loaded when a session is too short or the machine has too little memory for it. */
export function bindServe(job, strategy, db, rounds) {
  const { sessions: count, growth, framework, fanout, retain_mb: retainMb } = job.params;
  if (job.session != null) {
    throw new JobError(`serve runs the dataset's ${count} longest sessions; `
      + `the job names session ${JSON.stringify(job.session)}`);
  }
  const sessions = longestSessions(db, job.dataset, count);
  checkLengths(sessions, job.size, rounds, growth);
  const ids = sessions.map((session) => session.session_id);
  const needs = estimate(db, ids, job.size, rounds, growth, framework, retainMb);
  checkMemory(needs);
  // a session's rows beyond those the window reads are never loaded
  const limit = job.size + iterationsPerSession(rounds, count) * growth;
  const serve = new ServeProcess(db, strategy, ids, { start: job.size, limit, growth, framework, fanout, retainMb });
  return { serve, estimate: needs, units: job.size, close: () => serve.close() };
}
