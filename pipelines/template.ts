// Step output expressions left inside longer strings of a plan's `with` (e.g. a command line):
// the compiler writes them as `${{ steps.<plan id>.outputs.<name> }}`; the runtime substitutes the
// artifact path. Pure (no Node imports), so the workflow and activities can both use it.

/** Plan ids may carry a matrix suffix: `train[kl=0.01,seed=1]`. */
const TEMPLATE_REF = /\$\{\{\s*steps\.([a-z][a-z0-9_-]*(?:\[[^\]]*\])?)\.outputs\.([A-Za-z_][A-Za-z0-9_-]*)\s*\}\}/g;

export interface TemplateRef {
  step: string;
  output: string;
}

/** The canonical text the compiler writes for a step output inside a string. */
export function templateText(ref: TemplateRef): string {
  return `\${{ steps.${ref.step}.outputs.${ref.output} }}`;
}

/** The step outputs a string refers to, in order. */
export function templateRefs(s: string): TemplateRef[] {
  return [...s.matchAll(TEMPLATE_REF)].map((m) => ({ step: m[1] ?? "", output: m[2] ?? "" }));
}

/** Replaces every step output expression with `resolve(ref)` (e.g. the artifact's local path). */
export function renderTemplate(s: string, resolve: (ref: TemplateRef) => string): string {
  return s.replace(TEMPLATE_REF, (_all, step: string, output: string) => resolve({ step, output }));
}
