// A run's search as text (results/sweep.ts): the rule, the branches ranked with where each got to
// and its metric there, every decision the search made, the best configuration and the share of the
// full sweep's training it took. `mmada status` and `mmada compare` print it for a run with a search.
import { fmtNumber } from "../results/format.ts";
import { decisionsInOrder, ruleText, shareText, type Sweep } from "../results/sweep.ts";
import { table } from "./terminal.ts";

export function sweepText(s: Sweep): string {
  const { search } = s;
  const lines = [
    `search: ${search.specStep} branches on ${search.metric} (${search.mode}); ${ruleText(search)}`,
    `this run trained ${shareText(s)}`,
    table(
      ["rank", "branch", "config", "state", "reached", search.metric, "rungs"],
      s.branches.map((b, i) => [
        i + 1,
        b.id,
        b.config,
        b.state,
        `${b.reached}/${b.budget}`,
        b.value === undefined ? undefined : fmtNumber(b.value),
        b.decisions.map((d) => `${d.rung}:${d.decision === "promoted" ? "+" : "x"}${d.rank}/${d.of}`).join(" ") || undefined,
      ]),
    ),
  ];
  if (s.best) lines.push(`best: ${s.best.id} (${s.best.config}), ${search.metric} ${fmtNumber(s.best.value)} after ${s.best.budget} steps`);
  const decided = decisionsInOrder(s);
  if (decided.length) {
    lines.push("", "decisions (rung: + went on, x stopped, rank/compared):");
    lines.push(table(["rung", "branch", search.metric, "decision", "why"], decided.map((d) => [d.rung, d.branch, fmtNumber(d.value), d.decision, d.reason])));
  }
  return lines.join("\n");
}
