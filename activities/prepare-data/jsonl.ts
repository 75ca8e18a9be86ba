// Reading brought JSONL files. Bad records are data (file, line, reason), collected rather than
// thrown one at a time, so a user sees every problem of a file at once; `onBadRecord` then
// decides whether they are skipped (and counted) or stop the step.
import { readFile } from "node:fs/promises";
import { BadInputError } from "../../contract/failures.ts";

export interface BadRecord {
  /** The file's name as the user knows it. */
  file: string;
  /** 1-based line (for PNGs: the captions line that names the image). */
  line: number;
  reason: string;
}

export function formatBadRecord(b: BadRecord): string {
  return `${b.file}:${b.line}: ${b.reason}`;
}

/** How many bad records the manifest, the log and a `fail` error list. */
export const BAD_RECORDS_SHOWN = 5;

export class BadRecords {
  readonly all: BadRecord[] = [];

  add(file: string, line: number, reason: string): void {
    this.all.push({ file, line, reason });
  }

  get count(): number {
    return this.all.length;
  }

  first(n = BAD_RECORDS_SHOWN): string[] {
    return this.all.slice(0, n).map(formatBadRecord);
  }

  /** With onBadRecord "fail": a BadInputError listing the first few; otherwise nothing. */
  check(onBadRecord: "skip" | "fail"): void {
    if (onBadRecord !== "fail" || this.count === 0) return;
    const more = this.count > BAD_RECORDS_SHOWN ? `\n  ... and ${this.count - BAD_RECORDS_SHOWN} more` : "";
    throw new BadInputError(
      `prepare-data: ${this.count} bad record(s) in the brought data:\n  ${this.first().join("\n  ")}${more}\n` +
        "fix them, or set onBadRecord: skip to leave them out",
    );
  }
}

/** A record check: the parsed value, or the reason it is bad. */
export type RecordParser<T> = (obj: { [k: string]: unknown }) => T | { bad: string };

export interface JsonlRecord<T> {
  line: number;
  value: T;
}

/** Parses every non-blank line; bad ones go to `bad` and are left out of the result. */
export async function readJsonl<T>(path: string, file: string, parse: RecordParser<T>, bad: BadRecords): Promise<JsonlRecord<T>[]> {
  const text = await readFile(path, "utf8");
  const out: JsonlRecord<T>[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (!raw.trim()) return;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (err) {
      bad.add(file, line, `invalid JSON (${(err as Error).message})`);
      return;
    }
    if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
      bad.add(file, line, "expected a JSON object per line");
      return;
    }
    const value = parse(obj as { [k: string]: unknown });
    if (typeof value === "object" && value !== null && "bad" in value) bad.add(file, line, value.bad);
    else out.push({ line, value: value as T });
  });
  return out;
}

/** The reason a required string field is missing or not a non-empty string, else undefined. */
export function stringFieldProblem(obj: { [k: string]: unknown }, field: string): string | undefined {
  const v = obj[field];
  if (v === undefined) return `missing field "${field}"`;
  if (typeof v !== "string") return `field "${field}" must be a string, got ${v === null ? "null" : typeof v}`;
  if (!v.trim()) return `field "${field}" is empty`;
  return undefined;
}
