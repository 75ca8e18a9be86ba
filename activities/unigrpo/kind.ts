// The `unigrpo` step kind as the compiler sees it: schema, inputs, outputs.
import { fixedOutputs, type KindDefinition } from "../../contract/step-kind.ts";
import { checkUnigrpo } from "./options.ts";
import { schema, type UnigrpoWith } from "./schema.ts";

export const unigrpoKind: KindDefinition = {
  name: "unigrpo",
  description: "Stage 3: UniGRPO reinforcement learning of the diffusion model; resumable.",
  schema,
  inputs: { dataset: "dataset", tokens: "tokens", init: "checkpoint", classifier: "classifier", vq: "vq" },
  outputs: fixedOutputs({ checkpoint: "checkpoint" }),
  checkpoints: true,
  check: (w, ctx) => checkUnigrpo(w as UnigrpoWith, ctx),
};
