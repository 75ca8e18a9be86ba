// Dense (fully connected) layers for the small auxiliary models (VQ-VAE, digit classifier).
// Weights are drawn from the project Rng (never tf.random*), so initialisation is reproducible on
// every backend; matmuls go through ops.linear, the wasm-fast path.
import * as tf from "@tensorflow/tfjs-core";
import { linear, type Params } from "./ops.ts";
import type { Rng } from "./rng.ts";

export type Activation = "relu" | "none";

/** Trainable variable of `shape` with N(0, std^2) entries from rng. */
export function normalVariable(rng: Rng, shape: number[], std: number): tf.Variable {
  const n = shape.reduce((a, b) => a * b, 1);
  return toVariable(tf.tensor(rng.fill(n, () => rng.normal() * std), shape, "float32"), true);
}

/** A variable holding `init`, disposing `init` (tf.variable alone would leave it allocated). */
export function toVariable(init: tf.Tensor, trainable: boolean): tf.Variable {
  const v = tf.variable(init, trainable);
  init.dispose();
  return v;
}

/** Adds `${prefix}.w{i}` [in, out] (He-normal for ReLU) and `${prefix}.b{i}` [out] (zeros) for each
 *  consecutive pair of sizes, e.g. sizes [784, 256, 10] makes two layers. */
export function addMlpParams(params: Params, rng: Rng, prefix: string, sizes: number[]): void {
  for (let i = 0; i + 1 < sizes.length; i++) {
    const fanIn = sizes[i]!;
    const fanOut = sizes[i + 1]!;
    params[`${prefix}.w${i}`] = normalVariable(rng, [fanIn, fanOut], Math.sqrt(2 / fanIn));
    params[`${prefix}.b${i}`] = toVariable(tf.zeros([fanOut]), true);
  }
}

/** Number of layers addMlpParams created under prefix. */
export function mlpDepth(params: Params, prefix: string): number {
  let n = 0;
  while (params[`${prefix}.w${n}`]) n++;
  return n;
}

/** x [M, in] through the MLP under prefix; `hidden` after every layer but the last, none after it. */
export function mlpForward(params: Params, prefix: string, x: tf.Tensor2D, hidden: Activation = "relu"): tf.Tensor2D {
  const depth = mlpDepth(params, prefix);
  if (depth === 0) throw new Error(`mlpForward: no layers named "${prefix}.w0" in params`);
  let h = x;
  for (let i = 0; i < depth; i++) {
    h = tf.add(linear(h, params[`${prefix}.w${i}`] as tf.Variable as tf.Tensor2D), params[`${prefix}.b${i}`]!) as tf.Tensor2D;
    if (i + 1 < depth) h = activate(h, hidden);
  }
  return h;
}

function activate(x: tf.Tensor2D, a: Activation): tf.Tensor2D {
  return a === "relu" ? tf.relu(x) : x;
}
