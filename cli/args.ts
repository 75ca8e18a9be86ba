// Argument parsing on node:util parseArgs, with user-facing errors instead of exceptions.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { CliError } from "./errors.ts";

export type Options = NonNullable<ParseArgsConfig["options"]>;

export function parse<O extends Options>(command: string, argv: string[], options: O, usage: string) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CliError(`${(err as Error).message.split("\n")[0]}\nusage: mmada ${command} ${usage}`);
  }
}

export function requirePositional(positionals: string[], n: number, command: string, usage: string): void {
  if (positionals.length < n) throw new CliError(`missing argument\nusage: mmada ${command} ${usage}`);
}
