// The MMaDA library's entry for stages 1 and 2: records to layouts per mix task, each step's batch,
// validation, and the model checkpoints every stage reads and writes. README.md maps the library.
export { CAPTION_QUESTION, splitSources } from "./training/tasks.ts";
export { cursorAt, EpochOrder, trainingLayouts } from "./training/batches.ts";
export { buildValSets, validationLoss, type ValLoss } from "./training/validation.ts";
export {
  loadInputModel,
  loadModelCheckpoint,
  MODEL_CHECKPOINT_KIND,
  MODEL_FILE,
  restoreModelCheckpoint,
  saveModelCheckpoint,
  type LoadedModel,
  type ModelExtra,
} from "./training/checkpoints.ts";
