// The unified vocabulary (docs/mmada.md §1): text ids first, then one id per VQ image code
// (image_id = textVocabSize + code). The special tokens occupy the first text ids and are the same
// for every tokenizer, so code can name them as constants instead of looking them up.

/** Left padding of the t2i text prefix. */
export const IPAD_ID = 0;
export const BOS_ID = 1;
/** End of text; also the padding after an lm text or an answer (the model learns where to stop). */
export const EOS_ID = 2;
/** Start / end of an image. */
export const SOI_ID = 3;
export const EOI_ID = 4;
/** Task markers. */
export const T2I_ID = 5;
export const MMU_ID = 6;
/** Chat headers. */
export const USER_ID = 7;
export const ASSISTANT_ID = 8;
/** Chain-of-thought delimiters. */
export const THINK_ID = 9;
export const END_THINK_ID = 10;
/** The one [MASK] id shared by text and image positions. */
export const MASK_ID = 11;
/** Stands for any character the tokenizer does not know. */
export const UNK_ID = 12;

/** Surface strings of the special tokens, indexed by id (the tokenizer parses them in text). */
export const SPECIAL_TOKENS: readonly string[] = [
  "[iPAD]",
  "<|bos|>",
  "<|eos|>",
  "<|soi|>",
  "<|eoi|>",
  "<|t2i|>",
  "<|mmu|>",
  "<|user|>",
  "<|assistant|>",
  "<think>",
  "</think>",
  "<|mask|>",
  "<|unk|>",
];
export const NUM_SPECIAL_TOKENS = SPECIAL_TOKENS.length;

/** The two sizes that fix where image ids start and end. */
export interface VocabSizes {
  textVocabSize: number;
  codebookSize: number;
}

/** Total ids the model predicts over: text + image codes. */
export function vocabSize(v: VocabSizes): number {
  return v.textVocabSize + v.codebookSize;
}

/** Unified id of VQ code `code`. */
export function imageTokenId(v: VocabSizes, code: number): number {
  if (!Number.isInteger(code) || code < 0 || code >= v.codebookSize) {
    throw new Error(`image code ${code} is outside the codebook 0..${v.codebookSize - 1}; check the VQ tokenizer's codebookSize`);
  }
  return v.textVocabSize + code;
}

