// Command-line flags of the diagnostic benches (`--name value`), read and checked before any work
// starts: a missing or bad value is a one-line error that names the flag (and, when required, the usage).

export interface Flags {
  has(flag: string): boolean;
  /** The flag's value, else `fallback`; without either, an error with the usage. */
  text(flag: string, fallback?: string): string;
  /** A positive number (a whole one when `integer`). */
  positive(flag: string, fallback: string, integer: boolean): number;
}

export function readFlags(argv: readonly string[], usage: string): Flags {
  const text = (flag: string, fallback?: string): string => {
    const i = argv.indexOf(flag);
    const v = i >= 0 ? argv[i + 1] : fallback;
    if (v === undefined) throw new Error(`${flag} is required (${usage})`);
    return v;
  };
  return {
    has: (flag) => argv.includes(flag),
    text,
    positive(flag, fallback, integer) {
      const v = Number(text(flag, fallback));
      if (!(v > 0) || (integer && !Number.isInteger(v))) throw new Error(`${flag} ${text(flag, fallback)}: give a positive ${integer ? "whole " : ""}number`);
      return v;
    },
  };
}
