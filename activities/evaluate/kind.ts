// The `evaluate` step kind as the compiler sees it: schema, inputs, outputs.
import { fixedOutputs, type KindDefinition } from "../../contract/step-kind.ts";
import { checkEvaluate } from "./options.ts";
import { schema, type EvaluateWith } from "./schema.ts";

export const evaluateKind: KindDefinition = {
  name: "evaluate",
  description: "Evaluate a model checkpoint on the tiny benchmarks; writes a report and generated samples.",
  schema,
  inputs: { dataset: "dataset", tokens: "tokens", checkpoint: "checkpoint", classifier: "classifier", vq: "vq", judge2: "classifier" },
  outputs: fixedOutputs({ report: "file", samples: "dir" }),
  check: (w, ctx) => checkEvaluate(w as EvaluateWith, ctx),
};
