// Runs a step kind from a test the way the engine runs it from a plan: the kind's schema defaults
// are filled into `with` (the compiler's withDefaults), and input fields may hold ArtifactRefs.
import { KINDS } from "../activities/registry.ts";
import type { StepContext } from "../activities/kit/step-context.ts";
import type { StepResult } from "../contract/step-io.ts";
import { withDefaults } from "../pipelines/index.ts";

export type KindRun = (ctx: StepContext, w: { [key: string]: unknown }) => Promise<StepResult>;

export function kindRunner(name: string): KindRun {
  const entry = KINDS[name];
  if (!entry) throw new Error(`no step kind '${name}'`);
  return async (ctx, w) => (await entry.load())(ctx, kindWith(name, w) as never);
}

/** `w` with the kind's defaults filled, as the compiler hands it over; ArtifactRefs stay inputs. */
export function kindWith(name: string, w: { [key: string]: unknown }): { [key: string]: unknown } {
  return withDefaults(KINDS[name]!.definition.schema, w);
}
