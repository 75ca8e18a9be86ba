// Spec -> plan for the commands that run things; schema/semantic errors become one CliError
// listing every located error.
import { compileText, declaredParams, formatError, loadAndCompile, type SpecError } from "../pipelines/index.ts";

export { declaredParams };
import type { Plan } from "../contract/plan.ts";
import { stepKinds } from "../engine/kinds.ts";
import { CliError } from "./errors.ts";

function fail(file: string, errors: SpecError[]): never {
  throw new CliError(`${errors.map(formatError).join("\n")}\n${errors.length} error(s) in ${file}; nothing was run`);
}

export function compileFile(file: string, set: string[] = []): { plan: Plan; specText: string } {
  const r = loadAndCompile(file, { set, kinds: stepKinds() });
  if (!r.ok) fail(file, r.errors);
  return { plan: r.plan, specText: r.specText };
}

/** A stored spec text (resume): `params` are typed values (a run's stored params), `set` wins over them. */
export function compileStored(specText: string, file: string, set: string[], params: { [name: string]: string | number | boolean } = {}) {
  const r = compileText(specText, file, { set, params, kinds: stepKinds() });
  if (!r.ok) fail(file, r.errors);
  return { plan: r.plan, specText: r.specText };
}
