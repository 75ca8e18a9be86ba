// The search's decisions (plan.search): after each rung a branch either goes on or stops. Pure, so
// the rules are tested directly, and deterministic, so a crashed run decides the same again:
//  - A branch's decision at a rung waits only for the branches before it (in the order the matrix
//    lists their values: plan.search.branches) that may still reach that rung, and compares it
//    with those that did. Decisions are asynchronous (no round waits for the whole sweep) yet never
//    depend on which worker happened to finish first.
//  - ASHA (Li et al., "A System for Massively Parallel Hyperparameter Tuning"): a branch goes on
//    while it ranks in the top max(1, floor(n / reductionFactor)) of the n branches compared there.
//  - Median rule (Golovin et al., "Google Vizier"): a branch stops when its value is worse than the
//    median of the other branches' values there, once at least minBranches others reached it.
// Ties rank the earlier branch first; a NaN value ranks last.
import type { PlanSearch } from "../contract/plan.ts";
import type { RungDecision, RungValues } from "../contract/run.ts";

export class SearchBoard {
  private readonly index = new Map<string, number>();
  private readonly values = new Map<string, Map<number, number>>();

  constructor(
    readonly search: PlanSearch,
    known: RungValues = {},
  ) {
    search.branches.forEach((b, i) => this.index.set(b.id, i));
    for (const [branch, rungs] of Object.entries(known)) for (const [rung, value] of Object.entries(rungs)) this.report(branch, Number(rung), value);
  }

  isBranch(id: string): boolean {
    return this.index.has(id);
  }

  branch(id: string): PlanSearch["branches"][number] {
    return this.search.branches[this.index.get(id)!]!;
  }

  report(id: string, rung: number, value: number): void {
    const rungs = this.values.get(id) ?? new Map<number, number>();
    rungs.set(rung, value);
    this.values.set(id, rungs);
  }

  /** True when every branch before `id` has reached `rung` or never will (`ended`: it stopped,
   *  failed, was skipped, or is not run here). */
  canDecide(id: string, rung: number, ended: (branch: string) => boolean): boolean {
    const mine = this.index.get(id)!;
    return this.search.branches.slice(0, mine).every((b) => this.values.get(b.id)?.has(rung) || ended(b.id));
  }

  /** The decision for `id` at `rung` (its value reported, canDecide true). */
  decide(id: string, rung: number): RungDecision {
    const { metric, mode, rule, reductionFactor: eta, minBranches } = this.search;
    const mine = this.index.get(id)!;
    const compared = this.search.branches
      .slice(0, mine + 1)
      .flatMap((b, i) => (this.values.get(b.id)?.has(rung) ? [{ i, value: this.values.get(b.id)!.get(rung)! }] : []))
      .sort((a, b) => better(a.value, b.value, mode) || a.i - b.i);
    const value = this.values.get(id)!.get(rung)!;
    const rank = compared.findIndex((c) => c.i === mine) + 1;
    const of = compared.length;
    const shown = `${metric} ${fmt(value)} ranks ${rank} of ${of} at step ${rung}`;
    if (rule === "asha") {
      const top = Math.max(1, Math.floor(of / eta));
      const goes = rank <= top;
      return { branch: id, rung, value, rank, of, decision: goes ? "promoted" : "stopped", reason: `${shown}: ${goes ? "in" : "not in"} the top ${top} (1/${eta})` };
    }
    const others = compared.filter((c) => c.i !== mine).map((c) => c.value);
    if (others.length < minBranches) {
      return { branch: id, rung, value, rank, of, decision: "promoted", reason: `${shown}: ${others.length} other branch(es) reached it, the median rule judges from ${minBranches}` };
    }
    const median = medianOf(others, mode);
    const worse = better(median, value, mode) < 0;
    return {
      branch: id, rung, value, rank, of,
      decision: worse ? "stopped" : "promoted",
      reason: `${shown}: ${worse ? "worse than" : "no worse than"} the median ${fmt(median)} of the ${others.length} others`,
    };
  }

  /** Every value reported, for the next chunk of a large run. */
  known(): RungValues {
    const out: RungValues = {};
    for (const [branch, rungs] of this.values) out[branch] = Object.fromEntries([...rungs].map(([r, v]) => [String(r), v]));
    return out;
  }
}

/** < 0 when `a` is better than `b` in `mode`; NaN is worse than any number. */
function better(a: number, b: number, mode: "min" | "max"): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
  return mode === "min" ? a - b : b - a;
}

function medianOf(values: number[], mode: "min" | "max"): number {
  const sorted = [...values].sort((a, b) => better(a, b, mode));
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? Number(v.toPrecision(4)).toString() : String(v);
}

/** The value of `metric` a part that stopped at `rung` reported there (its last point at or before). */
export function rungValue(metrics: { key: string; value: number; step?: number }[], metric: string, rung: number): number | undefined {
  let found: { value: number; step: number } | undefined;
  for (const m of metrics) if (m.key === metric && m.step !== undefined && m.step <= rung && (!found || m.step >= found.step)) found = { value: m.value, step: m.step };
  return found?.value;
}
