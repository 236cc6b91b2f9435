// checkpoint() regions in the partitioners. Oracles: the partition's own saved values (no inner
// value of a region is among them; without the checkpoint the same graph saves some), the
// reference interpreter (forward then backward reproduces the joint graph exactly), and eager
// float64 autograd for the gradients.
import { checkpoint, gradSync } from "@aotjs/autograd";
import { TensorData } from "@aotjs/ir";
import { Block, F, functionalCall } from "@aotjs/nn";
import { interpret, manualSeed, randn, type Tensor } from "@aotjs/tensor";
import { describe, expect, test } from "vitest";
import {
  analyzeJoint,
  checkpointInner,
  memoryBudgetPartition,
  minCutRematerializationPartition,
  type PartitionResult,
} from "../src/index.js";
import { checkPartition, type Joint, joint, savedNames } from "./support.js";

const f64 = (...shape: number[]) => ({ shape, dtype: "float64" as const });

/** An MLP block, optionally checkpointed, then a loss outside it. */
const mlp =
  (ckpt: boolean) =>
  (x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor): Tensor => {
    const block = (h: Tensor) => F.linear(F.gelu(F.linear(h, w1, b1)), w2, b2).tanh();
    const y = ckpt ? checkpoint(block, x) : block(x);
    return y.mul(y).sum();
  };
const mlpMetas = [f64(6, 8), f64(16, 8), f64(16), f64(8, 16), f64(8)];

/** A gptMini transformer block (attention, layer norms, MLP), optionally checkpointed. */
function blockJoint(ckpt: boolean): Joint {
  manualSeed(0);
  const block = new Block({ vocab: 1, dModel: 16, nHead: 2, nLayer: 1, seqLen: 8, dtype: "float64" });
  const params = block.namedParameters();
  const names = params.map(([n]) => n);
  return joint(
    (x, ...ts) => {
      const run = (h: Tensor) =>
        functionalCall(block, Object.fromEntries(names.map((n, i) => [n, ts[i]!])), [h]) as Tensor;
      const y = ckpt ? checkpoint(run, x) : run(x);
      return y.mul(y).mean();
    },
    [f64(2, 8, 16), ...params.map(([, t]) => t.meta)],
  );
}

const innerNames = (j: Joint): Set<string> => {
  const a = analyzeJoint(j.graph, { numForwardOutputs: j.numForwardOutputs });
  const inner = checkpointInner(a);
  return new Set(a.values.filter((_, i) => inner[i]).map((v) => v.name));
};

const partitions: [string, (j: Joint) => PartitionResult][] = [
  ["min-cut", (j) => minCutRematerializationPartition(j.graph, { numForwardOutputs: j.numForwardOutputs })],
  [
    "memoryBudgetPartition at 0.5",
    (j) => memoryBudgetPartition(j.graph, { numForwardOutputs: j.numForwardOutputs, budget: 0.5 }),
  ],
];

describe.each(partitions)("%s", (_, partition) => {
  test.each([
    ["an MLP block", () => joint(mlp(true), mlpMetas), () => joint(mlp(false), mlpMetas)],
    ["a transformer block", () => blockJoint(true), () => blockJoint(false)],
  ])("checkpointing %s saves nothing computed inside it; without it the same graph does", (_, on, off) => {
    const j = on();
    const inner = innerNames(j);
    expect(inner.size).toBeGreaterThan(5);
    const r = partition(j);
    expect(savedNames(r).filter((n) => inner.has(n))).toEqual([]);
    // The saved values are the region's inputs (graph inputs here) and its output.
    expect(r.savedValues.filter((v) => !v.isInput).length).toBeLessThanOrEqual(1);
    checkPartition(j, r);
    // The region's nodes keep their region id in the backward, where they are recomputed.
    expect(r.backward.nodes.some((n) => n.region !== undefined && n.category === "compute-heavy")).toBe(true);
    const plain = partition(off());
    expect(savedNames(plain).filter((n) => inner.has(n)).length).toBeGreaterThan(0);
  });
});

test("consecutive checkpointed blocks: min-cut saves each block's input (the boundary), nothing inside", () => {
  const chain = (x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor): Tensor => {
    const block = (h: Tensor) => F.linear(F.gelu(F.linear(h, w1, b1)), w2, b2).tanh();
    const y = checkpoint(block, checkpoint(block, x).mul(2)); // the boundary is computed outside
    return y.mul(y).sum();
  };
  const j = joint(chain, mlpMetas);
  const inner = innerNames(j);
  const r = minCutRematerializationPartition(j.graph, { numForwardOutputs: j.numForwardOutputs });
  const saved = r.savedValues.filter((v) => !v.isInput);
  expect(saved.filter((v) => inner.has(v.name))).toEqual([]);
  // The mul between the blocks is the second block's input: saved, not recomputed from x.
  expect(saved.some((v) => v.producer?.op === "mul" && v.producer.region === undefined)).toBe(true);
  checkPartition(j, r);
});

test("mustSave overrides inside a region: selective checkpointing keeps the matmuls", () => {
  const j = joint(mlp(true), mlpMetas);
  const options = { numForwardOutputs: j.numForwardOutputs, mustSave: ["matmul"] as const };
  for (const r of [
    minCutRematerializationPartition(j.graph, options),
    memoryBudgetPartition(j.graph, { ...options, budget: 0.3 }),
  ]) {
    const saved = r.savedValues.filter((v) => !v.isInput);
    expect(saved.some((v) => v.producer?.op === "matmul" && v.producer.region !== undefined)).toBe(true);
    checkPartition(j, r);
  }
});

test("gradients from the checkpointed partition equal eager float64 autograd", () => {
  manualSeed(5);
  const inputs = mlpMetas.map((m) => randn(m.shape, { dtype: "float64", requiresGrad: true }));
  const eager = gradSync([mlp(false)(...(inputs as [Tensor, Tensor, Tensor, Tensor, Tensor]))], inputs);
  const j = joint(mlp(true), mlpMetas);
  const r = minCutRematerializationPartition(j.graph, { numForwardOutputs: j.numForwardOutputs });
  const fw = interpret(
    r.forward,
    inputs.map((t) => t.toData()),
  );
  const one = TensorData.zeros("float64", []);
  one.data[0] = 1; // d loss / d loss
  const grads = interpret(r.backward, [...fw.slice(1), one]);
  grads.forEach((g, i) => {
    const e = eager[i]!.toData().data as Float64Array;
    const a = g.data as Float64Array;
    for (let k = 0; k < e.length; k++) expect(a[k]).toBeCloseTo(e[k]!, 12);
  });
});
