// Backend selection: MMADA_BACKEND=auto|tensorflow|wasm|cpu.
// auto: @tensorflow/tfjs-node-gpu (with a visible GPU), then @tensorflow/tfjs-node, then wasm, then cpu.
// The native packages are optional peer dependencies: present on a user's machine with internet,
// or built locally by scripts/install-native-tf.sh; absent here by default.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { createRequire } from "node:module";

export type BackendChoice = "auto" | "tensorflow" | "wasm" | "cpu";
const CHOICES: BackendChoice[] = ["auto", "tensorflow", "wasm", "cpu"];

let active: Promise<string> | undefined;
let nativePackage: string | undefined;

/** The npm package behind the "tensorflow" backend, once initBackend picked it (undefined otherwise). */
export function backendPackage(): string | undefined {
  return nativePackage;
}

/** Initialise the tfjs backend once per process; returns the backend name in use. */
export function initBackend(choice = (process.env.MMADA_BACKEND ?? "auto") as BackendChoice): Promise<string> {
  active ??= select(choice);
  return active;
}

async function select(choice: BackendChoice): Promise<string> {
  if (!CHOICES.includes(choice)) {
    throw new Error(`MMADA_BACKEND=${choice} is not one of ${CHOICES.join(", ")}`);
  }
  if (choice === "tensorflow" || choice === "auto") {
    if (await tryNative()) return tf.getBackend();
    if (choice === "tensorflow") {
      throw new Error(
        "MMADA_BACKEND=tensorflow but neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node loads; " +
          "install one (see README, 'Backends') or use MMADA_BACKEND=wasm",
      );
    }
  }
  if (choice === "wasm" || choice === "auto") {
    if (await tryWasm()) return "wasm";
    if (choice === "wasm") throw new Error("MMADA_BACKEND=wasm but @tensorflow/tfjs-backend-wasm failed to start");
  }
  await tf.setBackend("cpu");
  await tf.ready();
  return "cpu";
}

const require = createRequire(import.meta.url);

async function tryNative(): Promise<boolean> {
  for (const pkg of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
    try {
      // TensorFlow's C++ logging prints CPU-feature notes at load; keep warnings and errors only
      process.env.TF_CPP_MIN_LOG_LEVEL ??= "2";
      require(pkg);
      if (await tf.setBackend("tensorflow")) {
        await tf.ready();
        nativePackage = pkg;
        return true;
      }
    } catch {
      // not installed or libtensorflow missing: try the next one
    }
  }
  return false;
}

async function tryWasm(): Promise<boolean> {
  try {
    await import("@tensorflow/tfjs-backend-wasm");
    if (!(await tf.setBackend("wasm"))) return false;
    await tf.ready();
    return true;
  } catch {
    return false;
  }
}
