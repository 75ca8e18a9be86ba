// A lock file for work that two commands may start at the same moment (launching the dev server or
// the workspace's workers): the first creates it, the others wait; a lock older than `staleMs` was
// left by a process that died and is taken over.
import { closeSync, openSync, rmSync, statSync } from "node:fs";

export async function withFileLock<T>(lockFile: string, opts: { timeoutMs: number; staleMs: number; what: string }, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    let fd: number;
    try {
      fd = openSync(lockFile, "wx");
    } catch {
      const age = Date.now() - (statSync(lockFile, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > opts.staleMs) rmSync(lockFile, { force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for the ${opts.what} lock ${lockFile}`);
      await new Promise((r) => setTimeout(r, 300));
      continue;
    }
    try {
      return await fn();
    } finally {
      closeSync(fd);
      rmSync(lockFile, { force: true });
    }
  }
}
