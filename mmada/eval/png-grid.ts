// A PNG contact sheet of generated digits (pngjs): one row per prompted class, one column per
// sample, with a thin gap so neighbouring digits stay apart.
import { PNG } from "pngjs";

const GAP = 2;
const MAX_BYTE = 255;
/** Grey of the gaps between cells, so a black digit background is still visibly a cell. */
const GAP_GREY = 96;

/**
 * images: [count * side * side] in [0, 1], row-major, cell (r, c) = image r * cols + c; cells past
 * `count` stay empty. Returns the PNG file bytes (8-bit greyscale rendered as RGBA).
 */
export function pngGrid(images: Float32Array, side: number, rows: number, cols: number): Buffer {
  const pixels = side * side;
  const count = images.length / pixels;
  if (!Number.isInteger(count) || count > rows * cols) {
    throw new Error(`pngGrid: ${images.length} values are not at most ${rows}x${cols} images of ${side}x${side}`);
  }
  const width = cols * side + (cols + 1) * GAP;
  const height = rows * side + (rows + 1) * GAP;
  const png = new PNG({ width, height });
  png.data.fill(GAP_GREY);
  for (let i = 3; i < png.data.length; i += 4) png.data[i] = MAX_BYTE;
  for (let k = 0; k < count; k++) {
    const x0 = GAP + (k % cols) * (side + GAP);
    const y0 = GAP + Math.floor(k / cols) * (side + GAP);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const v = Math.round(Math.min(1, Math.max(0, images[k * pixels + y * side + x]!)) * MAX_BYTE);
        const at = ((y0 + y) * width + x0 + x) * 4;
        png.data[at] = png.data[at + 1] = png.data[at + 2] = v;
      }
    }
  }
  return PNG.sync.write(png);
}
