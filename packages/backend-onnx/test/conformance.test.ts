// Every catalog op and its backward graph, on the conformance samples, compiled to ONNX and run on
// onnxruntime-node (float32 through the kit's `checkBackend`, as a third party would call it), against the reference interpreter: within 1e-5 relative in float32 (the
// issue's bar), within 1e-10 in float64 (ORT lacks float64 Erf/Conv/ConvTranspose/AveragePool
// kernels; those run through the double formulations in src/lower/float64.ts), and at opset 21.
import { checkBackend, conformanceCases, runConformanceCase } from "@aotjs/conformance";
import { configureBackend } from "@aotjs/ir";
import { describe, expect, test } from "vitest";
import { onnxBackend, onnxCompiler } from "../src/node.js";

const cases = conformanceCases().map((c) => [c.id, c] as const);

describe("float32, opset 17, rtol 1e-5, through the kit's one call", () => {
  test("checkBackend(onnxBackend): every case runs (ORT declares every op and dtype) and passes", async () => {
    const report = await checkBackend(configureBackend(onnxBackend, { intraOpNumThreads: 1 }), {
      rtol: 1e-5,
    });
    expect(report.failed, report.summary).toBe(0);
    expect(report.skipped, report.summary).toBe(0);
    expect(report.passed).toBe(cases.length);
  });
});

describe("float64, rtol 1e-10", () => {
  const compiler = onnxCompiler({ intraOpNumThreads: 1 });
  test("every case", async () => {
    const failures: string[] = [];
    for (const [, c] of cases) {
      const r = await runConformanceCase(compiler, c, { rtol: 1e-10, dtype: "float64" });
      if (r.status !== "passed") failures.push(`${r.id}: ${r.message}`);
    }
    expect(failures).toEqual([]);
  });
});

describe("float32 at opset 21", () => {
  const compiler = onnxCompiler({ intraOpNumThreads: 1, opset: 21 });
  test("every case", async () => {
    const failures: string[] = [];
    for (const [, c] of cases) {
      const r = await runConformanceCase(compiler, c, { rtol: 1e-5 });
      if (r.status !== "passed") failures.push(`${r.id}: ${r.message}`);
    }
    expect(failures).toEqual([]);
  });
});
