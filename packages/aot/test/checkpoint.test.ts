// checkpoint() under aotFunction and aotModule on the reference interpreter. Oracles: eager
// autograd without checkpoint (gradients, float64), and the compiled forward's signature: none of
// its `saved` outputs is an inner value of the checkpoint region (the same function without
// checkpoint saves some).
import type { Graph } from "@aotjs/ir";
import { Block, F, Module } from "@aotjs/nn";
import { memoryBudgetPartition as budgeted } from "@aotjs/partitioner";
import { manualSeed, randn, type Tensor } from "@aotjs/tensor";
import { describe, expect, test } from "vitest";
import { aotFunction, aotModule, checkpoint, type PartitionFn } from "../src/index.js";

/** A partition function at a fixed memory budget. */
const memoryBudgetPartition =
  (budget: number): PartitionFn =>
  (joint, options) =>
    budgeted(joint, { ...options, budget });

/** The forward's saved outputs computed inside a region and read by nothing outside it. */
function savedInner(forward: Graph): string[] {
  const saved = forward.outputs.filter((_, k) => forward.signature.outputs[k]!.kind === "saved");
  return saved
    .filter((v) => {
      const region = v.producer?.region;
      if (region === undefined) return false;
      const userOutput = forward.outputs.some(
        (o, k) => o === v && forward.signature.outputs[k]!.kind !== "saved",
      );
      return !userOutput && forward.users(v).every((n) => n.region === region);
    })
    .map((v) => v.name);
}

const mlpLoss =
  (ckpt: boolean) =>
  (x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor): Tensor => {
    const block = (h: Tensor) => F.linear(F.gelu(F.linear(h, w1, b1)), w2, b2).tanh();
    const y = ckpt ? checkpoint(block, x) : block(x);
    return y.mul(y).sum();
  };

function mlpInputs(): Tensor[] {
  manualSeed(3);
  return [[6, 8], [16, 8], [16], [8, 16], [8]].map((s) => randn(s, { dtype: "float64", requiresGrad: true }));
}

async function gradsOf(f: (...xs: Tensor[]) => Tensor | Promise<Tensor>, inputs: Tensor[]) {
  for (const t of inputs) t.grad = null;
  const loss = await f(...inputs);
  await loss.backward();
  return { loss: loss.item() as number, grads: inputs.map((t) => t.grad!.clone()) };
}

describe.each([
  ["min-cut", undefined],
  ["memoryBudgetPartition at 0.2", memoryBudgetPartition(0.2)],
])("aotFunction with %s", (_, partitionFn) => {
  test("a checkpointed MLP block saves nothing computed inside it and gives eager's gradients", async () => {
    const inputs = mlpInputs();
    const want = await gradsOf(mlpLoss(false), inputs);
    const compiled = aotFunction(mlpLoss(true), partitionFn ? { partitionFn } : {});
    const got = await gradsOf(compiled, inputs);
    expect(got.loss).toBeCloseTo(want.loss, 12);
    got.grads.forEach((g, i) => {
      expect(g.sub(want.grads[i]!).abs().amax().item(), `grad ${i}`).toBeLessThan(1e-12);
    });
    expect(savedInner(compiled.lastGraphs.forward!)).toEqual([]);
    // Without checkpoint min-cut saves values from inside the block (a budget this low may
    // recompute them all anyway).
    if (partitionFn) return;
    const plain = aotFunction(mlpLoss(false));
    await gradsOf(plain, inputs);
    const forward = plain.lastGraphs.forward!;
    const savedNames = forward.outputs.filter((_, k) => forward.signature.outputs[k]!.kind === "saved");
    expect(savedNames.filter((v) => !v.isInput).length).toBeGreaterThan(1);
  });
});

/** Two gptMini blocks, each checkpointed: gradient checkpointing per layer, as HF Transformers. */
class TwoBlocks extends Module {
  a: Block;
  b: Block;
  constructor(readonly ckpt: boolean) {
    super();
    const c = { vocab: 1, dModel: 16, nHead: 2, nLayer: 2, seqLen: 8, dtype: "float64" } as const;
    this.a = new Block(c);
    this.b = new Block(c);
  }
  override forward(x: Tensor): Tensor {
    const run = (m: Block) => (h: Tensor) => m.forward(h);
    const h = this.ckpt ? checkpoint(run(this.a), x) : this.a.forward(x);
    const y = this.ckpt ? checkpoint(run(this.b), h) : this.b.forward(h);
    return y.mul(y).mean();
  }
}

test("aotModule: checkpointed transformer blocks save only the blocks' boundaries, with eager's gradients", async () => {
  manualSeed(4);
  const eagerModel = new TwoBlocks(false);
  const model = new TwoBlocks(true);
  model.loadStateDict(eagerModel.stateDict());
  const x = randn([2, 8, 16], { dtype: "float64" });
  const want = eagerModel.forward(x);
  await want.backward();
  const compiled = aotModule(model);
  const got = await compiled.forward(x);
  await got.backward();
  expect(got.item()).toBeCloseTo(want.item() as number, 12);
  const eagerGrads = new Map(eagerModel.namedParameters().map(([n, p]) => [n, p.grad!]));
  for (const [name, p] of model.namedParameters()) {
    expect(p.grad!.sub(eagerGrads.get(name)!).abs().amax().item(), name).toBeLessThan(1e-12);
  }
  const forward = compiled.lastGraphs.forward!;
  expect(savedInner(forward)).toEqual([]);
  // What is saved from inside a block is its output (the next block's input).
  const fromRegions = forward.outputs.filter(
    (v, k) => forward.signature.outputs[k]!.kind === "saved" && v.producer?.region !== undefined,
  );
  expect(fromRegions.length).toBeLessThanOrEqual(2);
});

test("regions survive a symbolic capture (dynamic: true)", async () => {
  const inputs = mlpInputs();
  const want = await gradsOf(mlpLoss(false), inputs);
  const compiled = aotFunction(mlpLoss(true), { dynamic: true });
  const got = await gradsOf(compiled, inputs);
  got.grads.forEach((g, i) => {
    expect(g.sub(want.grads[i]!).abs().amax().item(), `grad ${i}`).toBeLessThan(1e-12);
  });
  const forward = compiled.lastGraphs.forward!;
  expect(forward.symbolic).toBeDefined();
  expect(forward.nodes.some((n) => n.region !== undefined)).toBe(true);
  expect(savedInner(forward)).toEqual([]);
});
