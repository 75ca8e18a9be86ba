// Two workspaces on one machine (two users, or two test files at once) start their embedded dev
// servers at the same moment. Each must end with its own live server on its own port: a workspace
// that talks to the other's server has its steps picked up by the other's workers, which look for
// the artifacts in the wrong workspace (seen as "prepare-data: with.text ... does not exist").
//
// Two workspaces starting their dev servers at the same moment must each get a live server of its
// own: engine/temporal/dev-server.ts accepts a port only while the server it started is alive.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { alive, cli, dispose, makeWorkspace, type TestWorkspace } from "../engine/helpers.ts";

/** How long a losing server takes to fail its bind and exit (it logs, then panics, within ~1 s). */
const SETTLE_MS = 3000;

let a: TestWorkspace;
let b: TestWorkspace;
before(() => {
  a = makeWorkspace("pair-a");
  b = makeWorkspace("pair-b");
});
after(async () => {
  await dispose(a);
  await dispose(b);
});

const serverOf = (ws: TestWorkspace) => JSON.parse(readFileSync(join(ws.home, "temporal", "server.json"), "utf8")) as { pid: number; port: number };

test(
  "two workspaces starting their dev servers at once get a live server each, on different ports",
  { timeout: 120_000 },
  async () => {
    const [ra, rb] = await Promise.all([cli(a, ["server", "start"]), cli(b, ["server", "start"])]);
    assert.equal(ra.code, 0, ra.stderr);
    assert.equal(rb.code, 0, rb.stderr);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const [sa, sb] = [serverOf(a), serverOf(b)];
    assert.notEqual(sa.port, sb.port, `both workspaces report a server on port ${sa.port}`);
    assert.ok(alive(sa.pid), `workspace a's server (pid ${sa.pid}) is not running`);
    assert.ok(alive(sb.pid), `workspace b's server (pid ${sb.pid}) is not running`);
  },
);
