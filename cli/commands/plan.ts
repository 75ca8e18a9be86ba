// `mmada plan`: the compiled DAG in execution order and, per step, whether a run now would
// reuse it from the cache or run it, and why (which cache-key component changed).
import { forecastPlan } from "../../engine/forecast.ts";
import { stageInputs } from "../../engine/store/stage-inputs.ts";
import { withDbAsync, withStore } from "../context.ts";
import { parse, requirePositional, table } from "../terminal.ts";
import { compileFile } from "./validate.ts";

const USAGE = "<spec.yaml> [--set k=v]... [--json]";

export async function planCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse("plan", argv, { set: { type: "string", multiple: true }, json: { type: "boolean" } }, USAGE);
  requirePositional(positionals, 1, "plan", USAGE);
  const compiled = compileFile(positionals[0]!, values.set as string[] | undefined);
  const { plan, forecast } = await withStore(async (store) => {
    const plan = await stageInputs(compiled.plan, store, { hashOnly: true });
    return { plan, forecast: await withDbAsync((db) => forecastPlan(db, store, plan)) };
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
