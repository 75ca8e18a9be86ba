// The Temporal activity that runs one step: picks the step kind's implementation, gives it a
// StepContext (heartbeats, cancellation, scratch, artifact store), and turns failures retrying
// cannot fix (StepFailure) into non-retryable Temporal failures of the same type.
import { ApplicationFailure, CancelledFailure, Context } from "@temporalio/activity";
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname, relative } from "node:path";
import type { KindEntry } from "../../activities/registry.ts";
import type { StepContext } from "../../activities/kit/step-context.ts";
import { isArtifactRef } from "../../contract/artifacts.ts";
import { StepFailure } from "../../contract/failures.ts";
import { explainSystemError } from "../../contract/system-errors.ts";
import { fileSafe } from "../../contract/ids.ts";
import type { StepActivities } from "../../contract/run.ts";
import type { StepFailureDetails, StepInput, StepProgress, StepResult } from "../../contract/step-io.ts";
import { renderTemplate, templateKey } from "../../contract/template.ts";
import { useThreads } from "../../model/native/index.ts";
import { artifactPath, hashPath } from "../store/artifacts.ts";
import { inWorkspace } from "../store/workspace.ts";
import { storeInto, withScratch } from "./step-context.ts";

/** A step's error message keeps at most this much of its end (an 8 MB stderr line must not reach
 *  the run database or the Temporal history); the full text stays in the step's log. */
export const ERROR_TEXT_MAX = 4096;

export function createStepActivities(deps: { root: string; kinds: Record<string, KindEntry> }): StepActivities {
  return {
    async runStep(input: StepInput): Promise<StepResult> {
      const actx = Context.current();
      const attempt = actx.info.attempt;
      const entry = deps.kinds[input.step.uses];
      if (!entry) throw ApplicationFailure.nonRetryable(`step kind '${input.step.uses}' is not known to this worker`, "BadInput");
      const logFile = inWorkspace(deps.root, `logs/${input.runId}/${fileSafe(input.step.id)}.log`);
      mkdirSync(dirname(logFile), { recursive: true });
      let lastProgress: StepProgress = { stepId: input.step.id };
      const checkpoints: NonNullable<StepResult["checkpoints"]> = [];
      const checkpointDir = inWorkspace(deps.root, input.checkpointDir);
      mkdirSync(checkpointDir, { recursive: true });
      try {
        // one compute step per worker process: its cores are the process's threads
        if (input.step.cores > 0) useThreads(input.step.cores);
        const impl = await entry.load();
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
            },
            store: storeInto(deps.root, scratch),
            pathOf: (ref) => artifactPath(deps.root, ref),
            hashOf: async (path) => (await hashPath(path)).sha256,
            checkpointDir,
            async checkpoint(step, file) {
              const { sha256, size } = await hashPath(file);
              const artifact = { sha256, size, kind: "checkpoint", uri: relative(deps.root, file).split("\\").join("/") };
              checkpoints.push({ step, artifact });
              this.progress({ step, checkpoint: artifact });
              return artifact;
            },
            log: (line) => appendFileSync(logFile, line.endsWith("\n") ? line : `${line}\n`),
          };
          ctx.progress({ attempt, message: `attempt ${attempt} started` });
          const result = await impl(ctx, withPaths(input, deps.root));
          return { ...result, checkpoints: [...(result.checkpoints ?? []), ...checkpoints] };
        });
      } catch (err) {
        const message = explainSystemError(err, deps.root) ?? (err instanceof Error ? err.message : String(err));
        if (message.length > ERROR_TEXT_MAX) appendFileSync(logFile, `error: ${message}\n`);
        const text = bounded(message, relative(deps.root, logFile));
        // the checkpoints written before the end travel with the failure: the run database records them
        const details: StepFailureDetails[] = [{ checkpoints }];
        // a step that stopped because it was asked to is reported as cancelled, not failed
        if (actx.cancellationSignal.aborted) throw new CancelledFailure(text, details);
        // rebuilt without the stack, which repeats the (possibly huge) message
        if (err instanceof StepFailure) throw ApplicationFailure.create({ message: text, type: err.type, nonRetryable: true, details });
        throw ApplicationFailure.create({ message: text, type: err instanceof Error ? err.name : "Error", nonRetryable: false, details });
      }
    },
  };
}

/** The step's `with` with every step output named inside a string replaced by its absolute path. */
function withPaths(input: StepInput, root: string): StepInput["with"] {
  const render = (v: unknown): unknown => {
    if (typeof v === "string") {
      return renderTemplate(v, (ref) => {
        const artifact = input.refs[templateKey(ref)];
        return artifact ? artifactPath(root, artifact) : undefined;
      });
    }
    if (isArtifactRef(v)) return v;
    if (Array.isArray(v)) return v.map(render);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, render(x)]));
    return v;
  };
  return render(input.with) as StepInput["with"];
}

/** The end of `message` when it is longer than ERROR_TEXT_MAX, with where the whole text is. */
export function bounded(message: string, logFile: string): string {
  if (message.length <= ERROR_TEXT_MAX) return message;
  return `...${message.slice(-ERROR_TEXT_MAX)} (${message.length} characters; the whole text is in ${logFile})`;
}
