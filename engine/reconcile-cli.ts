// reconcileOpenRuns for a command that holds no Temporal connection: it connects to the cluster
// (TEMPORAL_ADDRESS) or to the workspace's dev server when one runs (never starting one).
import { reconcileOpenRuns } from "./reconcile.ts";
import type { RunDb } from "../runs/index.ts";
import { connectClient } from "./temporal/connection.ts";
import { devServerStatus } from "./temporal/dev-server.ts";

export async function reconcileWith(db: RunDb, root: string): Promise<string[]> {
  const address = process.env.TEMPORAL_ADDRESS ?? (await devServerStatus(root))?.address;
  if (!address) return [];
  const { client, close } = await connectClient({ address, embedded: !process.env.TEMPORAL_ADDRESS }).catch(() => ({ client: undefined, close: async () => {} }));
  try {
    return client ? await reconcileOpenRuns(db, client) : [];
  } finally {
    await close();
  }
}
