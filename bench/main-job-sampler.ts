// The sampler settings of the main job's evaluate steps (pipelines/mmada-tiny.yaml, `eval_stage*.sampler`)
// per benchmark, as the evaluate step derives them (activities/evaluate/run.ts: genLengths, steps in
// proportion, blockLength at most genLength), so the diagnostic benches answer as the main job does.
import type { ImageSampling, TextSampling } from "../activities/mmada/eval/generate.ts";

export type TextBenchmark = "gsm8k" | "mmcot" | "vqa" | "pope" | "caption";

export const MAIN_JOB_TEXT: Record<TextBenchmark, TextSampling> = {
  gsm8k: { genLength: 32, steps: 32, blockLength: 8, temperature: 0 },
  mmcot: { genLength: 32, steps: 32, blockLength: 8, temperature: 0 },
  vqa: { genLength: 8, steps: 8, blockLength: 8, temperature: 0 },
  pope: { genLength: 4, steps: 4, blockLength: 4, temperature: 0 },
  caption: { genLength: 24, steps: 24, blockLength: 8, temperature: 0 },
};

/** geneval: MaskGIT steps, CFG weight, the schema's default Gumbel scale (compound schedule). */
export const MAIN_JOB_IMAGE: ImageSampling = { steps: 12, guidance: 3.5, temperature: 1 };
