// Mixed training batches. A batch always has the same composition (rows per mix task, from the
// stage's `mix` weights), as in the reference, which gives every task its own fixed batch size.
// Everything random about step s (which records, caption dropout, masks, dropout) comes from a
// generator seeded by (seed, s) alone, and records are visited epoch by epoch in a permutation
// seeded by (seed, task, epoch): a run resumed at step s draws exactly what the uninterrupted run
// drew, with no generator state to carry over.
import type { Layout } from "../../model/layouts.ts";
import type { Rng } from "../../model/rng.ts";
import { orderRng } from "../data/random.ts";
import type { TaskSource } from "./tasks.ts";
import { type BatchPart, MIX_TASKS, type MixTask } from "../data/vocab.ts";

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
      this.perm = orderRng(this.seed, MIX_TASKS.indexOf(this.task), e).permutation(this.size);
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
