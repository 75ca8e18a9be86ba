// The sampler settings a step's `with` carries (docs/mmada.md §5), written once for every kind that
// samples (evaluate's benchmarks, unigrpo's rollouts), each with its own defaults; and the one
// mapping from those settings to what the samplers take.
import type { ImageSampling, TextSampling } from "./generate.ts";

export interface SamplerDefaults {
  genLength: number;
  steps: number;
  blockLength: number;
  temperature: number;
  imageSteps: number;
  guidance: number;
}

/** The `sampler` block of a kind's schema. `genLengths` (per-benchmark lengths) only where
 *  benchmarks are named (evaluate). */
export function samplerSchema<const D extends SamplerDefaults, const B extends boolean>(description: string, d: D, withGenLengths: B) {
  const perBenchmark = {
    genLengths: {
      description:
        "Per-benchmark generation lengths that replace genLength (e.g. a few tokens for yes/no and digit answers, ~24 for chain-of-thought): the positions after them are EOS, as after any answer the model was trained on. The same for every stage.",
      type: "object",
      additionalProperties: false,
      properties: {
        gsm8k: { type: "integer", minimum: 1, maximum: 4096 },
        mmcot: { type: "integer", minimum: 1, maximum: 4096 },
        vqa: { type: "integer", minimum: 1, maximum: 4096 },
        pope: { type: "integer", minimum: 1, maximum: 4096 },
        caption: { type: "integer", minimum: 1, maximum: 4096 },
      },
      default: {},
    },
  } as const;
  return {
    description,
    type: "object",
    additionalProperties: false,
    properties: {
      genLength: {
        description: "Response tokens generated after each text prompt (positions after them are EOS). Chain-of-thought answers need about 30.",
        type: "integer",
        minimum: 1,
        maximum: 4096,
        default: d.genLength,
      },
      steps: {
        description: "Text denoising steps over the whole response, split evenly over the blocks (rounded to a whole number per block).",
        type: "integer",
        minimum: 1,
        maximum: 4096,
        default: d.steps,
      },
      ...((withGenLengths ? perBenchmark : {}) as B extends true ? typeof perBenchmark : {}),
      blockLength: {
        description: "Semi-autoregressive block length: blocks are filled left to right.",
        type: "integer",
        minimum: 1,
        maximum: 4096,
        default: d.blockLength,
      },
      temperature: {
        description: "Gumbel noise on the text logits: 0 is greedy (the usual for benchmarks), 1 samples from the softmax (what GRPO needs: diverse responses).",
        type: "number",
        minimum: 0,
        maximum: 10,
        default: d.temperature,
      },
      imageSteps: {
        description: "MaskGIT steps per generated image.",
        type: "integer",
        minimum: 1,
        maximum: 1000,
        default: d.imageSteps,
      },
      guidance: {
        description: "Classifier-free guidance weight w: logits = (1 + w) cond - w uncond; 0 turns guidance off. The paper uses 3.5.",
        type: "number",
        minimum: 0,
        maximum: 20,
        default: d.guidance,
      },
      imageTemperature: {
        description: "Gumbel scale of MaskGIT's re-masking confidence (annealed to 0 over the steps).",
        type: "number",
        minimum: 0,
        maximum: 10,
        default: 1,
      },
      imageTemperatureSchedule: {
        description: "How that scale decays: compound (the reference code: multiplied by 1 - (k+1)/K at every step k) or linear (scale * (1 - (k+1)/K)).",
        enum: ["compound", "linear"],
        default: "compound",
      },
    },
    default: {},
  } as const;
}

/** A `sampler` block as the kind receives it (defaults filled). */
export interface SamplerSettings {
  genLength: number;
  steps: number;
  genLengths?: { [bench: string]: number | undefined };
  blockLength: number;
  temperature: number;
  imageSteps: number;
  guidance: number;
  imageTemperature: number;
  imageTemperatureSchedule: "compound" | "linear";
}

/**
 * What the samplers take. With `bench`, its own generation length (genLengths) and the same number
 * of steps per generated token as genLength / steps.
 */
export function samplingOf(s: SamplerSettings, bench?: string): { text: TextSampling; image: ImageSampling } {
  const genLength = (bench !== undefined ? s.genLengths?.[bench] : undefined) ?? s.genLength;
  const steps = genLength === s.genLength ? s.steps : Math.max(1, Math.round((s.steps * genLength) / s.genLength));
  return {
    text: { genLength, steps, blockLength: Math.min(s.blockLength, genLength), temperature: s.temperature },
    image: { steps: s.imageSteps, guidance: s.guidance, temperature: s.imageTemperature, temperatureSchedule: s.imageTemperatureSchedule },
  };
}
