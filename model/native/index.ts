// Loads the kernels add-on (model/native/src, built by scripts/install-native-kernels.sh into
// build/Release/mmada_native.node) and decides, per forward, which kernels run the transformer:
//   MMADA_KERNELS=auto (default)  native when the add-on loads, the backend is not the GPU one and
//                                 the call does not need dropout; else the plain tfjs path
//   MMADA_KERNELS=native          native, and an error saying why when it cannot be used
//   MMADA_KERNELS=tfjs            the plain tfjs path (the reference)
// MMADA_THREADS=N sets the add-on's thread count (default 1).
import { createRequire } from "node:module";
import { backendPackage } from "../backend.ts";

export type Kernels = "native" | "tfjs";
const KERNEL_CHOICES = ["auto", "native", "tfjs"] as const;
type KernelChoice = (typeof KERNEL_CHOICES)[number];

const ADDON_PATH = new URL("./build/Release/mmada_native.node", import.meta.url).pathname;
const BUILD_HINT = "build it with `npm run setup:native-kernels` (needs g++ and pip), or set MMADA_KERNELS=tfjs";
export const DEFAULT_THREADS = 1;

/** The add-on's functions (see src/addon.cc for the contract). */
export interface NativeAddon {
  forward(dims: Float64Array, weights: Float32Array[], tokens: Int32Array, B: number, L: number, save: boolean): { logits: Float32Array; ctx: NativeContext | null };
  lossForward(
    dims: Float64Array, weights: Float32Array[], tokens: Int32Array, labels: Int32Array, posWeights: Float32Array,
    rowTask: Int32Array, nParts: number, B: number, L: number, save: boolean,
  ): { parts: Float64Array; ctx: NativeContext | null };
  backward(ctx: NativeContext, dlogits: Float32Array | null, dParts: Float32Array | null): Float32Array;
  /** In place on params, m, v; hyper = [lr, beta1, beta2, eps, weightDecay, 1 - beta1^t, 1 - beta2^t, gradScale]. */
  adamw(params: Float32Array[], grads: Float32Array[], m: Float32Array[], v: Float32Array[], decayed: Uint8Array, hyper: Float64Array): void;
  sumSquares(arrays: Float32Array[]): number;
  release(ctx: NativeContext): void;
  setThreads(n: number): void;
  threads(): number;
  blasCore(): string;
}
/** Opaque: the activations a forward kept for its backward. */
export type NativeContext = { readonly __nativeContext: unique symbol };

export type NativeStatus = { loaded: true; addon: NativeAddon } | { loaded: false; reason: string };
let status: NativeStatus | undefined;

/** Loads the add-on once per process; never throws (the reason is in the status). */
export function nativeStatus(): NativeStatus {
  status ??= load();
  return status;
}

function load(): NativeStatus {
  // OpenBLAS sizes its own thread pool when it loads; the kernels call it single-threaded.
  process.env.OPENBLAS_NUM_THREADS ??= "1";
  let addon: NativeAddon;
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as NativeAddon;
  } catch (e) {
    const why = (e as { code?: string }).code === "MODULE_NOT_FOUND" ? `${ADDON_PATH} is not built` : `${ADDON_PATH} does not load: ${(e as Error).message.split("\n")[0]}`;
    return { loaded: false, reason: `${why}; ${BUILD_HINT}` };
  }
  const env = process.env.MMADA_THREADS;
  const threads = env === undefined || env === "" ? DEFAULT_THREADS : Number(env);
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`MMADA_THREADS=${env} must be a positive integer`);
  addon.setThreads(threads);
  return { loaded: true, addon };
}

/** The loaded add-on, or an error saying why there is none and what to do. */
export function nativeAddon(): NativeAddon {
  const s = nativeStatus();
  if (!s.loaded) throw new Error(`native kernels unavailable: ${s.reason}`);
  return s.addon;
}

/** Threads for what runs next in this process (a step's `cores`), without loading the add-on: it
 *  takes MMADA_THREADS when it loads, and a loaded one is told now. */
export function useThreads(n: number): void {
  process.env.MMADA_THREADS = String(n);
  if (status?.loaded) status.addon.setThreads(n);
}

/** One line for logs: which kernels the model runs on (needsDropout: a training forward with
 *  dropout > 0), and why not the native ones. */
export function kernelsSummary(needsDropout: boolean): string {
  let kernels: Kernels;
  try {
    kernels = chooseKernels(undefined, needsDropout);
  } catch (e) {
    return `kernels: ${(e as Error).message}`;
  }
  const s = nativeStatus();
  if (kernels === "native" && s.loaded) {
    const n = s.addon.threads();
    return `native kernels (${n} thread${n === 1 ? "" : "s"}, OpenBLAS ${s.addon.blasCore()})`;
  }
  const why = !s.loaded ? s.reason : needsDropout ? "dropout > 0 runs on tfjs" : "MMADA_KERNELS or the GPU backend chose them";
  return `tfjs kernels (${why})`;
}

function envChoice(): KernelChoice {
  const v = (process.env.MMADA_KERNELS ?? "auto") as KernelChoice;
  if (!KERNEL_CHOICES.includes(v)) throw new Error(`MMADA_KERNELS=${v} is not one of ${KERNEL_CHOICES.join(", ")}`);
  return v;
}

/**
 * Which kernels a forward runs on. `requested` (ForwardOptions.kernels) overrides MMADA_KERNELS;
 * `needsDropout` is true for a training forward with dropout > 0, which only the tfjs path implements.
 */
export function chooseKernels(requested: Kernels | undefined, needsDropout: boolean): Kernels {
  const choice: KernelChoice = requested ?? envChoice();
  if (choice === "tfjs") return "tfjs";
  const explicit = choice === "native";
  if (needsDropout) {
    if (explicit) throw new Error("native kernels do not implement dropout: train with dropout 0, or use the tfjs kernels (MMADA_KERNELS=tfjs)");
    return "tfjs";
  }
  const s = nativeStatus();
  if (!s.loaded) {
    if (explicit) throw new Error(`MMADA_KERNELS=native but ${s.reason}`);
    return "tfjs";
  }
  // On a GPU backend the tfjs kernels run on the GPU: keep the whole model there.
  if (!explicit && backendPackage() === "@tensorflow/tfjs-node-gpu") return "tfjs";
  return "native";
}
