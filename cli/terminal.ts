// What every command shares with the terminal: its arguments in (node:util parseArgs, a usage line
// on a mistake), the errors a user can act on out (one `error: ...` line, an exit code, no stack
// trace), and plain-text tables and durations.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { explainSystemError } from "../contract/system-errors.ts";
import { fmtDuration } from "../results/format.ts";

export { fmtNumber } from "../results/format.ts";

export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = "CliError";
  }
}

/** A file-system error as a CliError that names the path and says what to do (contract/system-errors.ts). */
export function systemErrorAsCliError(err: unknown, workspaceRoot: string): CliError | undefined {
  const sentence = explainSystemError(err, workspaceRoot);
  return sentence === undefined ? undefined : new CliError(sentence);
}

export type Options = NonNullable<ParseArgsConfig["options"]>;

/** `mmada <command> --help`: the usage line goes to stdout and the exit code is 0. */
export class HelpRequested extends Error {}

/** parseArgs, its exceptions turned into a CliError with the command's usage line. */
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

export function table(header: string[], rows: (string | number | undefined | null)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === undefined || c === null ? "-" : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd())
    .join("\n");
}

/** Durations as everywhere else (results/format.ts); undefined reads "-". */
export const duration = (ms: number | undefined): string => fmtDuration(ms);
