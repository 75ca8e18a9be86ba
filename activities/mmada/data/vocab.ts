// The dataset's vocabulary: its splits, its tasks, and the arithmetic problem settings that both
// the data generators and prepare-data's schema (activities/prepare-data/schema.ts) speak of.

export const SPLITS = ["train", "val", "test"] as const;
export type Split = (typeof SPLITS)[number];

export const TASKS = ["lm", "cot", "mmcot", "caption", "vqa", "t2i"] as const;
export type TaskName = (typeof TASKS)[number];

export type SplitSizes = { [s in Split]: number };

export type Operator = "+" | "-" | "*";

export interface ArithmeticOptions {
  minOps: number;
  maxOps: number;
  minOperand: number;
  maxOperand: number;
  operators: Operator[];
}
