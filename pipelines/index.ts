// Public API of the spec compiler: YAML spec -> Plan (plain JSON), or every error found.
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { StepKindInfo } from "../contract/step-kind.ts";
import { compileText } from "./compile.ts";
import type { CompileResult } from "./compile.ts";
import { decodeSpec } from "./decode.ts";
import { specError } from "./errors.ts";
import { loadSpec } from "./load.ts";

export { compileText, sha256Hex } from "./compile.ts";
export type { CompileOptions, CompileResult } from "./compile.ts";
export { formatError } from "./errors.ts";
export type { ErrorCode, SpecError } from "./errors.ts";
export { withDefaults } from "./validate.ts";

export interface LoadOptions {
  /** `--set name=value` overrides. */
  set?: string[];
  /** Project root: the spec path and input file paths are relative to it (default: process.cwd()). */
  cwd?: string;
  kinds: Record<string, StepKindInfo>;
}

/** Reads a spec file and compiles it; input files named in the spec must exist under `cwd`. */
export function loadAndCompile(path: string, opts: LoadOptions): CompileResult {
  const cwd = opts.cwd ?? process.cwd();
  const full = isAbsolute(path) ? path : resolve(cwd, path);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(full);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === "EISDIR" ? "is a directory" : "does not exist or cannot be read";
    return { ok: false, errors: [specError("E_FILE_NOT_FOUND", `spec file '${path}' ${why}`, path, undefined, "check the path (relative to the current directory)")] };
  }
  // Bytes, not readFileSync(..., "utf8"), which would turn bad bytes into U+FFFD silently.
  const { text, errors } = decodeSpec(bytes, path);
  if (text === undefined) return { ok: false, errors };
  return compileText(text, path, {
    set: opts.set,
    kinds: opts.kinds,
    fileExists: (p) => existsSync(resolve(cwd, p)),
  });
}

/** The param names a spec text declares (empty when it does not parse: compiling reports why). */
export function declaredParams(text: string, file: string): string[] {
  const loaded = loadSpec(text, file);
  const params = (loaded.spec?.data as { params?: unknown } | undefined)?.params;
  return params && typeof params === "object" && !Array.isArray(params) ? Object.keys(params) : [];
}
