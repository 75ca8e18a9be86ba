// The run's workflow in the Temporal Web UI of the workspace's embedded dev server: the server
// records its ports in <workspace>/temporal/server.json (engine/dev-server.ts).
import { readFileSync } from "node:fs";
import { join } from "node:path";

const DEFAULT_NAMESPACE = "default";

/** undefined when the workspace has no dev server record (a cluster, or never started). */
export function temporalWorkflowUrl(root: string, workflowId: string, namespace = process.env.TEMPORAL_NAMESPACE ?? DEFAULT_NAMESPACE): string | undefined {
  try {
    const info = JSON.parse(readFileSync(join(root, "temporal", "server.json"), "utf8")) as { uiPort?: unknown };
    if (typeof info.uiPort !== "number") return undefined;
    return `http://127.0.0.1:${info.uiPort}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  } catch {
    return undefined;
  }
}
