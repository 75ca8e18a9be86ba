// Errors the user can act on: printed as one line (`error: ...`), exit code 1, no stack trace.
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = "CliError";
  }
}
