// The MMaDA library's entry for stage 3, UniGRPO: the prompt pool of each RL task and rollouts (G
// responses per prompt, scored into the groups the update takes). README.md maps the library.
export { checkMix, drawPrompts, promptPools } from "./rl/prompt-pool.ts";
export { rollout, type Rollouts } from "./rl/rollouts.ts";
