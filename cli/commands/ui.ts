// `mmada ui [--port N] [--host H]`: the web UI over the workspace's run database (read-only), until
// Ctrl-C. The server and its libraries load only here, so other commands start as fast as before.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { localStore } from "../../engine/store/artifact-store.ts";
import { openStore } from "../../engine/store/open-store.ts";
import { openWorkspace, workspaceRoot } from "../../engine/store/workspace.ts";
import { closeRunDb, openRunDbReadOnly } from "../../runs/index.ts";
import { fetchRunFiles, log } from "../context.ts";
import { CliError, parse } from "../terminal.ts";

/** The port when none is asked for; taken, the UI moves to a free one (an explicit --port does not). */
export const DEFAULT_UI_PORT = 8700;
const MAX_PORT = 65535;

export async function uiCommand(argv: string[]): Promise<number> {
  const usage = "[--port N] [--host 127.0.0.1]";
  const { values } = parse("ui", argv, { port: { type: "string" }, host: { type: "string" } }, usage);
  const port = values.port === undefined ? DEFAULT_UI_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > MAX_PORT) throw new CliError(`--port ${values.port}: give a port number (0 picks a free one)`);
  const root = workspaceRoot();
  const dbFile = join(root, "runs.db");
  if (!existsSync(dbFile)) {
    throw new CliError(`no run database in the workspace ${root}; run a pipeline first, or point MMADA_HOME at a workspace (MMADA_HOME=path/to/.mmada mmada ui)`);
  }
  let db;
  try {
    db = openRunDbReadOnly(dbFile);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const { isLoopback, startUi } = await import("../../ui/server.ts");
  // with a bucket as the store, pages fetch the files they show (reports, sample grids, logs)
  const store = await openStore(openWorkspace(root), "reader").then(
    (o) => o.store,
    (err: Error) => {
      log(`warning: ${err.message}; pages show only the files already in ${root}`);
      return localStore(root);
    },
  );
  const fetchRuns = (ids: string[]) => fetchRunFiles(store, db!, ids);
  const host = values.host ?? "127.0.0.1";
  let ui;
  try {
    ui = await startUi({ db, root, host, port, fetchRuns }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "EADDRINUSE" || values.port !== undefined) throw err;
      log(`port ${port} is in use; serving on a free port instead`);
      return startUi({ db: db!, root, host, port: 0, fetchRuns });
    });
  } catch (err) {
    closeRunDb(db);
    const e = err as NodeJS.ErrnoException;
    if (e.code === "EADDRINUSE") throw new CliError(`port ${port} on ${host} is in use; pick another with --port (0 picks a free one)`);
    if (e.code === "EADDRNOTAVAIL" || e.code === "ENOTFOUND") throw new CliError(`--host ${host}: not an address of this machine`);
    throw new CliError(`cannot serve on ${host}:${port}: ${e.message}`);
  }
  if (!isLoopback(host)) log(`warning: listening on ${host}: anyone who can reach this machine can read the runs (the UI has no login)`);
  process.stdout.write(`mmada ui: workspace ${root} at ${ui.url} (read-only; Ctrl-C stops it)\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await ui.close();
  store.close();
  closeRunDb(db);
  return 0;
}
