// CPU time per thread of this process, from Linux's /proc/self/task/<tid>/schedstat (nanoseconds
// on CPU, as the kernel accounts them) and the thread's name (comm). JavaScriptCore names its
// parallel-marking / concurrent-collector threads "HeapHelper" and its compiler threads
// "JITWorker"; the main (mutator) thread has the process id.

import { readdirSync, readFileSync } from "node:fs";

const TASKS = "/proc/self/task";

function kindOf(tid, name) {
  if (tid === String(process.pid)) return "main";
  if (name.includes("Heap") || name.includes("Collector")) return "gc";
  if (name.startsWith("JIT")) return "jit";
  return "other";
}

/** Nanoseconds on CPU per live thread: Map(tid -> {kind, ns}); empty where /proc is missing. */
export function threadCpu() {
  const found = new Map();
  let tids = [];
  try {
    tids = readdirSync(TASKS);
  } catch {
    return found;
  }
  for (const tid of tids) {
    try {
      const name = readFileSync(`${TASKS}/${tid}/comm`, "utf8").trim();
      const ns = Number(readFileSync(`${TASKS}/${tid}/schedstat`, "utf8").split(" ")[0]);
      found.set(tid, { kind: kindOf(tid, name), ns });
    } catch {
      // The thread ended between listing and reading: its time is lost to both readings.
    }
  }
  return found;
}

/** CPU seconds per thread kind between two readings (threads started in between count from 0). */
export function cpuByKind(before, after) {
  const seconds = { main: 0, gc: 0, jit: 0, other: 0 };
  for (const [tid, { kind, ns }] of after) seconds[kind] += (ns - (before.get(tid)?.ns ?? 0)) / 1e9;
  return seconds;
}
