// Where Temporal is: TEMPORAL_ADDRESS (a cluster) or the workspace's embedded dev server. Client side
// only: the worker SDK (native core, webpack) is loaded by worker processes alone (worker.ts).
import { Client, Connection } from "@temporalio/client";
import { ensureDevServer } from "./dev-server.ts";
import { dataConverter } from "./payload-codec.ts";

export const NAMESPACE = process.env.TEMPORAL_NAMESPACE ?? "default";
const CONNECT_TIMEOUT_MS = 30_000;

export interface Endpoint {
  address: string;
  embedded: boolean;
  uiUrl?: string;
}

export async function endpoint(workspaceRoot: string, log?: (m: string) => void): Promise<Endpoint> {
  const external = process.env.TEMPORAL_ADDRESS;
  if (external) return { address: external, embedded: false };
  const server = await ensureDevServer(workspaceRoot, log);
  return { address: server.address, embedded: true, uiUrl: server.uiUrl };
}

/** Retries `fn` until Temporal answers (a starting dev server) or CONNECT_TIMEOUT_MS passes. */
export async function retrying<T>(what: string, address: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + CONNECT_TIMEOUT_MS;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) {
        throw new Error(`cannot reach Temporal at ${address} (${what}): ${(err as Error).message}; is the server up?`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

export async function connectClient(ep: Endpoint): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await retrying("client", ep.address, async () => {
    const c = await Connection.connect({ address: ep.address, connectTimeout: "5s" });
    // the frontend may accept connections before the namespace is served
    await c.workflowService.describeNamespace({ namespace: NAMESPACE });
    return c;
  });
  return { client: new Client({ connection, namespace: NAMESPACE, dataConverter }), close: () => connection.close() };
}
