// YAML syntax errors, placed on the token that causes them. The yaml library reports where it
// noticed a problem: a missing closing quote at the end of the file, an unclosed `[` at the next
// key, an over-indented line at the value it continues, an inconsistent indent at column 1. A scan
// of the CST (the parser's token tree, built without recursion) finds the opening quote or bracket,
// the continued line and the first character of the badly indented line instead, and enforces the
// nesting limit before the recursive composer runs into the call stack.
import { LineCounter, Parser } from "yaml";
import type { CST, YAMLError } from "yaml";
import { specError } from "./errors.ts";
import type { SpecError } from "./errors.ts";

/** Lists and mappings inside each other. Real specs need about 8 levels (steps.x.with.outputs.o.path);
 *  the yaml composer recurses per level and overflows the stack at some hundreds. */
export const MAX_NESTING = 64;
export const NESTING_HINT = "a spec never needs that many; flatten the structure";

interface Unclosed {
  start: number;
  /** Offset just after the token's source (where yaml reports a missing closing quote). */
  end: number;
  open: string;
  /** For a flow collection: an unclosed quote or a wrong bracket inside it, which explains why
   *  it is unclosed. */
  explained?: boolean;
  /** For a flow collection: the bracket that ends it but does not match (`}` after `[`). */
  wrongCloser?: { offset: number; source: string };
}

/** A block mapping's keys and their indentation, to tell which of them is out of line. */
interface BlockMapKeys {
  /** The first key's indentation, which yaml takes as the mapping's. */
  indent: number;
  keys: { from: number; offset: number; indent: number }[];
  reported?: boolean;
}

export interface CstScan {
  lineCounter: LineCounter;
  maps: BlockMapKeys[];
  /** Offset of the first collection nested deeper than MAX_NESTING (then the rest is not scanned). */
  tooDeep?: number;
  quotes: Unclosed[];
  flows: Unclosed[];
  /** Multi-line plain scalars: start offset -> offset of the first character of their second line. */
  continued: Map<number, number>;
}

const CLOSE: { [open: string]: string } = { "[": "]", "{": "}" };

/** Whether a quoted scalar's source ends with its closing quote (loops, not regexes: a hostile
 *  string of a million backslashes must not backtrack). */
function closedQuote(src: string, type: string): boolean {
  if (type === "single-quoted-scalar") {
    // '' is an escaped quote: the string is closed when a lone ' ends it.
    let i = 1;
    while (i < src.length) {
      if (src[i] !== "'") i += 1;
      else if (src[i + 1] === "'") i += 2;
      else return i === src.length - 1;
    }
    return false;
  }
  if (src.length < 2 || !src.endsWith('"')) return false;
  let backslashes = 0;
  for (let i = src.length - 2; i >= 1 && src[i] === "\\"; i--) backslashes++;
  return backslashes % 2 === 0;
}

/** One pass over the CST, with an explicit stack (it must survive arbitrarily deep input). */
export function scanCst(text: string): CstScan {
  const lineCounter = new LineCounter();
  const scan: CstScan = { lineCounter, maps: [], quotes: [], flows: [], continued: new Map() };
  const stack: { token: CST.Token; depth: number; flows: Unclosed[] }[] = [];
  const tokens = [...new Parser(lineCounter.addNewLine).parse(text)];
  for (let i = tokens.length - 1; i >= 0; i--) stack.push({ token: tokens[i] as CST.Token, depth: 0, flows: [] });
  while (stack.length) {
    const { token, depth, flows } = stack.pop() as (typeof stack)[number];
    const children: (CST.Token | null | undefined)[] = [];
    let inner = flows;
    switch (token.type) {
      case "document":
        children.push(token.value);
        break;
      case "block-map":
      case "block-seq":
      case "flow-collection": {
        if (depth + 1 > MAX_NESTING) {
          scan.tooDeep = token.offset;
          return scan;
        }
        if (token.type === "block-map") {
          const keys = token.items.flatMap((item) =>
            item.key && "indent" in item.key ? [{ from: item.start[0]?.offset ?? item.key.offset, offset: item.key.offset, indent: item.key.indent }] : []);
          scan.maps.push({ indent: token.indent, keys });
        }
        if (token.type === "flow-collection") {
          const open = token.start.source;
          const closer = token.end.find((t) => t.type === "flow-map-end" || t.type === "flow-seq-end");
          if (closer?.source !== CLOSE[open]) {
            const rec: Unclosed = { start: token.offset, end: token.offset, open };
            if (closer) {
              // `[a }`: the wrong bracket is the error, and it also leaves the enclosing `{` open.
              rec.wrongCloser = closer;
              for (const f of flows) f.explained = true;
            }
            scan.flows.push(rec);
            inner = [...flows, rec];
          }
        }
        for (const item of token.items) children.push("key" in item ? item.key : undefined, item.value);
        break;
      }
      case "single-quoted-scalar":
      case "double-quoted-scalar":
        if (!closedQuote(token.source, token.type)) {
          scan.quotes.push({ start: token.offset, end: token.offset + token.source.length, open: token.source[0] ?? "\"" });
          for (const f of flows) f.explained = true;
        }
        break;
      case "scalar": {
        const nl = token.source.indexOf("\n");
        if (nl >= 0) {
          const rest = /^\s*/.exec(token.source.slice(nl))?.[0].length ?? 0;
          scan.continued.set(token.offset, token.offset + nl + rest);
        }
        break;
      }
    }
    const d = token.type === "document" ? depth : depth + 1;
    for (let k = children.length - 1; k >= 0; k--) {
      const c = children[k];
      if (c) stack.push({ token: c, depth: d, flows: inner });
    }
  }
  return scan;
}

const START_COL = "All mapping items must start at the same column";

/** For yaml's "All mapping items must start at the same column" at `offset`: the key and the
 *  column of its mapping's keys, or null when that mapping already has its error (the keys after a
 *  misaligned one repeat it, and yaml may have put them into the wrong mapping anyway). */
function misalignedKey(scan: CstScan, offset: number): { key: BlockMapKeys["keys"][number]; want: number } | null | undefined {
  for (const map of scan.maps) {
    const key = map.keys.find((k) => k.from <= offset && offset <= k.offset);
    if (!key) continue;
    if (map.reported) return null;
    map.reported = true;
    return { key, want: map.indent };
  }
  return undefined;
}

const FLOW_END = /^Flow (sequence|mapping|map) in block collection must be sufficiently indented and end with a/;
const IN_STREAM = /^Unexpected .* token in YAML stream/;
const IMPLICIT_KEY_CODES = new Set(["MULTILINE_IMPLICIT_KEY", "BLOCK_AS_IMPLICIT_KEY"]);

/** yaml's errors (and the warnings that mean the data would be wrong) -> SpecErrors at the token
 *  that causes each, one error per cause. */
export function syntaxErrors(raw: YAMLError[], scan: CstScan, text: string, file: string): SpecError[] {
  const at = (offset: number) => scan.lineCounter.linePos(Math.min(Math.max(offset, 0), text.length));
  const out: SpecError[] = [];
  for (const e of raw) {
    const offset = e.pos[0];
    const message = (e.message.split("\n")[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, "");
    // Once the document's top node has ended early, every later token is "unexpected": one
    // indentation mistake near the top would otherwise give an error for each remaining line.
    if (out.length && IN_STREAM.test(message)) continue;
    if (e.code === "MISSING_CHAR" && /^Missing closing .quote/.test(message)) {
      const q = scan.quotes.find((u) => u.end === offset) ?? [...scan.quotes].reverse().find((u) => u.start < offset);
      if (q) {
        out.push(specError("E_YAML_SYNTAX", `unclosed quote: the string that starts here has no closing ${q.open}`, file, at(q.start), `add the closing ${q.open}; inside the string write ${q.open === "'" ? "''" : "\\\""} for a quote`));
        continue;
      }
    }
    if (FLOW_END.test(message)) {
      const wrong = scan.flows.find((u) => u.wrongCloser?.offset === offset);
      if (wrong?.wrongCloser) {
        const opened = at(wrong.start);
        const want = CLOSE[wrong.open] ?? "";
        out.push(specError("E_YAML_SYNTAX", `'${wrong.wrongCloser.source}' does not close the '${wrong.open}' opened at ${opened.line}:${opened.col}`, file, at(offset), `close the '${wrong.open}' with '${want}' first`));
        continue;
      }
      const f = [...scan.flows].reverse().find((u) => u.start < offset && !u.wrongCloser);
      if (f?.explained) continue; // an unclosed quote or a wrong bracket inside it took its closer
      if (f) {
        out.push(specError("E_YAML_SYNTAX", `unclosed '${f.open}': no matching '${CLOSE[f.open] ?? ""}'`, file, at(f.start), `close it with '${CLOSE[f.open] ?? ""}', or indent the lines that continue it`));
        continue;
      }
    }
    const second = scan.continued.get(offset);
    if (IMPLICIT_KEY_CODES.has(e.code) && second !== undefined) {
      const prev = at(offset).line;
      out.push(specError("E_YAML_SYNTAX", `this line is indented more than the line above, so YAML reads it as a continuation of the value on line ${prev}`, file, at(second), "indent it like the other keys of its mapping"));
      continue;
    }
    if (message === START_COL) {
      const found = misalignedKey(scan, offset);
      if (found === null) continue;
      if (found) {
        const { key, want } = found;
        const above = scan.maps.flatMap((m) => m.keys).filter((k) => k.offset < key.offset).sort((a, b) => b.offset - a.offset)[0];
        const col = key.indent + 1;
        const msg = above && above.indent !== want && above.indent !== key.indent
          ? `this key (column ${col}) lines up neither with the key above it (column ${above.indent + 1}) nor with the other keys of the mapping YAML puts it in (column ${want + 1})`
          : `this key is indented to column ${col}, the other keys of its mapping to column ${want + 1}`;
        out.push(specError("E_YAML_SYNTAX", msg, file, at(key.offset), "indent it like the keys it belongs with"));
        continue;
      }
    }
    if (e.code === "MULTIPLE_DOCS") {
      out.push(specError("E_YAML_SYNTAX", "a second YAML document starts here: a spec is one document", file, at(offset), "remove this '---' and what follows, or split the file"));
      continue;
    }
    const pos = e.code === "TAB_AS_INDENT" ? offset : pastIndent(text, offset);
    out.push(specError("E_YAML_SYNTAX", message, file, at(pos), HINTS[e.code]));
  }
  // yaml often reports one bad token several ways (block sequence as key, multi-line key, no
  // value): the first message is the telling one.
  const seen = new Set<string>();
  return out.filter((e) => {
    const key = `${e.line}:${e.col}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const HINTS: { [code: string]: string } = {
  TAB_AS_INDENT: "indent with spaces",
  BAD_INDENT: "check this line's indentation against the lines above",
  UNEXPECTED_TOKEN: "check this line's indentation against the lines above",
  TAG_RESOLVE_FAILED: "a spec is plain YAML; remove the tag",
  BAD_COLLECTION_TYPE: "a spec is plain YAML; remove the tag",
};

/** An offset inside a line's leading indentation -> the line's first real character, which is
 *  what is badly indented (yaml points at column 1). */
function pastIndent(text: string, offset: number): number {
  const blank = (c: string | undefined) => c === " " || c === "\t";
  for (let i = offset - 1; i >= 0 && text[i] !== "\n"; i--) if (!blank(text[i])) return offset;
  let next = offset;
  while (blank(text[next])) next++;
  return next < text.length && text[next] !== "\n" && text[next] !== "\r" ? next : offset;
}
