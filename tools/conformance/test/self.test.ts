// The runner checked against itself: the reference interpreter (a compiler that returns the graph)
// must pass every case, in float32 and float64, and a deliberately wrong compiler must fail.
import { type Compiler, opNames, rewriteGraph } from "@aotjs/ir";
import { describe, expect, test } from "vitest";
import {
  checkCompiler,
  compareTensors,
  conformanceCases,
  fromValues,
  makeSamples,
  runConformanceCase,
} from "../src/index.js";

const interpreter: Compiler = (graph) => graph;

test("every op has samples and every case id is unique", () => {
  const table = makeSamples();
  for (const op of opNames) expect(table[op].length, op).toBeGreaterThan(0);
  const ids = conformanceCases().map((c) => c.id);
  expect(new Set(ids).size).toBe(ids.length);
});

describe.each(["float32", "float64"] as const)("the reference interpreter conforms in %s", (dtype) => {
  test("all cases pass", async () => {
    const report = await checkCompiler(interpreter, { dtype });
    expect(report.failed, report.summary).toBe(0);
    expect(report.passed).toBeGreaterThan(400);
  });
});

test("a compiler that swaps sin for cos fails the sin cases and names them", async () => {
  const wrong: Compiler = (graph) =>
    rewriteGraph(graph, (node, inputs, b) => (node.op === "sin" ? b.op("cos", inputs) : undefined));
  const cases = conformanceCases({ ops: ["sin"] });
  const results = await Promise.all(cases.map((c) => runConformanceCase(wrong, c)));
  expect(results.every((r) => r.status === "failed")).toBe(true);
  expect(results[0]!.message).toMatch(/sin output 0 'sin': element \d+ is/);
});

test("unsupported ops without a decomposition are skipped, supported ones decomposed", async () => {
  const report = await checkCompiler(interpreter, {
    ops: ["rsqrt", "erf"],
    supportedOps: opNames.filter((o) => o !== "rsqrt" && o !== "erf"),
  });
  expect(report.failed, report.summary).toBe(0);
  expect(report.results.filter((r) => r.op === "erf").every((r) => r.status === "skipped")).toBe(true);
  expect(report.results.filter((r) => r.op === "rsqrt").every((r) => r.status === "passed")).toBe(true);
});

test("compareTensors: relative to the element or the tensor's scale; exact for integers; NaN meets NaN", () => {
  const e = fromValues([3], [1000, 1, Number.NaN], "float32");
  expect(compareTensors(fromValues([3], [1000.001, 1.001, Number.NaN], "float32"), e, 1e-5)).toBeUndefined();
  expect(compareTensors(fromValues([3], [1000, 1.1, Number.NaN], "float32"), e, 1e-5)?.index).toBe(1);
  expect(compareTensors(fromValues([3], [1000, 1, 0], "float32"), e, 1e-5)?.index).toBe(2);
  expect(
    compareTensors(fromValues([2], [1, 2], "int64"), fromValues([2], [1, 3], "int64"), 1)?.message,
  ).toMatch(/exact/);
  expect(
    compareTensors(fromValues([2], [1, 2], "int64"), fromValues([2], [1, 2], "int32"), 1)?.message,
  ).toMatch(/dtype/);
});
