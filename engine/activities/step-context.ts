// What the step activities share: a step's `with` bound to its upstream outputs, the per-attempt
// scratch folder, storing outputs, and telling a full disk from other failures.
import { ApplicationFailure } from "@temporalio/activity";
import { mkdir, readdir, rm } from "node:fs/promises";
import { hostname } from "node:os";
import type { ArtifactRef, StepInput } from "../../contract/step-io.ts";
import { StepFailure } from "../../contract/failures.ts";
import { fileSafe } from "../../contract/ids.ts";
import type { PlanStep } from "../../contract/plan.ts";
import { bindWith, type StepOutputs, UnboundOutputError } from "../../contract/with-value.ts";
import type { ArtifactStore } from "../store/artifact-store.ts";
import { inWorkspace, processAlive, workspaceDiskFull } from "../store/workspace.ts";

/**
 * Runs `fn` in an empty scratch folder of this attempt (tmp/<execution>-a<attempt>-<host>-<pid>),
 * removed afterwards. The folders an earlier attempt of the step left behind on this host, its
 * process killed mid-step, are removed first: a killed worker's partial outputs never stay.
 */
export async function withScratch<T>(root: string, input: StepInput, attempt: number, fn: (dir: string) => Promise<T>): Promise<T> {
  const prefix = `${fileSafe(input.executionId)}-a`;
  const host = `-${fileSafe(hostname())}-`;
  const tmp = inWorkspace(root, "tmp");
  for (const name of await readdir(tmp).catch(() => [] as string[])) {
    const pid = name.startsWith(prefix) && name.includes(host) ? Number(name.slice(name.lastIndexOf("-") + 1)) : NaN;
    if (Number.isInteger(pid) && !processAlive(pid)) await rm(inWorkspace(root, `tmp/${name}`), { recursive: true, force: true });
  }
  const dir = inWorkspace(root, `tmp/${prefix}${attempt}${host}${process.pid}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A step's `ctx.store`: its outputs move in from its own scratch folder, and only from there. */
export function storeInto(store: ArtifactStore, scratch: string) {
  return (path: string, kind: string, opts: { name?: string; meta?: ArtifactRef["meta"] } = {}) =>
    store.put(path, kind, { ...opts, move: true, within: [scratch] });
}

/** The step's `with` bound to the outputs of the steps it needs (prepareStep and runStep both
 *  bind). A missing output is a plan that does not fit its run: retrying cannot help. */
export function bindOrFail(step: PlanStep, upstream: StepOutputs): ReturnType<typeof bindWith> {
  try {
    return bindWith(step.with, upstream);
  } catch (err) {
    if (err instanceof UnboundOutputError) throw ApplicationFailure.nonRetryable(`step '${step.id}': ${err.message}`, "BadInput");
    throw err;
  }
}


/** A step that fails while the workspace's disk is full failed because of it (a shell command says
 *  so only in its stderr, a step kind in any of its errors): that, or undefined. */
export function diskFullError(root: string, stepId: string, err: unknown): StepFailure | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code !== "ENOSPC" && code !== "EDQUOT" && !workspaceDiskFull(root)) return undefined;
  const why = err instanceof Error ? err.message : String(err);
  return new StepFailure(
    "DiskFull",
    `no space left on the device that holds ${root} (step '${stepId}': ${why}); its partial outputs are removed; free some space, then resume the run (finished steps are reused)`,
  );
}
