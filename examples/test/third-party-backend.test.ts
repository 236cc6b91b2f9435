// Example 10: the plain-JS pointwise backend trains an MLP through the reference fallback.
// Oracle: the same training run eagerly on the reference kernels (losses and final parameters).
import { pointwiseBackend } from "@aotjs/example-third-party-backend";
import { setWarningHandler } from "@aotjs/ir";
import { expect, test } from "vitest";
import { trainMlp } from "../src/third-party-mlp.js";

test("the pointwise-only backend trains an MLP as eager autograd does, with matmul on the reference", async () => {
  setWarningHandler(() => {});
  const steps = 12;
  const compiled = await trainMlp(pointwiseBackend, steps);
  const eager = await trainMlp(undefined, steps);
  expect(compiled.losses.at(-1)!).toBeLessThan(compiled.losses[0]! * 0.8);
  compiled.losses.forEach((l, i) => {
    expect(Math.abs(l - eager.losses[i]!), `step ${i}`).toBeLessThan(1e-4);
  });
  compiled.parameters.forEach((p, i) => {
    const diff = p.sub(eager.parameters[i]!).abs().amax().item() as number;
    expect(diff, `parameter ${i}`).toBeLessThan(1e-4);
  });
  expect(compiled.fallback.map((r) => r.role)).toEqual(["forward", "backward"]);
  for (const r of compiled.fallback) {
    expect(r.nodes.some((n) => n.op === "matmul")).toBe(true);
    // The backend ran part of each graph: the tanh activations and their derivative.
    const onBackend = r.pieces.filter((p) => p.runsOn === "backend").flatMap((p) => p.graph.nodes);
    expect(onBackend.some((n) => n.op === "tanh" || n.op === "mul")).toBe(true);
  }
});
