// Census: how many Structures (hidden classes) a strategy's objects make JavaScriptCore create, and
// where: the top-level infos and parts, the nested schema objects below them (time, tokens, a tool
// state, ...) and the data-keyed records (objects keyed by data: LSP diagnostics by file path,
// `tools` by tool name; RECORD_PATHS, the schema's record paths from `schema.json`). Arrays are walked through,
// not counted.
//
// JSC creates a Structure per transition (each key added to an object), so an object literal
// or spread with k keys goes through a chain of k Structures from a root (the empty object of its
// prototype and inline capacity); objects whose key orders share a prefix share that part of
// the chain. Two exact, repeatable views of the first `size` messages' objects:
//   - from a heap snapshot taken with the objects alive (Bun.generateHeapSnapshot(): every live
//     cell and edge): `<group>_structures`, the distinct Structures the objects have (what
//     opencode's perf test counts as unique Structures), and `<group>_chain_structures`, those plus
//     every ancestor up to the root (the Structure cells the objects keep alive), for the groups
//     info, part, nested and record, and `chain_structures` for all of them together;
//   - from `Object.keys`, like the harness census: key sets, key orders, and key prefixes (the
//     transition tree the orders predict, roots not counted).
// And one production view, live Structure cells in the whole heap
// (`heapStats().objectTypeCounts.Structure` after a full synchronous collection) before and after
// each of four phases, each phase's objects kept alive: infos built from rows whose nested values
// SQLite replaced by 0 (top level alone), infos from the real rows (adds the nested values'
// Structures), then the same for parts. These `*_structures_added_*` counts include whatever else
// a phase leaves alive or lets die (compiled code, inline caches, garbage a conservative stack
// scan keeps, Bun's own objects), so they vary between runs by a few to a few tens, with or
// without the JIT (BUN_JSC_useJIT=0); the snapshot figures repeat exactly, with or without it.

import { heapStats } from "bun:jsc";
import { firstRows, openDataset, STUBBED_DATA } from "../dataset.mjs";
import { settle, structureChains, structureCount } from "../heap.mjs";
import { figure } from "../stats.mjs";
import SCHEMA from "../schema.json" with { type: "json" };
import { makeStrategy } from "../strategies.mjs";

const isObject = (value) => value !== null && typeof value === "object";

/** Structures and heap cells added by `build()`, whose result stays in `kept`. */
function phase(kept, build) {
  settle();
  const structures = structureCount();
  const cells = heapStats().objectCount;
  kept.push(build());
  settle();
  return { structures: structureCount() - structures, cells: heapStats().objectCount - cells };
}

function keyFigures(objects) {
  const orders = new Set();
  const sets = new Set();
  const prefixes = new Set();
  for (const object of objects) {
    const keys = Object.keys(object);
    orders.add(keys.join("\0"));
    sets.add([...keys].sort().join("\0"));
    for (let i = 1; i <= keys.length; i++) prefixes.add(keys.slice(0, i).join("\0"));
  }
  return { key_sets: sets.size, key_orders: orders.size, key_prefixes: prefixes.size };
}

/** Key paths from an info or part to a record keyed by data: the schema's (`schema.json`). */
export const RECORD_PATHS = SCHEMA.record_paths;
const RECORDS = new Set(RECORD_PATHS.map((path) => path.join("\0")));

/** Every object below the top level of `objects`, split by where it sits: data-keyed records and
 * nested schema objects (arrays are walked through, not counted). */
function belowTopLevel(objects) {
  const nested = new Set();
  const records = new Set();
  const stack = objects.flatMap((object) => Object.entries(object).map(([key, value]) => [value, key]));
  while (stack.length) {
    const [value, path] = stack.pop();
    if (!isObject(value) || nested.has(value) || records.has(value)) continue;
    if (Array.isArray(value)) {
      for (const item of value) stack.push([item, path]);
      continue;
    }
    (RECORDS.has(path) ? records : nested).add(value);
    for (const [key, item] of Object.entries(value)) stack.push([item, `${path}\0${key}`]);
  }
  return { nested: [...nested], record: [...records] };
}

function measure(job) {
  const db = openDataset(job.dataset);
  try {
    return census(job.strategy, firstRows(db, job.dataset, job.size), firstRows(db, job.dataset, job.size,
      STUBBED_DATA));
  } finally {
    db.close();
  }
}

/** The four phases, each with a strategy of its own (a cached one must not answer from the
 * previous phase's cache). */
function census(name, { messages, parts: partRows }, { messages: stubMessages, parts: stubParts }) {
  const kept = [];
  const infoTop = phase(kept, () => stubMessages.map(makeStrategy(name).info));
  const infoNested = phase(kept, () => messages.map(makeStrategy(name).info));
  const partTop = phase(kept, () => stubParts.map(makeStrategy(name).part));
  const partNested = phase(kept, () => partRows.map(makeStrategy(name).part));
  const groups = { info: kept[1], part: kept[3], ...belowTopLevel([...kept[1], ...kept[3]]) };
  const chains = structureChains(groups);
  const counts = {
    info_structures_added_top: infoTop.structures, info_structures_added_nested: infoNested.structures,
    part_structures_added_top: partTop.structures, part_structures_added_nested: partNested.structures,
    structures_added: infoTop.structures + infoNested.structures + partTop.structures + partNested.structures,
    chain_structures: chains.all.chain,
  };
  for (const [group, objects] of Object.entries(groups)) {
    const keys = keyFigures(objects);
    Object.assign(counts, { [`${group}_structures`]: chains[group].leaf,
      [`${group}_chain_structures`]: chains[group].chain, [`${group}_key_sets`]: keys.key_sets,
      [`${group}_key_orders`]: keys.key_orders, [`${group}_key_prefixes`]: keys.key_prefixes });
  }
  return {
    counts,
    heapCellsPerMessage: (infoNested.cells + partNested.cells) / Math.max(1, messages.length),
    messages: messages.length, parts: partRows.length, nestedObjects: groups.nested.length,
    records: groups.record.length,
  };
}

function combine(job, [run]) {
  const { outcome } = run;
  const figures = Object.entries(outcome.counts).map(([metric, value]) => figure(metric, value, "count",
    outcome.messages));
  figures.push(figure("heap_cells_per_message", outcome.heapCellsPerMessage, "cells", outcome.messages));
  return { figures, extra: { messages: outcome.messages, parts: outcome.parts,
    nested_objects: outcome.nestedObjects, records: outcome.records } };
}

export const CENSUS = {
  name: "census",
  description: "Structures (heap snapshot) of infos, parts, nested schema objects and data-keyed records; "
    + "key sets / orders / prefixes; Structures added per phase (heapStats)",
  workloads: ["hydrate_all"],
  params: [],
  env: () => ({}),
  processes: () => 1,
  measure,
  combine,
};
