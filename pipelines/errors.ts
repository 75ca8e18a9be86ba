// Errors as data: every compiler stage returns SpecError[] instead of throwing, so a user sees
// all problems of a spec at once, each with file:line:col and, where possible, what to do next.

export type ErrorCode =
  | "E_ENCODING"
  | "E_NESTING"
  | "E_YAML_SYNTAX"
  | "E_DUPLICATE_KEY"
  | "E_REQUIRED"
  | "E_TYPE"
  | "E_UNKNOWN_FIELD"
  | "E_ENUM"
  | "E_PATTERN"
  | "E_RANGE"
  | "E_UNKNOWN_KIND"
  | "E_UNKNOWN_STEP"
  | "E_UNKNOWN_PARAM"
  | "E_UNKNOWN_OUTPUT"
  | "E_UNKNOWN_MATRIX_KEY"
  | "E_BAD_EXPRESSION"
  | "E_CYCLE"
  | "E_KIND_MISMATCH"
  | "E_WITH_RULE"
  | "E_MATRIX"
  | "E_PARAM_DEFAULT"
  | "E_BAD_DURATION"
  | "E_PATH_ESCAPE"
  | "E_SET_SYNTAX"
  | "E_SET_UNKNOWN_PARAM"
  | "E_SET_BAD_VALUE"
  | "E_FILE_NOT_FOUND"
  | "E_SEARCH"
  | "E_UNKNOWN_METRIC";

export interface SpecError {
  code: ErrorCode | (string & {});
  message: string;
  /** The spec file, or "--set" for command-line overrides. */
  file: string;
  /** 1-based. */
  line?: number;
  /** 1-based. */
  col?: number;
  /** What to do next, e.g. "did you mean 'train'?"; printed in parentheses after the message. */
  hint?: string;
}

export interface Position {
  line: number;
  col: number;
}

export function specError(
  code: ErrorCode,
  message: string,
  file: string,
  pos?: Position,
  hint?: string,
): SpecError {
  const e: SpecError = { code, message, file };
  if (pos) {
    e.line = pos.line;
    e.col = pos.col;
  }
  if (hint) e.hint = hint;
  return e;
}

/** `<file>:<line>:<col>: error <CODE>: <message> (<hint>)`; the position part shrinks when unknown. */
export function formatError(e: SpecError): string {
  const where = e.line === undefined ? e.file : e.col === undefined ? `${e.file}:${e.line}` : `${e.file}:${e.line}:${e.col}`;
  const hint = e.hint ? ` (${e.hint})` : "";
  return printable(`${where}: error ${e.code}: ${e.message}${hint}`);
}

/** Messages quote names from the spec: control characters in them (a newline, an ANSI escape)
 *  are shown as escapes, so one error stays one line and cannot restyle the terminal. */
function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Errors in file order (line, col), stable for the same position; position-less errors first. */
export function sortErrors(errors: SpecError[]): SpecError[] {
  return errors
    .map((e, i) => ({ e, i }))
    .sort((a, b) => (a.e.line ?? 0) - (b.e.line ?? 0) || (a.e.col ?? 0) - (b.e.col ?? 0) || a.i - b.i)
    .map(({ e }) => e);
}

/** Drops exact duplicates (the same problem found once per matrix branch). */
export function dedupeErrors(errors: SpecError[]): SpecError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.code}\u0000${e.line}\u0000${e.col}\u0000${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
