// Compiling a JSON Schema with ajv costs tens of milliseconds, paid again by every command; the
// generated validation code is kept instead (ajv's standalone code, one CommonJS file per schema
// and options, keyed by their hash) in the project's .tools/validators and loaded from there
// afterwards. A changed schema has another hash, so a stale file is never used.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Ajv, ValidateFunction } from "ajv";
import standalone from "ajv/dist/standalone/index.js";

const CACHE = join(dirname(fileURLToPath(import.meta.url)), "..", ".tools", "validators");
const require = createRequire(import.meta.url);
// a CommonJS module whose default export arrives as `.default` under Node's ESM interop
type StandaloneCode = (ajv: Ajv, validate: ValidateFunction) => string;
const standaloneCode = ((standalone as unknown as { default?: StandaloneCode }).default ?? standalone) as unknown as StandaloneCode;

/** `ajv.compile(schema)`, through the on-disk cache. `variant` names the Ajv options in the key. */
export function compileCached(ajv: Ajv, schema: object, variant: string): ValidateFunction {
  const key = createHash("sha256").update(variant).update("\0").update(JSON.stringify(schema)).digest("hex").slice(0, 24);
  const file = join(CACHE, `${key}.cjs`);
  if (existsSync(file)) {
    try {
      return require(file) as ValidateFunction;
    } catch {
      // unreadable (a half-written file from a crash): compile afresh below
    }
  }
  const validate = ajv.compile(schema);
  try {
    mkdirSync(CACHE, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, standaloneCode(ajv, validate));
    renameSync(tmp, file);
  } catch {
    // a read-only checkout: validation still works, just without the cache
  }
  return validate;
}
