// A job process dies with the process that started it, as harness/measure/lifeline.py has it: the
// runner names itself in HARNESS_PARENT_PID; on Linux this process asks the kernel for SIGKILL when
// that parent dies (prctl PR_SET_PDEATHSIG, through bun:ffi), and ends at once when the parent is
// already gone. Elsewhere (or without glibc) nothing happens; the runner still kills the job's
// process group on timeout and Ctrl-C. Workers are started naming this process as their parent.

import { dlopen, FFIType } from "bun:ffi";

export const PARENT_ENV = "HARNESS_PARENT_PID";
const PR_SET_PDEATHSIG = 1;
const SIGKILL = 9;

export function dieWithParent() {
  const expected = process.env[PARENT_ENV] ?? "";
  if (process.platform !== "linux" || !/^[0-9]+$/.test(expected)) return;
  let libc;
  try {
    libc = dlopen("libc.so.6", { prctl: { args: Array(5).fill(FFIType.u64), returns: FFIType.i32 } });
  } catch {
    return;
  }
  try {
    if (libc.symbols.prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) !== 0) return;
  } finally {
    libc.close();
  }
  if (process.ppid !== Number(expected)) process.exit(1); // the parent died before the request took effect
}
