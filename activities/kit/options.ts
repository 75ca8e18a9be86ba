// A step's options are its `with` as the compiler hands it over: validated against the kind's schema,
// every default filled. The kind's semantic check (kind.ts `check`) already ran in `mmada validate`;
// it runs again here so a hand-built input (a test, another client) fails the same way, before any
// data is read.
import { BadInputError } from "../../contract/failures.ts";
import type { KindProblem } from "../../contract/step-kind.ts";
import type { StepContext } from "./step-context.ts";

export function stepOptions<T>(ctx: StepContext, raw: unknown, check?: (w: never) => KindProblem[]): T {
  const problems = check?.(raw as never) ?? [];
  if (problems.length > 0) {
    const what = problems.map((p) => `with.${p.at.join(".")}: ${p.message}${p.hint ? `; ${p.hint}` : ""}`).join("; ");
    throw new BadInputError(`${ctx.input.step.uses} step '${ctx.input.step.id}': ${what}`);
  }
  return raw as T;
}
