// Atomic file output: a temporary file beside the target, fsync, rename, fsync the directory.

import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

function fsyncPath(path) {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replace `target` with `data` (text or bytes) so that a reader sees the old file or the whole new one. */
export function writeAtomic(target, data) {
  const temporary = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
  try {
    const fd = openSync(temporary, "w", 0o666);
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, target);
  } catch (error) {
    try {
      unlinkSync(temporary);
    } catch {
      // The temporary file may not exist or may already be gone.
    }
    throw error;
  }
  fsyncPath(dirname(target));
}
