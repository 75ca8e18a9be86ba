// The Temporal activity that runs one step: picks the step kind's implementation, gives it a
// StepContext (heartbeats, cancellation, scratch, artifact store), and turns user-fixable
// errors into non-retryable failures.
import { Context, ApplicationFailure } from "@temporalio/activity";
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { implementations } from "./implementations.ts";
import { BadInputError, PermanentError, storeInto, withScratch, type Recorder, type StepContext } from "./step-context.ts";
import { substituteTemplates } from "./templates.ts";
import type { StepInput, StepProgress, StepResult } from "./types.ts";
import { artifactPath, hashPath } from "./store.ts";
import { relative } from "node:path";
import { inWorkspace, PathEscapeError } from "./workspace.ts";

const RECORD_EVERY_MS = 2000;

/** Error names the workflow treats as permanent (see workflows/run-pipeline.ts). */
export const NON_RETRYABLE = ["BadInput", "NonFiniteLoss", "PathEscape", "Checkpoint"];

export function createStepActivities(deps: { root: string; recorder?: Recorder }) {
  return {
    async runStep(input: StepInput): Promise<StepResult> {
      const actx = Context.current();
      const attempt = actx.info.attempt;
      const load = implementations[input.step.uses];
      if (!load) {
        throw ApplicationFailure.nonRetryable(`step kind '${input.step.uses}' is not known to this worker`, "BadInput");
      }
      const logFile = inWorkspace(deps.root, `logs/${input.runId}/${input.step.id.replace(/[^\w.-]+/g, "_")}.log`);
      mkdirSync(dirname(logFile), { recursive: true });
      let lastRecorded = 0;
      let lastProgress: StepProgress = { stepId: input.step.id };
      const checkpoints: NonNullable<StepResult["checkpoints"]> = [];
      const checkpointDir = inWorkspace(deps.root, input.checkpointDir);
      mkdirSync(checkpointDir, { recursive: true });
      try {
        const impl = await load();
        return await withScratch(deps.root, input, attempt, async (scratch) => {
          const ctx: StepContext = {
            root: deps.root,
            input: { ...input, attempt },
            scratch,
            signal: actx.cancellationSignal,
            previous: actx.info.heartbeatDetails as StepProgress | undefined,
            progress(p) {
              lastProgress = { ...lastProgress, ...p };
              actx.heartbeat(lastProgress);
              const now = Date.now();
              if (deps.recorder && (now - lastRecorded > RECORD_EVERY_MS || p.checkpoint)) {
                lastRecorded = now;
                deps.recorder.heartbeat(input.executionId, lastProgress);
              }
            },
            store: storeInto(deps.root),
            pathOf: (ref) => artifactPath(deps.root, ref),
            checkpointDir,
            async checkpoint(step, file) {
              const { sha256, size } = await hashPath(file);
              const artifact = { sha256, size, kind: "checkpoint", uri: relative(deps.root, file).split("\\").join("/") };
              deps.recorder?.checkpoint(input.executionId, step, artifact);
              checkpoints.push({ step, artifact });
              this.progress({ step, checkpoint: artifact });
              return artifact;
            },
            log: (line) => appendFileSync(logFile, line.endsWith("\n") ? line : `${line}\n`),
          };
          ctx.progress({ attempt, message: `attempt ${attempt} started` });
          const w = substituteTemplates(input.with, input.refs, (ref) => artifactPath(deps.root, ref));
          const result = await impl(ctx, w as StepInput["with"]);
          return { ...result, checkpoints: [...(result.checkpoints ?? []), ...checkpoints] };
        });
      } catch (err) {
        throw toFailure(err);
      }
    },
  };
}

function toFailure(err: unknown): unknown {
  if (err instanceof BadInputError || err instanceof PathEscapeError) {
    return ApplicationFailure.nonRetryable(err.message, err.name === "PathEscapeError" ? "PathEscape" : "BadInput");
  }
  if (err instanceof PermanentError) return ApplicationFailure.nonRetryable(err.message, err.type);
  if (err instanceof Error && NON_RETRYABLE.includes(err.name)) {
    return ApplicationFailure.nonRetryable(err.message, err.name);
  }
  return err;
}
