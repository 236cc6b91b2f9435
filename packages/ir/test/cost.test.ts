// nodeFlops / graphFlops. Oracle: the textbook counts (2·M·N·K for a matmul, 2 per multiply-add of
// a convolution, one per element for pointwise ops and reductions), computed by hand here.
import { describe, expect, test } from "vitest";
import { GraphBuilder, graphFlops, meta, nodeFlops } from "../src/index.js";

describe("nodeFlops", () => {
  test("matmul, conv2d and its adjoints, pool, pointwise, reduction, layout", () => {
    const b = new GraphBuilder("costs");
    const a = b.input("a", meta([2, 8, 16]));
    const w = b.input("w", meta([16, 4]));
    const x = b.input("x", meta([2, 3, 10, 10]));
    const k = b.input("k", meta([6, 3, 3, 3]));
    const mm = b.op("matmul", [a, w]); // [2, 8, 4]
    const conv = b.op("conv2d", [x, k], { padding: [1, 1] }); // [2, 6, 10, 10]
    const dx = b.op("conv2dBackwardInput", [conv, k], { padding: [1, 1], inputShape: [2, 3, 10, 10] });
    const dw = b.op("conv2dBackwardWeight", [conv, x], { padding: [1, 1], weightShape: [6, 3, 3, 3] });
    const pool = b.op("maxPool2d", [x], { kernelSize: [2, 2], stride: [2, 2] }); // [2, 3, 5, 5]
    const relu = b.op("relu", [mm]);
    const sum = b.op("sum", [x], { dims: [2, 3] });
    const flat = b.op("reshape", [x], { shape: [2, 300] });
    b.output([relu, dx, dw, pool, sum, flat]);
    const g = b.build();
    const flops = Object.fromEntries(g.nodes.map((n) => [n.op, nodeFlops(n)]));
    expect(flops).toEqual({
      matmul: 2 * 2 * 8 * 4 * 16,
      conv2d: 2 * (2 * 6 * 10 * 10) * (3 * 3 * 3),
      conv2dBackwardInput: 2 * (2 * 6 * 10 * 10) * (3 * 3 * 3),
      conv2dBackwardWeight: 2 * (2 * 6 * 10 * 10) * (3 * 3 * 3),
      maxPool2d: 2 * 3 * 5 * 5 * 4,
      relu: 2 * 8 * 4,
      sum: 2 * 3 * 10 * 10,
      reshape: 0,
    });
    expect(graphFlops(g)).toBe(Object.values(flops).reduce((p, q) => p + q, 0));
  });
});
