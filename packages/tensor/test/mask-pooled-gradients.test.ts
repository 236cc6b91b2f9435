// maskPooledGradients (an IR pass) moves a comparison mask of a max pool's input, applied to the
// pool's gradient, in front of the routing, as the same comparison of the pool's output. Oracle:
// the reference interpreter on the graph before the pass; the rewritten graph must give the same
// bits (Object.is per element) on inputs full of ties, zeros of both signs and NaN.
import { type Graph, GraphBuilder, maskPooledGradients, meta, TensorData } from "@aotjs/ir";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { interpret } from "../src/index.js";

type Pool = { kernel: number[]; stride: number[]; padding: number[]; dilation: number[] };
const pool = (k: number, s: number, p: number, d = 1): Pool => ({
  kernel: [k, k],
  stride: [s, s],
  padding: [p, p],
  dilation: [d, d],
});
const poolAttrs = (p: Pool) => ({
  kernelSize: p.kernel,
  stride: p.stride,
  padding: p.padding,
  dilation: p.dilation,
  ceilMode: false,
});
const outSize = (h: number, p: Pool) =>
  Math.floor((h + 2 * p.padding[0]! - p.dilation[0]! * (p.kernel[0]! - 1) - 1) / p.stride[0]!) + 1;

/** where(cmp(x, s), maxPool2dBackward(g, x), 0), as ReLU's backward after a pool over ReLU's output. */
function maskedPoolGrad(
  h: number,
  p: Pool,
  cmp: "gt" | "ge" | "lt" | "eq",
  s: number,
  scalarFirst = false,
): Graph {
  const b = new GraphBuilder("g");
  const x = b.input("x", meta([2, 3, h, h]));
  const o = outSize(h, p);
  const g = b.input("g", meta([2, 3, o, o]));
  const routed = b.op("maxPool2dBackward", [g, x], poolAttrs(p) as never);
  const scalar = b.op("full", [], { shape: [], value: s, dtype: "float32" });
  const test = b.op(cmp, scalarFirst ? [scalar, x] : [x, scalar], {});
  const zero = b.op("full", [], { shape: [], value: 0, dtype: "float32" });
  b.output([b.op("where", [test, routed, zero], {})]);
  return b.build();
}

const VALUES = [-1, -0, 0, 0.5, 1, 2, Number.NaN];
const values = (n: number) => fc.array(fc.constantFrom(...VALUES), { minLength: n, maxLength: n });

describe("maskPooledGradients", () => {
  const cases: [string, number, Pool, "gt" | "ge" | "lt" | "eq", number, boolean][] = [
    ["ReLU after resnet's 3x3/2 pool, padding 1", 8, pool(3, 2, 1), "gt", 0, false],
    ["2x2/2 windows, x >= 0.5", 6, pool(2, 2, 0), "ge", 0.5, false],
    ["overlapping 3x3/1 windows, 1 < x", 5, pool(3, 1, 1), "lt", 1, true],
    ["dilated 2x2, x == 0 (both zeros)", 7, pool(2, 1, 0, 2), "eq", 0, false],
  ];
  test.each(cases)("%s: the same bits as before the pass", (_, h, p, cmp, s, scalarFirst) => {
    const before = maskedPoolGrad(h, p, cmp, s, scalarFirst);
    const after = maskPooledGradients(before).lint();
    expect(after.nodes.map((n) => n.op).filter((op) => op !== "full")).toEqual([
      "maxPool2d",
      cmp,
      "where",
      "maxPool2dBackward",
    ]);
    const o = outSize(h, p);
    fc.assert(
      fc.property(values(2 * 3 * h * h), values(2 * 3 * o * o), (xs, gs) => {
        const inputs = [
          new TensorData("float32", [2, 3, h, h], Float32Array.from(xs)),
          new TensorData("float32", [2, 3, o, o], Float32Array.from(gs)),
        ];
        const want = interpret(before, inputs)[0]!.data as Float32Array;
        const got = interpret(after, inputs)[0]!.data as Float32Array;
        return want.every((v, i) => Object.is(v, got[i]));
      }),
      { numRuns: 60 },
    );
  });

  test.each([
    ["the routed gradient has another reader", { alsoOutput: true }],
    ["the else branch is -0", { elseValue: -0 }],
    ["the comparison reads another tensor", { testOther: true }],
  ])(
    "leaves the graph alone where %s",
    (_, o: { alsoOutput?: boolean; elseValue?: number; testOther?: boolean }) => {
      const b = new GraphBuilder("g");
      const x = b.input("x", meta([1, 1, 4, 4]));
      const other = b.input("other", meta([1, 1, 4, 4]));
      const g = b.input("g", meta([1, 1, 2, 2]));
      const routed = b.op("maxPool2dBackward", [g, x], poolAttrs(pool(2, 2, 0)) as never);
      const zero = b.op("full", [], { shape: [], value: 0, dtype: "float32" });
      const otherwise = b.op("full", [], { shape: [], value: o.elseValue ?? 0, dtype: "float32" });
      const test = b.op("gt", [o.testOther ? other : x, zero], {});
      const masked = b.op("where", [test, routed, otherwise], {});
      b.output(o.alsoOutput ? [masked, routed] : [masked]);
      const graph = b.build();
      expect(maskPooledGradients(graph)).toBe(graph);
    },
  );
});
