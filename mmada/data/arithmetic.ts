// Generated arithmetic word problems with a chain of thought (the tiny GSM8K analogue of
// docs/mmada.md §6): "3+4*2=?" -> reasoning "4*2=8 3+8=11", answer "11". Products are worked out
// first, then sums left to right, one step per operator, exactly as a person would write them.
import type { Rng } from "../../model/rng.ts";
import { BadInputError } from "../../contract/failures.ts";
import type { SplitSizes } from "./vocab.ts";
import { intIn, pick, rngFor } from "./random.ts";
import { formatCotAnswer, sampleTokens } from "./templates.ts";

export type Operator = "+" | "-" | "*";

export interface ArithmeticOptions {
  minOps: number;
  maxOps: number;
  minOperand: number;
  maxOperand: number;
  operators: Operator[];
}

export interface CotRecord {
  question: string;
  reasoning: string;
  answer: string;
}

/** Draws per record before giving up: generous, since rejections are cheap. */
const MAX_TRIES = 2000;

/** Solves `nums[0] ops[0] nums[1] ...`; undefined when an intermediate result goes negative
 *  (negative numbers would add a sign convention the tiny models do not need to learn). */
export function solve(nums: number[], ops: Operator[]): CotRecord | undefined {
  const question = nums.map((n, i) => (i === 0 ? String(n) : `${ops[i - 1]}${n}`)).join("") + "=?";
  const steps: string[] = [];
  const vals = [...nums];
  const rest = [...ops];
  for (let i = 0; i < rest.length; ) {
    if (rest[i] !== "*") {
      i++;
      continue;
    }
    const r = vals[i]! * vals[i + 1]!;
    steps.push(`${vals[i]}*${vals[i + 1]}=${r}`);
    vals.splice(i, 2, r);
    rest.splice(i, 1);
  }
  let acc = vals[0]!;
  for (let j = 0; j < rest.length; j++) {
    const b = vals[j + 1]!;
    const r = rest[j] === "+" ? acc + b : acc - b;
    if (r < 0) return undefined;
    steps.push(`${acc}${rest[j]}${b}=${r}`);
    acc = r;
  }
  return { question, reasoning: steps.join(" "), answer: String(acc) };
}

export function drawProblem(rng: Rng, a: ArithmeticOptions): CotRecord | undefined {
  const nOps = intIn(rng, a.minOps, a.maxOps);
  const nums = Array.from({ length: nOps + 1 }, () => intIn(rng, a.minOperand, a.maxOperand));
  const ops = Array.from({ length: nOps }, () => pick(rng, a.operators));
  return solve(nums, ops);
}

type Rejection = "negative" | "too long" | "repeats a held-out question";

/**
 * Problems per split. Test is drawn first, then val, then train; val/test questions are distinct
 * and never appear in train, so exact-match accuracy on them measures generalisation.
 */
export function generateCot(seed: number, a: ArithmeticOptions, counts: SplitSizes, maxSampleLength: number): { [s in keyof SplitSizes]: CotRecord[] } {
  const heldOut = new Set<string>();
  const out = { train: [] as CotRecord[], val: [] as CotRecord[], test: [] as CotRecord[] };
  for (const split of ["test", "val", "train"] as const) {
    const rng = rngFor(seed, `cot/${split}`);
    for (let k = 0; k < counts[split]; k++) {
      const rejected = new Map<Rejection, number>();
      const reject = (why: Rejection) => rejected.set(why, (rejected.get(why) ?? 0) + 1);
      let record: CotRecord | undefined;
      for (let t = 0; t < MAX_TRIES && !record; t++) {
        const r = drawProblem(rng, a);
        if (!r) reject("negative");
        else if (sampleTokens(r.question, formatCotAnswer(r.reasoning, r.answer)) > maxSampleLength) reject("too long");
        else if (heldOut.has(r.question)) reject("repeats a held-out question");
        else record = r;
      }
      if (!record) throw tooHard(split, k, counts, rejected, maxSampleLength);
      if (split !== "train") heldOut.add(record.question);
      out[split].push(record);
    }
  }
  return out;
}

function tooHard(split: keyof SplitSizes, k: number, counts: SplitSizes, rejected: Map<Rejection, number>, budget: number): BadInputError {
  const worst = [...rejected.entries()].sort((x, y) => y[1] - x[1])[0]?.[0];
  const fix =
    worst === "too long"
      ? `problems exceed maxSampleLength ${budget}: lower arithmetic.maxOps/maxOperand or raise maxSampleLength`
      : worst === "negative"
        ? "almost every draw goes negative: add '+' or '*' to arithmetic.operators"
        : `val+test (${counts.val + counts.test}) use up the distinct problems: raise arithmetic.maxOperand/maxOps or lower counts.cot.val/test`;
  return new BadInputError(`cot: could not draw ${split} problem ${k + 1} of ${counts[split]} in ${MAX_TRIES} tries; ${fix}`);
}
