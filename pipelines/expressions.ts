// `${{ ... }}` expressions in `with` values: params.NAME, matrix.KEY, steps.ID.outputs.NAME.
// Parsing only; resolve.ts decides what each one becomes.
import { didYouMean } from "./did-you-mean.ts";

export type Expr =
  | { kind: "param"; name: string }
  | { kind: "matrix"; key: string }
  | { kind: "step"; step: string; output: string };

export interface ExprMatch {
  /** The whole `${{ ... }}` text as written. */
  text: string;
  start: number;
  end: number;
  /** How many identical `text`s come before this one in the same string (to locate it in the file). */
  occurrence: number;
  expr?: Expr;
  /** Why the expression could not be parsed (then `expr` is undefined). */
  error?: { message: string; hint?: string };
}

const EXPR = /\$\{\{([\s\S]*?)\}\}/g;
const NAME = "[A-Za-z_][A-Za-z0-9_-]*";
const SCOPED = new RegExp(`^(params|matrix)\\.(${NAME})$`);
const STEP_REF = new RegExp(`^steps\\.([a-z][a-z0-9_-]*)\\.outputs\\.(${NAME})$`);
const ROOTS = ["params", "matrix", "steps"];
const FORMS = "use params.NAME, matrix.KEY or steps.ID.outputs.NAME";

function parseInner(inner: string): Pick<ExprMatch, "expr" | "error"> {
  const body = inner.trim();
  const scoped = SCOPED.exec(body);
  if (scoped) {
    const [, scope, name] = scoped as unknown as [string, string, string];
    return { expr: scope === "params" ? { kind: "param", name } : { kind: "matrix", key: name } };
  }
  const ref = STEP_REF.exec(body);
  if (ref) {
    const [, step, output] = ref as unknown as [string, string, string];
    return { expr: { kind: "step", step, output } };
  }
  const root = body.split(".")[0] ?? "";
  if (body === "") return { error: { message: "empty expression '${{ }}'", hint: FORMS } };
  if (root === "steps") {
    return { error: { message: `bad step reference '${body}'`, hint: "write steps.ID.outputs.NAME" } };
  }
  const hint = ROOTS.includes(root) ? FORMS : (didYouMean(root, ROOTS) ?? FORMS);
  return { error: { message: `cannot evaluate '${body}'`, hint } };
}

/** Every `${{ ... }}` in `s`, plus an error entry for a `${{` that is never closed. */
export function findExpressions(s: string): ExprMatch[] {
  const out: ExprMatch[] = [];
  const counts = new Map<string, number>();
  let lastEnd = 0;
  for (const m of s.matchAll(EXPR)) {
    const text = m[0];
    const start = m.index ?? 0;
    const occurrence = counts.get(text) ?? 0;
    counts.set(text, occurrence + 1);
    out.push({ text, start, end: start + text.length, occurrence, ...parseInner(m[1] ?? "") });
    lastEnd = start + text.length;
  }
  const open = s.indexOf("${{", lastEnd);
  if (open >= 0) {
    out.push({
      text: "${{", start: open, end: s.length, occurrence: s.slice(0, open).split("${{").length - 1,
      error: { message: "unterminated expression: '${{' without a closing '}}'" },
    });
  }
  return out;
}

/** True when `s` is exactly one expression (then it keeps the referenced value's type). */
export function isWholeExpression(s: string, matches: ExprMatch[]): boolean {
  return matches.length === 1 && matches[0]?.start === 0 && matches[0].end === s.length;
}
