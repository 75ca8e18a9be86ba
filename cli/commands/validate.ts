// `mmada validate <spec>`: compiles a spec and prints every located error. Also the compile step of
// the commands that run things (`plan`, `run`, `resume`): there the located errors become one
// CliError, so nothing runs from a spec with an error in it.
import { compileText, declaredParams, formatError, loadAndCompile, type SpecError } from "../../pipelines/index.ts";
import type { Plan } from "../../contract/plan.ts";
import { stepKinds } from "../../engine/kinds.ts";
import { CliError, parse, requirePositional } from "../terminal.ts";

export { declaredParams };

const USAGE = "<spec.yaml> [--set key=value]...";

export async function validateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse("validate", argv, { set: { type: "string", multiple: true } }, USAGE);
  requirePositional(positionals, 1, "validate", USAGE);
  const file = positionals[0]!;
  const result = loadAndCompile(file, { set: values.set as string[] | undefined, kinds: stepKinds() });
  if (!result.ok) {
    for (const e of result.errors) process.stdout.write(`${formatError(e)}\n`);
    throw new CliError(`${result.errors.length} error${result.errors.length === 1 ? "" : "s"} in ${file}`);
  }
  process.stdout.write(`${file}: ok (${result.plan.steps.length} steps, spec ${result.plan.specHash.slice(0, 12)})\n`);
  return 0;
}

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
