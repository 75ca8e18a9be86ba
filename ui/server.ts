// The web UI's HTTP server: Hono routes over one read-only run database connection, served by
// @hono/node-server on 127.0.0.1 unless told otherwise.
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import type { RunDb } from "../runs/index.ts";
import { uiRoutes } from "./routes.ts";
import { hostCheck, isLoopback, loopbackHosts, readOnly, securityHeaders } from "./security.ts";

export const DEFAULT_HOST = "127.0.0.1";
export { isLoopback };

export interface UiAppOptions {
  db: RunDb;
  /** The workspace root (MMADA_HOME). */
  root: string;
  /** Host header values to accept; undefined accepts any (a server bound beyond loopback). */
  allowedHosts?: () => Set<string> | undefined;
  /** Makes the files of these runs that pages read present in `root` (a bucket store fetches them). */
  fetchRuns?: (runIds: string[]) => Promise<void>;
}

export function createUiApp(options: UiAppOptions): Hono {
  const app = new Hono();
  app.use("*", securityHeaders());
  app.use("*", readOnly());
  app.use("*", hostCheck(options.allowedHosts ?? (() => undefined)));
  uiRoutes(app, options.db, options.root, options.fetchRuns ?? (async () => {}));
  app.onError((err, c) => {
    process.stderr.write(`mmada ui: ${c.req.method} ${c.req.path}: ${err.message}\n`);
    return c.text(`the server could not answer this request: ${err.message}\n`, 500);
  });
  return app;
}

export interface RunningUi {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on host:port (port 0: any free one); rejects with the listen error (EADDRINUSE, ...). */
export function startUi(options: { db: RunDb; root: string; host?: string; port: number; fetchRuns?: UiAppOptions["fetchRuns"] }): Promise<RunningUi> {
  const host = options.host ?? DEFAULT_HOST;
  let port = options.port;
  const app = createUiApp({
    db: options.db,
    root: options.root,
    allowedHosts: () => (isLoopback(host) ? loopbackHosts(port) : undefined),
    ...(options.fetchRuns ? { fetchRuns: options.fetchRuns } : {}),
  });
  return new Promise((resolvePromise, reject) => {
    const server: ServerType = serve({ fetch: app.fetch, hostname: host, port: options.port }, (info: AddressInfo) => {
      port = info.port;
      const shown = host.includes(":") ? `[${host}]` : host;
      resolvePromise({
        url: `http://${shown}:${port}/`,
        port,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            // open keep-alive connections (a browser tab) would hold close() forever
            if ("closeAllConnections" in server) server.closeAllConnections();
          }),
      });
    });
    server.once("error", reject);
  });
}
