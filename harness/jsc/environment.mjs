// Where a measurement ran: the exact Bun / JavaScriptCore build, JSC options, machine.
//
// The fields the harness fingerprints (implementation, sys_version, cpu_model, packages) are here;
// the fingerprint itself is the harness's alone (harness.protocol.environment.fingerprint, applied
// to this environment by harness.runtime.bun_install.describe), so this runner never mimics its JSON encoder.

import { readFileSync } from "node:fs";
import os from "node:os";

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

/** Interpreter, machine and packages. */
export function environment() {
  return { interpreter: interpreter(), machine: machine(), packages: { bun: Bun.version } };
}
