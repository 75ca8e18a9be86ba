// What several benches share: the `--name value` flags of the diagnostic benches (recognition,
// overfit, answers), the main job's sampler settings they answer with, and the section of
// BENCHMARKS.md each measuring bench (engine, soak, quality) rewrites.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type ImageSampling, type TextSampling } from "../mmada/eval.ts";

/** Flags are read and checked before any work starts: a missing or bad value is a one-line error
 *  that names the flag (and, when required, the usage), not a failure minutes into a run. */
export interface Flags {
  has(flag: string): boolean;
  /** The flag's value, else `fallback`; without either, an error with the usage. */
  text(flag: string, fallback?: string): string;
  /** A positive number (a whole one when `integer`). */
  positive(flag: string, fallback: string, integer: boolean): number;
}

export function readFlags(argv: readonly string[], usage: string): Flags {
  const text = (flag: string, fallback?: string): string => {
    const i = argv.indexOf(flag);
    const v = i >= 0 ? argv[i + 1] : fallback;
    if (v === undefined) throw new Error(`${flag} is required (${usage})`);
    return v;
  };
  return {
    has: (flag) => argv.includes(flag),
    text,
    positive(flag, fallback, integer) {
      const v = Number(text(flag, fallback));
      if (!(v > 0) || (integer && !Number.isInteger(v))) throw new Error(`${flag} ${text(flag, fallback)}: give a positive ${integer ? "whole " : ""}number`);
      return v;
    },
  };
}

// The sampler settings of the main job's evaluate steps (pipelines/mmada-tiny.yaml, `eval_stage*.sampler`)
// per benchmark, as the evaluate step derives them (activities/evaluate/run.ts: genLengths, steps in
// proportion, blockLength at most genLength), so the diagnostic benches answer as the main job does.
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

// BENCHMARKS.md is written by the benchmarks themselves: each owns one `## <title>` section and
// replaces it (or appends it) with what it just measured, leaving every other section as it was.
export const BENCHMARKS_MD = join(resolve(fileURLToPath(new URL("..", import.meta.url))), "BENCHMARKS.md");

/** Replaces the section `## <title>` of BENCHMARKS.md by `body` (appended when there is none). */
export function writeSection(title: string, body: string, file = BENCHMARKS_MD): void {
  const doc = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmarks\n";
  const section = `## ${title}\n\n${body.trim()}\n`;
  const start = doc.search(new RegExp(`^## ${title.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*$`, "m"));
  if (start < 0) return writeFileSync(file, `${doc.trimEnd()}\n\n${section}`);
  const next = doc.slice(start + 1).search(/^## /m);
  writeFileSync(file, `${doc.slice(0, start)}${section}${next < 0 ? "" : `\n${doc.slice(start + 1 + next)}`}`);
}
