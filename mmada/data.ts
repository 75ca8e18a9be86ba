// The MMaDA library's data entry: its vocabulary (splits, tasks, mixes), the dataset (building,
// reading), the image tokens, and every seed-derived random stream. README.md maps the library.
export {
  activeTasks,
  batchComposition,
  BENCHMARK_SOURCES,
  LOSS_TASK,
  MIX_SOURCES,
  MIX_TASKS,
  plannedMixRecords,
  plannedRecords,
  RL_TASKS,
  SPLITS,
  TASKS,
  TEXT_BENCHMARKS,
  type BatchPart,
  type Mix,
  type MixTask,
  type RlMix,
  type RlTask,
  type Split,
  type SplitSizes,
  type TaskName,
} from "./data/vocab.ts";
export { DATASET_FORMAT, DATASET_FORMAT_VERSION, type DatasetManifest, type SplitCounts, type TaskRecords } from "./data/format.ts";
export { buildDataset } from "./data/build.ts";
export type { BroughtSources, DatasetRecipe } from "./data/sources.ts";
export type { ResolvedSource } from "./data/brought.ts";
export { digitsOf, labelledOnly, readDataset, readDatasetSplit, readManifest, readSplitRecords, type Dataset, type DatasetSplit, type Digits } from "./data/read.ts";
export { IMAGE_SIDE, PIXELS } from "./data/mnist.ts";
export { DIGIT_NAMES } from "./data/templates.ts";
export { checkTokensMatch, imageCodes, readTokens, writeTokens, TOKENS_FORMAT, TOKENS_FORMAT_VERSION, type Tokens, type TokensMeta } from "./data/tokens.ts";
export { classifierBatchRng, initRng, rlStepRng, rngFor, stepRng, valRng, vqBatchRng } from "./data/random.ts";
