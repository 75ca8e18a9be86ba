// Test-only step kinds, injected with `{ kinds }`: a producer of a `dataset` artifact and a
// consumer that expects one, to exercise artifact-kind checking (E_KIND_MISMATCH).
import { fixedOutputs, type StepKindInfo } from "../../contract/step-kind.ts";
import { stepKinds } from "../../engine/kinds.ts";

const makeData: StepKindInfo = {
  name: "make-data",
  version: "1",
  description: "test kind: produces a dataset",
  schema: {
    type: "object",
    additionalProperties: false,
    properties: { size: { type: "integer", minimum: 1 } },
  },
  inputs: {},
  outputs: fixedOutputs({ data: "dataset" }),
};

const trainTest: StepKindInfo = {
  name: "train-test",
  version: "7",
  description: "test kind: consumes a dataset, produces a checkpoint",
  schema: {
    type: "object",
    required: ["data"],
    additionalProperties: false,
    properties: {
      data: { type: "string" },
      lr: { type: "number", exclusiveMinimum: 0 },
      steps: { type: "integer", minimum: 1 },
    },
  },
  inputs: { data: "dataset" },
  outputs: fixedOutputs({ model: "checkpoint" }),
  defaults: { queue: "gpu", timeout: "2h", retry: { maximumAttempts: 5 } },
  checkpoints: true,
};

export const testKinds: Record<string, StepKindInfo> = { ...stepKinds(), "make-data": makeData, "train-test": trainTest };
