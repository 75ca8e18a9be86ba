// Step kind name -> implementation, loaded lazily so a worker that only runs `command` steps
// never loads TensorFlow.js. Metadata (schemas, outputs) lives in kinds.ts.
import type { StepImplementation } from "./step-context.ts";

export const implementations: Record<string, () => Promise<StepImplementation>> = {
  command: async () => (await import("./command.ts")).runCommand,
};
