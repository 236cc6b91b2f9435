// Convs on ORT's NCHWc kernels (com.microsoft.nchwc), which onnxCompiler on onnxruntime-node picks
// for spatial kernels with an output plane of 14x14 and up: the forward conv (x blocked, or kept
// NCHW for fewer channels than a block) and the stride-1 input gradient (the flipped weight read in
// IO order). The filter is reordered in the graph, so a wrong permutation gives wrong numbers.
// Oracle: the reference interpreter (@aotjs/conformance's checkGraph), float32 within 1e-5.
import { checkGraph, fromValues, rng, singleOpGraph, uniform } from "@aotjs/conformance";
import type { Graph, OpName } from "@aotjs/ir";
import { fromBinary } from "@bufbuild/protobuf";
import { ModelProtoSchema } from "onnx-buf";
import { describe, expect, test } from "vitest";
import { lowerGraph } from "../src/index.js";
import { onnxCompiler } from "../src/node.js";

const random = (shape: number[], seed: number) =>
  fromValues(shape, Array.from(uniform(rng(seed), shape, -1, 1).data as Float64Array), "float32");

const conv = (n: number, c: number, o: number, h: number, k: number, stride: number, pad: number) => {
  const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
  return {
    x: [n, c, h, h],
    w: [o, c, k, k],
    y: [n, o, oh, oh],
    attrs: { stride: [stride, stride], padding: [pad, pad], dilation: [1, 1], groups: 1 },
  };
};

// [name, op, conv]: channel counts that are multiples of 8 and 16 (AVX2's and AVX-512's blocks),
// several blocks each way so the filter permutation mixes them.
const CASES: [string, OpName, ReturnType<typeof conv>][] = [
  ["3x3, 32 -> 48 channels, padding 1", "conv2d", conv(2, 32, 48, 14, 3, 1, 1)],
  ["3x3 stride 2, 16 -> 32 channels", "conv2d", conv(2, 16, 32, 28, 3, 2, 1)],
  ["3x3 without padding, 32 -> 16", "conv2d", conv(1, 32, 16, 16, 3, 1, 0)],
  ["7x7 stride 2 on an image's 3 channels (x stays NCHW)", "conv2d", conv(2, 3, 16, 32, 7, 2, 3)],
  ["input gradient, 3x3, 48 -> 32 channels", "conv2dBackwardInput", conv(2, 32, 48, 14, 3, 1, 1)],
  [
    "input gradient, 5x5 padding 1 (the gradient's padding is 3)",
    "conv2dBackwardInput",
    conv(1, 16, 32, 18, 5, 1, 1),
  ],
  [
    "input gradient of a conv to 4 channels (g stays NCHW)",
    "conv2dBackwardInput",
    conv(2, 16, 4, 14, 3, 1, 1),
  ],
];

function graphOf(op: OpName, c: ReturnType<typeof conv>): { graph: Graph; shapes: number[][] } {
  const f32 = (shape: number[]) => ({ dtype: "float32" as const, shape });
  if (op === "conv2d") return { graph: singleOpGraph(op, [f32(c.x), f32(c.w)], c.attrs), shapes: [c.x, c.w] };
  const graph = singleOpGraph(op, [f32(c.y), f32(c.w)], { ...c.attrs, inputShape: c.x });
  return { graph, shapes: [c.y, c.w] };
}

const nchwcNodes = (model: Uint8Array) =>
  fromBinary(ModelProtoSchema, model)
    .graph!.node.filter((n) => n.domain === "com.microsoft.nchwc")
    .map((n) => n.opType);

/** Compiles the node (input gradients by the "conv" formulation), checks it against the reference, returns its NCHWc ops. */
async function checkedNchwcOps(op: OpName, c: ReturnType<typeof conv>): Promise<string[]> {
  const { graph, shapes } = graphOf(op, c);
  let model: Uint8Array | undefined;
  const compiler = onnxCompiler({
    formulations: { conv2dBackwardInput: "conv" },
    onModel: (m) => (model = m),
  });
  const inputs = shapes.map((s, i) => random(s, i + 1));
  expect(await checkGraph(compiler, graph, inputs, { rtol: 1e-5 })).toEqual([]);
  return nchwcNodes(model!);
}

describe("onnxCompiler on onnxruntime-node: NCHWc convs", () => {
  test.each(CASES)("%s matches the reference and runs on NCHWc kernels", async (_, op, c) => {
    const ops = await checkedNchwcOps(op, c);
    // Every CPU this runs on has AVX2 or AVX-512 (x86-64 CI machines); there the conv is NCHWc.
    // x's reorder (none for fewer channels than a block), then the filter's: two ReorderInputs for
    // a blocked x's filter, one for an NCHW x's and one for a gradient's (plus a Transpose).
    const inChannels = op === "conv2d" ? c.x[1]! : c.w[0]!;
    const blocked = inChannels >= 8;
    const filter = op === "conv2d" && blocked ? 2 : 1;
    const reorders = Array<string>((blocked ? 1 : 0) + filter).fill("ReorderInput");
    expect(ops).toEqual([...reorders, "Conv", "ReorderOutput"]);
  });

  test("a strided input gradient's phases (formulation conv) run on NCHWc where their kernel has taps in both dims", async () => {
    // 3x3 stride 2: phase kernels 2x2, 2x1, 1x2 (NCHWc) and 1x1 (ORT's Conv).
    const ops = await checkedNchwcOps("conv2dBackwardInput", conv(2, 16, 32, 28, 3, 2, 1));
    expect(ops.filter((op) => op === "Conv")).toHaveLength(3);
  });

  test("nchwc: false, the kernels that measured slower (1x1, 7x7 planes) and groups keep ONNX's Conv", async () => {
    const models: Uint8Array[] = [];
    const onModel = (m: Uint8Array) => models.push(m);
    const big = graphOf("conv2d", conv(1, 16, 16, 14, 3, 1, 1)).graph;
    await onnxCompiler({ nchwc: false, onModel })(big);
    await onnxCompiler({ onModel })(graphOf("conv2d", conv(1, 16, 16, 14, 1, 1, 0)).graph);
    await onnxCompiler({ onModel })(graphOf("conv2d", conv(1, 16, 16, 7, 3, 1, 1)).graph);
    const grouped = conv(1, 16, 16, 14, 3, 1, 1);
    const twoGroups = { ...grouped, w: [16, 8, 3, 3], attrs: { ...grouped.attrs, groups: 2 } };
    await onnxCompiler({ onModel })(graphOf("conv2d", twoGroups).graph);
    expect(models.map(nchwcNodes)).toEqual([[], [], [], []]);
  });

  test("a model lowered for export holds standard ONNX only; with nchwcBlock it imports ORT's domain", () => {
    const { graph } = graphOf("conv2d", conv(1, 16, 16, 14, 3, 1, 1));
    const plain = lowerGraph(graph).model;
    expect(plain.graph!.node.every((n) => n.domain === "")).toBe(true);
    expect(plain.opsetImport.map((o) => o.domain)).toEqual([""]);
    const blocked = lowerGraph(graph, { nchwcBlock: 16 }).model;
    expect(blocked.opsetImport.map((o) => [o.domain, o.version])).toEqual([
      ["", 17n],
      ["com.microsoft.nchwc", 1n],
    ]);
    expect(blocked.graph!.node.filter((n) => n.domain !== "").map((n) => n.opType)).toEqual([
      "ReorderInput",
      "ReorderInput",
      "ReorderInput",
      "Conv",
      "ReorderOutput",
    ]);
  });
});
