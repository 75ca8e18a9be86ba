// The MMaDA library's entry for stage 3, UniGRPO: the prompt pool of each RL task and rollouts (G
// responses per prompt, scored into the groups the update takes), optionally refilled with groups
// that carry signal (DAPO's dynamic sampling). README.md maps the library.
export { checkMix, drawPrompts, promptPools } from "./rl/prompt-pool.ts";
export { paperTextScorer, rollout, type Rollouts, type TextScorer } from "./rl/rollouts.ts";
export { refillInformative, type Refilled } from "./rl/dynamic-sampling.ts";
