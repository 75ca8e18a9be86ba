// Parity with the PyTorch reference (bench/parity.ts): logits and losses to 1e-4, gradients to
// 1e-3, one text-sampler step exactly. Needs a python with torch ($MMADA_PYTHON, .venv/bin/python
// or python3); without one the test is skipped, visibly, with the reason.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { findPython, formatReport, runParity } from "../../bench/parity.ts";

describe("parity with PyTorch", () => {
  it("matches bench/reference/mmada_ref.py", async (t) => {
    const found = findPython();
    if ("reason" in found) {
      t.skip(found.reason);
      return;
    }
    const report = await runParity(found.python);
    assert.ok(report.ok, formatReport(report));
    assert.ok(report.rows.length > 10);
  });
});
