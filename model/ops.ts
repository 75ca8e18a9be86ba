// Small tensor ops written for the wasm backend's fast path: its plain 2-D matMul is fast,
// while transposed (transposeA/B) and batched matMuls are ~10x slower. So gradients transpose
// explicitly and multiply with plain 2-D matMuls.
import * as tf from "@tensorflow/tfjs-core";

/** y = x @ w for x [M, K], w [K, N] -> [M, N]; backward uses explicit transposes. */
export const matmul2d = tf.customGrad((x: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D),
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
