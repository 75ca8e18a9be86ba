// Spec files are UTF-8, decoded strictly: a Latin-1 byte or a UTF-16 file is an error at its byte
// offset, not text silently turned into U+FFFD (which would then surface as a confusing schema
// error quoting garbage, or worse, compile into a plan with a different string).
import { specError } from "./errors.ts";
import type { Position, SpecError } from "./errors.ts";

const SAVE_AS_UTF8 = "save the file as UTF-8";

/** Byte-order marks that mean the file is not UTF-8 (UTF-32 first: its LE mark starts like UTF-16's). */
const FOREIGN_BOMS: { name: string; bytes: number[] }[] = [
  { name: "UTF-32", bytes: [0xff, 0xfe, 0x00, 0x00] },
  { name: "UTF-32", bytes: [0x00, 0x00, 0xfe, 0xff] },
  { name: "UTF-16", bytes: [0xff, 0xfe] },
  { name: "UTF-16", bytes: [0xfe, 0xff] },
];

/** Spec text, or an E_ENCODING error at the first byte that is not valid UTF-8. */
export function decodeSpec(bytes: Uint8Array, file: string): { text?: string; errors: SpecError[] } {
  const fail = (offset: number, message: string) => ({
    errors: [specError("E_ENCODING", message, file, positionOfByte(bytes, offset), SAVE_AS_UTF8)],
  });
  for (const bom of FOREIGN_BOMS) {
    if (bom.bytes.every((b, i) => bytes[i] === b)) return fail(0, `${bom.name} is not supported: the file starts with a ${bom.name} byte-order mark`);
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    const wide = looksWide(bytes);
    return fail(nul, wide ? `${wide} is not supported: NUL bytes between the characters, first at byte ${nul}` : `NUL byte at byte ${nul}: a spec is text`);
  }
  const bad = firstInvalidUtf8(bytes);
  if (bad !== undefined) {
    const hex = (bytes[bad] ?? 0).toString(16).toUpperCase().padStart(2, "0");
    return fail(bad, `invalid UTF-8 at byte ${bad} (0x${hex}); the file looks like Latin-1 or another legacy encoding`);
  }
  // fatal: a last guard should the check above ever disagree with the platform decoder.
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes), errors: [] };
  } catch {
    return fail(0, "the file is not valid UTF-8");
  }
}

/** "UTF-16" / "UTF-32" when NULs fall in the pattern that wide encodings give ASCII text. */
function looksWide(bytes: Uint8Array): string | undefined {
  const head = bytes.subarray(0, 64);
  const zeros = (mod: number, step: number) => head.filter((b, i) => i % step === mod && b === 0).length;
  const quarter = Math.floor(head.length / 4);
  if (quarter > 0 && (zeros(1, 4) + zeros(2, 4) >= 2 * quarter - 1)) return "UTF-32";
  const half = Math.floor(head.length / 2);
  if (half > 0 && (zeros(0, 2) >= half - 1 || zeros(1, 2) >= half - 1)) return "UTF-16";
  return undefined;
}

/** Offset of the first byte that starts an ill-formed UTF-8 sequence (Unicode table 3-7), if any. */
export function firstInvalidUtf8(bytes: Uint8Array): number | undefined {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i += 1;
      continue;
    }
    // Lead byte -> sequence length and the allowed range of the second byte (no overlongs, no
    // surrogates, nothing above U+10FFFF); later bytes are always 80..BF.
    let n = 0;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) n = 2;
    else if (b >= 0xe0 && b <= 0xef) [n, lo, hi] = [3, b === 0xe0 ? 0xa0 : 0x80, b === 0xed ? 0x9f : 0xbf];
    else if (b >= 0xf0 && b <= 0xf4) [n, lo, hi] = [4, b === 0xf0 ? 0x90 : 0x80, b === 0xf4 ? 0x8f : 0xbf];
    else return i;
    for (let k = 1; k < n; k++) {
      const c = bytes[i + k];
      const [min, max] = k === 1 ? [lo, hi] : [0x80, 0xbf];
      if (c === undefined || c < min || c > max) return i;
    }
    i += n;
  }
  return undefined;
}

/** line:col of a byte offset; col counts characters as the YAML positions do (UTF-16 code units),
 *  decoding the valid prefix before the offset. */
export function positionOfByte(bytes: Uint8Array, offset: number): Position {
  const before = new TextDecoder("utf-8").decode(bytes.subarray(0, offset));
  const lineStart = before.lastIndexOf("\n") + 1;
  const line = before.slice(0, lineStart).split("\n").length;
  return { line, col: before.length - lineStart + 1 };
}
