// Progress that actually leaves the process: tfjs on the wasm and cpu backends never yields to the
// event loop by itself (its data() promises settle as microtasks), so a long sampling or update
// phase would starve Temporal's heartbeat and the cancellation signal. Report, then yield a turn.
import type { StepContext } from "./step-context.ts";
import type { StepProgress } from "../../contract/step-io.ts";

export async function beat(ctx: StepContext, p: StepProgress): Promise<void> {
  ctx.progress(p);
  await new Promise((resolve) => setImmediate(resolve));
}
