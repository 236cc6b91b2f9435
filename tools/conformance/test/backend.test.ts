// checkBackend, the one-call kit: a backend passes what it declares, skips (with the reason) what it
// does not, and fails where it computes something else. Oracle: the reference interpreter.
import { type Backend, type Compiler, catalog, opNames, rewriteGraph } from "@aotjs/ir";
import { expect, test } from "vitest";
import { checkBackend } from "../src/index.js";

const interpreter: Compiler = (graph) => graph;
const backend = (ops: Iterable<(typeof opNames)[number]>, extra: Partial<Backend> = {}): Backend => ({
  name: "test",
  supportedOps: new Set(ops),
  compiler: () => interpreter,
  ...extra,
});
// With `full`: backward graphs make their constants (tanh's 1 - y^2) with it.
const pointwise = [...opNames.filter((op) => catalog[op].category === "pointwise"), "full" as const];

test("a backend declaring every op runs every case, and the reference passes them all", async () => {
  const report = await checkBackend(backend(opNames));
  expect(report.failed, report.summary).toBe(0);
  expect(report.skipped).toBe(0);
  expect(report.passed).toBeGreaterThan(400);
});

test("a pointwise-only backend skips matmul and reductions, naming the op, and passes the rest", async () => {
  const report = await checkBackend(backend(pointwise), { ops: ["matmul", "sum", "tanh", "add", "sigmoid"] });
  expect(report.failed, report.summary).toBe(0);
  const byOp = (op: string) => report.results.filter((r) => r.op === op);
  expect(byOp("matmul").every((r) => r.status === "skipped")).toBe(true);
  expect(byOp("matmul")[0]!.message).toMatch(
    /backend 'test' declares no op 'matmul' \(node '\w+' of graph '\w+'\)/,
  );
  expect(byOp("sum").every((r) => r.status === "skipped")).toBe(true);
  // tanh's and add's forward and backward graphs are pointwise: they run and pass.
  expect(byOp("tanh").every((r) => r.status === "passed")).toBe(true);
  expect(byOp("add").some((r) => r.status === "passed")).toBe(true);
});

test("an op the backend lacks but a rule rewrites is checked through the rewrite", async () => {
  const report = await checkBackend(backend(opNames.filter((op) => op !== "sigmoid")), { ops: ["sigmoid"] });
  expect(report.skipped).toBe(0);
  expect(report.failed, report.summary).toBe(0);
});

test("dtypes outside supportedDtypes are skipped", async () => {
  const f32 = backend(opNames, { supportedDtypes: new Set(["float32"]) });
  const report = await checkBackend(f32, { ops: ["exp", "gt"] });
  expect(report.failed, report.summary).toBe(0);
  const gt = report.results.filter((r) => r.op === "gt" && r.id.endsWith("forward"));
  expect(gt.every((r) => r.status === "skipped" && /declares no dtype bool/.test(r.message!))).toBe(true);
  expect(report.results.filter((r) => r.op === "exp").every((r) => r.status === "passed")).toBe(true);
});

test("a backend that declares sin but computes cos fails the sin cases; skip() skips what the author says", async () => {
  const wrong: Compiler = (graph) =>
    rewriteGraph(graph, (node, inputs, b) => (node.op === "sin" ? b.op("cos", inputs) : undefined));
  const liar = backend(opNames, { compiler: () => wrong });
  const report = await checkBackend(liar, { ops: ["sin"] });
  expect(report.failed).toBeGreaterThan(0);
  expect(report.summary).toMatch(/FAIL sin \/ .* \/ forward: sin output 0 'sin'/);
  const skipped = await checkBackend(liar, { ops: ["sin"], skip: () => "known: sin is cos here" });
  expect(skipped.failed).toBe(0);
  expect(skipped.results[0]!.message).toBe("known: sin is cos here");
});
