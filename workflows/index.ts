// Entry point the worker bundles: every workflow this project defines.
export { runPipeline, runPipelineChunk, statusQuery } from "./run-pipeline.ts";
