// What generation and scoring need, bundled once per step: the policy's logits, the sequence
// layout (sizes + tokenizer), and the frozen VQ decoder and digit classifier that judge images.
import type { Classifier } from "../../../model/classifier.ts";
import type { LayoutContext } from "../../../model/layouts.ts";
import type { LogitsFn } from "../../../model/types.ts";
import type { Vq } from "../../../model/vq.ts";

export interface EvalModels {
  logits: LogitsFn;
  layout: LayoutContext;
  vq: Vq;
  classifier: Classifier;
  /** Most rows per forward pass. */
  maxBatch: number;
}
