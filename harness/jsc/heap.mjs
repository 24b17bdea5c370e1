// What the JavaScriptCore heap holds, through `bun:jsc`.

import { heapStats, memoryUsage } from "bun:jsc";

/** A full, synchronous collection (mark and sweep), so that counts below are of live cells only. */
export function settle() {
  Bun.gc(true);
}

/** Live Structure cells (hidden classes) in the heap, as counted by `heapStats()`. */
export function structureCount() {
  return heapStats().objectTypeCounts.Structure ?? 0;
}

/** The heap's figures now (no collection is forced): bytes, cells, RSS, allocator. */
export function heapReading() {
  const stats = heapStats();
  const allocator = memoryUsage();
  return { heapBytes: stats.heapSize, extraBytes: stats.extraMemorySize, cells: stats.objectCount,
    structures: stats.objectTypeCounts.Structure ?? 0, rssBytes: process.memoryUsage().rss,
    allocatorBytes: allocator.current, allocatorPeakBytes: allocator.peak };
}

const HOLDER = "__structureCensus";

/** A heap snapshot (Web Inspector format 3) indexed for walking: node classes and out-edges. */
function indexSnapshot(snapshot) {
  const { nodes, edges, nodeClassNames, edgeTypes, edgeNames } = snapshot;
  const className = new Map();
  for (let i = 0; i < nodes.length; i += 4) className.set(nodes[i], nodeClassNames[nodes[i + 2]]);
  const out = new Map();
  for (let i = 0; i < edges.length; i += 4) {
    const list = out.get(edges[i]);
    if (list) list.push(i);
    else out.set(edges[i], [i]);
  }
  const targets = (id, type, data) => (out.get(id) ?? [])
    .filter((i) => (type === undefined || edges[i + 2] === type) && (data === undefined || edges[i + 3] === data))
    .map((i) => edges[i + 1]);
  return { className, targets, property: edgeTypes.indexOf("Property"), index: edgeTypes.indexOf("Index"),
    nameIndex: (name) => edgeNames.indexOf(name) };
}

const isStructure = (graph, id) => graph.className.get(id) === "Structure";

/** The Structure that cells of a class have: the one nearly every cell of that class points to
 * (for "Structure" and "StructureRareData": runtime-internal, not part of any object's chain). */
function structureOfClass(graph, className) {
  const pointedTo = new Map();
  for (const [id, name] of graph.className) {
    if (name !== className) continue;
    for (const next of graph.targets(id)) {
      if (isStructure(graph, next)) pointedTo.set(next, (pointedTo.get(next) ?? 0) + 1);
    }
  }
  return [...pointedTo].reduce((best, entry) => (entry[1] > best[1] ? entry : best), [undefined, 0])[0];
}

/** The Structures a Structure points to: its previous one in the transition chain, directly or,
 * once the Structure has rare data (e.g. after Object.keys cached its keys), through it. */
function linkedStructures(graph, id) {
  const linked = [];
  for (const next of graph.targets(id)) {
    if (isStructure(graph, next)) linked.push(next);
    else if (graph.className.get(next) === "StructureRareData") {
      linked.push(...graph.targets(next).filter((further) => isStructure(graph, further)));
    }
  }
  return linked;
}

/** Structures reachable from `start` along transition chains, the `internal` ones excluded. */
function chainClosure(graph, start, internal) {
  const seen = new Set();
  const stack = [...start];
  while (stack.length) {
    const id = stack.pop();
    if (seen.has(id) || internal.has(id)) continue;
    seen.add(id);
    stack.push(...linkedStructures(graph, id));
  }
  return seen;
}

/**
 * For each named group of objects (arrays of objects): the distinct Structures the objects have
 * (`leaf`) and the Structures of their transition chains (`chain`: those and every ancestor up
 * to the root), read from a heap snapshot taken while the groups are reachable from a global.
 * `all` is the chain of every group together. Exact: the snapshot lists every live cell.
 */
export function structureChains(groups) {
  let snapshot;
  globalThis[HOLDER] = groups;
  try {
    snapshot = Bun.generateHeapSnapshot();
  } finally {
    delete globalThis[HOLDER];
  }
  const graph = indexSnapshot(snapshot);
  const internal = new Set([structureOfClass(graph, "Structure"), structureOfClass(graph, "StructureRareData")]);
  const globals = [...graph.className].filter(([, name]) => name === "GlobalObject").map(([id]) => id);
  const holder = globals.flatMap((id) => graph.targets(id, graph.property, graph.nameIndex(HOLDER)))[0];
  const found = {};
  const everything = [];
  for (const name of Object.keys(groups)) {
    const array = graph.targets(holder, graph.property, graph.nameIndex(name))[0];
    const objects = graph.targets(array, graph.index);
    const leaves = new Set(objects.flatMap((id) => graph.targets(id).filter((next) => isStructure(graph, next))));
    everything.push(...leaves);
    found[name] = { leaf: leaves.size, chain: chainClosure(graph, leaves, internal).size };
  }
  found.all = { chain: chainClosure(graph, everything, internal).size };
  return found;
}
