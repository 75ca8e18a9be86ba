// A run's search as a sweep (plan.search): its branches ranked, each with where it got to, its metric
// at its last rung and at its end, and the search's decisions about it; the curves of the watched
// metric, one per branch (a stopped branch's ends where it stopped); the best configuration; and how
// much of the full sweep's training it took. The CLI's `status` and `compare` and the UI show it.
import type { Plan, PlanSearch } from "../contract/plan.ts";
import { isDone, type StepState } from "../contract/run.ts";
import { metricSeries, type RunDb, type RunDecision, type RunDetail, searchDecisions } from "../runs/index.ts";

export interface SweepBranch {
  id: string;
  /** Its matrix values (`lr=0.002`). */
  config: string;
  state: StepState;
  /** Training steps it got to: its budget when it finished, else its last rung. */
  reached: number;
  budget: number;
  /** The metric where it got to (its final value for a finished branch). */
  value?: number;
  decisions: RunDecision[];
  curve: { step: number; value: number }[];
}

export interface Sweep {
  search: PlanSearch;
  /** Finished branches best first, then stopped (or failed) ones by how far they got, then value. */
  branches: SweepBranch[];
  best?: SweepBranch;
  /** Training steps this run took (cached branches none, a continued one from its rung), and what
   *  running every branch to its end would. */
  trained: number;
  full: number;
}

export function sweepOf(db: RunDb, detail: RunDetail): Sweep | undefined {
  const search = (JSON.parse(detail.run.planJson) as Plan).search;
  if (!search) return undefined;
  // a --continue-stopped run judges nothing: its branches' decisions are the resumed run's
  const decisions = searchDecisions(db, detail.run.id);
  const earlier = detail.run.resumedFrom ? searchDecisions(db, detail.run.resumedFrom) : [];
  const curves = new Map(metricSeries(db, detail.run.id).filter((s) => s.key === search.metric).map((s) => [s.stepId, s.points]));
  const byId = new Map(detail.executions.map((e) => [e.execution.stepId, e]));
  let trained = 0;
  const branches = search.branches.map((b): SweepBranch => {
    const e = byId.get(b.id);
    const state = e?.execution.state ?? "pending";
    const own = decisions.filter((d) => d.branch === b.id);
    const mine = own.length > 0 ? own : earlier.filter((d) => d.branch === b.id);
    const last = mine.at(-1);
    const reached = isDone(state) ? b.budget : (last?.rung ?? 0);
    const final = e?.metrics.find((m) => m.key === search.metric);
    // what this run trained of it: all it reached when judged here; a branch carried on without
    // judging (--continue-stopped) from where it resumed; a cached one nothing
    const from = e?.metrics.find((m) => m.key === "resumed_from_step")?.value ?? 0;
    if (own.length > 0) trained += reached;
    else if (state === "succeeded") trained += reached - from;
    return {
      id: b.id,
      config: Object.entries(JSON.parse(e?.execution.matrixJson ?? "{}") as object).map(([k, v]) => `${k}=${v}`).join(", "),
      state,
      reached,
      budget: b.budget,
      ...(isDone(state) && final ? { value: final.value } : last ? { value: last.value } : {}),
      decisions: mine,
      curve: curves.get(b.id) ?? [],
    };
  });
  const sign = search.mode === "min" ? 1 : -1;
  const score = (b: SweepBranch) => (b.value === undefined || Number.isNaN(b.value) ? Infinity : sign * b.value);
  branches.sort((a, b) => Number(isDone(b.state)) - Number(isDone(a.state)) || b.reached - a.reached || score(a) - score(b));
  const best = branches.find((b) => isDone(b.state) && b.value !== undefined);
  const full = search.branches.reduce((n, b) => n + b.budget, 0);
  return { search, branches, ...(best ? { best } : {}), trained, full };
}

/** The rule in words: "ASHA, the top 1/3 go on at each rung" or the median rule's. */
export function ruleText(search: PlanSearch): string {
  return search.rule === "asha"
    ? `ASHA: a branch goes on while in the top 1/${search.reductionFactor} of the branches listed before it that reached the rung`
    : `median rule: a branch stops when worse than the median of the others at the rung (once ${search.minBranches} reached it)`;
}

/** "880 of 1,200 training steps (73% of running every branch to its end)". */
export function shareText(s: Sweep): string {
  return `${s.trained.toLocaleString("en")} of ${s.full.toLocaleString("en")} training steps (${((100 * s.trained) / Math.max(1, s.full)).toFixed(0)}% of running every branch to its end)`;
}

/** Every decision, rung by rung, in the order they were made. */
export function decisionsInOrder(s: Sweep): RunDecision[] {
  return s.branches.flatMap((b) => b.decisions).sort((a, b) => a.rung - b.rung || a.decidedAt.localeCompare(b.decidedAt));
}
