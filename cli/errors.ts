// Errors the user can act on: printed as one line (`error: ...`), exit code 1, no stack trace.
import { explainSystemError } from "../contract/system-errors.ts";

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
