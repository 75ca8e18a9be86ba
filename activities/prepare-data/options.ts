// The prepare-data step's options: its `with` as the compiler hands it over (schema defaults
// filled), and the cross-field rules the schema cannot express (run by `mmada validate`).
import type { KindProblem } from "../../contract/step-kind.ts";
import type { InputValue, WithInputs } from "../kit/inputs.ts";
import type { PrepareDataWith } from "./schema.ts";

export type PrepareDataOptions = WithInputs<PrepareDataWith, "text" | "cot" | "images" | "captions">;

/** A brought file: an artifact (the engine stores project files) or a path (template substitution). */
export type ByoSource = InputValue;

export function checkPrepareData(w: PrepareDataWith): KindProblem[] {
  const problems: KindProblem[] = [];
  const a = w.arithmetic;
  if (a.maxOps < a.minOps) problems.push({ at: ["arithmetic", "maxOps"], message: `arithmetic.maxOps (${a.maxOps}) is below arithmetic.minOps (${a.minOps})`, hint: "raise maxOps or lower minOps" });
  if (a.maxOperand < a.minOperand) {
    problems.push({ at: ["arithmetic", "maxOperand"], message: `arithmetic.maxOperand (${a.maxOperand}) is below arithmetic.minOperand (${a.minOperand})`, hint: "raise maxOperand or lower minOperand" });
  }
  if ((w.images === undefined) !== (w.captions === undefined)) {
    problems.push({
      at: [w.images === undefined ? "captions" : "images"],
      message: "`images` and `captions` go together",
      hint: "give the PNG folder and its captions JSONL, or neither (then MNIST is used)",
    });
  }
  return problems;
}
