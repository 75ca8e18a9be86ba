// The library's compile-time entry: what a step kind's definition (its schema and the checks
// `mmada validate` runs) may use. Pure data and functions, no tensors and no files, so compiling a
// spec never loads the model; data.ts, training.ts, eval.ts and rl.ts are the entries for what runs.
export {
  activeTasks,
  batchComposition,
  BENCHMARK_SOURCES,
  MIX_TASKS,
  plannedMixRecords,
  plannedRecords,
  RL_TASKS,
  SPLITS,
  type BatchPart,
  type Mix,
  type MixTask,
  type RlMix,
  type Split,
} from "./data/vocab.ts";
export { samplerSchema, samplingOf, type SamplerSettings } from "./eval/sampling.ts";
