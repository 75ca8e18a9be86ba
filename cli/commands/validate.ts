import { formatError, loadAndCompile } from "../../pipelines/index.ts";
import { stepKinds } from "../../engine/kinds.ts";
import { parse, requirePositional } from "../args.ts";
import { CliError } from "../errors.ts";

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
