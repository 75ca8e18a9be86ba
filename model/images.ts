// Image helpers for flattened square grey images (MNIST: 28x28 in [0, 1], row-major, [B, S*S]).
// Patches are listed row-major over the grid, so VQ token i is the patch at (i / g, i % g).
import * as tf from "@tensorflow/tfjs-core";
import { gridSide } from "./vq-config.ts";

export { gridSide } from "./vq-config.ts";

/** Column order that lists pixels patch by patch: perm[j] = source pixel of patch-major column j. */
function patchOrder(imageSize: number, patchSize: number): { perm: Int32Array; inverse: Int32Array } {
  const key = `${imageSize}/${patchSize}`;
  const cached = orders.get(key);
  if (cached) return cached;
  const g = gridSide(imageSize, patchSize);
  const perm = new Int32Array(imageSize * imageSize);
  const inverse = new Int32Array(imageSize * imageSize);
  let j = 0;
  for (let gy = 0; gy < g; gy++) for (let gx = 0; gx < g; gx++) {
    for (let py = 0; py < patchSize; py++) for (let px = 0; px < patchSize; px++) {
      const src = (gy * patchSize + py) * imageSize + gx * patchSize + px;
      perm[j] = src;
      inverse[src] = j++;
    }
  }
  const order = { perm, inverse };
  orders.set(key, order);
  return order;
}
const orders = new Map<string, { perm: Int32Array; inverse: Int32Array }>();

/** x[:, perm] with gradient dy[:, inverse]. A column gather instead of a 5-D transpose, which is
 *  ~10x slower on wasm; the custom gradient avoids gather's backward (missing on wasm). */
function permuteColumns(x: tf.Tensor2D, perm: Int32Array, inverse: Int32Array): tf.Tensor2D {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor2D;
    return {
      value: tf.gather(input, tf.tensor1d(perm, "int32"), 1),
      gradFunc: (dy: tf.Tensor) => [tf.gather(dy, tf.tensor1d(inverse, "int32"), 1)],
    };
  });
  return f(x) as tf.Tensor2D;
}

/** images [B, S*S] -> patches [B*N, P*P], N = (S/P)^2, patch-major within each image. */
export function patchify(images: tf.Tensor2D, imageSize: number, patchSize: number): tf.Tensor2D {
  const { perm, inverse } = patchOrder(imageSize, patchSize);
  const n = gridSide(imageSize, patchSize) ** 2;
  return tf.tidy(() => {
    const ordered = permuteColumns(images, perm, inverse); // [B, N*P*P]
    return tf.reshape(ordered, [images.shape[0] * n, patchSize * patchSize]) as tf.Tensor2D; // [B*N, P*P]
  });
}

/** Inverse of patchify: patches [B*N, P*P] -> images [B, S*S]. */
export function unpatchify(patches: tf.Tensor2D, imageSize: number, patchSize: number): tf.Tensor2D {
  const { perm, inverse } = patchOrder(imageSize, patchSize);
  const n = gridSide(imageSize, patchSize) ** 2;
  const b = patches.shape[0] / n;
  if (!Number.isInteger(b)) throw new Error(`unpatchify: ${patches.shape[0]} patches is not a multiple of ${n}`);
  return tf.tidy(() => {
    const flat = tf.reshape(patches, [b, imageSize * imageSize]) as tf.Tensor2D; // [B, N*P*P] patch-major
    return permuteColumns(flat, inverse, perm); // [B, S*S]
  });
}

/** Rows `idx` of a flat [n, width] array as a [idx.length, width] tensor. */
export function gatherRows(data: Float32Array, width: number, idx: ArrayLike<number>): tf.Tensor2D {
  const out = new Float32Array(idx.length * width);
  for (let r = 0; r < idx.length; r++) {
    const src = idx[r]! * width;
    out.set(data.subarray(src, src + width), r * width);
  }
  return tf.tensor2d(out, [idx.length, width]);
}
