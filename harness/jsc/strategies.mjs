// How a stored row becomes an info or part object: opencode's builders before and after PR #29029.
//
// A row is what bun:sqlite returns for `SELECT id, [message_id,] session_id, time_created,
// time_updated, data`; `data` is the JSON text of the object without its ids. The key orders come
// from `schema.json`, generated from the harness's schema object (harness.schemas.OPENCODE).

import { cached, PREFIX } from "./cache.mjs";
import SCHEMA from "./schema.json" with { type: "json" };

/** The row columns holding a table's ids, in its `ids` order: the row's id, its session id, a part's
 * message id. */
const ID_COLUMNS = ["id", "session_id", "message_id"];

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `key: value` in source; the name as it is when it is an identifier, else quoted. */
const entry = (key, value) => `${IDENTIFIER.test(key) ? key : JSON.stringify(key)}: ${value}`;

/** `d.key` (or `d["key"]`) in source. */
const read = (key) => (IDENTIFIER.test(key) ? `d.${key}` : `d[${JSON.stringify(key)}]`);

/** `row.<column>` in source: the row column holding one of the table's ids. */
const column = (table, key) => `row.${ID_COLUMNS[table.ids.indexOf(key)]}`;

/** Source of a table's id entries, `id: row.id, sessionID: row.session_id, ...`. */
const ids = (table) => table.ids.map((key) => entry(key, column(table, key))).join(", ");

/** Source of the object literal of one kind: its keys in order, the discriminator the kind's tag
 * (`own`: the row's own value), ids from the row's columns, every other key read from `d`. */
function literal(table, tag, own) {
  const value = (key) => {
    if (key === table.discriminator) return own ? read(key) : JSON.stringify(tag);
    return table.ids.includes(key) ? column(table, key) : read(key);
  };
  return `{ ${table.keys[tag].map((key) => entry(key, value(key))).join(", ")} }`;
}

/** `(row, d) => object`: one literal per kind, compiled from the table's key orders. A discriminator
 * value of no kind builds as the default kind keeping its own value, whatever its type (opencode's
 * user); with no default (parts) the object keeps its stored keys (spread), as the PR's default case. */
function fixedBuilder(table) {
  const cases = Object.keys(table.keys)
    .filter((tag) => tag !== table.default)
    .map((tag) => `case ${JSON.stringify(tag)}: return ${literal(table, tag, false)};`);
  const otherwise = table.default === null ? `{ ...d, ${ids(table)} }` : literal(table, table.default, true);
  const body = `switch (${read(table.discriminator)}) { ${cases.join(" ")} default: return ${otherwise}; }`;
  return new Function("row", "d", `"use strict"; ${body}`);
}

/** `row => object`: the stored object spread, the table's ids added. */
const spreadBuilder = (table) =>
  new Function("row", `"use strict"; return { ...JSON.parse(row.data), ${ids(table)} };`);

/** The strategies for a schema's key orders (`schema.json`'s content): `spread`, the code before the
 * PR, whose keys and key order follow the stored row, so nearly every combination of optional keys
 * gets its own Structure; `fixed`, the fix: one literal per role / part type, absent optionals
 * present as `undefined`, unlisted stored keys dropped, nested values passed by reference, unnormalised. */
export function strategies(schema) {
  const { message, part } = schema.tables;
  const info = fixedBuilder(message);
  const fixedPart = fixedBuilder(part);
  return {
    spread: { name: "spread", info: spreadBuilder(message), part: spreadBuilder(part) },
    fixed: {
      name: "fixed",
      info: (row) => info(row, JSON.parse(row.data)),
      part: (row) => fixedPart(row, JSON.parse(row.data)),
    },
  };
}

const BASES = strategies(SCHEMA);

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
