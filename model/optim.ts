// AdamW (Loshchilov & Hutter 2019) with PyTorch's update order: decoupled weight decay
// p <- p - lr * wd * p, then the bias-corrected Adam step. MMaDA trains every stage with it
// (docs/mmada.md §3: AdamW, weight decay 0.01). Moments live in tf.Variables so a step allocates
// nothing that outlives it; getState/setState move them in and out of checkpoints bit-exactly.
import * as tf from "@tensorflow/tfjs-core";
import { clipByGlobalNorm, clipScale } from "./clip.ts";
import { chooseKernels, type Kernels, nativeAddon } from "./native/index.ts";
import type { Params } from "./ops.ts";

export const DEFAULT_BETA1 = 0.9;
export const DEFAULT_BETA2 = 0.999;
export const DEFAULT_EPS = 1e-8;
export const DEFAULT_WEIGHT_DECAY = 0.01;

/** Which parameters get weight decay. Default: matrices only (rank >= 2), as in nanoGPT and the
 *  MMaDA reference, which exclude biases and norm gains. */
export type DecayFilter = (name: string, param: tf.Variable) => boolean;
export const decayMatricesOnly: DecayFilter = (_name, param) => param.rank >= 2;

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  decay?: DecayFilter;
  /** The update's kernels: the add-on's fused loop, or tfjs ops (default: as MMADA_KERNELS says). */
  kernels?: Kernels;
}

/** Plain-JSON part of the optimizer state (goes into a checkpoint header). */
export interface OptimizerMeta {
  kind: "adamw";
  /** Number of updates applied so far (the t of the bias correction). */
  step: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** Full state: meta plus one tensor per slot, named `m/<param>` and `v/<param>`. */
export interface OptimizerState {
  meta: OptimizerMeta;
  slots: Record<string, tf.Tensor>;
}

/** What the train loop needs from an optimizer. */
export interface Optimizer {
  step(grads: Record<string, tf.Tensor>, lr: number): void;
  /** Optional fused form of clipByGlobalNorm + step: returns the norm before clipping and applies
   *  nothing when it is not finite. The caller keeps ownership of `grads`. */
  clipAndStep?(grads: Record<string, tf.Tensor>, maxNorm: number, lr: number): number;
  getState(): OptimizerState;
  setState(state: OptimizerState): void;
}

export class AdamW implements Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private t = 0;
  private readonly params: Params;
  private readonly decayed: Set<string>;
  private readonly m: Record<string, tf.Variable> = {};
  private readonly v: Record<string, tf.Variable> = {};
  private readonly kernels: Kernels | undefined;
  /** While the native update runs, the moments live here (the variables are refreshed on demand:
   *  getState, setState, a tfjs-path step, dispose), so a step moves no moment through tensors. */
  private readonly hostMoments = new Map<string, { m: Float32Array; v: Float32Array }>();

  constructor(params: Params, opts: AdamWOptions = {}) {
    this.beta1 = opts.beta1 ?? DEFAULT_BETA1;
    this.beta2 = opts.beta2 ?? DEFAULT_BETA2;
    this.eps = opts.eps ?? DEFAULT_EPS;
    this.weightDecay = opts.weightDecay ?? DEFAULT_WEIGHT_DECAY;
    this.kernels = opts.kernels;
    checkHyper(this.beta1, this.beta2, this.eps, this.weightDecay);
    this.params = params;
    const decay = opts.decay ?? decayMatricesOnly;
    this.decayed = new Set();
    for (const [name, p] of Object.entries(params)) {
      if (!p.trainable) continue; // non-trainable state (e.g. usage counters) is not optimised
      this.m[name] = zerosVariable(p);
      this.v[name] = zerosVariable(p);
      if (decay(name, p)) this.decayed.add(name);
    }
  }

  /** Number of updates applied so far. */
  get stepCount(): number {
    return this.t;
  }

  /** One update. Parameters without a gradient (unused in this loss) are left untouched,
   *  like PyTorch's `grad is None`. The caller keeps ownership of `grads`. */
  step(grads: Record<string, tf.Tensor>, lr: number): void {
    this.checkStep(grads, lr);
    if (this.native()) {
      this.stepNative(grads, Object.values(grads).map((g) => g.dataSync() as Float32Array), lr, 1);
      return;
    }
    this.syncMoments();
    this.t += 1;
    // Bias corrections in float64 on the host, then applied as float32 scalars.
    const bc1 = 1 - Math.pow(this.beta1, this.t);
    const bc2 = 1 - Math.pow(this.beta2, this.t);
    const stepSize = lr / bc1;
    tf.tidy(() => {
      for (const [name, g] of Object.entries(grads)) {
        const p = this.params[name]!;
        const m = this.m[name]!;
        const v = this.v[name]!;
        const mNew = tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1));
        const vNew = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        m.assign(mNew);
        v.assign(vNew);
        const decayed = this.decayed.has(name) && this.weightDecay > 0 ? tf.mul(p, 1 - lr * this.weightDecay) : p;
        // p - lr/bc1 * m / (sqrt(v/bc2) + eps), exactly torch.optim.AdamW's expression.
        const denom = tf.add(tf.div(tf.sqrt(vNew), Math.sqrt(bc2)), this.eps);
        p.assign(tf.sub(decayed, tf.mul(tf.div(mNew, denom), stepSize)));
      }
    });
  }

  /**
   * clipByGlobalNorm + step in one pass: on the native kernels each gradient is read once, and the
   * norm, the clip scale and the update are computed in the add-on (the plain path's ~12 tfjs ops
   * per tensor cost more than the whole update at this model size).
   */
  clipAndStep(grads: Record<string, tf.Tensor>, maxNorm: number, lr: number): number {
    this.checkStep(grads, lr);
    if (!this.native()) {
      const clipped = clipByGlobalNorm(grads, maxNorm);
      if (Number.isFinite(clipped.norm)) this.step(clipped.grads, lr);
      tf.dispose(Object.values(clipped.grads));
      return clipped.norm;
    }
    const data = Object.values(grads).map((g) => g.dataSync() as Float32Array);
    const norm = Math.sqrt(nativeAddon().sumSquares(data));
    if (Number.isFinite(norm)) this.stepNative(grads, data, lr, clipScale(norm, maxNorm));
    return norm;
  }

  private native(): boolean {
    return chooseKernels(this.kernels, false) === "native";
  }

  private checkStep(grads: Record<string, tf.Tensor>, lr: number): void {
    if (!Number.isFinite(lr) || lr < 0) throw new Error(`AdamW.step: learning rate must be a finite number >= 0, got ${lr}`);
    for (const name of Object.keys(grads)) {
      if (!(name in this.m)) {
        throw new Error(`AdamW.step: gradient for "${name}" but no trainable parameter of that name; ` +
          `pass the same Params object to the optimizer and the loss`);
      }
    }
  }

  /** The update in the add-on: on copies of the parameters, which then replace them, and on the host moments. */
  private stepNative(grads: Record<string, tf.Tensor>, gradData: Float32Array[], lr: number, gradScale: number): void {
    this.t += 1;
    const names = Object.keys(grads);
    // Copies: a backend may hand out its own storage from dataSync (tfjs-node does, and clones share
    // it); wasm's dataSync already returns a fresh copy of its heap.
    const fresh = tf.getBackend() === "wasm";
    const copy = (t: tf.Tensor) => (fresh ? (t.dataSync() as Float32Array) : Float32Array.from(t.dataSync() as Float32Array));
    const p = names.map((n) => copy(this.params[n]!));
    const moments = names.map((n) => {
      let h = this.hostMoments.get(n);
      if (!h) this.hostMoments.set(n, (h = { m: copy(this.m[n]!), v: copy(this.v[n]!) }));
      return h;
    });
    const m = moments.map((h) => h.m);
    const v = moments.map((h) => h.v);
    const decayed = Uint8Array.from(names, (n) => (this.decayed.has(n) && this.weightDecay > 0 ? 1 : 0));
    const hyper = Float64Array.from([lr, this.beta1, this.beta2, this.eps, this.weightDecay,
      1 - Math.pow(this.beta1, this.t), 1 - Math.pow(this.beta2, this.t), gradScale]);
    nativeAddon().adamw(p, gradData, m, v, decayed, hyper);
    tf.tidy(() => {
      names.forEach((n, i) => {
        this.params[n]!.assign(tf.tensor(p[i]!, this.params[n]!.shape, "float32"));
      });
    });
  }

  /** Writes the host moments back into the moment variables (copies: the host ones keep changing). */
  private syncMoments(): void {
    if (this.hostMoments.size === 0) return;
    tf.tidy(() => {
      for (const [n, h] of this.hostMoments) {
        this.m[n]!.assign(tf.tensor(h.m.slice(), this.m[n]!.shape, "float32"));
        this.v[n]!.assign(tf.tensor(h.v.slice(), this.v[n]!.shape, "float32"));
      }
    });
    this.hostMoments.clear();
  }

  /** Copies of the moments (the caller owns and disposes the returned tensors). */
  getState(): OptimizerState {
    this.syncMoments();
    const slots: Record<string, tf.Tensor> = {};
    for (const name of Object.keys(this.m)) {
      slots[`m/${name}`] = tf.clone(this.m[name]!);
      slots[`v/${name}`] = tf.clone(this.v[name]!);
    }
    return { meta: this.meta(), slots };
  }

  meta(): OptimizerMeta {
    return { kind: "adamw", step: this.t, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay };
  }

  /** Restore moments and step count (values are copied; the caller keeps `state`). Hyper-parameters
   *  stay those of the constructor: a resumed run may deliberately change them. */
  setState(state: OptimizerState): void {
    if (state.meta.kind !== "adamw") {
      throw new Error(`AdamW.setState: state is for optimizer "${state.meta.kind}", not adamw`);
    }
    const problems: string[] = [];
    for (const name of Object.keys(this.m)) {
      for (const [slot, vars] of [["m", this.m], ["v", this.v]] as const) {
        const t = state.slots[`${slot}/${name}`];
        const target = vars[name]!;
        if (t === undefined) problems.push(`missing ${slot}/${name}`);
        else if (!tf.util.arraysEqual(t.shape, target.shape)) {
          problems.push(`${slot}/${name} has shape [${t.shape}] but the parameter is [${target.shape}]`);
        }
      }
    }
    const extra = Object.keys(state.slots).filter((k) => !(k.slice(2) in this.m));
    if (extra.length > 0) problems.push(`slots for unknown parameters: ${extra.slice(0, 5).join(", ")}`);
    if (problems.length > 0) {
      throw new Error(`AdamW.setState: optimizer state does not match the model (${problems.slice(0, 5).join("; ")}); ` +
        `resume with the same model config the checkpoint was written with`);
    }
    this.hostMoments.clear();
    for (const name of Object.keys(this.m)) {
      this.m[name]!.assign(state.slots[`m/${name}`]!);
      this.v[name]!.assign(state.slots[`v/${name}`]!);
    }
    this.t = state.meta.step;
  }

  dispose(): void {
    this.hostMoments.clear();
    for (const x of [...Object.values(this.m), ...Object.values(this.v)]) x.dispose();
  }
}

function zerosVariable(like: tf.Tensor): tf.Variable {
  const zeros = tf.zerosLike(like);
  const v = tf.variable(zeros, false);
  zeros.dispose(); // the variable holds its own reference to the data
  return v;
}

function checkHyper(beta1: number, beta2: number, eps: number, wd: number): void {
  const bad: string[] = [];
  if (!(beta1 >= 0 && beta1 < 1)) bad.push(`beta1=${beta1} (need 0 <= beta1 < 1)`);
  if (!(beta2 >= 0 && beta2 < 1)) bad.push(`beta2=${beta2} (need 0 <= beta2 < 1)`);
  if (!(eps > 0)) bad.push(`eps=${eps} (need > 0)`);
  if (!(wd >= 0)) bad.push(`weightDecay=${wd} (need >= 0)`);
  if (bad.length > 0) throw new Error(`AdamW: invalid hyper-parameters: ${bad.join(", ")}`);
}
