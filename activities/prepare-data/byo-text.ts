// Bring your own text: `with.text` (JSONL of {text}) and `with.cot` (JSONL of {question,
// reasoning, answer}). Also where a brought source (artifact or path) becomes a checked path.
import { stat } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { BadInputError } from "../../contract/failures.ts";
import { type StepContext } from "../kit/step-context.ts";
import type { CotRecord } from "../mmada/data/arithmetic.ts";
import { readJsonl, stringFieldProblem, type BadRecords } from "./jsonl.ts";
import type { ByoSource } from "./options.ts";
import { formatCotAnswer, sampleTokens, unknownChars } from "../mmada/data/templates.ts";
import { normaliseText, toPassages } from "./text-source.ts";

export interface ResolvedSource {
  path: string;
  /** The name a user recognises in `file:line` messages. */
  file: string;
  /** Recorded in the manifest: name and, for artifacts, content hash. */
  describe: string;
}

/** The path of a brought file or folder; a BadInputError naming the field when it is missing. */
export async function resolveSource(ctx: StepContext, src: ByoSource, field: string, want: "file" | "dir"): Promise<ResolvedSource> {
  const path = typeof src === "string" ? resolve(src) : ctx.pathOf(src);
  const st = await stat(path).catch(() => undefined);
  if (!st) {
    throw new BadInputError(`prepare-data: with.${field} ${JSON.stringify(typeof src === "string" ? src : basename(path))} does not exist; check the path (relative to the project root)`);
  }
  if (want === "dir" && !st.isDirectory()) throw new BadInputError(`prepare-data: with.${field} must be a folder of PNG files, but ${basename(path)} is a file`);
  if (want === "file" && !st.isFile()) throw new BadInputError(`prepare-data: with.${field} must be a JSONL file, but ${basename(path)} is a folder`);
  const file = basename(path);
  return { path, file, describe: typeof src === "string" ? file : `${file} (sha256 ${src.sha256})` };
}

/** Passages of the brought text, normalised and cut exactly like Moby-Dick. */
export async function readByoText(src: ResolvedSource, passageLength: number, bad: BadRecords): Promise<string[]> {
  const records = await readJsonl(
    src.path,
    src.file,
    (obj) => {
      const problem = stringFieldProblem(obj, "text");
      if (problem) return { bad: problem };
      const text = normaliseText(obj["text"] as string);
      return text ? text : { bad: "text has no characters the tokenizer knows" };
    },
    bad,
  );
  return records.flatMap((r) => toPassages(r.value, passageLength));
}

const COT_FIELDS = ["question", "reasoning", "answer"] as const;

/** Brought chain-of-thought records; too long or with unknown characters counts as bad. */
export async function readByoCot(src: ResolvedSource, maxSampleLength: number, bad: BadRecords): Promise<CotRecord[]> {
  const records = await readJsonl<CotRecord>(
    src.path,
    src.file,
    (obj) => {
      for (const f of COT_FIELDS) {
        const problem = stringFieldProblem(obj, f);
        if (problem) return { bad: problem };
      }
      const r = { question: obj["question"] as string, reasoning: obj["reasoning"] as string, answer: obj["answer"] as string };
      const unknown = unknownChars(`${r.question}${r.reasoning}${r.answer}`);
      if (unknown.length) return { bad: `characters the tokenizer does not know: ${unknown.map((c) => JSON.stringify(c)).join(" ")}` };
      const n = sampleTokens(r.question, formatCotAnswer(r.reasoning, r.answer));
      if (n > maxSampleLength) return { bad: `question + answer is ${n} tokens, over maxSampleLength ${maxSampleLength}` };
      return r;
    },
    bad,
  );
  return records.map((r) => r.value);
}
