// What an `evaluate` step left in the workspace besides its metrics (activities/evaluate/run.ts writes
// them): `report` (report.json: item counts per metric, per-item correctness by item id, and sample answers) and `samples` (the PNG
// grid of generated digits, one row per prompted digit, and predictions.json, the classifier's verdict
// on each image in the same order). Read defensively: an old or hand-edited file yields less, never a throw.
import { readFileSync } from "node:fs";
import type { ExecutionDetail } from "../runs/index.ts";
import { readWorkspaceJson, workspaceEntry } from "./workspace-file.ts";

/** File names inside the `samples` output, as activities/evaluate/run.ts writes them. */
export const GRID_FILE = "geneval-grid.png";
/** The outputs of a step viewers read (pages, reports): fetched first when the store is a bucket. */
export const VIEWER_OUTPUTS = ["report", "samples"] as const;
export const PREDICTIONS_FILE = "predictions.json";
/** Pixels between grid cells (mmada/eval/png-grid.ts); checked against the PNG's size below. */
export const GRID_GAP = 2;

export interface TextSample {
  question: string;
  expected: string;
  generated: string;
  correct: boolean;
}

export interface EvalReport {
  /** Items asked per metric key (gsm8k_acc -> 4). */
  counts: Record<string, number>;
  /** Per accuracy key, each item's id (the same prompt has the same id at every stage) -> correct. */
  items: Record<string, Map<string, boolean>>;
  /** Sample answers per benchmark (gsm8k -> [...]). */
  samples: Record<string, TextSample[]>;
}

export interface DigitCell {
  prompted: number;
  /** The prompted digit's name as the prompt said it ("seven"), when recorded. */
  prompt?: string;
  predicted: number | null;
}

export interface DigitGrid {
  /** Workspace-relative path of the PNG (an artifact uri plus the file name). */
  uri: string;
  width: number;
  height: number;
  rows: number;
  cols: number;
  side: number;
  gap: number;
  /** Row-major, as drawn: cell (r, c) = cells[r * cols + c]. */
  cells: DigitCell[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function readEvalReport(root: string, e: ExecutionDetail): EvalReport | undefined {
  const report = e.outputs["report"];
  if (report === undefined) return undefined;
  const data = readWorkspaceJson(root, report.uri);
  if (!isRecord(data)) return undefined;
  const counts: Record<string, number> = {};
  if (isRecord(data.counts)) for (const [k, v] of Object.entries(data.counts)) if (typeof v === "number") counts[k] = v;
  const samples: Record<string, TextSample[]> = {};
  if (isRecord(data.samples)) {
    for (const [bench, list] of Object.entries(data.samples)) {
      if (!Array.isArray(list)) continue;
      samples[bench] = list.filter(isRecord).map((s) => ({
        question: String(s.question ?? ""),
        expected: String(s.expected ?? ""),
        generated: String(s.generated ?? ""),
        correct: s.correct === true,
      }));
    }
  }
  const items: Record<string, Map<string, boolean>> = {};
  if (isRecord(data.items)) {
    for (const [key, v] of Object.entries(data.items)) {
      const ids = isRecord(v) ? v.ids : undefined;
      const correct = isRecord(v) ? v.correct : undefined;
      if (!Array.isArray(ids) || !Array.isArray(correct) || ids.length !== correct.length) continue;
      items[key] = new Map(ids.map((id, i) => [String(id), correct[i] === true]));
    }
  }
  return { counts, samples, items };
}

/** The generated-digit grid with the digit each cell was prompted for; undefined when there is none. */
export function readDigitGrid(root: string, e: ExecutionDetail): DigitGrid | undefined {
  const samples = e.outputs["samples"];
  if (samples === undefined) return undefined;
  const uri = `${samples.uri}/${GRID_FILE}`;
  const png = workspaceEntry(root, uri);
  if (png === undefined) return undefined;
  const size = pngSize(readFileSync(png));
  const predictions = readWorkspaceJson(root, `${samples.uri}/${PREDICTIONS_FILE}`);
  if (size === undefined || !Array.isArray(predictions) || predictions.length === 0) return undefined;
  const cells = predictions.filter(isRecord).map((p) => {
    const cell: DigitCell = { prompted: Number(p.prompted), predicted: typeof p.predicted === "number" ? p.predicted : null };
    if (typeof p.prompt === "string") cell.prompt = p.prompt;
    return cell;
  });
  // Class-major: as many columns as images of the first prompted class.
  const cols = cells.findIndex((c) => c.prompted !== cells[0]!.prompted);
  const perRow = cols === -1 ? cells.length : cols;
  const rows = Math.ceil(cells.length / perRow);
  const side = (size.width - (perRow + 1) * GRID_GAP) / perRow;
  if (!Number.isInteger(side) || side <= 0 || rows * side + (rows + 1) * GRID_GAP !== size.height) return undefined;
  return { uri, ...size, rows, cols: perRow, side, gap: GRID_GAP, cells };
}

/** Width and height from a PNG's IHDR chunk (bytes 16..23, after the signature and chunk header). */
function pngSize(bytes: Buffer): { width: number; height: number } | undefined {
  const SIGNATURE = "89504e470d0a1a0a";
  if (bytes.length < 24 || bytes.subarray(0, 8).toString("hex") !== SIGNATURE) return undefined;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

