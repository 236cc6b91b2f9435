// checkpoint() regions compiled for ONNX Runtime. Oracle: eager autograd without checkpoint on
// the reference kernels (float32, at 1e-5), and the forward's signature: none of the values the
// forward saves is computed inside the checkpointed block.
import { aotFunction, checkpoint } from "@aotjs/aot";
import { configureBackend } from "@aotjs/ir";
import { F } from "@aotjs/nn";
import { manualSeed, randn, type Tensor } from "@aotjs/tensor";
import { expect, test } from "vitest";
import { onnxBackend } from "../src/node.js";

test("a checkpointed MLP block on ORT gives eager's loss and gradients and saves nothing from inside it", async () => {
  manualSeed(0);
  const params = [randn([32, 8]), randn([32]), randn([8, 32]), randn([8])].map((p) => p.requiresGrad_());
  const x = randn([5, 8]);
  const loss = (ckpt: boolean) => (w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) => {
    const block = (h: Tensor) => F.linear(F.gelu(F.linear(h, w1, b1)), w2, b2).tanh();
    const y = ckpt ? checkpoint(block, x) : block(x);
    return y.mul(y).mean();
  };
  const compiled = aotFunction(loss(true), {
    backend: configureBackend(onnxBackend, { intraOpNumThreads: 1 }),
  });
  const [w1, b1, w2, b2] = params as [Tensor, Tensor, Tensor, Tensor];
  const got = await compiled(w1, b1, w2, b2);
  await got.backward();
  const grads = params.map((p) => p.grad!.clone());
  for (const p of params) p.grad = null;
  const want = loss(false)(w1, b1, w2, b2);
  await want.backward();
  expect(got.item()).toBeCloseTo(want.item() as number, 5);
  params.forEach((p, i) => {
    const diff = grads[i]!.sub(p.grad!).abs().amax().item() as number;
    expect(diff, `grad ${i}`).toBeLessThan(1e-5);
  });
  const forward = compiled.lastGraphs.forward!;
  const saved = forward.outputs.filter((_, k) => forward.signature.outputs[k]!.kind === "saved");
  // The block's output y is read outside it (y * y), so it may be saved; nothing else inside is.
  const inside = saved.filter((v) => v.producer?.region !== undefined);
  expect(inside.map((v) => v.producer!.op).filter((op) => op !== "tanh")).toEqual([]);
  expect(compiled.lastGraphs.backward!.nodes.some((n) => n.op === "matmul" && n.region !== undefined)).toBe(
    true,
  );
  await compiled.dispose();
});
