// A large plan runs as consecutive chunks, each a child workflow with a history of its own: one
// workflow history holds at most 51,200 events, and a step costs about five. Chunks follow the
// plan's chains (depth first), so a chunk holds whole branches of a sweep where it can and the next
// chunk needs few of its outputs. Pure: the parent computes the same chunks on every replay.
import type { PlanStep } from "../contract/plan.ts";

/** Plans of at most this many steps run in one workflow, as they always did. */
export const CHUNK_STEPS = 1000;

/** The plan's steps in chunks of at most `size`, each in plan order; a chunk needs only steps of
 *  earlier chunks or its own. */
export function planChunks(steps: PlanStep[], size = CHUNK_STEPS, first: string[] = []): PlanStep[][] {
  const index = new Map(steps.map((s, i) => [s.id, i]));
  // a search's branches in the order it judges them, so a branch never lands in an earlier chunk
  // than one listed before it (a later chunk's branch would be judged without the earlier ones)
  const rank = new Map(index);
  const slots = first.filter((id) => index.has(id)).map((id) => index.get(id)!).sort((a, b) => a - b);
  first.filter((id) => index.has(id)).forEach((id, k) => rank.set(id, slots[k]!));
  const dependents = new Map<string, PlanStep[]>();
  const missing = new Map<string, number>();
  for (const s of steps) {
    missing.set(s.id, s.needs.length);
    for (const n of s.needs) {
      const list = dependents.get(n);
      if (list) list.push(s);
      else dependents.set(n, [s]);
    }
  }
  const byRankDesc = (a: PlanStep, b: PlanStep) => rank.get(b.id)! - rank.get(a.id)!;
  // depth first: a step's dependents come right after it once their other dependencies are in
  const stack = steps.filter((s) => s.needs.length === 0).sort(byRankDesc);
  const order: PlanStep[] = [];
  while (stack.length > 0) {
    const s = stack.pop()!;
    order.push(s);
    const next = (dependents.get(s.id) ?? []).filter((d) => {
      const left = missing.get(d.id)! - 1;
      missing.set(d.id, left);
      return left === 0;
    });
    for (const d of next.sort(byRankDesc)) stack.push(d);
  }
  const chunks: PlanStep[][] = [];
  for (let i = 0; i < order.length; i += size) {
    chunks.push(order.slice(i, i + size).sort((a, b) => index.get(a.id)! - index.get(b.id)!));
  }
  return chunks;
}

/** Ids of `chunk`'s steps that steps of later chunks need (their outputs go back to the parent). */
export function exportedIds(chunks: PlanStep[][], at: number): string[] {
  const mine = new Set(chunks[at]!.map((s) => s.id));
  const wanted = new Set<string>();
  for (const later of chunks.slice(at + 1)) for (const s of later) for (const n of s.needs) if (mine.has(n)) wanted.add(n);
  return [...wanted].sort();
}
