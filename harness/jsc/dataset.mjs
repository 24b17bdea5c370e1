// Reading a harness dataset (SQLite, opencode's layout) and the scratch session of the read-path
// workloads.

import { Database } from "bun:sqlite";
import { JobError } from "./errors.mjs";

export const MESSAGE_COLUMNS = "id, session_id, time_created, time_updated, data";
export const PART_COLUMNS = "id, message_id, session_id, time_created, time_updated, data";

/** opencode's tables and indexes as the dataset itself declares them (the harness's `meta` left out). */
const SCHEMA = `SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND tbl_name IN ('session', 'message', 'part')
  ORDER BY type = 'index', rowid`;

/** The dataset opened read-only; JobError when it is missing or not a harness dataset. */
export function openDataset(path) {
  let db;
  try {
    db = new Database(path, { readonly: true, strict: true });
    db.query("SELECT count(*) FROM message").get();
    db.query("SELECT count(*) FROM part").get();
  } catch (error) {
    db?.close();
    throw new JobError(`cannot read dataset ${path}: ${error.message}`);
  }
  if (ownSchema(db)) {
    db.close();
    throw new JobError(`dataset ${path} has a schema of its own (imported rows); the JSC runner reads opencode's`);
  }
  return db;
}

/** Whether the dataset's manifest records a schema of its own (imported rows), not opencode's. */
function ownSchema(db) {
  try {
    const meta = db.query("SELECT value FROM meta WHERE key = 'manifest'").get();
    return meta !== null && JSON.parse(meta.value).schema != null;
  } catch {
    return false;  // no meta table or no JSON in it: the harness's dataset checks report that
  }
}

/** JobError for a dataset or session with fewer messages than a job asks for. */
export function tooFew(what, has, asked) {
  return new JobError(`${what} has ${has} messages; ${asked} were asked for`);
}

/** A `data` column whose object- and array-valued top-level fields are replaced by 0, computed
 * by SQLite (key order kept), so that no JavaScript object is made for the original row. */
export const STUBBED_DATA = `(SELECT json_group_object(key, CASE type WHEN 'object' THEN 0 WHEN 'array' THEN 0
  WHEN 'true' THEN json('true') WHEN 'false' THEN json('false') WHEN 'null' THEN json('null') ELSE value END)
  FROM json_each(data)) AS data`;

/** The first `size` messages in generation (rowid) order and all their parts, in rowid order;
 * `data` is the SQL for the data column (default: as stored). */
export function firstRows(db, path, size, data = "data") {
  const columns = (names) => names.replace(/\bdata$/, data);
  const messages = db.query(`SELECT ${columns(MESSAGE_COLUMNS)} FROM message ORDER BY rowid LIMIT ?`).all(size);
  if (messages.length < size) {
    const total = db.query("SELECT count(*) AS n FROM message").get().n;
    throw tooFew(`dataset ${path}`, total, String(size));
  }
  const ids = new Set(messages.map((row) => row.id));
  const parts = db.query(`SELECT ${columns(PART_COLUMNS)} FROM part ORDER BY rowid`).all()
    .filter((row) => ids.has(row.message_id));
  return { messages, parts };
}

/** The session with the most messages (ties: the smallest id). */
export function longestSession(db, path) {
  const [row] = sessionsBySize(db, 1);
  if (row === undefined) throw new JobError(`dataset ${path} has no messages`);
  return row.session_id;
}

/** Up to `count` sessions, longest first (ties: the smallest id): `{session_id, messages}`. */
export function sessionsBySize(db, count) {
  return db.query(`SELECT session_id, count(*) AS messages FROM message GROUP BY session_id
    ORDER BY count(*) DESC, session_id LIMIT ?`).all(count);
}

export function sessionExists(db, sessionId) {
  return db.query("SELECT 1 FROM session WHERE id = ?").get(sessionId) !== null;
}

/**
 * A scratch copy of one session that grows as opencode's agent loop makes it grow: an in-memory
 * database with opencode's tables that starts with the session's oldest `start` messages (and
 * their parts); `grow(n)` appends the next `n` stored messages. Only the session's first `limit`
 * messages are loaded (-1: all of them).
 */
export class GrowingSession {
  constructor(source, sessionId, start, limit = -1) {
    if (!sessionExists(source, sessionId)) throw new JobError(`no session ${JSON.stringify(sessionId)} in the dataset`);
    this.sessionId = sessionId;
    const first = `SELECT id FROM message WHERE session_id = ? ORDER BY time_created, id LIMIT ${Math.trunc(limit)}`;
    this.pending = source.query(`SELECT ${MESSAGE_COLUMNS} FROM message WHERE id IN (${first}) ORDER BY time_created, id`)
      .values(sessionId);
    this.parts = new Map();
    for (const part of source.query(`SELECT ${PART_COLUMNS} FROM part WHERE message_id IN (${first})
      ORDER BY message_id, id`).values(sessionId)) {
      const own = this.parts.get(part[1]);
      if (own) own.push(part);
      else this.parts.set(part[1], [part]);
    }
    this.total = this.pending.length;
    this.conn = new Database(":memory:", { strict: true });
    for (const { sql } of source.query(SCHEMA).all()) this.conn.exec(sql);
    this.conn.query("INSERT INTO session VALUES (?, 'scratch copy', 0, 0)").run(sessionId);
    this.insertMessage = this.conn.query("INSERT INTO message VALUES (?, ?, ?, ?, ?)");
    this.insertPart = this.conn.query("INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)");
    this.size = 0;
    this.grow(start);
  }

  get remaining() {
    return this.total - this.size;
  }

  /** Append the next `count` messages of the session and their parts. */
  grow(count) {
    if (count > this.remaining) {
      throw tooFew(`session ${JSON.stringify(this.sessionId)}`, this.total, String(this.size + count));
    }
    const messages = this.pending.slice(this.size, this.size + count);
    this.conn.transaction(() => {
      for (const message of messages) {
        this.insertMessage.run(...message);
        for (const part of this.parts.get(message[0]) ?? []) this.insertPart.run(...part);
      }
    })();
    this.size += count;
  }

  close() {
    this.conn.close();
  }
}
