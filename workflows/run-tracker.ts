// The state of one run (or one chunk of it) inside the workflow: each step's status, which steps may
// start, which must be skipped because a dependency did not succeed, and the run's outcome. Pure (no
// Temporal calls), so the scheduling rules are tested directly. Incremental: a step's end updates
// only its dependents, so a plan of tens of thousands of steps costs the same per step as a small one.
import { MinHeap } from "../contract/min-heap.ts";
import type { PlanStep } from "../contract/plan.ts";
import { isDone, isFinal, type RunStatus, type StepState, type StepStatus } from "../contract/run.ts";

/** Dependencies outside the tracked steps (another chunk's): done, or ended without outputs. */
export interface ExternalDeps {
  done: Set<string>;
  /** Step id -> why it has no outputs ("failed", "skipped", ...). */
  notDone: Map<string, string>;
}

export class RunTracker {
  readonly status: RunStatus;
  private readonly byId: Map<string, StepStatus>;
  private readonly index = new Map<string, number>();
  /** Where a step stands when several are ready: its plan index, or its place among `first`. */
  private readonly rank = new Map<string, number>();
  /** Dependencies of each pending step that are not done yet. */
  private readonly missing = new Map<string, number>();
  private readonly dependents = new Map<string, string[]>();
  /** Pending steps with every dependency done, by rank. */
  private readonly readyHeap = new MinHeap<string>((a, b) => this.rankOf(a) < this.rankOf(b));
  /** Pending steps a dependency ended without outputs for, in the order found. */
  private readonly blockedQueue: string[] = [];
  /** Dependencies from other chunks that ended without outputs. */
  private readonly externalNotDone: Map<string, string>;
  private runningCount = 0;
  /** Running steps that hold no concurrency slot (waiting for others, doing no work). */
  private readonly idle = new Set<string>();
  /** Idle steps waiting for a slot to go on, first come first served: they come before any step
   *  that has not started (a promoted search branch before a new one, as ASHA has it). */
  private readonly wanting: string[] = [];

  /** `first`: steps that start in this order before others of theirs (a search's branches, in the
   *  order it judges them: a branch then rarely waits for one listed before it to start). */
  constructor(
    private readonly steps: PlanStep[],
    runId: string,
    private readonly concurrency: number,
    external: ExternalDeps = { done: new Set(), notDone: new Map() },
    first: string[] = [],
  ) {
    this.status = { runId, status: "running", steps: steps.map((s) => ({ id: s.id, uses: s.uses, status: "pending" })) };
    this.byId = new Map(this.status.steps.map((s) => [s.id, s]));
    this.externalNotDone = external.notDone;
    steps.forEach((s, i) => this.index.set(s.id, i));
    // the listed steps take the plan positions they hold together, in the listed order
    const listed = first.filter((id) => this.index.has(id));
    const slots = listed.map((id) => this.index.get(id)!).sort((a, b) => a - b);
    listed.forEach((id, k) => this.rank.set(id, slots[k]!));
    for (const s of steps) {
      let missing = 0;
      let bad = false;
      for (const d of s.needs) {
        if (this.byId.has(d)) {
          missing++;
          const list = this.dependents.get(d) ?? [];
          list.push(s.id);
          this.dependents.set(d, list);
        } else if (external.notDone.has(d)) bad = true;
        else if (!external.done.has(d)) throw new Error(`step ${s.id} needs ${d}, which is neither in this plan nor given`);
      }
      this.missing.set(s.id, missing);
      if (bad) this.blockedQueue.push(s.id);
      else if (missing === 0) this.readyHeap.push(s.id);
    }
  }

  step(id: string): StepStatus {
    return this.byId.get(id)!;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Steps running now that hold a concurrency slot. */
  running(): number {
    return this.runningCount - this.idle.size;
  }

  /** Pending steps whose dependencies all succeeded (or were reused), in plan order, up to the
   *  concurrency minus what runs now. They leave the ready set: the caller starts them. */
  ready(): PlanStep[] {
    const out: PlanStep[] = [];
    const room = this.concurrency - this.running() - this.wanting.length;
    while (out.length < room && this.readyHeap.size > 0) {
      const step = this.steps[this.index.get(this.readyHeap.pop()!)!]!;
      if (this.step(step.id).status === "pending") out.push(step);
    }
    return out;
  }

  /** Pending steps that can never run: a dependency ended without outputs (directly or through
   *  steps skipped for the same reason). They leave the pending set: the caller skips them. */
  blocked(): { step: PlanStep; reason: string }[] {
    const out: { step: PlanStep; reason: string }[] = [];
    while (this.blockedQueue.length > 0) {
      const id = this.blockedQueue.shift()!;
      if (this.step(id).status !== "pending") continue;
      const reason = `skipped: needs ${this.badNeeds(id).join(", ")}`;
      out.push({ step: this.steps[this.index.get(id)!]!, reason });
      // its own dependents can never run either: mark it now so they are found in this same call
      this.set(id, "skipped", { error: reason });
    }
    return out;
  }

  set(id: string, status: StepState, fields: Partial<StepStatus> = {}): void {
    const s = this.step(id);
    const was = s.status;
    Object.assign(s, { status, ...fields });
    if (was === status) return;
    if (status === "running") this.runningCount++;
    if (was === "running") {
      this.runningCount--;
      this.setIdle(id, false);
    }
    if (isFinal(status) && !isFinal(was)) this.ended(id, status);
  }

  /** A running step that waits (on other steps, not a worker) gives its slot back; it takes one
   *  again with `wantRoom` and `mayResume`. */
  setIdle(id: string, idle: boolean): void {
    if (idle) this.idle.add(id);
    else {
      this.idle.delete(id);
      const at = this.wanting.indexOf(id);
      if (at >= 0) this.wanting.splice(at, 1);
    }
  }

  isIdle(id: string): boolean {
    return this.idle.has(id);
  }

  /** An idle step asks for a slot back: it is served before steps that have not started. */
  wantRoom(id: string): void {
    if (!this.wanting.includes(id)) this.wanting.push(id);
  }

  /** True when a slot is free for `id`, counting those owed to steps that asked before it. */
  mayResume(id: string): boolean {
    return this.running() + this.wanting.indexOf(id) < this.concurrency;
  }

  /** The steps that never ended (when the run stops early). */
  unfinished(): StepStatus[] {
    return this.status.steps.filter((s) => !isFinal(s.status));
  }

  /** Closes the run: cancelled when asked to stop, failed when a step failed, else succeeded. */
  finish(cancelled: boolean): RunStatus {
    const failed = this.status.steps.find((s) => s.status === "failed");
    this.status.status = cancelled ? "cancelled" : failed ? "failed" : "succeeded";
    if (failed && !cancelled) this.status.error = `step ${failed.id} failed: ${failed.error}`;
    if (cancelled) this.status.error = "cancelled";
    return this.status;
  }

  private ended(id: string, status: StepState): void {
    for (const d of this.dependents.get(id) ?? []) {
      if (this.step(d).status !== "pending") continue;
      if (!isDone(status)) {
        this.blockedQueue.push(d);
        continue;
      }
      const left = this.missing.get(d)! - 1;
      this.missing.set(d, left);
      if (left === 0) this.readyHeap.push(d);
    }
  }

  private rankOf(id: string): number {
    return this.rank.get(id) ?? this.index.get(id)!;
  }

  /** The dependencies of `id` that ended without outputs. */
  private badNeeds(id: string): string[] {
    const step = this.steps[this.index.get(id)!]!;
    return step.needs.filter((n) => {
      if (this.externalNotDone.has(n)) return true;
      const s = this.byId.get(n);
      return s !== undefined && isFinal(s.status) && !isDone(s.status);
    });
  }
}
