// Learning-rate schedules: step index (0-based) -> learning rate. docs/mmada.md §3: cosine decay with
// linear warmup. The warmup/decay formula is nanoGPT's, so the first step already moves (lr > 0).

export type LrSchedule = (step: number) => number;

export interface CosineScheduleOptions {
  /** Learning rate reached at the end of warmup. */
  peakLr: number;
  /** Floor the cosine decays to (and stays at after totalSteps). Default peakLr / 10. */
  minLr?: number;
  warmupSteps: number;
  /** Step at which the cosine reaches minLr (usually the run's total steps). */
  totalSteps: number;
}

const DEFAULT_MIN_LR_RATIO = 0.1;

/** Errors as data: one message per bad option (empty when valid). */
export function validateCosineSchedule(o: CosineScheduleOptions): string[] {
  const errors: string[] = [];
  const minLr = o.minLr ?? o.peakLr * DEFAULT_MIN_LR_RATIO;
  if (!(Number.isFinite(o.peakLr) && o.peakLr > 0)) errors.push(`peakLr must be a finite number > 0, got ${o.peakLr}`);
  if (!(Number.isFinite(minLr) && minLr >= 0 && minLr <= o.peakLr)) {
    errors.push(`minLr must be in [0, peakLr=${o.peakLr}], got ${minLr}`);
  }
  if (!(Number.isInteger(o.warmupSteps) && o.warmupSteps >= 0)) {
    errors.push(`warmupSteps must be an integer >= 0, got ${o.warmupSteps}`);
  }
  if (!(Number.isInteger(o.totalSteps) && o.totalSteps >= o.warmupSteps)) {
    errors.push(`totalSteps must be an integer >= warmupSteps (${o.warmupSteps}), got ${o.totalSteps}`);
  }
  return errors;
}

/** Linear warmup to peakLr over warmupSteps, then cosine to minLr at totalSteps, then minLr. */
export function cosineWithWarmup(o: CosineScheduleOptions): LrSchedule {
  const errors = validateCosineSchedule(o);
  if (errors.length > 0) throw new Error(`cosine LR schedule: ${errors.join("; ")}`);
  const { peakLr, warmupSteps, totalSteps } = o;
  const minLr = o.minLr ?? peakLr * DEFAULT_MIN_LR_RATIO;
  return (step: number) => {
    if (step < warmupSteps) return (peakLr * (step + 1)) / (warmupSteps + 1);
    if (step >= totalSteps) return minLr;
    const ratio = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
    const coeff = 0.5 * (1 + Math.cos(Math.PI * ratio)); // 1 -> 0
    return minLr + coeff * (peakLr - minLr);
  };
}
