// Plain-text rendering for the terminal: aligned tables and durations.
import { fmtDuration } from "../results/format.ts";

export function table(header: string[], rows: (string | number | undefined | null)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === undefined || c === null ? "-" : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd())
    .join("\n");
}

/** Durations as everywhere else (results/format.ts); undefined reads "-". */
export const duration = (ms: number | undefined): string => fmtDuration(ms);

export { fmtNumber } from "../results/format.ts";
