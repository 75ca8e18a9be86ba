// The artifact store takes only what it should: a step's outputs are the plain files and folders it
// wrote under its own scratch folder (a symlink, or a path that resolves elsewhere, is refused and
// nothing outside is moved or deleted); project inputs are copied, and what they resolve to must stay
// inside the project or the workspace.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { StepFailure } from "../../contract/failures.ts";
import { artifactPath, putArtifact } from "../../engine/store/artifacts.ts";

function setup() {
  const base = mkdtempSync(join(tmpdir(), "mmada-store-"));
  const root = join(base, "ws");
  const scratch = join(root, "tmp", "step-a1");
  const project = join(base, "project");
  const outside = join(base, "outside");
  for (const d of [scratch, project, outside]) mkdirSync(d, { recursive: true });
  writeFileSync(join(outside, "precious.txt"), "do not move me");
  return { root, scratch, project, outside };
}

const refused = (pattern: RegExp) => (err: unknown) => {
  assert.ok(err instanceof StepFailure, String(err));
  assert.equal(err.type, "PathEscape");
  assert.match(err.message, pattern);
  return true;
};

describe("outputs (moved in from the step's scratch)", () => {
  it("a plain file moves into the store under its content hash", async () => {
    const { root, scratch } = setup();
    writeFileSync(join(scratch, "out.txt"), "hello");
    const ref = await putArtifact(root, join(scratch, "out.txt"), "file", { move: true, within: [scratch] });
    assert.equal(readFileSync(artifactPath(root, ref), "utf8"), "hello");
    assert.equal(existsSync(join(scratch, "out.txt")), false);
  });

  it("a file under a symlinked folder that leads outside is refused, and the outside file stays", async () => {
    const { root, scratch, outside } = setup();
    symlinkSync(outside, join(scratch, "link"));
    await assert.rejects(putArtifact(root, join(scratch, "link", "precious.txt"), "file", { move: true, within: [scratch] }), refused(/resolves to .*outside.*written under \$MMADA_OUT/));
    assert.equal(readFileSync(join(outside, "precious.txt"), "utf8"), "do not move me");
  });

  it("a symlinked output file is refused, even one that points inside", async () => {
    const { root, scratch } = setup();
    writeFileSync(join(scratch, "real.txt"), "x");
    symlinkSync(join(scratch, "real.txt"), join(scratch, "alias.txt"));
    await assert.rejects(putArtifact(root, join(scratch, "alias.txt"), "file", { move: true, within: [scratch] }), refused(/is a symbolic link/));
  });

  it("an output folder holding a symlink is refused", async () => {
    const { root, scratch, outside } = setup();
    mkdirSync(join(scratch, "dir"));
    writeFileSync(join(scratch, "dir", "a.txt"), "a");
    symlinkSync(join(outside, "precious.txt"), join(scratch, "dir", "b.txt"));
    await assert.rejects(putArtifact(root, join(scratch, "dir"), "dir", { move: true, within: [scratch] }), refused(/is a symbolic link/));
    assert.ok(existsSync(join(outside, "precious.txt")));
  });
});

describe("inputs (copied in from the project)", () => {
  it("a symlink inside the project is followed and its content stored", async () => {
    const { root, project } = setup();
    writeFileSync(join(project, "data.txt"), "data");
    symlinkSync(join(project, "data.txt"), join(project, "alias.txt"));
    const ref = await putArtifact(root, join(project, "alias.txt"), "file", { within: [project, root] });
    assert.equal(readFileSync(artifactPath(root, ref), "utf8"), "data");
    assert.ok(existsSync(join(project, "alias.txt")), "inputs are copied, never moved");
  });

  it("an input reached through a symlink to a system folder is refused", async () => {
    const { root, project } = setup();
    symlinkSync("/etc", join(project, "etc"));
    await assert.rejects(putArtifact(root, join(project, "etc", "hostname"), "file", { within: [project, root] }), refused(/resolves to '\/etc\/hostname', outside/));
  });

  it("an input folder with a symlink that leads outside is refused", async () => {
    const { root, project, outside } = setup();
    mkdirSync(join(project, "imgs"));
    symlinkSync(outside, join(project, "imgs", "more"));
    await assert.rejects(putArtifact(root, join(project, "imgs"), "dir", { within: [project, root] }), refused(/resolves to .*outside/));
  });
});
