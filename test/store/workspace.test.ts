// A workspace's id names its task queues, so it is stable where the folder stays and new where the
// folder was copied: two copies on one host must never serve each other's steps.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openWorkspace } from "../../engine/store/workspace.ts";

const scratch = () => mkdtempSync(join(tmpdir(), "mmada-ws-"));

test("a workspace keeps its id across opens", (t) => {
  const dir = scratch();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const first = openWorkspace(join(dir, "ws"));
  assert.match(first.id, /^[0-9a-f]{12}$/);
  assert.equal(openWorkspace(join(dir, "ws")).id, first.id);
});

test("a copied or moved workspace takes a new id; the original keeps its own", (t) => {
  const dir = scratch();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const original = openWorkspace(join(dir, "a")).id;
  cpSync(join(dir, "a"), join(dir, "b"), { recursive: true });
  const copy = openWorkspace(join(dir, "b")).id;
  assert.notEqual(copy, original);
  assert.equal(openWorkspace(join(dir, "a")).id, original);
  assert.equal(openWorkspace(join(dir, "b")).id, copy, "the copy's new id is stable too");
  renameSync(join(dir, "a"), join(dir, "c"));
  assert.notEqual(openWorkspace(join(dir, "c")).id, original);
});

test("a workspace made by an older version (no recorded root) keeps its id", (t) => {
  const dir = scratch();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  openWorkspace(join(dir, "ws"));
  writeFileSync(join(dir, "ws", "workspace.json"), JSON.stringify({ id: "0123456789ab" }) + "\n");
  assert.equal(openWorkspace(join(dir, "ws")).id, "0123456789ab");
  assert.equal(JSON.parse(readFileSync(join(dir, "ws", "workspace.json"), "utf8")).root, join(dir, "ws"));
});

test("the same folder seen from another host (shared storage) keeps its id", (t) => {
  const dir = scratch();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  openWorkspace(join(dir, "ws"));
  const file = join(dir, "ws", "workspace.json");
  writeFileSync(file, JSON.stringify({ id: "0123456789ab", root: "/mnt/elsewhere/ws", host: "another-host" }) + "\n");
  assert.equal(openWorkspace(join(dir, "ws")).id, "0123456789ab");
});
