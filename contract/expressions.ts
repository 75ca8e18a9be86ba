// The one `${{ ... }}` grammar. Authors write `${{ params.NAME }}`, `${{ matrix.KEY }}` and
// `${{ steps.ID.outputs.NAME }}` in a step's `with`. Only the compiler reads such text: it parses
// each string once into the typed `with` model (with-value.ts), and nothing after it looks inside
// strings again (a reference names a spec step; the compiler links it to the matrix branch).

export type Expr =
  | { kind: "param"; name: string }
  | { kind: "matrix"; key: string }
  | { kind: "step"; step: string; output: string };

export interface ExprMatch {
  /** The whole `${{ ... }}` text as written. */
  text: string;
  start: number;
  end: number;
  /** How many identical `text`s come before this one in the same string (to locate it in a file). */
  occurrence: number;
  expr?: Expr;
  /** Why the expression could not be parsed (then `expr` is undefined); `root` is its first word. */
  error?: { message: string; hint?: string; root: string };
}

/** A string with at least one `${{ ... }}` in it (the first `}}` closes each), as a regex source:
 *  the editor schemas (scripts/build-schemas.ts) accept the same strings the compiler reads. */
export const HAS_EXPRESSION = "\\$\\{\\{([\\s\\S]*?)\\}\\}";
/** Exactly one `${{ ... }}` and nothing else, as a regex source: the only way to feed a number, a
 *  boolean or a list, since such a value keeps the referenced value's type. */
export const WHOLE_EXPRESSION = "^\\$\\{\\{([^}]|\\}[^}])*\\}\\}$";
const EXPRESSION = new RegExp(HAS_EXPRESSION, "g");
const STEP_ID = "[a-z][a-z0-9_-]*";
const NAME = "[A-Za-z_][A-Za-z0-9_-]*";
const SCOPED = new RegExp(`^(params|matrix)\\.(${NAME})$`);
const STEP_OUTPUT = new RegExp(`^steps\\.(${STEP_ID})\\.outputs\\.(${NAME})$`);
export const EXPRESSION_ROOTS = ["params", "matrix", "steps"] as const;
const FORMS = "use params.NAME, matrix.KEY or steps.ID.outputs.NAME";

/** Parses the inside of one `${{ ... }}`. */
function parseExpression(inner: string): Pick<ExprMatch, "expr" | "error"> {
  const body = inner.trim();
  const scoped = SCOPED.exec(body);
  if (scoped) return { expr: scoped[1] === "params" ? { kind: "param", name: scoped[2]! } : { kind: "matrix", key: scoped[2]! } };
  const ref = STEP_OUTPUT.exec(body);
  if (ref) return { expr: { kind: "step", step: ref[1]!, output: ref[2]! } };
  const root = body.split(".")[0] ?? "";
  if (body === "") return { error: { message: "empty expression '${{ }}'", hint: FORMS, root } };
  if (root === "steps") return { error: { message: `bad step reference '${body}'`, hint: "write steps.ID.outputs.NAME", root } };
  return { error: { message: `cannot evaluate '${body}'`, hint: FORMS, root } };
}

/** Every `${{ ... }}` in `s`, plus an error entry for a `${{` that is never closed. */
export function findExpressions(s: string): ExprMatch[] {
  const out: ExprMatch[] = [];
  const counts = new Map<string, number>();
  let lastEnd = 0;
  for (const m of s.matchAll(EXPRESSION)) {
    const text = m[0];
    const start = m.index ?? 0;
    const occurrence = counts.get(text) ?? 0;
    counts.set(text, occurrence + 1);
    out.push({ text, start, end: start + text.length, occurrence, ...parseExpression(m[1] ?? "") });
    lastEnd = start + text.length;
  }
  const open = s.indexOf("${{", lastEnd);
  if (open >= 0) {
    out.push({
      text: "${{", start: open, end: s.length, occurrence: s.slice(0, open).split("${{").length - 1,
      error: { message: "unterminated expression: '${{' without a closing '}}'", root: "" },
    });
  }
  return out;
}

/** True when `s` is exactly one expression (then it keeps the referenced value's type). */
export function isWholeExpression(s: string, matches: ExprMatch[]): boolean {
  return matches.length === 1 && matches[0]?.start === 0 && matches[0].end === s.length;
}

/** The canonical text of a step output reference (how views and messages show one). */
export function stepOutputText(step: string, output: string): string {
  return `\${{ steps.${step}.outputs.${output} }}`;
}
