// Lineage both ways: a run's executions with their inputs and outputs, and one artifact's producer and
// consumers, found by id, uri or sha256 prefix.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  executionIdOf,
  lineage,
  recordExecutionCached,
  recordExecutionEnd,
  recordExecutionStart,
  recordRunStart,
  type ArtifactLineage,
  type RunLineage,
} from "../../runs/index.ts";
import { makePlan, ref, sha, specTextOf, tempDb, type TempDb } from "./fixtures.ts";

const plan = makePlan();
const raw = ref("raw images", "dataset");
const tokens = ref("tokens", "tokens");
const A_DATA = executionIdOf("a", "data");
const A_TOK = executionIdOf("a", "tokenize");
const B_DATA = executionIdOf("b", "data");
const B_TOK = executionIdOf("b", "tokenize");

describe("lineage", () => {
  let t: TempDb;
  before(() => {
    t = tempDb();
    for (const runId of ["a", "b"]) recordRunStart(t.db, { runId, workflowId: runId, plan, specText: specTextOf(plan) });
    recordExecutionStart(t.db, { executionId: A_DATA, attempt: 1, worker: "w", cacheKey: "kd", cacheComponents: {}, inputs: {} });
    recordExecutionEnd(t.db, { executionId: A_DATA, state: "succeeded", outputs: { out: raw } });
    recordExecutionStart(t.db, { executionId: A_TOK, attempt: 1, worker: "w", cacheKey: "kt", cacheComponents: {}, inputs: { images: raw } });
    recordExecutionEnd(t.db, { executionId: A_TOK, state: "succeeded", outputs: { out: tokens } });
    // Run b reuses data from a's cache, then tokenizes again from it.
    recordExecutionCached(t.db, { executionId: B_DATA, cacheKey: "kd", cacheComponents: {}, cachedFrom: A_DATA, outputs: { out: raw }, inputs: {} });
    recordExecutionStart(t.db, { executionId: B_TOK, attempt: 1, worker: "w", cacheKey: "kt2", cacheComponents: {}, inputs: { images: raw } });
  });
  after(() => t.cleanup());

  it("a run: every execution in plan order with its inputs and outputs", () => {
    const l = lineage(t.db, "a") as RunLineage;
    assert.equal(l.kind, "run");
    assert.equal(l.pipeline, "tiny");
    assert.deepEqual(l.executions.map((e) => e.execution.id), [A_DATA, A_TOK, executionIdOf("a", "train[lr=0.001]"), executionIdOf("a", "eval")]);
    assert.equal(l.executions[0]!.outputs.out!.uri, raw.uri);
    assert.equal(l.executions[1]!.inputs.images!.uri, raw.uri);
    assert.equal(l.executions[1]!.outputs.out!.sha256, tokens.sha256);
  });

  it("an artifact by sha256 prefix: produced by, used by and reused by", () => {
    const l = lineage(t.db, raw.sha256.slice(0, 8).toUpperCase()) as ArtifactLineage;
    assert.equal(l.kind, "artifact");
    assert.equal(l.artifact.uri, raw.uri);
    assert.equal(l.producedBy?.execution.id, A_DATA);
    assert.deepEqual(l.usedBy.map((u) => [u.execution.id, u.name]), [[A_TOK, "images"], [B_TOK, "images"]]);
    assert.deepEqual(l.reusedBy.map((u) => u.execution.id), [B_DATA]);
  });

  it("an artifact by integer id or uri: its producer's inputs lead one step further back", () => {
    const byUri = lineage(t.db, tokens.uri) as ArtifactLineage;
    const byId = lineage(t.db, String(byUri.artifact.id)) as ArtifactLineage;
    assert.deepEqual(byId, byUri);
    assert.equal(byId.producedBy?.execution.id, A_TOK);
    assert.equal(byId.producedBy?.inputs.images!.sha256, raw.sha256);
    assert.deepEqual(byId.usedBy, []);
  });

  it("undefined for unknown targets and too-short prefixes; ambiguous prefixes list candidates", () => {
    assert.equal(lineage(t.db, "no-such-run"), undefined);
    assert.equal(lineage(t.db, "999999"), undefined);
    assert.equal(lineage(t.db, raw.sha256.slice(0, 7)), undefined);
    // Two artifacts whose sha256 share an 8-char prefix.
    const twin = { ...ref("twin"), sha256: `${raw.sha256.slice(0, 8)}${sha("twin").slice(8)}`, uri: "artifacts/twin.bin" };
    recordExecutionEnd(t.db, { executionId: executionIdOf("b", "eval"), state: "succeeded", outputs: { out: twin } });
    const l = lineage(t.db, raw.sha256.slice(0, 8));
    assert.equal(l?.kind, "ambiguous");
    assert.deepEqual(l.kind === "ambiguous" && l.candidates.map((c) => c.uri).sort(), [raw.uri, twin.uri].sort());
    assert.equal((lineage(t.db, raw.sha256.slice(0, 9)) as ArtifactLineage).artifact.uri, raw.uri);
  });
});
