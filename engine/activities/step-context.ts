// The step runner's side of a StepContext: the per-attempt scratch folder and storing outputs.
import { mkdir, rm } from "node:fs/promises";
import type { ArtifactRef } from "../../contract/artifacts.ts";
import { fileSafe } from "../../contract/ids.ts";
import type { StepInput } from "../../contract/step-io.ts";
import { putArtifact } from "../store/artifacts.ts";
import { inWorkspace } from "../store/workspace.ts";

export async function withScratch<T>(root: string, input: StepInput, attempt: number, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = inWorkspace(root, `tmp/${fileSafe(input.executionId)}-a${attempt}-${process.pid}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A step's `ctx.store`: its outputs move in from its own scratch folder, and only from there. */
export function storeInto(root: string, scratch: string) {
  return (path: string, kind: string, opts: { name?: string; meta?: ArtifactRef["meta"] } = {}) =>
    putArtifact(root, path, kind, { ...opts, move: true, within: [scratch] });
}
