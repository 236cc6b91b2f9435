// The conformance kit in a third party's own suite: every op's samples, forward and backward,
// through pointwiseBackend against the reference interpreter. Cases needing an op or dtype it does
// not declare (matmul, reductions, float64, int) are skipped; every other case must pass.
import { checkBackend } from "@aotjs/conformance";
import { expect, test } from "vitest";
import { pointwiseBackend } from "../src/index.js";

test("pointwiseBackend conforms on every case it declares", async () => {
  const report = await checkBackend(pointwiseBackend, { rtol: 1e-5 });
  expect(report.failed, report.summary).toBe(0);
  const passed = report.results.filter((r) => r.status === "passed");
  // Forward and backward of the pointwise ops ran on this backend, not only skips.
  expect(passed.length).toBeGreaterThan(80);
  expect(passed.some((r) => r.id === "tanh / [2,3] / backward")).toBe(true);
  expect(passed.some((r) => r.op === "where")).toBe(true);
  expect(report.results.filter((r) => r.op === "matmul").every((r) => r.status === "skipped")).toBe(true);
});
