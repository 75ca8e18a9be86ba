// The step's checkpoint folder (ctx.checkpointDir, shared by retries, other workers and resumed
// runs with the same cache key): `step-<n>.ckpt` files. Resuming takes the newest one that loads
// and verifies; a damaged one (a crash mid-copy, a full disk, a bad sector) is logged and skipped,
// never fatal, so at most one checkpoint interval is lost. Pruning keeps the last K and the best.
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";

const CHECKPOINT_NAME = /^step-(\d+)\.ckpt$/;

export interface CheckpointFile {
  step: number;
  path: string;
}

export function checkpointPath(dir: string, step: number): string {
  return join(dir, `step-${step}.ckpt`);
}

/** The folder's checkpoints, newest first (temporary files of interrupted writes are ignored). */
export async function listCheckpoints(dir: string): Promise<CheckpointFile[]> {
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [] as string[];
    throw err;
  });
  return names
    .flatMap((name) => {
      const m = CHECKPOINT_NAME.exec(name);
      return m ? [{ step: Number(m[1]), path: join(dir, name) }] : [];
    })
    .sort((a, b) => b.step - a.step);
}

/** The newest checkpoint `load` accepts; every rejected one is reported through `log` and skipped. */
export async function newestValid<T>(
  dir: string,
  load: (file: CheckpointFile) => Promise<T>,
  log: (line: string) => void,
): Promise<(CheckpointFile & { value: T }) | undefined> {
  for (const file of await listCheckpoints(dir)) {
    try {
      return { ...file, value: await load(file) };
    } catch (err) {
      log(`skipping damaged checkpoint ${file.path}: ${(err as Error).message}`);
    }
  }
  return undefined;
}

/** Deletes every checkpoint but the newest `keep` and `bestStep` (when given). Returns what it deleted. */
export async function pruneCheckpoints(dir: string, keep: number, bestStep?: number): Promise<number[]> {
  const files = await listCheckpoints(dir);
  const deleted: number[] = [];
  for (const [i, f] of files.entries()) {
    if (i < keep || f.step === bestStep) continue;
    await rm(f.path, { force: true });
    deleted.push(f.step);
  }
  return deleted;
}
