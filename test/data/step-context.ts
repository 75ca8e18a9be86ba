// A hand-built StepContext for the prepare-data tests: a temporary workspace whose `store` is the
// real content-addressed store (copying, so the hash is what the engine would record), a scratch
// folder, and a log that the tests can read.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StepContext } from "../../activities/kit/step-context.ts";
import { artifactPath, hashPath, putArtifact } from "../../engine/store/artifacts.ts";
import type { ArtifactRef } from "../../contract/step-io.ts";
import { testStepInput } from "../kinds/helpers.ts";

export interface TestContext extends StepContext {
  logs: string[];
  cleanup(): Promise<void>;
}

export async function makeContext(stepId = "data"): Promise<TestContext> {
  const root = await mkdtemp(join(tmpdir(), "mmada-data-"));
  const scratch = join(root, "scratch");
  await mkdir(scratch, { recursive: true });
  const logs: string[] = [];
  const input = testStepInput(stepId, "prepare-data", "checkpoints/test", { dataset: "dataset" });
  return {
    root,
    input,
    scratch,
    logs,
    signal: new AbortController().signal,
    progress: () => {},
    store: (path, kind, opts = {}) => putArtifact(root, path, kind, { ...opts, move: false }),
    pathOf: (ref: ArtifactRef) => artifactPath(root, ref),
    hashOf: async (path) => (await hashPath(path)).sha256,
    // prepare-data writes no checkpoints; these only complete the interface
    checkpointDir: join(root, input.checkpointDir),
    checkpoint: (_step, file) => putArtifact(root, file, "checkpoint", { move: false }),
    log: (line) => logs.push(line),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** Stores a project file or folder in the test workspace, as the engine does for brought data. */
export async function storeInput(ctx: TestContext, path: string, kind: string): Promise<ArtifactRef> {
  return putArtifact(ctx.root, path, kind, { move: false });
}
