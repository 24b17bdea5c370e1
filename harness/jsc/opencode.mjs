// opencode's read path as message-v2.ts has it at PR #29029: page / hydrate / stream /
// filterCompacted, and what the agent loop does to a history it read.

import { MESSAGE_COLUMNS, PART_COLUMNS, sessionExists } from "./dataset.mjs";
import { JobError } from "./errors.mjs";

export const PAGE_SIZE = 50;
/** What the agent loop injects into the newest user message's parts list. */
export const SYNTHETIC_PART = { type: "text", text: "", synthetic: true };
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

/** What the agent loop does to a history it read: push the synthetic part onto the newest user
 * message's (fresh) parts array. */
export function injectSynthetic(history) {
  for (let i = history.length - 1; i >= 0; i--) {
    if (history[i].info.role === "user") {
      history[i].parts.push(SYNTHETIC_PART);
      return;
    }
  }
}
