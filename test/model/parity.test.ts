// Parity with the PyTorch reference (bench/parity.ts): logits and losses to 1e-4, gradients to
// 1e-3, one text-sampler step exactly, on the plain tfjs kernels and on the native ones. Needs a
// python with torch ($MMADA_PYTHON, .venv/bin/python or python3) and, for the native run, the
// built add-on; without them a run is skipped, visibly, with the reason.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { findPython, formatReport, runParity } from "../../bench/parity.ts";
import { type Kernels, nativeStatus } from "../../model/native/index.ts";

describe("parity with PyTorch", () => {
  for (const kernels of ["tfjs", "native"] as Kernels[]) {
    it(`matches bench/reference/mmada_ref.py (${kernels} kernels)`, async (t) => {
      const found = findPython();
      if ("reason" in found) {
        t.skip(found.reason);
        return;
      }
      const status = nativeStatus();
      if (kernels === "native" && !status.loaded) {
        t.skip(status.reason);
        return;
      }
      const report = await runParity(found.python, kernels);
      assert.ok(report.ok, formatReport(report));
      assert.ok(report.rows.length > 10);
    });
  }
});
