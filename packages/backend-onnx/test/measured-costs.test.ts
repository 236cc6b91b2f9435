// measuredCosts: ORT's own per-kernel profile (the oracle for kernel times) turned into the table
// estimateCost reads; checked against the profile rows it came from and against estimateCost's
// own FLOP counts.
import { estimateCost, GraphBuilder, meta, TensorData } from "@aotjs/ir";
import { describe, expect, test } from "vitest";
import { measuredCosts, OnnxBackendError, onnxCompiler } from "../src/node.js";

const f32 = (shape: number[]) =>
  new TensorData(
    "float32",
    shape,
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, Math.random),
  );

function graph(name: string, n: number) {
  const b = new GraphBuilder(name);
  const x = b.input("x", meta([n, n]));
  const w = b.input("w", meta([n, n]));
  const h = b.op("relu", [b.op("matmul", [x, w], {}, "hidden")], {}, "act");
  b.output([b.op("sum", [h], { dims: [0, 1] }, "total")]);
  return b.build();
}

describe("measuredCosts", () => {
  test("node times are the profile's; op rows price other nodes by their share of the FLOPs", async () => {
    const compiler = onnxCompiler({ profile: { skip: 2 }, intraOpNumThreads: 1 });
    const g = graph("layer", 128);
    const exe = await compiler(g, g.inputMetas);
    for (let i = 0; i < 6; i++) await exe.run([f32([128, 128]), f32([128, 128])]);
    const [profile] = await compiler.profiles();
    const table = measuredCosts([{ graph: g, profile: profile! }]);
    for (const name of ["hidden", "act", "total"]) {
      expect(table.nodes![name]).toBe(profile!.byNode.find((r) => r.name === name)!.ms);
    }
    expect(table.ops!.matmul).toEqual({
      ms: profile!.byIrOp.find((r) => r.name === "matmul")!.ms,
      flops: 2 * 128 ** 3,
      bytes: 3 * 4 * 128 * 128,
    });
    // A graph twice the size, never profiled: its matmul is priced at 8x the FLOPs.
    const big = graph("big", 256);
    const renamed = new GraphBuilder("other");
    const x = renamed.input("x", meta([256, 256]));
    renamed.output([renamed.op("matmul", [x, x], {}, "other_mm")]);
    const cost = estimateCost(renamed.build(), { measured: table });
    expect(cost.nodes[0]!.source).toBe("measured op");
    expect(cost.nodes[0]!.ms).toBeCloseTo(table.ops!.matmul!.ms * 8, 9);
    expect(estimateCost(big, { measured: table }).byName.get("hidden")!.source).toBe("measured node");
    await exe.dispose();
  });

  test("a profile paired with another graph is an OnnxBackendError naming both", () => {
    const profile = { graph: "a", runs: 1, runMs: 1, kernelMs: 1, byOpType: [], byIrOp: [], byNode: [] };
    expect(() => measuredCosts([{ graph: graph("b", 4), profile }])).toThrow(OnnxBackendError);
    expect(() => measuredCosts([{ graph: graph("b", 4), profile }])).toThrow(/'a'.*'b'/);
  });
});
