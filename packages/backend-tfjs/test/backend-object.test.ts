// tfjsBackend as a Backend: aotFunction(f, { backend }) on TF.js cpu matches eager autograd on an MLP
// loss and its gradients; configureBackend passes its options; float64 (which TF.js lacks) falls
// back to the reference interpreter.
import { aotFunction } from "@aotjs/aot";
import { configureBackend } from "@aotjs/ir";
import { F } from "@aotjs/nn";
import { manualSeed, randint, randn, type Tensor } from "@aotjs/tensor";
import { expect, test } from "vitest";
import { tfjsBackend } from "../src/index.js";

test("aotFunction(f, { backend: tfjsBackend }) matches eager autograd on an MLP loss and its gradients", async () => {
  manualSeed(0);
  const params = [randn([16, 8]), randn([16]), randn([4, 16]), randn([4])].map((p) => p.requiresGrad_());
  const x = randn([5, 8]);
  const y = randint(0, 4, [5]);
  const loss = (w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) =>
    F.crossEntropy(x.matmul(w1.t()).add(b1).relu().matmul(w2.t()).add(b2), y);
  const compiled = aotFunction(loss, { backend: configureBackend(tfjsBackend, { backend: "cpu" }) });
  const [w1, b1, w2, b2] = params as [Tensor, Tensor, Tensor, Tensor];
  const got = await compiled(w1, b1, w2, b2);
  await got.backward();
  const grads = params.map((p) => p.grad!.clone());
  for (const p of params) p.grad = null;
  // Oracle: the same loss run eagerly on the reference kernels.
  const want = loss(w1, b1, w2, b2);
  await want.backward();
  expect(got.item()).toBeCloseTo(want.item() as number, 5);
  params.forEach((p, i) => {
    const diff = grads[i]!.sub(p.grad!).abs().amax().item() as number;
    expect(diff, `grad ${i}`).toBeLessThan(1e-5);
  });
  expect(compiled.lastGraphs.backward).toBeDefined();
  await compiled.dispose();
});

test("tfjsBackend declares every dtype but float64", () => {
  expect([...tfjsBackend.supportedDtypes!].sort()).toEqual(["bool", "float32", "int32", "int64"]);
});

test("a float64 stretch of a graph runs on the reference interpreter, the rest on TF.js", async () => {
  manualSeed(1);
  const x = randn([6]).requiresGrad_();
  const f = (t: Tensor) => t.to("float64").exp().mul(2).to("float32").tanh().sum();
  const compiled = aotFunction(f, { backend: configureBackend(tfjsBackend, { backend: "cpu" }) });
  const got = await compiled(x);
  await got.backward();
  const grad = x.grad!.clone();
  x.grad = null;
  // Oracle: eager autograd on the reference kernels.
  const want = f(x);
  await want.backward();
  expect(got.item()).toBeCloseTo(want.item() as number, 5);
  expect(grad.sub(x.grad!).abs().amax().item() as number).toBeLessThan(1e-5);
  const reports = compiled.stats().fallback;
  expect(reports.map((r) => r.role)).toEqual(["forward", "backward"]);
  expect(reports[0]!.nodes.every((n) => n.reason === "dtype float64 is not in supportedDtypes")).toBe(true);
  expect(reports[0]!.pieces.map((p) => p.runsOn)).toContain("backend");
  await compiled.dispose();
});
