// DAG helpers: cycle finding (each cycle named, smallest id first) and a deterministic
// topological order (Kahn's algorithm, ready nodes taken in id order).
import { MinHeap } from "../contract/min-heap.ts";

/** `deps.get(x)` = the nodes x depends on. Nodes missing from `deps` have no dependencies. */
export type DepGraph = Map<string, Iterable<string>>;

function byId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Flow edges (dependency -> dependent), sorted, for determinism. */
function flowEdges(nodes: string[], deps: DepGraph): Map<string, string[]> {
  const out = new Map<string, string[]>(nodes.map((n) => [n, []]));
  for (const n of nodes) for (const d of deps.get(n) ?? []) out.get(d)?.push(n);
  for (const list of out.values()) list.sort(byId);
  return out;
}

/** Strongly connected components (Tarjan), each sorted. */
function components(nodes: string[], edges: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const result: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
      }
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop();
        if (w === undefined) break;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      result.push(comp.sort(byId));
    }
  };
  for (const n of [...nodes].sort(byId)) if (!index.has(n)) visit(n);
  return result;
}

/** One cycle per cyclic component, in flow order starting at its smallest id:
 *  ["a", "b", "c"] reads a -> b -> c -> a (b depends on a, c on b, a on c). */
export function findCycles(nodes: string[], deps: DepGraph): string[][] {
  const edges = flowEdges(nodes, deps);
  const cycles: string[][] = [];
  for (const comp of components(nodes, edges)) {
    const start = comp[0];
    if (start === undefined) continue;
    const inComp = new Set(comp);
    if (comp.length === 1 && !(edges.get(start) ?? []).includes(start)) continue;
    // Shortest way from start back to start (BFS), staying inside the component.
    const prev = new Map<string, string>();
    const queue = [start];
    let closing: string | undefined;
    while (queue.length && closing === undefined) {
      const v = queue.shift() as string;
      for (const w of edges.get(v) ?? []) {
        if (w === start) {
          closing = v;
          break;
        }
        if (inComp.has(w) && !prev.has(w)) {
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
    const cycle: string[] = [];
    for (let v = closing; v !== undefined && v !== start; v = prev.get(v)) cycle.unshift(v);
    cycles.push([start, ...cycle]);
  }
  return cycles.sort((a, b) => byId(a[0] ?? "", b[0] ?? ""));
}

/** Topological order (dependencies first), ties broken by id; undefined if there is a cycle. */
export function topoOrder(nodes: string[], deps: DepGraph): string[] | undefined {
  const edges = flowEdges(nodes, deps);
  const waiting = new Map<string, number>(nodes.map((n) => [n, 0]));
  for (const list of edges.values()) for (const n of list) waiting.set(n, (waiting.get(n) ?? 0) + 1);
  const ready = new MinHeap<string>((a, b) => byId(a, b) < 0);
  for (const n of nodes) if (waiting.get(n) === 0) ready.push(n);
  const order: string[] = [];
  for (let n = ready.pop(); n !== undefined; n = ready.pop()) {
    order.push(n);
    for (const m of edges.get(n) ?? []) {
      const left = (waiting.get(m) ?? 0) - 1;
      waiting.set(m, left);
      if (left === 0) ready.push(m);
    }
  }
  return order.length === nodes.length ? order : undefined;
}
