// conv2dBackwardWeight's GEMM formulations take their im2col columns from one depthwise Conv with
// one-hot kernels while x is finite, and run the exact "conv" formulation (an ONNX If) when x holds
// an inf or NaN: there the one-hot columns would spread NaN (0 * inf) into every tap of the
// channel, where the exact sums leave the taps that never reach it finite. The If tests the sum of
// x, or of the product where that is less than half x's size (H = 12 here, and 2 groups at H = 7).
// Oracle: the reference interpreter (a sum over each window's real elements), non-finite entries
// included.
import { checkGraph, fromValues, rng, singleOpGraph, uniform } from "@aotjs/conformance";
import { GraphBuilder, meta } from "@aotjs/ir";
import { describe, expect, test } from "vitest";
import { lowerGraph, onnxCompiler as webCompiler } from "../src/index.js";
import { onnxCompiler } from "../src/node.js";

type Geometry = { stride: number[]; padding: number[]; dilation: number[]; groups: number };
const GEOMETRIES: [string, Geometry][] = [
  ["3x3, padding 1", { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 }],
  ["3x3 stride 2, padding 1", { stride: [2, 2], padding: [1, 1], dilation: [1, 1], groups: 1 }],
  ["3x3 dilation 2, padding 2", { stride: [1, 1], padding: [2, 2], dilation: [2, 2], groups: 1 }],
  ["3x3, 2 groups", { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 2 }],
];
const [N, C, O] = [2, 4, 6];

function weightGradGraph(geo: Geometry, H: number) {
  const k = 3;
  const out = (size: number, s: number, p: number, d: number) =>
    Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;
  const oh = out(H, geo.stride[0]!, geo.padding[0]!, geo.dilation[0]!);
  const gMeta = { dtype: "float32" as const, shape: [N, O, oh, oh] };
  const xMeta = { dtype: "float32" as const, shape: [N, C, H, H] };
  const attrs = { ...geo, weightShape: [O, C / geo.groups, k, k] };
  return { graph: singleOpGraph("conv2dBackwardWeight", [gMeta, xMeta], attrs), gMeta, xMeta };
}

const random = (shape: number[], seed: number, edit?: (v: Float64Array) => void) => {
  const values = uniform(rng(seed), shape, -1, 1).data as Float64Array;
  edit?.(values);
  return fromValues(shape, Array.from(values), "float32");
};

describe.each(["gemm", "batchedGemm"] as const)("conv2dBackwardWeight %s: one-hot columns", (formulation) => {
  const compiler = onnxCompiler({
    intraOpNumThreads: 1,
    formulations: { conv2dBackwardWeight: formulation },
  });

  test.each([7, 12].flatMap((h) => GEOMETRIES.map(([name, geo]) => [`${name}, ${h}x${h}`, geo, h] as const)))(
    "%s: finite x matches the reference; no Slice reads the taps",
    async (_, geo, h) => {
      const { graph, gMeta, xMeta } = weightGradGraph(geo, h);
      const inputs = [random(gMeta.shape, 1), random(xMeta.shape, 2)];
      expect(await checkGraph(compiler, graph, inputs, { rtol: 1e-5 })).toEqual([]);

      const nodes = lowerGraph(graph, { formulations: { conv2dBackwardWeight: formulation } }).model.graph!
        .node;
      const branch = nodes.find((n) => n.opType === "If")!;
      const elseBranch = branch.attribute.find((a) => a.name === "else_branch")!.g!;
      const oneHot = [...nodes, ...elseBranch.node].find((n) => n.opType === "Conv")!;
      // Per-image columns are one group per channel; "gemm" at stride 1 stacks the images into one
      // plane per channel (the channels are its batch), where the added rows cost at most a fifth.
      const rows = h + 2 * geo.padding[0]!;
      const oh = rows - geo.dilation[0]! * 2;
      const stacked = formulation === "gemm" && geo.stride[0] === 1 && 5 * rows <= 6 * oh;
      const group = oneHot.attribute.find((a) => a.name === "group")?.i ?? 1n;
      expect(group).toBe(stacked ? 1n : BigInt(C));
      expect([...nodes, ...elseBranch.node].map((n) => n.opType)).not.toContain("Slice");
      // The guard sums x itself unless the product is less than half its size.
      const guard = nodes.find((n) => n.opType === "ReduceSum")!;
      const productIsSmaller = 2 * O * (C / geo.groups) * 9 < N * C * h * h;
      expect(guard.input[0] === graph.inputs[1]!.name).toBe(!productIsSmaller);
    },
  );

  const x = (
    h: number,
    edit: (v: Float64Array, at: (n: number, c: number, y: number, xx: number) => number) => void,
  ) => random([N, C, h, h], 2, (v) => edit(v, (n, c, y, xx) => ((n * C + c) * h + y) * h + xx));
  test.each([
    ["+inf in a corner", (v: Float64Array, at: (...i: number[]) => number) => (v[at(0, 0, 0, 0)] = Infinity)],
    ["-inf on an edge", (v: Float64Array, at: (...i: number[]) => number) => (v[at(1, 1, 0, 3)] = -Infinity)],
    ["NaN inside", (v: Float64Array, at: (...i: number[]) => number) => (v[at(1, 2, 3, 3)] = Number.NaN)],
  ])("%s: the exact path gives the reference's non-finite entries", async (_, edit) => {
    for (const h of [7, 12]) {
      for (const [, geo] of GEOMETRIES) {
        const { graph, gMeta } = weightGradGraph(geo, h);
        const inputs = [random(gMeta.shape, 1), x(h, edit)];
        expect(await checkGraph(compiler, graph, inputs, { rtol: 1e-5 }), `${h}x${h}`).toEqual([]);
      }
    }
  });
});

test("onnxruntime-web's wasm build runs the If too: finite and non-finite x match the reference", async () => {
  const compiler = webCompiler({ formulations: { conv2dBackwardWeight: "batchedGemm" } });
  const { graph, gMeta, xMeta } = weightGradGraph(GEOMETRIES[0]![1], 12);
  const g = random(gMeta.shape, 1);
  expect(await checkGraph(compiler, graph, [g, random(xMeta.shape, 2)], { rtol: 1e-5 })).toEqual([]);
  const withInf = random(xMeta.shape, 2, (v) => (v[0] = Number.POSITIVE_INFINITY));
  expect(await checkGraph(compiler, graph, [g, withInf], { rtol: 1e-5 })).toEqual([]);
});

test("weight gradients of one geometry share one one-hot kernel initializer; each matches the reference", async () => {
  // Two layers of one geometry (resnet18 has up to four) and one with more channels; per layer a
  // 3x3 kernel over C channels is C * 81 floats, 166 KB at 512 channels, and each used to be stored.
  const b = new GraphBuilder("weight_gradients");
  const geo = { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 };
  const layers = [C, C, 2 * C].map((c, i) => {
    const g = b.input(`g${i}`, meta([N, O, 7, 7]));
    const x = b.input(`x${i}`, meta([N, c, 7, 7]));
    return b.op("conv2dBackwardWeight", [g, x], { ...geo, weightShape: [O, c, 3, 3] });
  });
  b.output(layers);
  const graph = b.build();
  const lowered = lowerGraph(graph, { formulations: { conv2dBackwardWeight: "batchedGemm" } }).model.graph!;
  const kernels = new Map(lowered.initializer.map((t) => [t.name, t]));
  const branches = lowered.node.flatMap((n) => n.attribute.flatMap((a) => (a.g ? [a.g] : [])));
  const oneHot = [...lowered.node, ...branches.flatMap((g) => g.node)]
    .filter((n) => n.opType === "Conv" && kernels.has(n.input[1]!))
    .map((n) => n.input[1]!);
  expect(oneHot).toHaveLength(3);
  expect(oneHot[0]).toBe(oneHot[1]);
  expect(oneHot[2]).not.toBe(oneHot[0]);
  expect(kernels.get(oneHot[2]!)!.dims).toEqual([2n * BigInt(C) * 9n, 1n, 3n, 3n]);
  const inputs = graph.inputs.map((v, i) => random([...v.meta.shape], 10 + i));
  const compiler = onnxCompiler({ formulations: { conv2dBackwardWeight: "batchedGemm" } });
  expect(await checkGraph(compiler, graph, inputs, { rtol: 1e-5 })).toEqual([]);
});
