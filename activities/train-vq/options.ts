// The train-vq step's options and the rules its schema cannot express (run by `mmada validate`
// and again by the step): the VQ config they make must be valid, and the first batch must hold
// enough codes to seed every codebook entry by k-means.
import type { KindProblem } from "../../contract/step-kind.ts";
import { DEFAULT_VQ_CONFIG, validateVqConfig, type VqConfig } from "../../model/vq-config.ts";
import type { WithInputs } from "../kit/inputs.ts";
import type { TrainVqWith } from "./schema.ts";

export type TrainVqOptions = WithInputs<TrainVqWith, "dataset">;

export function vqConfigOf(w: TrainVqWith | TrainVqOptions): VqConfig {
  return {
    ...DEFAULT_VQ_CONFIG,
    patchSize: DEFAULT_VQ_CONFIG.imageSize / w.grid,
    codebookSize: w.codebookSize,
    codeDim: w.codeDim,
    hidden: w.hidden,
    encoder: w.encoder,
    decoder: w.decoder,
    decoderHidden: w.decoderHidden,
    beta: w.beta,
  };
}

export function checkTrainVq(w: TrainVqWith): KindProblem[] {
  const problems: KindProblem[] = validateVqConfig(vqConfigOf(w)).map((message) => ({ at: ["grid"], message }));
  const codesPerBatch = w.batch * w.grid * w.grid;
  if (codesPerBatch < w.codebookSize) {
    problems.push({
      at: ["batch"],
      message: `batch ${w.batch} x ${w.grid * w.grid} codes per image is below codebookSize ${w.codebookSize}: the first batch seeds every code by k-means`,
      hint: `raise batch to at least ${Math.ceil(w.codebookSize / (w.grid * w.grid))}`,
    });
  }
  return problems;
}
