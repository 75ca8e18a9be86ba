// The Temporal activity that runs one step: picks the step kind's implementation (after the kind's
// own setup), binds its `with` to the upstream outputs, gives it a StepContext (progress,
// cancellation, scratch, artifact store, checkpoints), keeps its StepReport (heartbeat details while
// it runs, returned or attached to the failure when it ends), and turns failures retrying cannot
// fix (StepFailure) into non-retryable Temporal failures of the same type. With a bucket as the
// store, everything the step needs goes through it: its inputs and checkpoints are fetched before
// it starts, each checkpoint is mirrored as it is written, its outputs and log go up when it ends.
import { ApplicationFailure, CancelledFailure, Context } from "@temporalio/activity";
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname, relative } from "node:path";
import type { KindEntry } from "../../activities/registry.ts";
import type { StepContext } from "../../activities/kit/step-context.ts";
import { StepFailure } from "../../contract/failures.ts";
import { explainSystemError } from "../../contract/system-errors.ts";
import { type ArtifactStore, StoreError } from "../store/artifact-store.ts";
import { stepLogName } from "../../contract/ids.ts";
import type { StepActivities } from "../../contract/run.ts";
import { REPORTED_CHECKPOINTS, type StepFailureDetails, type StepInput, type StepOutcome, type StepReport } from "../../contract/step-io.ts";
import { type ArtifactRef, kindValue, type WithMap, withNodes } from "../../contract/with-value.ts";
import { hashPath } from "../store/artifacts.ts";
import { inWorkspace } from "../store/workspace.ts";
import { bindOrFail, diskFullError, storeInto, withScratch } from "./step-context.ts";

/** A step's error message keeps at most this much of its end (an 8 MB stderr line must not reach
 *  the run database or the Temporal history); the full text stays in the step's log. */
export const ERROR_TEXT_MAX = 4096;

export function createStepActivities(deps: { store: ArtifactStore; workspaceId: string; kinds: Record<string, KindEntry>; worker: string }): StepActivities {
  const { store } = deps;
  const root = store.root;
  return {
    async runStep(input: StepInput): Promise<StepOutcome> {
      const actx = Context.current();
      const attempt = actx.info.attempt;
      if (input.workspaceId !== deps.workspaceId) {
        // a misrouted task (queues named alike by hand): running it would write into the wrong store
        throw ApplicationFailure.nonRetryable(
          `worker ${deps.worker} serves workspace ${deps.workspaceId} (${root}) and refused step '${input.step.id}' of workspace ${input.workspaceId}; ` +
            "start each workspace's workers with that workspace's MMADA_HOME",
          "WrongWorkspace",
        );
      }
      if ((input.store ?? "local") !== store.url) {
        throw ApplicationFailure.nonRetryable(
          `worker ${deps.worker} stores into ${store.url} and refused step '${input.step.id}', whose workspace stores into ${input.store ?? "local"}; ` +
            "start the workers with the workspace's MMADA_STORE",
          "WrongStore",
        );
      }
      const entry = deps.kinds[input.step.uses];
      if (!entry) throw ApplicationFailure.nonRetryable(`step kind '${input.step.uses}' is not known to this worker`, "BadInput");
      const logName = stepLogName(input.runId, input.step.id);
      const logFile = inWorkspace(root, logName);
      // the report of this attempt, carrying on what earlier attempts of the step reported
      const earlier = actx.info.heartbeatDetails as Partial<StepReport> | undefined;
      const report: StepReport = {
        stepId: input.step.id, attempt, worker: deps.worker, checkpoints: [...(earlier?.checkpoints ?? [])],
        progress: { message: `attempt ${attempt} started` },
      };
      const send = () => actx.heartbeat(report);
      const checkpointDir = inWorkspace(root, input.checkpointDir);
      let inputs: { release(): Promise<void> } | undefined;
      try {
        // an output that does not bind fails the step before it sets anything up
        const bound = bindOrFail(input.step, input.upstream).with;
        mkdirSync(dirname(logFile), { recursive: true });
        mkdirSync(checkpointDir, { recursive: true });
        // transfers to and from a bucket can outlast the heartbeat timeout: they beat as they go
        const beating = <T>(work: () => Promise<T>) => heartbeatWhile(send, work);
        await beating(() => store.pullStep(input.checkpointDir, logName));
        // every attempt opens the log with where it ran: with workers on several machines, the log
        // is where a user sees which one ran (and retried) what
        appendLog(logFile, `${new Date().toISOString()} attempt ${attempt} on ${deps.worker}`);
        inputs = await beating(() => store.fetch(artifactsOf(bound)));
        const args = kindValue(bound, (a) => store.pathOf(a));
        send();
        await entry.setup?.(input.step);
        const impl = await entry.load();
        return await withScratch(root, input, attempt, async (scratch) => {
          const ctx: StepContext = {
            root,
            input,
            scratch,
            signal: actx.cancellationSignal,
            progress(p) {
              report.progress = { ...report.progress, ...p };
              send();
            },
            store: (path, kind, opts) => beating(() => storeInto(store, scratch)(path, kind, opts)),
            pathOf: (ref) => store.pathOf(ref),
            hashOf: async (path) => (await hashPath(path)).sha256,
            checkpointDir,
            async checkpoint(step, file, hash) {
              const { sha256, size } = hash ?? (await hashPath(file));
              // with a bucket, a retry on another machine resumes from it (and keeps the log so far)
              await beating(() => store.pushCheckpoints(input.checkpointDir, file, { sha256, size }));
              await beating(() => store.pushLog(logName));
              const artifact = { sha256, size, kind: "checkpoint", uri: relative(root, file).split("\\").join("/") };
              report.checkpoints.push({ step, artifact });
              report.checkpoints.splice(0, report.checkpoints.length - REPORTED_CHECKPOINTS);
              send();
              return artifact;
            },
            log: (line) => appendLog(logFile, line),
          };
          try {
            const result = await impl(ctx, args);
            await store.dropLocalCheckpoints(input.checkpointDir);
            return { ...result, report };
          } catch (err) {
            // asked while the partial outputs still fill the disk: after the scratch is gone it is not
            throw diskFullError(root, input.step.id, err) ?? err;
          }
        });
      } catch (err) {
        const message = explainSystemError(err, root) ?? (err instanceof Error ? err.message : String(err));
        if (message.length > ERROR_TEXT_MAX) appendLog(logFile, `error: ${message}`);
        const text = bounded(message, logName);
        // the report travels with the failure: the run database records its worker and checkpoints
        const details: StepFailureDetails[] = [{ report }];
        // a step that stopped because it was asked to is reported as cancelled, not failed
        if (actx.cancellationSignal.aborted) throw new CancelledFailure(text, details);
        // rebuilt without the stack, which repeats the (possibly huge) message
        if (err instanceof StepFailure) throw ApplicationFailure.create({ message: text, type: err.type, nonRetryable: true, details });
        // the object store: an endpoint down is retried, a bad object or refused keys are not
        if (err instanceof StoreError) throw ApplicationFailure.create({ message: text, type: `Store${err.code}`, nonRetryable: !err.retryable, details });
        // a full disk where the step runner itself writes (its log folder, checkpoint folder): the
        // same as a step's own, retrying would not find room either
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "ENOSPC" || code === "EDQUOT") throw ApplicationFailure.create({ message: text, type: "DiskFull", nonRetryable: true, details });
        throw ApplicationFailure.create({ message: text, type: err instanceof Error ? err.name : "Error", nonRetryable: false, details });
      } finally {
        await inputs?.release();
        // the log follows the step wherever the store is (a bucket: status and the UI read it there)
        await heartbeatWhile(send, () => store.pushLog(logName)).catch((err: Error) => appendLog(logFile, `the log could not be stored: ${err.message}`));
      }
    },
  };
}

/** How often a transfer to or from the store heartbeats (the worker throttles to one per 2 s). */
const TRANSFER_BEAT_MS = 5_000;

async function heartbeatWhile<T>(beat: () => void, work: () => Promise<T>): Promise<T> {
  const timer = setInterval(beat, TRANSFER_BEAT_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** Every artifact a bound `with` reads, whole values and those inside templates, once each. */
function artifactsOf(w: WithMap): ArtifactRef[] {
  const refs = withNodes(w).flatMap(({ node }) =>
    "$artifact" in node ? [node.$artifact] : "$template" in node ? node.$template.flatMap((p) => (typeof p !== "string" && "$artifact" in p ? [p.$artifact] : [])) : [],
  );
  return [...new Map(refs.map((r) => [r.uri, r])).values()];
}

/** Appends to the step's log. A log line that cannot be written (a full disk) is lost, never fatal:
 *  the step's own writes fail the same way and say why; a throw here would kill the worker. */
function appendLog(file: string, line: string): void {
  try {
    appendFileSync(file, line.endsWith("\n") ? line : `${line}\n`);
  } catch {
    // the log is best effort
  }
}

/** The end of `message` when it is longer than ERROR_TEXT_MAX, with where the whole text is. */
export function bounded(message: string, logFile: string): string {
  if (message.length <= ERROR_TEXT_MAX) return message;
  return `...${message.slice(-ERROR_TEXT_MAX)} (${message.length} characters; the whole text is in ${logFile})`;
}
