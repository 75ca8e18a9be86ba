// HTML built from tagged templates: every interpolated value is escaped unless it is already Html
// (made by `html` or `raw`), so a step id, a generated answer or an error message can never become
// markup. Arrays are joined; null, undefined and false render as nothing. Synchronous, so the same
// components serve the live UI and the one-file export.

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type Child = Html | string | number | boolean | null | undefined | Child[];

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

function render(child: Child): string {
  if (child === null || child === undefined || child === false || child === true) return "";
  if (child instanceof Html) return child.text;
  if (Array.isArray(child)) return child.map(render).join("");
  return escapeHtml(String(child));
}

export function html(strings: TemplateStringsArray, ...values: Child[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => (out += render(v) + strings[i + 1]!));
  return new Html(out);
}

/** Trusted markup (our own CSS, scripts, SVG built from escaped parts). */
export const raw = (text: string) => new Html(text);

/**
 * JSON for a <script type="application/json"> block: `<` is escaped so no value can close the
 * script element, and U+2028/9 so the text is also valid JavaScript.
 */
export function jsonForScript(value: unknown): Html {
  const text = JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
  return new Html(text);
}

/** A query string from pairs, skipping empty values (`?run=a&run=b`). */
export function query(pairs: Array<[string, string | undefined]>): string {
  const params = new URLSearchParams();
  for (const [k, v] of pairs) if (v !== undefined && v !== "") params.append(k, v);
  const s = params.toString();
  return s ? `?${s}` : "";
}
