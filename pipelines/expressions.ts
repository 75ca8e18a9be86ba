// The compiler's view of `${{ ... }}` expressions: the grammar is contract/template.ts; this adds
// the "did you mean" hint for a misspelt root (`${{ param.x }}` -> params).
import { EXPRESSION_ROOTS, findExpressions as parse, type ExprMatch } from "../contract/template.ts";
import { didYouMean } from "./did-you-mean.ts";

export { isWholeExpression, type Expr, type ExprMatch } from "../contract/template.ts";

export function findExpressions(s: string): ExprMatch[] {
  return parse(s).map((m) => {
    const root = m.error?.root;
    if (!root || (EXPRESSION_ROOTS as readonly string[]).includes(root)) return m;
    const hint = didYouMean(root, [...EXPRESSION_ROOTS]);
    return hint ? { ...m, error: { ...m.error!, hint } } : m;
  });
}
