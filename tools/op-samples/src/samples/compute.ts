// Samples of matmul (vectors, batches, broadcasting) and of the convolutions and pools of `CONV_CASES`/`POOL_CASES`.
import type { ComputeOpName } from "@aotjs/ir";
import { CONV_CASES, convOut, POOL_CASES, poolOut } from "../cases.js";
import { distinct, fromValues, integers, type Rand, uniform } from "../generators.js";
import { edge, ints32, matmul, NAN, type OpSample } from "./common.js";

export const computeSamples: { readonly [K in ComputeOpName]: (r: Rand) => readonly OpSample<K>[] } = {
  matmul: (r) => [
    matmul(r, [3, 4], [4, 2]),
    matmul(r, [2, 3, 4], [4, 5]),
    matmul(r, [2, 1, 3, 4], [3, 4, 2]),
    matmul(r, [1, 3, 4], [2, 4, 2]),
    matmul(r, [3, 4], [2, 4, 2]),
    matmul(r, [16, 64], [64, 32]),
    // A Linear on [B, T, K] and [B, H, T, K] inputs: the weight's gradient folds the batch dims.
    matmul(r, [2, 2, 3, 4], [4, 5]),
    matmul(r, [2, 3, 4], [1, 4, 2]),
    edge("int64", [integers(r, [2, 3], -5, 5), integers(r, [3, 2], -5, 5)]),
    edge("int32", [ints32(r, [2, 3], -5, 5), ints32(r, [3, 2], -5, 5)]),
  ],
  conv2d: (r) =>
    CONV_CASES.map((c) => ({
      name: c.name,
      inputs: [uniform(r, c.x), uniform(r, c.w)],
      attrs: c.attrs,
    })),
  conv2dBackwardInput: (r) =>
    CONV_CASES.map((c) => ({
      name: c.name,
      inputs: [uniform(r, convOut(c)), uniform(r, c.w)],
      attrs: { ...c.attrs, inputShape: [...c.x] },
    })),
  conv2dBackwardWeight: (r) =>
    CONV_CASES.map((c) => ({
      name: c.name,
      inputs: [uniform(r, convOut(c)), uniform(r, c.x)],
      attrs: { ...c.attrs, weightShape: [...c.w] },
    })),
  maxPool2d: (r) => [
    ...POOL_CASES.map((c) => ({ name: c.name, inputs: [distinct(r, c.x)], attrs: c.attrs })),
    {
      name: "[2,2] stride 1 dilation [2,1]",
      inputs: [distinct(r, [1, 2, 5, 4])],
      attrs: { kernelSize: [2, 2], stride: [1, 1], dilation: [2, 1] },
    },
    {
      name: "3x3 stride 2 dilation 2 padding 1 ceilMode",
      inputs: [distinct(r, [1, 1, 8, 8])],
      attrs: { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [2, 2], ceilMode: true },
    },
    {
      name: "NaN propagates",
      inputs: [fromValues([1, 1, 2, 4], [1, NAN, 3, 4, 5, 6, NAN, 8])],
      attrs: { kernelSize: [2, 2], stride: [2, 2] },
      forwardOnly: "NaN",
    },
    {
      name: "int32 3x3 stride 2 padding 1",
      inputs: [ints32(r, [1, 2, 5, 5], -50, 50)],
      attrs: { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] },
    },
  ],
  maxPool2dBackward: (r) => [
    ...POOL_CASES.map((c) => ({
      name: c.name,
      inputs: [uniform(r, poolOut(c)), distinct(r, c.x)],
      attrs: c.attrs,
    })),
    {
      name: "ties go to the first maximum",
      inputs: [
        uniform(r, [1, 1, 2, 2]),
        fromValues([1, 1, 4, 4], [1, 1, 2, 2, 1, 1, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0]),
      ],
      attrs: { kernelSize: [2, 2], stride: [2, 2] },
    },
    {
      name: "overlapping windows, dilation [2,1]",
      inputs: [uniform(r, [1, 2, 3, 3]), distinct(r, [1, 2, 5, 4])],
      attrs: { kernelSize: [2, 2], stride: [1, 1], dilation: [2, 1] },
    },
    {
      name: "dilation 2 padding 1 ceilMode",
      inputs: [
        uniform(
          r,
          poolOut(
            {
              name: "",
              x: [1, 1, 8, 8],
              attrs: { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], ceilMode: true },
            },
            [2, 2],
          ),
        ),
        distinct(r, [1, 1, 8, 8]),
      ],
      attrs: { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [2, 2], ceilMode: true },
    },
    {
      name: "a window with no input in it (dilation 3 over a 2x2 input)",
      inputs: [uniform(r, [1, 2, 1, 1]), distinct(r, [1, 2, 2, 2])],
      attrs: { kernelSize: [2, 2], stride: [1, 1], padding: [1, 1], dilation: [3, 3] },
    },
    {
      name: "kernel [2,1] under stride 2 (columns no window reads)",
      inputs: [uniform(r, [1, 2, 2, 3]), distinct(r, [1, 2, 4, 5])],
      attrs: { kernelSize: [2, 1], stride: [2, 2] },
    },
    {
      name: "int32 with ties, 3x3 stride 2 padding 1",
      inputs: [ints32(r, [1, 2, 3, 3], -5, 5), ints32(r, [1, 2, 5, 5], -2, 2)],
      attrs: { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] },
    },
  ],
  avgPool2d: (r) => [
    ...POOL_CASES.map((c) => ({ name: c.name, inputs: [uniform(r, c.x)], attrs: c.attrs })),
    ...[1, 2, 4, 5].map((i) => ({
      name: `${POOL_CASES[i]!.name} countIncludePad false`,
      inputs: [uniform(r, POOL_CASES[i]!.x)],
      attrs: { ...POOL_CASES[i]!.attrs, countIncludePad: false },
    })),
  ],
  avgPool2dBackward: (r) => [
    ...POOL_CASES.map((c) => ({
      name: c.name,
      inputs: [uniform(r, poolOut(c))],
      attrs: { ...c.attrs, inputShape: [...c.x] },
    })),
    ...[1, 2, 4, 5].map((i) => ({
      name: `${POOL_CASES[i]!.name} countIncludePad false`,
      inputs: [uniform(r, poolOut(POOL_CASES[i]!))],
      attrs: { ...POOL_CASES[i]!.attrs, countIncludePad: false, inputShape: [...POOL_CASES[i]!.x] },
    })),
  ],
};
