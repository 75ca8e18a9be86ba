// The benchmark table of a run's stages: a run's "stages" are its `evaluate` steps (eval_stage1/2/3 in
// mmada-tiny.yaml), each holding final metrics. Accuracies (`<bench>_acc`) carry the number of items
// asked and a 95% Wilson interval when that number is known: from the metric `<bench>_n`, else from
// the step's report.json counts. Shapes for one run (benchmarks x stages) and for several runs side by
// side ((stage, benchmark) x runs); the CLI, the UI and the exported report all render these.
import type { ExecutionDetail, RunDetail } from "../runs/index.ts";
import { readEvalReport } from "./eval-outputs.ts";
import { accuracyInterval, type Interval } from "./wilson-interval.ts";

export const EVALUATE_KIND = "evaluate";
const ACCURACY_SUFFIX = "_acc";
const COUNT_SUFFIX = "_n";
/** Accuracy rows come first, in this order (text reasoning, multimodal, generation); the rest by name. */
const BENCHMARK_ORDER = ["gsm8k", "mmcot", "vqa", "pope", "caption", "geneval"];

export interface BenchmarkValue {
  value: number;
  /** Items asked, when known. */
  n?: number;
  /** 95% Wilson interval, for accuracies with a known n. */
  interval?: Interval;
}

export interface EvalStage {
  runId: string;
  stepId: string;
  state: string;
  values: Map<string, BenchmarkValue>;
}

export interface RunStageTable {
  stages: Array<{ stepId: string; state: string }>;
  /** One row per benchmark; cells follow `stages` (null: that stage has no such value). */
  rows: Array<{ key: string; cells: Array<BenchmarkValue | null> }>;
}

export interface ComparedStageTable {
  runIds: string[];
  /** One row per (stage, benchmark); cells follow `runIds`. */
  rows: Array<{ stepId: string; key: string; cells: Array<BenchmarkValue | null> }>;
}

export const isAccuracy = (key: string) => key.endsWith(ACCURACY_SUFFIX);

/** Every evaluate step of the run, in plan order, finished or not (a pending stage shows as a column of blanks). */
export function evalStages(root: string, detail: RunDetail): EvalStage[] {
  return detail.executions.filter((e) => e.execution.kind === EVALUATE_KIND).map((e) => evalStage(root, e));
}

function evalStage(root: string, e: ExecutionDetail): EvalStage {
  const finals = new Map(e.metrics.map((m) => [m.key, m.value]));
  const countKeys = new Set([...finals.keys()].filter(isAccuracy).map((k) => countKeyOf(k)));
  const reportCounts = finals.size > 0 ? (readEvalReport(root, e)?.counts ?? {}) : {};
  const values = new Map<string, BenchmarkValue>();
  for (const [key, value] of finals) {
    if (countKeys.has(key)) continue; // shown as the n of its accuracy
    const recorded = isAccuracy(key) ? finals.get(countKeyOf(key)) : undefined;
    const n = recorded ?? reportCounts[key];
    const cell: BenchmarkValue = { value };
    if (n !== undefined && Number.isInteger(n) && n > 0) cell.n = n;
    const interval = isAccuracy(key) ? accuracyInterval(value, cell.n) : undefined;
    if (interval) cell.interval = interval;
    values.set(key, cell);
  }
  return { runId: e.execution.runId, stepId: e.execution.stepId, state: e.execution.state, values };
}

const countKeyOf = (accuracyKey: string) => `${accuracyKey.slice(0, -ACCURACY_SUFFIX.length)}${COUNT_SUFFIX}`;

function benchmarkRank(key: string): [number, string] {
  if (!isAccuracy(key)) return [BENCHMARK_ORDER.length + 1, key];
  const i = BENCHMARK_ORDER.indexOf(key.slice(0, -ACCURACY_SUFFIX.length));
  return [i === -1 ? BENCHMARK_ORDER.length : i, key];
}

export function byBenchmark(a: string, b: string): number {
  const [ra, ka] = benchmarkRank(a);
  const [rb, kb] = benchmarkRank(b);
  return ra - rb || (ka < kb ? -1 : ka > kb ? 1 : 0);
}

export function runStageTable(stages: EvalStage[]): RunStageTable {
  const keys = [...new Set(stages.flatMap((s) => [...s.values.keys()]))].sort(byBenchmark);
  return {
    stages: stages.map((s) => ({ stepId: s.stepId, state: s.state })),
    rows: keys.map((key) => ({ key, cells: stages.map((s) => s.values.get(key) ?? null) })),
  };
}

/** `stagesByRun[i]` are the stages of `runIds[i]`; stages keep their first appearance's order. */
export function compareStageTable(runIds: string[], stagesByRun: EvalStage[][]): ComparedStageTable {
  const stepOrder = [...new Set(stagesByRun.flatMap((stages) => stages.map((s) => s.stepId)))];
  const rows: ComparedStageTable["rows"] = [];
  for (const stepId of stepOrder) {
    const ofStep = stagesByRun.map((stages) => stages.find((s) => s.stepId === stepId));
    const keys = [...new Set(ofStep.flatMap((s) => (s ? [...s.values.keys()] : [])))].sort(byBenchmark);
    for (const key of keys) rows.push({ stepId, key, cells: ofStep.map((s) => s?.values.get(key) ?? null) });
  }
  return { runIds, rows };
}
