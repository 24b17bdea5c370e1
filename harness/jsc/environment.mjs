// Where a measurement ran: the exact Bun / JavaScriptCore build, JSC options, machine.
//
// `fingerprint` hashes the same basis as the harness's Python `fingerprint()` (implementation,
// sys_version, cpu_model, packages), serialised as Python's `json.dumps(..., sort_keys=True)`
// does (pyjson.mjs), so either side can recompute the other's.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import os from "node:os";
import { pythonJson } from "./pyjson.mjs";

/** `BUN_JSC_*` options in force in this process (JSC reads them at start-up). */
export function jscOptions() {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith("BUN_JSC_")).sort());
}

export function interpreter() {
  return {
    implementation: "JSC",
    version: `Bun ${Bun.version}`,
    sys_version: `Bun ${Bun.version} (JavaScriptCore ${process.versions.webkit})`,
    executable: process.execPath,
    build: `bun ${Bun.revision} webkit ${process.versions.webkit} ${process.platform}-${process.arch}`,
    gc_thresholds: null,
    jsc_options: jscOptions(),
  };
}

function cpuModel() {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8").split("\n").find((text) => text.startsWith("model name"));
    if (line) return line.split(":", 2)[1].trim();
  } catch {
    // Not Linux: fall back to what node:os reports.
  }
  return os.cpus()[0]?.model ?? os.machine();
}

export function machine() {
  return { platform: `${os.type()}-${os.release()}-${os.machine()}`, cpu_model: cpuModel(),
    cores: os.cpus().length, memory_bytes: os.totalmem() };
}

/** A short hash of what decides whether two results may be compared. */
export function fingerprint(env) {
  const basis = { implementation: env.interpreter.implementation, sys_version: env.interpreter.sys_version,
    cpu_model: env.machine.cpu_model, packages: env.packages };
  return createHash("sha256").update(pythonJson(basis)).digest("hex").slice(0, 12);
}

/** Interpreter, machine and packages, plus the fingerprint of the comparable parts. */
export function environment() {
  const found = { interpreter: interpreter(), machine: machine(), packages: { bun: Bun.version } };
  found.fingerprint = fingerprint(found);
  return found;
}
