// The CI fuzz run: 300 random tensor programs from a fixed seed, each run in eager float32, under
// aotFunction on the reference interpreter with the default and the min-cut partition, on ONNX
// Runtime and on TF.js (cpu), and in float64 on the interpreter and ORT; every 5th program also as
// 20 concurrent calls per compiled mode. Outputs, every input's gradient and every input updated
// in place are compared.
//
// Oracle: eager float64 (the reference kernels in double) on the same program and inputs.
// Tolerance rule (src/compare.ts): with err(m) = max |m - ref| over a tensor, scale = max |ref| and
// M = twice the largest |value| in the reference's forward pass,
//   a float32 mode is wrong when  err(mode) > 10 * err(eager float32) + 1e-5 * scale + 64 * 2^-24 * M,
//   a float64 mode is wrong when  err(mode) > 10 * 2^-29 * err(eager float32) + 1e-12 * scale + 64 * 2^-53 * M;
//   integer and bool tensors must be equal exactly, NaN must meet NaN. A missing gradient counts as
//   zeros. The generator keeps values away from kinks, poles and ties, so float32 rounding cannot
//   legitimately flip a branch.
//
// Documented limits are skipped (TF.js has no float64). Failures of the defects listed in
// src/known-defects.ts (issue #13) are counted, not failed; every other mismatch or crash fails
// this test with its shrunk program, listing and graphs.
import { expect, test } from "vitest";
import { formatSummary, runSession } from "../src/index.js";

const SEED = 13;
const COUNT = 300;

test(`${COUNT} random programs (seed ${SEED}) agree across eager, both partitioners, ORT and TF.js`, async () => {
  const summary = await runSession({ seed: SEED, count: COUNT, maxShrunk: 3 });
  console.log(formatSummary(summary));
  expect(summary.failures.map((f) => f.report)).toEqual([]);
  // The run must have judged programs, not rejected them: the generator's rules and the check's agree.
  expect(summary.checked).toBeGreaterThanOrEqual(COUNT * 0.97);
  expect(summary.ops / COUNT).toBeGreaterThan(5);
}, 600_000);
