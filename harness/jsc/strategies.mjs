// How a stored row becomes an info or part object: opencode's builders before and after PR #29029.
//
// A row is what bun:sqlite returns for `SELECT id, [message_id,] session_id, time_created,
// time_updated, data`; `data` is the JSON text of the object without its ids.

import { cached, PREFIX } from "./cache.mjs";

/** `spread`: the code before the PR. Keys and key order follow the stored row, so nearly every
 * combination of optional keys gets its own Structure. */
const spread = {
  name: "spread",
  info: (row) => ({ ...JSON.parse(row.data), id: row.id, sessionID: row.session_id }),
  part: (row) => ({ ...JSON.parse(row.data), id: row.id, sessionID: row.session_id, messageID: row.message_id }),
};

function assistantInfo(row, d) {
  return {
    role: "assistant",
    time: d.time,
    error: d.error,
    parentID: d.parentID,
    modelID: d.modelID,
    providerID: d.providerID,
    mode: d.mode,
    agent: d.agent,
    path: d.path,
    summary: d.summary,
    cost: d.cost,
    tokens: d.tokens,
    structured: d.structured,
    variant: d.variant,
    finish: d.finish,
    id: row.id,
    sessionID: row.session_id,
  };
}

/** Any role but "assistant" builds as a user and keeps its own value, whatever its type (another
 * string, a number, null, an array, an object, or none). */
function userInfo(row, d) {
  return {
    role: d.role,
    time: d.time,
    format: d.format,
    summary: d.summary,
    agent: d.agent,
    model: d.model,
    system: d.system,
    tools: d.tools,
    id: row.id,
    sessionID: row.session_id,
  };
}

/** One object literal per part type, keys in the fix's order, ids last; an unknown type (another
 * string, or no string at all) keeps its stored keys (spread), as the PR's default case does. */
function fixedPart(row, d) {
  const id = row.id;
  const sessionID = row.session_id;
  const messageID = row.message_id;
  switch (d.type) {
    case "text":
      return { type: "text", text: d.text, synthetic: d.synthetic, ignored: d.ignored, time: d.time,
        metadata: d.metadata, id, sessionID, messageID };
    case "reasoning":
      return { type: "reasoning", text: d.text, metadata: d.metadata, time: d.time, id, sessionID, messageID };
    case "tool":
      return { type: "tool", callID: d.callID, tool: d.tool, state: d.state, metadata: d.metadata, id, sessionID,
        messageID };
    case "file":
      return { type: "file", mime: d.mime, filename: d.filename, url: d.url, source: d.source, id, sessionID,
        messageID };
    case "compaction":
      return { type: "compaction", auto: d.auto, overflow: d.overflow, tail_start_id: d.tail_start_id, id,
        sessionID, messageID };
    case "subtask":
      return { type: "subtask", prompt: d.prompt, description: d.description, agent: d.agent, model: d.model,
        command: d.command, id, sessionID, messageID };
    case "step-start":
      return { type: "step-start", snapshot: d.snapshot, id, sessionID, messageID };
    case "step-finish":
      return { type: "step-finish", reason: d.reason, snapshot: d.snapshot, cost: d.cost, tokens: d.tokens, id,
        sessionID, messageID };
    case "snapshot":
      return { type: "snapshot", snapshot: d.snapshot, id, sessionID, messageID };
    case "patch":
      return { type: "patch", hash: d.hash, files: d.files, id, sessionID, messageID };
    case "agent":
      return { type: "agent", name: d.name, source: d.source, id, sessionID, messageID };
    case "retry":
      return { type: "retry", attempt: d.attempt, error: d.error, time: d.time, id, sessionID, messageID };
    default:
      return { ...d, id, sessionID, messageID };
  }
}

/** `fixed`: the fix. One literal per role / part type, absent optionals present as `undefined`,
 * unlisted stored keys dropped; nested values are passed by reference, unnormalised. */
const fixed = {
  name: "fixed",
  info: (row) => {
    const d = JSON.parse(row.data);
    return d.role === "assistant" ? assistantInfo(row, d) : userInfo(row, d);
  },
  part: (row) => fixedPart(row, JSON.parse(row.data)),
};

const BASES = { spread, fixed };

/** Every strategy name a job may give. */
export const STRATEGY_NAMES = [...Object.keys(BASES), ...Object.keys(BASES).map((name) => PREFIX + name)];

/** A fresh strategy object (a `cached:` one gets empty caches); undefined for an unknown name. */
export function makeStrategy(name) {
  const own = (key) => (Object.hasOwn(BASES, key) ? BASES[key] : undefined);
  if (name.startsWith(PREFIX)) {
    const base = own(name.slice(PREFIX.length));
    return base && cached(base);
  }
  return own(name);
}
