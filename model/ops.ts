// Small tensor ops written for the wasm backend's fast path: its plain 2-D matMul is fast,
// while transposed (transposeA/B) and batched matMuls are ~10x slower. So gradients transpose
// explicitly and multiply with plain 2-D matMuls. Also the two types every model file speaks:
// named trainable tensors (Params) and the logits function samplers take (LogitsFn).
import * as tf from "@tensorflow/tfjs-core";
import { register } from "node:module";

// The Node build of @tensorflow/tfjs-core (dist/tf-core.node.js) registers NO gradient functions:
// only the union package @tensorflow/tfjs does, by importing dist/register_all_gradients.js, and that
// file is ESM with extensionless relative imports that Node cannot resolve on its own. A tiny resolve
// hook adds the ".js" (or "/index.js") inside tfjs-core/dist; the gradient configs then register into
// the process-global gradient registry that the CJS build also reads (tfjs keeps registries and the
// engine on a global object precisely so that several copies cooperate). Costs ~1 s once per process.
const TFJS_DIST_HOOK = `
export async function resolve(specifier, context, next) {
  const inTfjsDist = context.parentURL && context.parentURL.includes("/@tensorflow/tfjs-core/dist/");
  if (inTfjsDist && specifier.startsWith(".") && !specifier.endsWith(".js")) {
    try { return await next(specifier + ".js", context); } catch { return next(specifier + "/index.js", context); }
  }
  return next(specifier, context);
}`;

/** Registers every tfjs-core gradient once per process (idempotent). ops.ts awaits it on import. */
export async function registerGradients(): Promise<void> {
  const flag = "__mmadaGradientsRegistered";
  const g = globalThis as Record<string, unknown>;
  // Already there when @tensorflow/tfjs (e.g. via tfjs-node) was loaded: re-registering would only warn.
  if (g[flag] || tf.getGradient(tf.Add) !== undefined) return;
  g[flag] = true;
  register(`data:text/javascript,${encodeURIComponent(TFJS_DIST_HOOK)}`);
  await import("@tensorflow/tfjs-core/dist/register_all_gradients.js");
}
await registerGradients();

/** y = x @ w for x [M, K], w [K, N] -> [M, N]; backward uses explicit transposes. */
export const matmul2d = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, w, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: tf.matMul(x, w),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy as tf.Tensor2D)];
    },
  };
}) as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/** x [..., K] @ w [K, N] -> [..., N], flattening the leading dimensions into one 2-D matMul. */
export function linear(x: tf.Tensor, w: tf.Tensor2D): tf.Tensor {
  const k = x.shape[x.shape.length - 1]!;
  const lead = x.shape.slice(0, -1);
  const y = matmul2d(tf.reshape(x, [-1, k]) as tf.Tensor2D, w);
  return tf.reshape(y, [...lead, w.shape[1]]);
}

const batchTranspose = (x: tf.Tensor3D): tf.Tensor3D => tf.transpose(x, [0, 2, 1]);

/**
 * Softmax attention without a mask, for each of the G = batch * heads groups:
 * softmax(q @ kT) @ v with q [G, L, dk] (already scaled by 1/sqrt(dk)), kT [G, dk, L] (K already
 * transposed), v [G, L, dv] -> [G, L, dv]. Bidirectional by construction (MMaDA has no causal mask).
 *
 * Measured on wasm (B=16, H=4, L=67, hd=32, fwd+bwd; model/README.md "Attention"): one batched
 * matMul per product beats per-(batch, head) 2-D matMuls (~2.5x slower: op overhead), a
 * block-diagonal 2-D matMul per batch row (~2x, H-fold wasted FLOPs) and broadcast-multiply-sum
 * (~4x). The backward is written out so every product is a plain batched matMul on explicitly
 * transposed operands (transpose flags take a slower path).
 */
export const attention = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [q, kT, v, save] = args as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.GradSaveFunc];
  const p = tf.softmax(tf.matMul(q, kT)) as tf.Tensor3D; // [G, L, L]
  save([q, kT, v, p]);
  return {
    value: tf.matMul(p, v), // [G, L, dv]
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [qs, kTs, vs, ps] = saved as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
      const dO = dy as tf.Tensor3D;
      const dV = tf.matMul(batchTranspose(ps), dO); // [G, L, dv]
      const dP = tf.matMul(dO, batchTranspose(vs)); // [G, L, L]
      // Softmax backward: dS = P * (dP - rowsum(dP * P)).
      const dS = tf.mul(ps, tf.sub(dP, tf.sum(tf.mul(dP, ps), -1, true))) as tf.Tensor3D; // [G, L, L]
      return [tf.matMul(dS, batchTranspose(kTs)), tf.matMul(batchTranspose(qs), dS), dV];
    },
  };
}) as (q: tf.Tensor3D, kT: tf.Tensor3D, v: tf.Tensor3D) => tf.Tensor3D;

/**
 * One-hot rows as float32: indices [M] int32 -> [M, depth]. tfjs-backend-wasm 4.22's OneHot kernel
 * ignores a float32 dtype and writes int32 bit patterns into the float buffer (1 reads as 1.4e-45),
 * so build the int32 one-hot and cast.
 */
export function oneHotFloat(indices: tf.Tensor1D, depth: number): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(indices, depth), "float32") as tf.Tensor2D);
}

/** Trainable parameters by stable name (the names are the checkpoint keys). */
export type Params = Record<string, tf.Variable>;

/** tokens [B, L] int32 -> logits [B, L, V] float32. Samplers and UniGRPO take this, not the model. */
export type LogitsFn = (tokens: tf.Tensor2D) => tf.Tensor3D;
