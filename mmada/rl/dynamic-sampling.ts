// DAPO's dynamic sampling (Yu et al. 2025, "DAPO: an open-source LLM reinforcement learning system at
// scale"), an option of the unigrpo kind (`rolloutRounds` > 1; the paper's UniGRPO rolls out once and
// skips the groups whose rewards are all equal). Such a group has zero advantages and teaches the
// update nothing, and a policy that is mostly right or mostly wrong makes most groups like that: the
// step then learns from one or two prompts. Here more prompts are drawn and rolled out until
// `target` groups carry signal or `rounds` rollouts were made; only groups with signal go on.
import { groupAdvantages } from "../../model/unigrpo.ts";
import type { Rollouts } from "./rollouts.ts";

export interface Refilled extends Rollouts {
  /** Rollout rounds made (1 when the first already had `target` groups with signal). */
  rounds: number;
  /** Groups sampled over all rounds (with signal or not). */
  sampled: number;
}

const informative = (r: Rollouts) => r.groups.flatMap((g, i) => (groupAdvantages(g.rewards) === null ? [] : [i]));

/**
 * The groups with signal of `first` and of further rollouts of `more(count)` prompts (count = the
 * groups still missing), at most `target` of them, in the order they were sampled.
 */
export async function refillInformative(first: Rollouts, more: (count: number) => Promise<Rollouts>, target: number, rounds: number): Promise<Refilled> {
  const out: Refilled = { groups: [], stats: [], rounds: 1, sampled: first.groups.length };
  const take = (r: Rollouts) => {
    for (const i of informative(r).slice(0, target - out.groups.length)) {
      out.groups.push(r.groups[i]!);
      out.stats.push(r.stats[i]!);
    }
  };
  take(first);
  while (out.groups.length < target && out.rounds < rounds) {
    const next = await more(target - out.groups.length);
    out.rounds++;
    out.sampled += next.groups.length;
    take(next);
  }
  return out;
}
