// The state of one run inside the workflow: each step's status, which steps may start, which must be
// skipped because a dependency did not succeed, and the run's outcome. Pure (no Temporal calls), so
// the scheduling rules are tested directly.
import type { Plan, PlanStep } from "../contract/plan.ts";
import { isDone, isFinal, type RunStatus, type StepState, type StepStatus } from "../contract/run.ts";

export class RunTracker {
  readonly status: RunStatus;
  private readonly byId: Map<string, StepStatus>;

  constructor(private readonly plan: Plan, runId: string) {
    this.status = { runId, status: "running", steps: plan.steps.map((s) => ({ id: s.id, uses: s.uses, status: "pending" })) };
    this.byId = new Map(this.status.steps.map((s) => [s.id, s]));
  }

  step(id: string): StepStatus {
    return this.byId.get(id)!;
  }

  running(): number {
    return this.status.steps.filter((s) => s.status === "running").length;
  }

  /** Pending steps whose dependencies all succeeded (or were reused), in plan order, up to the
   *  plan's concurrency minus what runs now. */
  ready(): PlanStep[] {
    const room = this.plan.concurrency - this.running();
    const deps = (s: PlanStep) => s.needs.map((d) => this.step(d).status);
    return this.plan.steps.filter((s) => this.step(s.id).status === "pending" && deps(s).every(isDone)).slice(0, Math.max(0, room));
  }

  /** Pending steps that can never run: a dependency ended without outputs. */
  blocked(): { step: PlanStep; reason: string }[] {
    return this.plan.steps.flatMap((s) => {
      if (this.step(s.id).status !== "pending") return [];
      const bad = s.needs.filter((d) => isFinal(this.step(d).status) && !isDone(this.step(d).status));
      return bad.length ? [{ step: s, reason: `skipped: needs ${bad.join(", ")}` }] : [];
    });
  }

  set(id: string, status: StepState, fields: Partial<StepStatus> = {}): void {
    Object.assign(this.step(id), { status, ...fields });
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
}
