// A real joint graph: resnet18's training step at 1x3x64x64 (parameters require grad; BatchNorm
// buffers are inputs whose running statistics come back as mutations).
import { functionalCall, resnet18 } from "@aotjs/nn";
import type { Tensor } from "@aotjs/tensor";
import { describe, expect, test } from "vitest";
import { defaultPartition, minCutRematerializationPartition, partitionReport } from "../src/index.js";
import { checkPartition, f32, joint } from "./support.js";

function resnetJoint() {
  const model = resnet18({ numClasses: 10 });
  const params = model.namedParameters();
  const buffers = model.namedBuffers();
  const names = [...params, ...buffers].map(([n]) => n);
  const tensors = [...params, ...buffers].map(([, t]) => t as Tensor);
  return joint(
    (x, ...ts) => functionalCall(model, Object.fromEntries(names.map((n, i) => [n, ts[i]!])), [x]) as Tensor,
    [f32(1, 3, 64, 64), ...tensors.map((t) => t.meta)],
    [false, ...params.map(() => true), ...buffers.map(() => false)],
  );
}

// Partition time is measured by `pnpm bench partition`, not asserted here (shared machines).
describe("resnet18", () => {
  const j = resnetJoint();
  const options = { numForwardOutputs: j.numForwardOutputs };

  test("the joint graph is resnet-sized", () => {
    expect(j.graph.nodes.length).toBeGreaterThan(1000);
    expect(j.graph.mutations.length).toBeGreaterThan(0);
  });

  test("min-cut saves less activation memory than the default, and both reproduce the joint", () => {
    const d = defaultPartition(j.graph, options);
    const m = minCutRematerializationPartition(j.graph, options);
    const rd = partitionReport(d);
    const rm = partitionReport(m);
    expect(rm.savedBytesExcludingInputs).toBeLessThan(rd.savedBytesExcludingInputs);
    // Convolutions and pools are never recomputed by default.
    expect(rm.recomputed.filter((name) => /conv|pool/i.test(name))).toEqual([]);
    checkPartition(j, d);
    checkPartition(j, m);
  });
});
