// Mixed training batches. A batch always has the same composition (rows per mix task, from the
// stage's `mix` weights), as in the reference, which gives every task its own fixed batch size.
// Everything random about step s (which records, caption dropout, masks, dropout) comes from a
// generator seeded by (seed, s) alone, and records are visited epoch by epoch in a permutation
// seeded by (seed, task, epoch): a run resumed at step s draws exactly what the uninterrupted run
// drew, with no generator state to carry over.
import type { Layout } from "../../model/layouts.ts";
import { Rng } from "../../model/rng.ts";
import { MIX_TASKS, type MixTask, type TaskSource } from "./task-sources.ts";

export type Mix = { [t in MixTask]?: number };

export interface BatchPart {
  task: MixTask;
  rows: number;
}

/** Generator streams, so training, validation and record order never share draws. */
const STREAM_STEP = 1;
const STREAM_ORDER = 2;
const STREAM_VAL = 3;

/** A 32-bit hash of small integers (FNV-1a over the words, then an avalanche). */
export function hashSeed(...xs: number[]): number {
  let h = 0x811c9dc5;
  for (const x of xs) {
    h = Math.imul(h ^ (x >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  }
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

/** The generator of training step `step`. */
export function stepRng(seed: number, step: number): Rng {
  return new Rng(hashSeed(seed, STREAM_STEP, step));
}

/** The generator of validation batch `index` (the same at every checkpoint, so losses compare). */
export function valRng(seed: number, index: number): Rng {
  return new Rng(hashSeed(seed, STREAM_VAL, index));
}

/** Active tasks (weight > 0) in MIX_TASKS order. */
export function activeTasks(mix: Mix): MixTask[] {
  return MIX_TASKS.filter((t) => (mix[t] ?? 0) > 0);
}

/**
 * Rows per active task: batch * weight / sum by largest remainder, at least one row each (taken
 * from the task most above its exact share). Returns the problem as a string when the batch cannot
 * hold every task.
 */
export function batchComposition(mix: Mix, batch: number): BatchPart[] | string {
  const tasks = activeTasks(mix);
  if (tasks.length === 0) return `mix gives no task a weight above 0; set e.g. mix: { t2i: 1, lm: 1, mmu: 1 }`;
  if (batch < tasks.length) return `batch ${batch} is smaller than the ${tasks.length} tasks in the mix (${tasks.join(", ")}); raise batch to at least ${tasks.length}`;
  const total = tasks.reduce((s, t) => s + mix[t]!, 0);
  const exact = tasks.map((t) => (batch * mix[t]!) / total);
  const rows = exact.map(Math.floor);
  const byRemainder = tasks.map((_, i) => i).sort((a, b) => exact[b]! - rows[b]! - (exact[a]! - rows[a]!) || a - b);
  const missing = batch - rows.reduce((s, r) => s + r, 0);
  for (let k = 0; k < missing; k++) rows[byRemainder[k]!]!++;
  for (let i = 0; i < rows.length; i++) {
    if (rows[i]! > 0) continue;
    // the row comes from the task furthest above its exact share (a largest-share donor could be
    // pushed 2 rows below its share while another task keeps a rounded-up extra)
    const excess = rows.map((r, j) => (r > 1 ? r - exact[j]! : -Infinity));
    const donor = excess.indexOf(Math.max(...excess));
    rows[donor]!--;
    rows[i] = 1;
  }
  return tasks.map((task, i) => ({ task, rows: rows[i]! }));
}

/** The record index of the i-th draw of a task: epoch e = i div n visits a permutation of 0..n-1. */
export class EpochOrder {
  private epoch = -1;
  private perm: number[] = [];

  constructor(
    private readonly seed: number,
    private readonly task: MixTask,
    private readonly size: number,
  ) {}

  at(i: number): number {
    const e = Math.floor(i / this.size);
    if (e !== this.epoch) {
      this.perm = new Rng(hashSeed(this.seed, STREAM_ORDER, MIX_TASKS.indexOf(this.task), e)).permutation(this.size);
      this.epoch = e;
    }
    return this.perm[i % this.size]!;
  }
}

/** Draws made by every task before step `step` (the data cursor stored in checkpoints). */
export function cursorAt(step: number, parts: BatchPart[]): Record<string, number> {
  return Object.fromEntries(parts.map((p) => [p.task, step * p.rows]));
}

/** The layouts of training step `step`, task by task in composition order. */
export function trainingLayouts(
  step: number,
  parts: BatchPart[],
  sources: { [t in MixTask]: TaskSource },
  orders: { [t in MixTask]?: EpochOrder },
  rng: Rng,
): Layout[] {
  const layouts: Layout[] = [];
  for (const { task, rows } of parts) {
    const order = orders[task]!;
    for (let r = 0; r < rows; r++) layouts.push(sources[task].layout(order.at(step * rows + r), rng));
  }
  return layouts;
}

/** Validation batches of one task: records in file order, `count` batches of `batch` rows
 *  (wrapping around a small split). */
export function validationLayouts(source: TaskSource, batch: number, count: number): Layout[][] {
  const out: Layout[][] = [];
  const batches = Math.min(count, Math.ceil(source.size / batch));
  for (let j = 0; j < batches; j++) {
    out.push(Array.from({ length: batch }, (_, r) => source.layout((j * batch + r) % source.size)));
  }
  return out;
}
