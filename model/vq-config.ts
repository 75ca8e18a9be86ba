// The VQ tokenizer's configuration: plain data, checked without loading any tensor code (the
// compiler checks a train-vq step's settings with it in `mmada validate`).
export interface VqConfig {
  imageSize: number;
  /** 7 -> 4x4 grid (N = 16 tokens), 4 -> 7x7 grid (N = 49). */
  patchSize: number;
  /** K, the number of codes. */
  codebookSize: number;
  codeDim: number;
  /** "patch": each code from its own patch (strictly local tokens); "global": every code from the
   *  whole image, as a deep convolutional encoder's receptive field gives MAGVIT's codes. */
  encoder: "patch" | "global";
  /** Width of the encoder MLP (and of the "patch" decoder). */
  hidden: number;
  decoder: "patch" | "global";
  /** Width of the "global" decoder MLP. */
  decoderHidden: number;
  /** Commitment weight (paper: 0.25). */
  beta: number;
}

export const DEFAULT_VQ_CONFIG: VqConfig = {
  imageSize: 28, patchSize: 7, codebookSize: 64, codeDim: 16, hidden: 128, encoder: "patch", decoder: "global", decoderHidden: 256, beta: 0.25,
};

export function validateVqConfig(c: VqConfig): string[] {
  const errors: string[] = [];
  try {
    gridSide(c.imageSize, c.patchSize);
  } catch (err) {
    errors.push((err as Error).message);
  }
  for (const k of ["codebookSize", "codeDim", "hidden", "decoderHidden"] as const) {
    if (!(Number.isInteger(c[k]) && c[k] >= 2)) errors.push(`${k} must be an integer >= 2, got ${c[k]}`);
  }
  if (c.encoder !== "patch" && c.encoder !== "global") errors.push(`encoder must be "patch" or "global", got ${c.encoder}`);
  if (c.decoder !== "patch" && c.decoder !== "global") errors.push(`decoder must be "patch" or "global", got ${c.decoder}`);
  if (!(c.beta >= 0)) errors.push(`beta must be >= 0, got ${c.beta}`);
  return errors;
}

export function numTokens(c: VqConfig): number {
  return gridSide(c.imageSize, c.patchSize) ** 2;
}

/** Side of the patch grid, checking that patches tile the image exactly. */
export function gridSide(imageSize: number, patchSize: number): number {
  if (!(Number.isInteger(patchSize) && patchSize > 0 && imageSize % patchSize === 0)) {
    throw new Error(`patchSize ${patchSize} must be a positive divisor of imageSize ${imageSize} (for 28: 4 -> 49 tokens, 7 -> 16 tokens)`);
  }
  return imageSize / patchSize;
}
