// Numbers as people read them, the same in the terminal, the UI and the exported report.
import type { Interval } from "./wilson-interval.ts";

const FOUR_SIGNIFICANT = 4;
const LARGE = 100;

/** Integers as they are; large values to one decimal; the rest to 4 significant digits. "-" for none. */
export function fmtNumber(v: number | null | undefined): string {
  if (v === null || v === undefined) return "-";
  if (Number.isNaN(v)) return "NaN";
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= LARGE ? v.toFixed(1) : v.toPrecision(FOUR_SIGNIFICANT);
}

/** An accuracy in [0, 1] with three decimals (enough for a few hundred items). */
export const fmtAccuracy = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : fmtNumber(v));

/** `[0.150, 0.850]` */
export const fmtInterval = (i: Interval) => `[${fmtAccuracy(i.low)}, ${fmtAccuracy(i.high)}]`;

/** 850ms, 4.2s, 3m05s, 1h02m; "-" when unknown. */
export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "-";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** An ISO timestamp as `2025-01-01 12:00:00` (UTC, as stored). */
export const fmtTimestamp = (iso: string | null | undefined) => (iso ? iso.replace("T", " ").slice(0, 19) : "-");
