// `mmada plan`: the compiled DAG in execution order and, per step, whether a run now would
// reuse it from the cache or run it, and why (which cache-key component changed).
import { cacheKey, explainChange, type CacheComponents } from "../../activities/cache-key.ts";
import { openWorkspace } from "../../activities/workspace.ts";
import { verifyArtifact } from "../../activities/store.ts";
import { stageInputs } from "../../engine/stage-inputs.ts";
import type { ArtifactRef } from "../../activities/types.ts";
import { findCachedOutputs, lastExecutionOfStep } from "../../runs/index.ts";
import { resolveRefs, type StepOutputs } from "../../workflows/resolve-refs.ts";
import { parse, requirePositional } from "../args.ts";
import { compileFile } from "../compile.ts";
import { withDbAsync } from "../context.ts";
import { table } from "../render.ts";

export interface StepForecast {
  id: string;
  uses: string;
  needs: string[];
  queue: string;
  action: "cached" | "run";
  why: string[];
  cacheKey?: string;
}

const USAGE = "<spec.yaml> [--set k=v]... [--json]";

export async function planCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse("plan", argv, { set: { type: "string", multiple: true }, json: { type: "boolean" } }, USAGE);
  requirePositional(positionals, 1, "plan", USAGE);
  const compiled = compileFile(positionals[0]!, values.set as string[] | undefined);
  const ws = openWorkspace();
  const plan = await stageInputs(compiled.plan, ws.root, { hashOnly: true });
  const forecast: StepForecast[] = await withDbAsync(async (db) => {
    const outputs: StepOutputs = {};
    const out: StepForecast[] = [];
    for (const step of plan.steps) {
      const base = { id: step.id, uses: step.uses, needs: step.needs, queue: step.queue };
      const upstreamRuns = step.needs.filter((n) => !outputs[n]);
      if (upstreamRuns.length) {
        out.push({ ...base, action: "run", why: [`upstream ${upstreamRuns.join(", ")} will run`] });
        continue;
      }
      const { with: w, refs } = resolveRefs(step, outputs);
      const { key, components } = cacheKey(step, w, refs);
      const hit = step.cache ? findCachedOutputs(db, key) : undefined;
      if (hit && (await allPresent(ws.root, Object.values(hit.outputs)))) {
        outputs[step.id] = hit.outputs;
        out.push({ ...base, action: "cached", why: [`same cache key as ${hit.executionId}`], cacheKey: key });
        continue;
      }
      const last = lastExecutionOfStep(db, plan.pipeline, step.id);
      let why: string[];
      if (!step.cache) why = ["cache: false"];
      else if (hit) why = ["cached outputs are missing or corrupt in the artifact store"];
      else if (!last) why = ["never ran before"];
      else if (last.cacheKey === key) why = [`last execution ${last.executionId} ${last.state}`];
      else why = explainChange(last.cacheComponents as unknown as CacheComponents, components);
      out.push({ ...base, action: "run", why: why.length ? why : ["cache key changed"], cacheKey: key });
    }
    return out;
  });
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ plan, forecast }, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(`pipeline ${plan.pipeline}  spec ${plan.specHash.slice(0, 12)}  plan ${plan.planHash.slice(0, 12)}  concurrency ${plan.concurrency}\n`);
  process.stdout.write(
    `${table(
      ["#", "step", "kind", "needs", "queue", "would", "why"],
      forecast.map((f, i) => [i + 1, f.id, f.uses, f.needs.join(",") || undefined, f.queue, f.action, f.why.join("; ")]),
    )}\n`,
  );
  return 0;
}

async function allPresent(root: string, refs: ArtifactRef[]): Promise<boolean> {
  for (const r of refs) if (!(await verifyArtifact(root, r))) return false;
  return true;
}

