// onnxBackend as a Backend: aotFunction(f, { backend }) on ORT matches eager autograd on an MLP
// loss and its gradients, and configureBackend passes its options to every role's compiler.
import { aotFunction } from "@aotjs/aot";
import { configureBackend } from "@aotjs/ir";
import { F } from "@aotjs/nn";
import { manualSeed, randint, randn, type Tensor } from "@aotjs/tensor";
import { expect, test } from "vitest";
import { onnxBackend } from "../src/node.js";

test("aotFunction(f, { backend: onnxBackend }) matches eager autograd on an MLP loss and its gradients", async () => {
  manualSeed(0);
  const params = [randn([16, 8]), randn([16]), randn([4, 16]), randn([4])].map((p) => p.requiresGrad_());
  const x = randn([5, 8]);
  const y = randint(0, 4, [5]);
  const loss = (w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) =>
    F.crossEntropy(x.matmul(w1.t()).add(b1).relu().matmul(w2.t()).add(b2), y);
  const compiled = aotFunction(loss, { backend: configureBackend(onnxBackend, { intraOpNumThreads: 1 }) });
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
