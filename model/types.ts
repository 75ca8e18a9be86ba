// Types shared across model/: named trainable tensors and the logits function samplers consume.
import type * as tf from "@tensorflow/tfjs-core";

/** Trainable parameters by stable name (the names are the checkpoint keys). */
export type Params = Record<string, tf.Variable>;

/** tokens [B, L] int32 -> logits [B, L, V] float32. Samplers and UniGRPO take this, not the model. */
export type LogitsFn = (tokens: tf.Tensor2D) => tf.Tensor3D;
