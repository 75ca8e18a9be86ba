// Argument parsing on node:util parseArgs, with user-facing errors instead of exceptions.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { CliError } from "./errors.ts";

export type Options = NonNullable<ParseArgsConfig["options"]>;

/** `mmada <command> --help`: the usage line goes to stdout and the exit code is 0. */
export class HelpRequested extends Error {}

export function parse<O extends Options>(command: string, argv: string[], options: O, usage: string) {
  if (argv.includes("--help") || argv.includes("-h")) throw new HelpRequested(`usage: mmada ${command} ${usage}`);
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    const why = (err as Error).message.split("\n")[0]!.split(". ")[0]!.replace(/^Unknown/, "unknown");
    throw new CliError(`${why}\nusage: mmada ${command} ${usage}`);
  }
}

export function requirePositional(positionals: string[], n: number, command: string, usage: string): void {
  if (positionals.length < n) throw new CliError(`missing argument\nusage: mmada ${command} ${usage}`);
}
