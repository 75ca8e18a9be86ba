// Stage 1, load: YAML text -> plain data + the YAML node tree with a LineCounter, so every later
// stage can turn a data path (["steps", "b", "with", "run"]) back into a line:col in the file.
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { Document, Node as YamlNode } from "yaml";
import { specError } from "./errors.ts";
import type { Position, SpecError } from "./errors.ts";

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

export function loadSpec(text: string, file: string): { spec?: LoadedSpec; errors: SpecError[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, merge: true });
  const errors = doc.errors.map((e) => {
    const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
    const firstLine = e.message.split("\n")[0] ?? e.message;
    if (e.code === "DUPLICATE_KEY") {
      const key = keyTextAt(text, e.pos[0]);
      return specError("E_DUPLICATE_KEY", `duplicate key '${key}'`, file, pos, "each key may appear once per mapping; rename or merge the two entries");
    }
    return specError("E_YAML_SYNTAX", firstLine.replace(/ at line \d+, column \d+:?$/, ""), file, pos);
  });
  // Duplicate keys still give a usable tree (the last one wins); real syntax errors do not.
  if (errors.some((e) => e.code === "E_YAML_SYNTAX")) return { errors };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    return { errors: [...errors, specError("E_YAML_SYNTAX", (err as Error).message, file, FIRST)] };
  }
  return { spec: { file, text, data, doc, lineCounter }, errors };
}

/** The key text at an offset, for messages (`a` in `  a:`). */
function keyTextAt(text: string, offset: number): string {
  const m = /^[^:\n]*/.exec(text.slice(offset));
  return (m?.[0] ?? "").trim().replace(/^["']|["']$/g, "");
}

interface Located {
  node: YamlNode | null;
  /** The key node of the last path segment when it is a mapping key. */
  key: YamlNode | null;
}

/** Walks the YAML tree along a data path; stops at the deepest node that exists. */
function locate(spec: LoadedSpec, path: DataPath): Located & { complete: boolean } {
  let node: unknown = spec.doc.contents;
  let key: YamlNode | null = null;
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(spec.doc);
    let next: unknown = undefined;
    key = null;
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        if (k === String(seg)) {
          next = pair.value;
          key = (pair.key as YamlNode) ?? null;
        }
      }
    } else if (isSeq(node) && typeof seg === "number") {
      next = node.items[seg];
    }
    if (next === undefined) return { node: node as YamlNode, key: null, complete: false };
    if (next === null) return { node: key, key, complete: true };
    node = next;
  }
  if (isAlias(node)) node = node.resolve(spec.doc) ?? node;
  return { node: (node as YamlNode) ?? null, key, complete: true };
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
