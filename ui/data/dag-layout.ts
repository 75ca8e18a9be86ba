// Where each step of a run's plan goes in the DAG picture: one column per depth (the longest chain of
// `needs` before it), steps in plan order within a column, an edge per dependency. Pure geometry.

export interface PlanStepRef {
  id: string;
  needs: string[];
}

export const NODE = { width: 136, height: 46, columnGap: 34, rowGap: 12, margin: 4 } as const;

export interface DagNode {
  id: string;
  x: number;
  y: number;
}

export interface DagEdge {
  from: string;
  to: string;
  /** An SVG path: a horizontal S-curve from the right side of `from` to the left side of `to`. */
  path: string;
}

export interface DagLayout {
  width: number;
  height: number;
  nodes: DagNode[];
  edges: DagEdge[];
}

/** The `{ id, needs }` of every step of a plan stored as JSON (runs.plan_json); [] if it has none. */
export function planSteps(planJson: string): PlanStepRef[] {
  try {
    const plan = JSON.parse(planJson) as { steps?: Array<{ id?: unknown; needs?: unknown }> };
    return (plan.steps ?? [])
      .filter((s) => typeof s.id === "string")
      .map((s) => ({ id: s.id as string, needs: Array.isArray(s.needs) ? s.needs.filter((n): n is string => typeof n === "string") : [] }));
  } catch {
    return [];
  }
}

export function layoutDag(steps: PlanStepRef[]): DagLayout {
  const known = new Set(steps.map((s) => s.id));
  const depth = new Map<string, number>();
  // A plan is in topological order, so every need has its depth when a step is reached.
  for (const s of steps) depth.set(s.id, Math.max(-1, ...s.needs.filter((n) => known.has(n)).map((n) => depth.get(n) ?? 0)) + 1);
  const columns: string[][] = [];
  for (const s of steps) (columns[depth.get(s.id)!] ??= []).push(s.id);
  const place = new Map<string, DagNode>();
  columns.forEach((ids, c) =>
    ids.forEach((id, r) =>
      place.set(id, { id, x: NODE.margin + c * (NODE.width + NODE.columnGap), y: NODE.margin + r * (NODE.height + NODE.rowGap) }),
    ),
  );
  const edges: DagEdge[] = [];
  for (const s of steps) {
    for (const need of s.needs) {
      const a = place.get(need);
      const b = place.get(s.id);
      if (!a || !b) continue;
      const [x1, y1, x2, y2] = [a.x + NODE.width, a.y + NODE.height / 2, b.x, b.y + NODE.height / 2];
      const mid = (x1 + x2) / 2;
      edges.push({ from: need, to: s.id, path: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}` });
    }
  }
  const rows = Math.max(1, ...columns.map((c) => c.length));
  return {
    width: 2 * NODE.margin + columns.length * NODE.width + Math.max(0, columns.length - 1) * NODE.columnGap,
    height: 2 * NODE.margin + rows * NODE.height + (rows - 1) * NODE.rowGap,
    nodes: [...place.values()],
    edges,
  };
}
