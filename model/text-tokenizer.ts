// Character-level text tokenizer over a fixed charset (printable ASCII + newline), so it needs no
// training and works on any corpus; characters outside the charset become UNK_ID. The special
// tokens of vocab.ts come first (ids 0..NUM_SPECIAL_TOKENS-1) and are parsed from their surface
// strings, so "<think>3+4=7</think>7" encodes <think> and </think> as single ids.
import { NUM_SPECIAL_TOKENS, SPECIAL_TOKENS, UNK_ID } from "./vocab.ts";

const FIRST_PRINTABLE = 32;
const LAST_PRINTABLE = 126;
/** Newline, then every printable ASCII character (space .. tilde). */
export const DEFAULT_CHARSET =
  "\n" + Array.from({ length: LAST_PRINTABLE - FIRST_PRINTABLE + 1 }, (_, i) => String.fromCharCode(FIRST_PRINTABLE + i)).join("");

export interface TokenizerJSON {
  kind: "char";
  version: 1;
  specials: string[];
  charset: string;
}

/** What layouts and samplers need from a text tokenizer. */
export interface TextTokenizer {
  /** Number of text ids (specials + characters); image ids start here. */
  readonly vocabSize: number;
  encode(text: string): number[];
  decode(ids: ArrayLike<number>, opts?: { skipSpecial?: boolean }): string;
  toJSON(): TokenizerJSON;
}

export class CharTokenizer implements TextTokenizer {
  readonly vocabSize: number;
  private readonly charset: string;
  private readonly charToId = new Map<string, number>();
  /** Specials sorted longest first so "</think>" wins over a shorter prefix match. */
  private readonly specialsByLength: Array<{ text: string; id: number }>;

  constructor(charset: string = DEFAULT_CHARSET) {
    const chars = Array.from(charset);
    if (new Set(chars).size !== chars.length) throw new Error("CharTokenizer: the charset lists a character twice; remove duplicates");
    this.charset = charset;
    chars.forEach((c, i) => this.charToId.set(c, NUM_SPECIAL_TOKENS + i));
    this.vocabSize = NUM_SPECIAL_TOKENS + chars.length;
    this.specialsByLength = SPECIAL_TOKENS.map((text, id) => ({ text, id })).sort((a, b) => b.text.length - a.text.length);
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    let i = 0;
    while (i < text.length) {
      const special = text[i] === "<" || text[i] === "[" ? this.specialsByLength.find((s) => text.startsWith(s.text, i)) : undefined;
      if (special) {
        ids.push(special.id);
        i += special.text.length;
        continue;
      }
      const ch = String.fromCodePoint(text.codePointAt(i)!);
      ids.push(this.charToId.get(ch) ?? UNK_ID);
      i += ch.length;
    }
    return ids;
  }

  decode(ids: ArrayLike<number>, opts: { skipSpecial?: boolean } = {}): string {
    const chars = Array.from(this.charset);
    let out = "";
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!;
      if (id < NUM_SPECIAL_TOKENS) {
        if (!opts.skipSpecial) out += SPECIAL_TOKENS[id];
      } else if (id < this.vocabSize) {
        out += chars[id - NUM_SPECIAL_TOKENS];
      } else if (!opts.skipSpecial) {
        out += `<|img:${id - this.vocabSize}|>`;
      }
    }
    return out;
  }

  toJSON(): TokenizerJSON {
    return { kind: "char", version: 1, specials: [...SPECIAL_TOKENS], charset: this.charset };
  }

  static fromJSON(json: unknown): CharTokenizer {
    const j = json as Partial<TokenizerJSON> | null;
    if (!j || j.kind !== "char" || j.version !== 1 || typeof j.charset !== "string" || !Array.isArray(j.specials)) {
      throw new Error('tokenizer JSON: expected { kind: "char", version: 1, specials: [...], charset: "..." }; was it written by CharTokenizer.toJSON?');
    }
    if (j.specials.length !== SPECIAL_TOKENS.length || j.specials.some((s, i) => s !== SPECIAL_TOKENS[i])) {
      throw new Error(
        "tokenizer JSON: its special tokens differ from this code's (model/vocab.ts); the checkpoint was made by an incompatible version",
      );
    }
    return new CharTokenizer(j.charset);
  }
}
