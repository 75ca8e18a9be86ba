// Entry point the worker bundles: every workflow this project defines.
export { runPipeline, statusQuery } from "./run-pipeline.ts";
