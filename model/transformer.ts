// The MMaDA backbone at tiny scale: a LLaDA-style bidirectional transformer (NO causal mask: every
// position attends to every other, docs/mmada.md §1) over the unified text + image vocabulary.
//   x = onehot(tokens) @ E                      token embedding (a matmul: wasm lacks gather's gradient)
//   per layer:  x += Wo · Attn(RoPE(Wq h), RoPE(Wk h), Wv h),  h = RMSNorm(x)
//               x += Wdown (silu(Wgate h) * Wup h),             h = RMSNorm(x)   (SwiGLU)
//   logits = RMSNorm(x) @ W_head                 over all textVocabSize + codebookSize ids
// Every dense layer goes through ops.linear (plain 2-D matmuls); attention through ops.attention.
// Parameter names are the checkpoint keys: keep them stable.
import * as tf from "@tensorflow/tfjs-core";
import { headDim, type ModelConfig, validateConfig } from "./config.ts";
import { chooseKernels, type Kernels } from "./native/index.ts";
import { nativeLogits } from "./native/ops.ts";
import { attention, linear, type LogitsFn, oneHotFloat, type Params } from "./ops.ts";
import type { Rng } from "./rng.ts";
import { vocabSize } from "./vocab.ts";

export interface MMaDA {
  config: ModelConfig;
  params: Params;
}

export interface ForwardOptions {
  /** Training mode turns dropout on (needs `rng`); inference (the default) is deterministic. */
  training?: boolean;
  rng?: Rng;
  /** Which kernels run the model: the add-on's fused ones or the plain tfjs ops (the reference).
   *  Default: MMADA_KERNELS, else native when available (model/native/index.ts). */
  kernels?: Kernels;
}

/** Parameter name -> shape, in a fixed order (checkpoints and the PyTorch reference use it). */
export function paramShapes(c: ModelConfig): Array<[string, number[]]> {
  const V = vocabSize(c);
  const D = c.dModel;
  const M = c.mlpHidden;
  const shapes: Array<[string, number[]]> = [["embed", [V, D]]];
  for (let i = 0; i < c.nLayers; i++) {
    shapes.push(
      [`layers.${i}.attn_norm`, [D]],
      [`layers.${i}.attn.wq`, [D, D]],
      [`layers.${i}.attn.wk`, [D, D]],
      [`layers.${i}.attn.wv`, [D, D]],
      [`layers.${i}.attn.wo`, [D, D]],
      [`layers.${i}.mlp_norm`, [D]],
      [`layers.${i}.mlp.w_gate`, [D, M]],
      [`layers.${i}.mlp.w_up`, [D, M]],
      [`layers.${i}.mlp.w_down`, [M, D]],
    );
  }
  shapes.push(["final_norm", [D]], ["lm_head", [D, V]]);
  return shapes;
}

/** Norm gains start at 1; matrices ~ N(0, initStd^2), residual outputs scaled by 1/sqrt(2 nLayers) (GPT-2). */
export function createModel(config: ModelConfig, rng: Rng): MMaDA {
  const errors = validateConfig(config);
  if (errors.length > 0) throw new Error(`createModel: invalid config:\n  - ${errors.join("\n  - ")}`);
  const residualStd = config.initStd / Math.sqrt(2 * config.nLayers);
  const params: Params = {};
  for (const [name, shape] of paramShapes(config)) {
    if (shape.length === 1) {
      params[name] = tf.variable(tf.ones(shape), true);
      continue;
    }
    const std = name.endsWith(".wo") || name.endsWith(".w_down") ? residualStd : config.initStd;
    const n = shape[0]! * shape[1]!;
    params[name] = tf.variable(tf.tensor(rng.fill(n, () => rng.normal() * std), shape, "float32"), true);
  }
  return { config: { ...config }, params };
}

/** A copy of the model's weights in new variables (`trainable` false: one no optimizer moves, e.g. UniGRPO's frozen reference). */
export function copyModel(model: MMaDA, trainable: boolean): MMaDA {
  const params = Object.fromEntries(Object.entries(model.params).map(([k, v]) => [k, tf.variable(v, trainable)]));
  return { config: { ...model.config }, params };
}

export function disposeModel(model: MMaDA): void {
  for (const v of Object.values(model.params)) v.dispose();
}

export function parameterCount(config: ModelConfig): number {
  return paramShapes(config).reduce((sum, [, s]) => sum + s.reduce((a, b) => a * b, 1), 0);
}

/**
 * Forward FLOPs per token at sequence length L (multiply-add = 2): the dense layers' 2 * weights
 * (embedding one-hot matmul included, as it really runs) plus attention's 4 * L * dModel per layer.
 * A training step costs about 3x this.
 */
export function forwardFlopsPerToken(config: ModelConfig, length: number): number {
  return 2 * parameterCount(config) + config.nLayers * 4 * length * config.dModel;
}

/** The kernels a forward with these options runs on (dropout exists only on the tfjs path). */
export function kernelsFor(config: ModelConfig, opts: ForwardOptions = {}): Kernels {
  return chooseKernels(opts.kernels, Boolean(opts.training) && config.dropout > 0);
}

/** The parameters in paramShapes order (the add-on's layout). */
export function orderedParams(model: MMaDA): tf.Variable[] {
  return paramShapes(model.config).map(([name]) => model.params[name]!);
}

/** tokens [B, L] int32 -> logits [B, L, V]. */
export function forward(model: MMaDA, tokens: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor3D {
  if (kernelsFor(model.config, opts) === "native") return nativeLogits(model.config, orderedParams(model), tokens);
  const { config: c, params: P } = model;
  const [B, L] = tokens.shape;
  const V = vocabSize(c);
  const dropout = opts.training ? c.dropout : 0;
  if (dropout > 0 && !opts.rng) throw new Error("forward: training with dropout > 0 needs opts.rng (all randomness goes through Rng)");
  const drop = (x: tf.Tensor2D): tf.Tensor2D => (dropout > 0 ? tf.mul(x, dropoutMask(opts.rng!, x.shape, dropout)) : x);
  const rope = ropeTables(L, headDim(c), c.ropeBase);

  return tf.tidy(() => {
    const onehot = oneHotFloat(tf.reshape(tokens, [-1]) as tf.Tensor1D, V); // [B*L, V]
    let x = drop(embed(onehot, P.embed as tf.Tensor2D)); // [B*L, D]
    for (let i = 0; i < c.nLayers; i++) {
      const pre = `layers.${i}`;
      const h = rmsNorm(x, P[`${pre}.attn_norm`]!, c.normEps); // [B*L, D]
      const a = selfAttention(h, P, pre, B, L, c, rope); // [B*L, D]
      x = tf.add(x, drop(a));
      const h2 = rmsNorm(x, P[`${pre}.mlp_norm`]!, c.normEps); // [B*L, D]
      x = tf.add(x, drop(swiglu(h2, P, pre)));
    }
    const logits = linear(rmsNorm(x as tf.Tensor2D, P.final_norm!, c.normEps), P.lm_head as tf.Tensor2D); // [B*L, V]
    return tf.reshape(logits, [B, L, V]) as tf.Tensor3D;
  });
}

/** The inference-mode forward as the LogitsFn samplers and UniGRPO consume. */
export function logitsFn(model: MMaDA, opts: Pick<ForwardOptions, "kernels"> = {}): LogitsFn {
  return (tokens) => forward(model, tokens, opts);
}

/** Multi-head self-attention over all L positions (no mask). h [B*L, D] -> [B*L, D]. */
function selfAttention(h: tf.Tensor2D, P: Params, pre: string, B: number, L: number, c: ModelConfig, rope: RopeTables): tf.Tensor2D {
  const H = c.nHeads;
  const hd = headDim(c);
  const heads = (w: string) => tf.reshape(linear(h, P[`${pre}.attn.${w}`] as tf.Tensor2D), [B, L, H, hd]); // [B, L, H, hd]
  const q = applyRope(heads("wq"), rope); // [B, L, H, hd]
  const k = applyRope(heads("wk"), rope); // [B, L, H, hd]
  const v = heads("wv");
  // Head-major layouts; K comes out already transposed so attention needs no transposed matmul.
  const qh = tf.reshape(tf.mul(tf.transpose(q, [0, 2, 1, 3]), 1 / Math.sqrt(hd)), [B * H, L, hd]) as tf.Tensor3D; // [B*H, L, hd]
  const kT = tf.reshape(tf.transpose(k, [0, 2, 3, 1]), [B * H, hd, L]) as tf.Tensor3D; // [B*H, hd, L]
  const vh = tf.reshape(tf.transpose(v, [0, 2, 1, 3]), [B * H, L, hd]) as tf.Tensor3D; // [B*H, L, hd]
  const o = attention(qh, kT, vh); // [B*H, L, hd]
  const merged = tf.reshape(tf.transpose(tf.reshape(o, [B, H, L, hd]), [0, 2, 1, 3]), [B * L, H * hd]); // [B*L, D]
  return linear(merged, P[`${pre}.attn.wo`] as tf.Tensor2D) as tf.Tensor2D;
}

/** SwiGLU MLP: Wdown (silu(Wgate h) * Wup h). h [B*L, D] -> [B*L, D]. */
function swiglu(h: tf.Tensor2D, P: Params, pre: string): tf.Tensor2D {
  const gate = linear(h, P[`${pre}.mlp.w_gate`] as tf.Tensor2D); // [B*L, M]
  const up = linear(h, P[`${pre}.mlp.w_up`] as tf.Tensor2D); // [B*L, M]
  return linear(tf.mul(tf.mul(gate, tf.sigmoid(gate)), up), P[`${pre}.mlp.w_down`] as tf.Tensor2D) as tf.Tensor2D;
}

/** RMSNorm: x / sqrt(mean(x^2) + eps) * g over the last axis. */
export function rmsNorm(x: tf.Tensor2D, g: tf.Tensor, eps: number): tf.Tensor2D {
  const inv = tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps)); // [M, 1]
  return tf.mul(tf.mul(x, inv), g);
}

interface RopeTables {
  /** [L, 1, hd], broadcast over the heads. */
  cos: tf.Tensor;
  sin: tf.Tensor;
  /** [hd, hd] signed permutation with x @ rot = rotate_half(x) = [-x2, x1]; rot^T = -rot. */
  rot: tf.Tensor2D;
  rotT: tf.Tensor2D;
}
const ropeCache = new Map<string, RopeTables>();

/**
 * Rotary position tables in the rotate-half convention (LLaDA / HF LLaMA): angle(pos, j) =
 * pos * base^(-2j/hd) for j < hd/2, repeated for both halves. Cached per (L, hd, base) for the
 * process lifetime (four small constant tensors per distinct shape).
 */
function ropeTables(L: number, hd: number, base: number): RopeTables {
  const key = `${L}/${hd}/${base}`;
  let t = ropeCache.get(key);
  if (!t) {
    const half = hd / 2;
    const cos = new Float32Array(L * hd);
    const sin = new Float32Array(L * hd);
    for (let pos = 0; pos < L; pos++) {
      for (let j = 0; j < half; j++) {
        const angle = pos * Math.pow(base, (-2 * j) / hd);
        cos[pos * hd + j] = cos[pos * hd + j + half] = Math.cos(angle);
        sin[pos * hd + j] = sin[pos * hd + j + half] = Math.sin(angle);
      }
    }
    const rot = new Float32Array(hd * hd);
    for (let j = 0; j < half; j++) {
      rot[(j + half) * hd + j] = -1; // out[j] = -x[j + half]
      rot[j * hd + j + half] = 1; // out[j + half] = x[j]
    }
    t = tf.tidy(() => ({
      cos: tf.keep(tf.tensor3d(cos, [L, 1, hd])),
      sin: tf.keep(tf.tensor3d(sin, [L, 1, hd])),
      rot: tf.keep(tf.tensor2d(rot, [hd, hd])),
      rotT: tf.keep(tf.neg(tf.tensor2d(rot, [hd, hd]))),
    }));
    ropeCache.set(key, t);
  }
  return t;
}

/**
 * RoPE: x * cos + rotate_half(x) * sin for x [B, L, H, hd]. rotate_half is a matmul with a fixed
 * permutation (wasm's split/concat on 4-D tensors cost more than the whole small matmul), and the
 * backward is written out: dx = dy * cos + (dy * sin) @ rot^T.
 */
function applyRope(x: tf.Tensor, t: RopeTables): tf.Tensor {
  const hd = x.shape[x.shape.length - 1]!;
  const rotate = (z: tf.Tensor, r: tf.Tensor2D) => tf.reshape(tf.matMul(tf.reshape(z, [-1, hd]) as tf.Tensor2D, r), z.shape);
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const xi = args[0] as tf.Tensor;
    return {
      value: tf.add(tf.mul(xi, t.cos), tf.mul(rotate(xi, t.rot), t.sin)),
      gradFunc: (dy: tf.Tensor) => [tf.add(tf.mul(dy, t.cos), rotate(tf.mul(dy, t.sin), t.rotT))],
    };
  }) as (x: tf.Tensor) => tf.Tensor;
  return op(x);
}

/** onehot [M, V] @ E [V, D] differentiated in E only (the one-hot input is data, not a parameter). */
function embed(onehot: tf.Tensor2D, table: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [e, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    save([onehot]); // kept for the backward: the forward's tidy disposes it otherwise
    return {
      value: tf.matMul(onehot, e), // [M, D]
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.matMul(tf.transpose(saved[0] as tf.Tensor2D), dy as tf.Tensor2D)], // [V, D]
    };
  }) as (e: tf.Tensor2D) => tf.Tensor2D;
  return op(table);
}

/** Inverted-dropout mask (0 or 1/(1-p)) drawn from the project Rng. */
function dropoutMask(rng: Rng, shape: number[], p: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const keep = 1 / (1 - p);
  return tf.tensor(rng.fill(n, () => (rng.uniform() < p ? 0 : keep)), shape, "float32");
}
