// Acceptance 4: mistakes a user makes on the command line or in a spec. Each one gives a clear
// message on stderr (what, where, what to do), exit code 1, and never a stack trace. None of them
// needs Temporal: a spec that does not compile must not even start the dev server.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { cli, DIAMOND, dispose, makeWorkspace, STACK_FRAME, type TestWorkspace } from "./helpers.ts";

interface Case {
  name: string;
  args: string[];
  /** Every pattern must appear on stderr. */
  stderr: RegExp[];
}

const CASES: Case[] = [
  {
    name: "--set value of the wrong type",
    args: ["run", DIAMOND, "--set", "n=abc"],
    stderr: [/E_SET_BAD_VALUE/, /param 'n'/, /'abc' is not a/, /nothing was run/],
  },
  {
    name: "--set value below the minimum",
    args: ["run", DIAMOND, "--set", "n=0"],
    stderr: [/E_SET_BAD_VALUE/, /below the minimum 1/],
  },
  {
    name: "--set boolean that is not true/false",
    args: ["run", DIAMOND, "--set", "fail=maybe"],
    stderr: [/'maybe' is not a boolean/, /write true or false/],
  },
  {
    name: "--set of an unknown param (lists the known ones)",
    args: ["run", DIAMOND, "--set", "nope=1"],
    stderr: [/E_SET_UNKNOWN_PARAM/, /unknown param 'nope'/, /params: fail, n/],
  },
  {
    name: "--set without a value",
    args: ["plan", DIAMOND, "--set", "n"],
    stderr: [/expected NAME=VALUE/],
  },
  { name: "resume of an unknown run", args: ["resume", "no-such-run"], stderr: [/unknown run 'no-such-run'/, /`mmada runs` lists the runs/] },
  { name: "status of an unknown run", args: ["status", "no-such-run"], stderr: [/unknown run 'no-such-run'/, /`mmada runs` lists the runs/] },
  { name: "compare of unknown runs", args: ["compare", "no-such-run", "nor-this"], stderr: [/unknown runs 'no-such-run', 'nor-this'/] },
  { name: "lineage of an unknown run", args: ["lineage", "no-such-run"], stderr: [/'no-such-run' is neither a run id, an artifact id nor a known sha256 prefix/] },
  { name: "run of a spec path that does not exist", args: ["run", "pipelines/examples/no-such.yaml"], stderr: [/spec file 'pipelines\/examples\/no-such\.yaml' does not exist/] },
  { name: "plan of a spec path that does not exist", args: ["plan", "no-such.yaml"], stderr: [/E_FILE_NOT_FOUND/, /'no-such\.yaml' does not exist/] },
  {
    name: "command output path escaping $MMADA_OUT with ..",
    args: ["run", "test/e2e/engine/specs/escape-relative.yaml"],
    stderr: [/escape-relative\.yaml:8:23: error E_PATH_ESCAPE/, /output path '\.\.\/x' of step 'a' must stay inside \$MMADA_OUT/],
  },
  {
    name: "command output path that is absolute",
    args: ["run", "test/e2e/engine/specs/escape-absolute.yaml"],
    stderr: [/escape-absolute\.yaml:8:\d+: error E_PATH_ESCAPE/, /output path '\/outside-the-workspace\/out'/],
  },
  {
    name: "broken YAML (with line and column)",
    args: ["run", "test/e2e/engine/specs/broken.yaml"],
    stderr: [/broken\.yaml:6:11: error E_YAML_SYNTAX: unclosed .{./, /nothing was run/],
  },
  { name: "an unknown option (shows the usage)", args: ["run", DIAMOND, "--bogus"], stderr: [/^error: unknown option '--bogus'$/m, /usage: mmada run <spec\.yaml>/] },
  { name: "an unknown command (suggests one)", args: ["stats"], stderr: [/unknown command 'stats' \(did you mean 'status'\?\)/] },
];

let ws: TestWorkspace;
before(() => {
  ws = makeWorkspace("errors");
});
after(() => dispose(ws));

// two CLI processes at a time: each is mostly tsx start-up, and the machine has two cores
describe("user errors", { concurrency: 2 }, () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const r = await cli(ws, c.args);
      assert.equal(r.code, 1, `exit code ${r.code}\nstderr: ${r.stderr}`);
      for (const p of c.stderr) assert.match(r.stderr, p);
      assert.match(r.stderr, /^error: /m, "no `error: ` line on stderr");
      assert.doesNotMatch(r.stderr, STACK_FRAME, "stack trace on stderr");
      assert.doesNotMatch(r.stdout, STACK_FRAME, "stack trace on stdout");
    });
  }
});

test("no user error started the Temporal dev server", () => {
  assert.equal(existsSync(join(ws.home, "temporal", "server.json")), false);
});

// A workspace path that cannot be a folder: one located line naming it and what to do, nothing
// created, the file left as it was.
describe("a workspace that cannot be made", { concurrency: 2 }, () => {
  let scratch: string;
  before(() => (scratch = mkdtempSync(join(tmpdir(), "mmada-badhome-"))));
  after(() => rmSync(scratch, { recursive: true, force: true }));
  for (const [what, home, pattern] of [
    ["MMADA_HOME is a file", () => join(scratch, "afile"), /afile exists and is not a folder; set MMADA_HOME to a folder this user can write/],
    ["MMADA_HOME is below a file", () => join(scratch, "afile", "ws"), /a part of that path is a file, not a folder; set MMADA_HOME/],
  ] as const) {
    test(what, async () => {
      writeFileSync(join(scratch, "afile"), "keep me");
      const r = await cli({ ...ws, env: { ...ws.env, MMADA_HOME: home() } }, ["run", DIAMOND]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, STACK_FRAME);
    });
  }
});
