// memoryBudgetPartition and paretoFrontier on real joint graphs. Oracles: min-cut's own partition
// (budget 1 must be it), the reference interpreter (forward then backward must reproduce the
// joint graph exactly at every budget), and the budget's definition (bytes within the cap).
import { describe, expect, test } from "vitest";
import {
  budgetProblem,
  memoryBudgetPartition,
  minCutRematerializationPartition,
  PartitionError,
  paretoFrontier,
  partitionAtBudget,
} from "../src/index.js";
import { gptJoint, resnetJoint } from "./models.js";
import { checkPartition, savedNames } from "./support.js";

const activationBytes = (r: {
  savedValues: readonly { isInput: boolean; meta: { shape: readonly number[] } }[];
}) =>
  r.savedValues
    .filter((v) => !v.isInput)
    .reduce((s, v) => s + 4 * v.meta.shape.reduce((a, b) => a * b, 1), 0);

describe.each([
  ["resnet18", resnetJoint, [0.3]],
  ["gptMini", gptJoint, [0.5, 0]],
] as const)("%s", (_, make, checked) => {
  const j = make();
  const options = { numForwardOutputs: j.numForwardOutputs };

  test("budget 1 is exactly min-cut's partition", () => {
    const m = minCutRematerializationPartition(j.graph, options);
    const b = memoryBudgetPartition(j.graph, { ...options, budget: 1 });
    expect(savedNames(b)).toEqual(savedNames(m));
    expect(b.forward.code).toBe(m.forward.code);
    expect(b.backward.code).toBe(m.backward.code);
    expect(b.memory.savedBytes).toBe(b.memory.maxBytes);
  });

  test("as the budget falls, saved bytes fall and estimated recompute time rises", () => {
    const points = paretoFrontier(j.graph, options);
    expect(points.map((p) => p.budget)).toEqual([1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0]);
    for (let k = 1; k < points.length; k++) {
      expect(points[k]!.savedBytes).toBeLessThanOrEqual(points[k - 1]!.savedBytes);
      expect(points[k]!.recomputeMs).toBeGreaterThanOrEqual(points[k - 1]!.recomputeMs * (1 - 1e-12));
    }
    // The curve is not flat: the ends differ in both.
    expect(points.at(-1)!.savedBytes).toBeLessThan(points[0]!.savedBytes / 2);
    expect(points.at(-1)!.recomputeMs).toBeGreaterThan(points[0]!.recomputeMs);
  });

  test("each budget's partition stays within its byte cap and reproduces the joint graph", () => {
    const bp = budgetProblem(j.graph, options);
    for (const budget of checked) {
      const r = partitionAtBudget(bp, budget);
      expect(r.memory.savedBytes).toBeLessThanOrEqual(r.memory.byteBudget);
      expect(activationBytes(r)).toBe(r.memory.savedBytes);
      checkPartition(j, r);
    }
  });
});

test("a budget outside [0, 1] is a PartitionError", () => {
  const j = gptJoint();
  expect(() => memoryBudgetPartition(j.graph, { budget: 1.5 })).toThrow(PartitionError);
  expect(() => memoryBudgetPartition(j.graph, { budget: Number.NaN })).toThrow(
    /budget must be a number from 0 to 1, got NaN/,
  );
});

describe("per-op policies", () => {
  const j = gptJoint();
  const options = { numForwardOutputs: j.numForwardOutputs };

  test("mustSave keeps matmuls out of the backward even at budget 0; the graphs still reproduce the joint", () => {
    // Oracle: without the policy, budget 0 recomputes matmuls (checked first, so the test can fail).
    const free = memoryBudgetPartition(j.graph, { ...options, budget: 0 });
    expect(free.memory.recomputed.some((name) => j.graph.value(name).producer?.op === "matmul")).toBe(true);
    const kept = memoryBudgetPartition(j.graph, { ...options, budget: 0, mustSave: ["matmul"] });
    const forwardMatmuls = new Set(kept.forward.nodes.filter((n) => n.op === "matmul").map((n) => n.name));
    expect(kept.backward.nodes.some((n) => forwardMatmuls.has(n.name))).toBe(false);
    expect(kept.memory.savedBytes).toBeGreaterThan(free.memory.savedBytes);
    checkPartition(j, kept);
  });

  test("preferRecompute never saves the chosen ops; conflicting policies are a PartitionError", () => {
    const r = memoryBudgetPartition(j.graph, {
      ...options,
      budget: 0.5,
      preferRecompute: (n) => n.op === "mul",
    });
    expect(r.savedValues.filter((v) => v.producer?.op === "mul")).toEqual([]);
    checkPartition(j, r);
    expect(() =>
      memoryBudgetPartition(j.graph, {
        ...options,
        budget: 0.5,
        mustSave: ["matmul"],
        preferRecompute: ["matmul"],
      }),
    ).toThrow(/both mustSave and preferRecompute/);
  });
});
