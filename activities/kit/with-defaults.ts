// A step's `with` with every default filled in from the kind's JSON Schema, so the schema stays
// the one place defaults are written (STYLE.md principle 2): the compiler has already validated
// `with`, this only adds what the user left out. Nested objects recurse (an absent object becomes
// its defaults); local `#/definitions/...` references are followed.

interface SchemaNode {
  $ref?: string;
  default?: unknown;
  properties?: { [k: string]: SchemaNode };
  definitions?: { [k: string]: SchemaNode };
}

/** `w` with the schema's defaults for absent fields (a new object; `w` is not changed). */
export function withDefaults<T>(schema: object, w: unknown): T {
  const root = schema as SchemaNode;
  return fill(root, root, w) as T;
}

function deref(root: SchemaNode, node: SchemaNode): SchemaNode {
  if (!node.$ref) return node;
  const name = node.$ref.replace("#/definitions/", "");
  const target = root.definitions?.[name];
  if (!target) throw new Error(`step schema: unresolved $ref ${node.$ref} (a bug in the schema file)`);
  return target;
}

function fill(root: SchemaNode, node: SchemaNode, value: unknown): unknown {
  const n = deref(root, node);
  if (value === undefined && n.default !== undefined) return structuredClone(n.default);
  if (!n.properties || (value !== undefined && (typeof value !== "object" || value === null || Array.isArray(value)))) return value;
  const given = (value ?? {}) as { [k: string]: unknown };
  const out: { [k: string]: unknown } = { ...given };
  for (const [key, sub] of Object.entries(n.properties)) {
    const filled = fill(root, sub, given[key]);
    if (filled !== undefined) out[key] = filled;
  }
  return out;
}
