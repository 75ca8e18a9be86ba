// Stage 1, load: YAML text -> plain data + the YAML node tree with a LineCounter, so every later
// stage can turn a data path (["steps", "b", "with", "run"]) back into a line:col in the file.
// Hostile input stops here with a located error: syntax (syntax-errors.ts), nesting beyond
// MAX_NESTING, aliases without an anchor or inside their own anchor, keys that are lists, and
// values JSON cannot hold (.inf, YAML 1.1 timestamps and binaries).
import { type Document, isAlias, isCollection, isMap, isPair, isScalar, isSeq, type LineCounter, type Node as YamlNode, parseDocument, visit } from "yaml";
import { didYouMean } from "./names.ts";
import { type Position, specError, type SpecError } from "./errors.ts";
import { MAX_NESTING, NESTING_HINT, scanCst, syntaxErrors } from "./syntax-errors.ts";

export type DataPath = (string | number)[];

export interface LoadedSpec {
  file: string;
  text: string;
  /** The spec as plain JSON-like data (not yet validated). */
  data: unknown;
  doc: Document.Parsed;
  lineCounter: LineCounter;
}

const FIRST: Position = { line: 1, col: 1 };
/** Aliases expanded while building the data: bounds "billion laughs" specs. */
const MAX_ALIAS_COUNT = 1000;
/** Warnings that would otherwise leave wrong data: an unknown tag silently becomes a string. */
const FATAL_WARNINGS = new Set(["TAG_RESOLVE_FAILED", "BAD_COLLECTION_TYPE"]);

export function loadSpec(text: string, file: string): { spec?: LoadedSpec; errors: SpecError[] } {
  const scan = scanCst(text);
  const lineCounter = scan.lineCounter;
  const at = (offset: number) => lineCounter.linePos(offset);
  if (scan.tooDeep !== undefined) {
    return { errors: [specError("E_NESTING", `lists and mappings nested deeper than ${MAX_NESTING} levels`, file, at(scan.tooDeep), NESTING_HINT)] };
  }
  // logLevel "error": keys that are collections are reported below, not printed as a Node warning.
  // uniqueKeys off: yaml's own check compares each key with every earlier one (quadratic in a spec
  // of thousands of steps); duplicateKeys finds the same keys with one set per mapping
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false, merge: true, logLevel: "error" });
  const duplicates = duplicateKeys(doc).map((offset) =>
    specError("E_DUPLICATE_KEY", `duplicate key '${keyTextAt(text, offset)}'`, file, at(offset), "each key may appear once per mapping; rename or merge the two entries"));
  const fatal = [...doc.errors, ...doc.warnings.filter((w) => FATAL_WARNINGS.has(w.code))];
  // Duplicate keys still give a usable tree (the last one wins); real syntax errors do not.
  if (fatal.length) return { errors: [...duplicates, ...syntaxErrors(fatal, scan, text, file)] };
  const nodeErrors = checkNodes(doc, file, at);
  if (nodeErrors.length) return { errors: [...duplicates, ...nodeErrors] };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // What checkNodes leaves to toJS: too many alias expansions. Point at the first alias.
    let first: number | undefined;
    visit(doc, { Alias: (_k, node) => { first ??= node.range?.[0]; return first === undefined ? undefined : visit.BREAK; } });
    const message = /Excessive alias count/.test((err as Error).message)
      ? `aliases expand to more than ${MAX_ALIAS_COUNT} copies`
      : (err as Error).message;
    return { errors: [...duplicates, specError("E_YAML_SYNTAX", message, file, first === undefined ? FIRST : at(first), "use fewer aliases, or write the values out")] };
  }
  const spec: LoadedSpec = { file, text, data, doc, lineCounter };
  const dataErrors = checkData(spec);
  return dataErrors.length ? { errors: [...duplicates, ...dataErrors] } : { spec, errors: duplicates };
}

/** Aliases must follow their anchor and must not sit inside it (a cycle); keys must be scalars;
 *  merge keys (<<) must merge mappings. The tree is at most MAX_NESTING deep here. */
function checkNodes(doc: Document.Parsed, file: string, at: (offset: number) => Position): SpecError[] {
  const errors: SpecError[] = [];
  const anchors = new Map<string, unknown>();
  const pos = (node: { range?: [number, number, number] | null } | null | undefined) => (node?.range ? at(node.range[0]) : FIRST);
  visit(doc, {
    Node(_key, node, path) {
      if (isAlias(node)) {
        const target = anchors.get(node.source);
        if (target === undefined) {
          const hint = didYouMean(node.source, anchors.keys()) ?? `define &${node.source} on a value before this alias`;
          errors.push(specError("E_YAML_SYNTAX", `unknown alias '*${node.source}': no anchor '&${node.source}' before it`, file, pos(node), hint));
        } else if (path.includes(target as never)) {
          errors.push(specError("E_YAML_SYNTAX", `alias '*${node.source}' is inside the value it refers to (a cycle)`, file, pos(node), "an alias can only repeat a value that is complete before it"));
        }
      } else if (node.anchor) {
        anchors.set(node.anchor, node);
      }
    },
    Pair(_key, pair) {
      const k = pair.key;
      if (isCollection(k) || isAlias(k)) {
        errors.push(specError("E_TYPE", `a ${isAlias(k) ? "alias" : isSeq(k) ? "list" : "mapping"} cannot be a mapping key`, file, pos(k as YamlNode), "keys are names; write a plain word"));
      } else if (isMergeKey(k)) {
        const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
        for (const s of sources) {
          const target = isAlias(s) ? anchors.get(s.source) : s;
          if (target !== undefined && !isMap(target)) {
            // Items of an !!omap are pairs without a range of their own: fall back to the value, the key.
            const where = [s, pair.value, k].find((n) => (n as YamlNode | null)?.range) as YamlNode | undefined;
            errors.push(specError("E_TYPE", "'<<' merges mappings only", file, pos(where), "give it a mapping or an alias of one"));
          }
        }
      }
    },
  });
  return errors;
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** What toJS made a YAML 1.1 value into, named as the YAML it was written as. */
function yamlTypeName(v: object): string {
  if (v instanceof Date) return "a timestamp";
  if (v instanceof Uint8Array) return "a !!binary value";
  if (v instanceof Set) return "a !!set";
  if (v instanceof Map) return "an !!omap";
  return "this YAML type";
}

function isMergeKey(k: unknown): boolean {
  return isScalar(k) && (k.value === "<<" || (typeof k.value === "symbol" && k.value.description === "<<"));
}

/** The data must be JSON within MAX_NESTING (aliases can nest deeper than the text shows). Walked
 *  with an explicit stack, in file order; a bad value is reported and not looked into. */
function checkData(spec: LoadedSpec): SpecError[] {
  const errors: SpecError[] = [];
  const stack: { value: unknown; path: DataPath }[] = [{ value: spec.data, path: [] }];
  while (stack.length) {
    const { value, path } = stack.pop() as (typeof stack)[number];
    const bad = (message: string, hint: string) => errors.push(specError("E_TYPE", message, spec.file, valuePos(spec, path), hint));
    if (typeof value === "number" && !Number.isFinite(value)) {
      bad(`${String(value)} is not a number a spec can hold`, "JSON has no infinity or NaN; write a finite number");
      continue;
    }
    if (typeof value !== "object" || value === null) continue;
    if (path.length >= MAX_NESTING) {
      // The text was within the limit (scanCst), so an alias made it deep: point at the last one.
      const alias = locate(spec, path).alias;
      errors.push(specError("E_NESTING", `lists and mappings nested deeper than ${MAX_NESTING} levels once aliases are expanded`, spec.file, alias ? nodeStart(spec, alias) : valuePos(spec, path), NESTING_HINT));
      continue;
    }
    if (!Array.isArray(value) && !isPlainObject(value)) {
      bad(`${yamlTypeName(value)} is not supported in a spec`, "YAML 1.1 timestamps, binaries, sets and ordered maps have no JSON form; write a string, list or mapping");
      continue;
    }
    const entries = Object.entries(value);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [k, v] = entries[i] as [string, unknown];
      stack.push({ value: v, path: [...path, Array.isArray(value) ? Number(k) : k] });
    }
  }
  return errors;
}

/** Offsets of the keys that repeat an earlier key of the same mapping (merge keys `<<` may repeat). */
function duplicateKeys(doc: Document): number[] {
  const out: number[] = [];
  visit(doc, {
    Map(_k, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (isMergeKey(pair.key) || !isScalar(pair.key)) continue;
        const k = keyText(pair.key);
        if (seen.has(k)) out.push(pair.key.range?.[0] ?? 0);
        seen.add(k);
      }
    },
  });
  return out.sort((a, b) => a - b);
}

/** The key text at an offset, for messages (`a` in `  a:`). */
function keyTextAt(text: string, offset: number): string {
  const key = /[^:\n]*/y;
  key.lastIndex = offset;
  return (key.exec(text)?.[0] ?? "").trim().replace(/^["']|["']$/g, "");
}

interface Located {
  node: YamlNode | null;
  /** The key node of the last path segment when it is a mapping key. */
  key: YamlNode | null;
  /** The last alias the path went through, if any. */
  alias?: YamlNode;
}

/** Walks the YAML tree along a data path; stops at the deepest node that exists. */
function locate(spec: LoadedSpec, path: DataPath): Located & { complete: boolean } {
  let node: unknown = spec.doc.contents;
  let key: YamlNode | null = null;
  let alias: YamlNode | undefined;
  for (const seg of path) {
    if (isAlias(node)) [alias, node] = [node, node.resolve(spec.doc)];
    let next: unknown = undefined;
    key = null;
    if (isMap(node)) {
      const pair = pairsOf(node).get(String(seg));
      if (pair) {
        next = pair.value;
        key = (pair.key as YamlNode) ?? null;
      }
      if (next === undefined) {
        const merged = mergedPair(spec, node, String(seg));
        if (merged) [next, key] = [merged.value, merged.key];
      }
    } else if (isSeq(node) && typeof seg === "number") {
      next = node.items[seg];
    }
    if (next === undefined) return { node: node as YamlNode, key: null, complete: false, alias };
    if (next === null) return { node: key, key, complete: true, alias };
    node = next;
  }
  if (isAlias(node)) [alias, node] = [node, node.resolve(spec.doc) ?? node];
  return { node: (node as YamlNode) ?? null, key, complete: true, alias };
}

/** A mapping's pairs by key (the last one where a key repeats, as the data has it), built once per
 *  mapping: positions are looked up for every step of a plan, and a spec may have thousands. */
const pairIndex = new WeakMap<object, Map<string, { key: unknown; value: unknown }>>();
function pairsOf(map: { items: unknown[] }): Map<string, { key: unknown; value: unknown }> {
  let index = pairIndex.get(map);
  if (!index) {
    index = new Map();
    for (const pair of map.items) if (isPair(pair)) index.set(keyText(pair.key), pair);
    pairIndex.set(map, index);
  }
  return index;
}

/** A key as the data has it (yaml's toJS: a null key is ""). */
function keyText(k: unknown): string {
  if (!isScalar(k)) return k === null || k === undefined ? "" : String(k);
  return k.value === null ? "" : String(k.value);
}

/** A key that a `<<: *anchor` merge brings into `map` (the first merged mapping that has it). */
function mergedPair(spec: LoadedSpec, map: { items: unknown[] }, seg: string): { value: unknown; key: YamlNode | null } | undefined {
  for (const pair of map.items) {
    if (!isPair(pair) || !isMergeKey(pair.key)) continue;
    const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
    for (const s of sources) {
      const source = isAlias(s) ? s.resolve(spec.doc) : s;
      if (!isMap(source)) continue;
      const hit = source.items.find((p) => isPair(p) && keyText(p.key) === seg);
      if (hit) return { value: hit.value, key: (hit.key as YamlNode) ?? null };
    }
  }
  return undefined;
}

function nodeStart(spec: LoadedSpec, node: YamlNode | null | undefined): Position {
  const start = node?.range?.[0];
  return start === undefined ? FIRST : spec.lineCounter.linePos(start);
}

/** Position of the value at `path` (or of its deepest existing ancestor). */
export function valuePos(spec: LoadedSpec, path: DataPath): Position {
  const loc = locate(spec, path);
  // An empty value (`c:` with nothing after it) has no node of its own: point at its key.
  if (loc.complete && isScalar(loc.node) && loc.node.value === null && loc.key) return nodeStart(spec, loc.key);
  return nodeStart(spec, loc.node);
}

/** Position of the mapping key that ends `path` (falls back to the value position). */
export function keyPos(spec: LoadedSpec, path: DataPath): Position {
  const loc = locate(spec, path);
  return loc.complete && loc.key ? nodeStart(spec, loc.key) : valuePos(spec, path);
}

/** Position of the `occurrence`-th copy of `needle` inside the scalar at `path`, so an error in
 *  one `${{ ... }}` of a long command points at that expression, not at the string's start. */
export function textPos(spec: LoadedSpec, path: DataPath, needle: string, occurrence = 0): Position {
  const loc = locate(spec, path);
  const range = loc.node?.range;
  if (!loc.complete || !range) return valuePos(spec, path);
  const source = spec.text.slice(range[0], range[1]);
  let at = -1;
  for (let i = 0; i <= occurrence; i++) {
    at = source.indexOf(needle, at + 1);
    if (at < 0) return nodeStart(spec, loc.node);
  }
  return spec.lineCounter.linePos(range[0] + at);
}
