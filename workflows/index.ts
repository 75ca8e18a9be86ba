// Entry point the worker bundles: every workflow this project defines.
export { runPipeline, statusQuery, cancelSignal } from "./run-pipeline.ts";
