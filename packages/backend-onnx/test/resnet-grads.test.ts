// resnet18's conv and max-pool gradients at their real shapes (torchvision's layers, batch 2,
// 3x224x224 images), lowered as onnxCompiler lowers them by default (each node's formulation
// chosen by shape, see src/lower/conv-*-grad.ts and maxpool-grad.ts), run on ORT and compared
// with the reference interpreter (checkGraph from @aotjs/conformance) within 1e-5 relative in
// float32. The conformance samples are small; these are the shapes the formulation choice is
// tuned for, where a GEMM's K runs to N*OH*OW = 25088 terms.
import { checkGraph, convert, rng, singleOpGraph, uniform } from "@aotjs/conformance";
import { conv2dShape, type OpName, pool2dShape } from "@aotjs/ir";
import { describe, expect, test } from "vitest";
import { onnxCompiler } from "../src/node.js";

const N = 2;
const compiler = onnxCompiler({ intraOpNumThreads: 2 });
/** name, x, weight, stride, padding: every distinct conv of resnet18. */
const CONVS: [string, number[], number[], number, number][] = [
  ["stem 7x7/2 3->64", [N, 3, 224, 224], [64, 3, 7, 7], 2, 3],
  ["3x3 64->64 @56", [N, 64, 56, 56], [64, 64, 3, 3], 1, 1],
  ["3x3/2 64->128 @56", [N, 64, 56, 56], [128, 64, 3, 3], 2, 1],
  ["1x1/2 64->128 @56", [N, 64, 56, 56], [128, 64, 1, 1], 2, 0],
  ["3x3 128->128 @28", [N, 128, 28, 28], [128, 128, 3, 3], 1, 1],
  ["3x3/2 128->256 @28", [N, 128, 28, 28], [256, 128, 3, 3], 2, 1],
  ["1x1/2 128->256 @28", [N, 128, 28, 28], [256, 128, 1, 1], 2, 0],
  ["3x3 256->256 @14", [N, 256, 14, 14], [256, 256, 3, 3], 1, 1],
  ["3x3/2 256->512 @14", [N, 256, 14, 14], [512, 256, 3, 3], 2, 1],
  ["1x1/2 256->512 @14", [N, 256, 14, 14], [512, 256, 1, 1], 2, 0],
  ["3x3 512->512 @7", [N, 512, 7, 7], [512, 512, 3, 3], 1, 1],
];

async function check(op: OpName, shapes: number[][], attrs: unknown) {
  const r = rng(shapes.flat().reduce((a, b) => a * 31 + b, 7) >>> 0);
  const inputs = shapes.map((s) => convert(uniform(r, s, -1, 1), "float32"));
  const graph = singleOpGraph(
    op,
    inputs.map((t) => t.meta),
    attrs,
  );
  return checkGraph(compiler, graph, inputs, { rtol: 1e-5 });
}

describe("resnet18 conv gradients, batch 2, float32", () => {
  test.each(CONVS)("%s", async (_, x, w, s, p) => {
    const attrs = { stride: [s, s], padding: [p, p], dilation: [1, 1], groups: 1 };
    const y = conv2dShape(x, w, attrs);
    expect(await check("conv2dBackwardWeight", [y, x], { ...attrs, weightShape: w })).toEqual([]);
    // The stem's input gradient is never needed in training (images need no gradient).
    if (x[1] !== 3)
      expect(await check("conv2dBackwardInput", [y, w], { ...attrs, inputShape: x })).toEqual([]);
  });
});

test("resnet18 max pool gradient, 3x3 stride 2 padding 1 on [2,64,112,112], after a ReLU (ties at 0)", async () => {
  const attrs = { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] };
  const x = [N, 64, 112, 112];
  const y = pool2dShape({ shape: x, dtype: "float32" }, { ...attrs, dilation: [1, 1], ceilMode: false });
  const r = rng(11);
  // Half the inputs are 0, as after the stem's ReLU: most windows tie, and the first 0 must win.
  const relu = convert(uniform(r, x, -1, 1), "float32");
  const data = relu.data as Float32Array;
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, data[i]!);
  const graph = singleOpGraph(
    "maxPool2dBackward",
    [
      { shape: y, dtype: "float32" },
      { shape: x, dtype: "float32" },
    ],
    attrs,
  );
  const inputs = [convert(uniform(r, y, -1, 1), "float32"), relu];
  expect(await checkGraph(compiler, graph, inputs, { rtol: 1e-5 })).toEqual([]);
});
