// Samples of the creation ops (full, arange, the random ops) and the composites (softmax, logSoftmax, layerNorm, batchNorm).
import type { CompositeOpName, CreationOpName } from "@aotjs/ir";
import { fromValues, int64Scalar, type Rand, uniform } from "../generators.js";
import type { OpSample } from "./common.js";

export const creationCompositeSamples: {
  readonly [K in CreationOpName | CompositeOpName]: (r: Rand) => readonly OpSample<K>[];
} = {
  full: () => [
    { name: "f64 [2,3]", inputs: [], attrs: { shape: [2, 3], value: 1.5, dtype: "float64" } },
    { name: "f32 [] 0.1", inputs: [], attrs: { shape: [], value: 0.1, dtype: "float32" } },
    { name: "i64 []", inputs: [], attrs: { shape: [], value: 2, dtype: "int64" } },
    { name: "i32 [3] -7", inputs: [], attrs: { shape: [3], value: -7, dtype: "int32" } },
    { name: "bool [2] true", inputs: [], attrs: { shape: [2], value: 1, dtype: "bool" } },
    { name: "f32 [2] -inf", inputs: [], attrs: { shape: [2], value: -Infinity, dtype: "float32" } },
  ],
  arange: () => [
    { name: "int64 [0:5]", inputs: [], attrs: { end: 5 } },
    { name: "f64 [0:1:0.25]", inputs: [], attrs: { start: 0, end: 1, step: 0.25, dtype: "float64" } },
    { name: "f32 [0:1:0.1]", inputs: [], attrs: { start: 0, end: 1, step: 0.1, dtype: "float32" } },
    { name: "int32 [5:-4:-2.5]", inputs: [], attrs: { start: 5, end: -4, step: -2.5, dtype: "int32" } },
  ],
  uniform: () => [
    { name: "f64 [3]", inputs: [int64Scalar(7), int64Scalar(0)], attrs: { shape: [3], dtype: "float64" } },
    {
      name: "f32 [4,5] in [-2, 3)",
      inputs: [int64Scalar(12345), int64Scalar(17)],
      attrs: { shape: [4, 5], low: -2, high: 3 },
    },
    {
      name: "f32 [64] large seed and offset",
      inputs: [int64Scalar(2 ** 40 + 3), int64Scalar(2 ** 33 + 5)],
      attrs: { shape: [64], dtype: "float32" },
    },
    {
      name: "f64 [2,2] int32 seed",
      inputs: [fromValues([], [99], "int32"), fromValues([], [2 ** 31 - 3], "int32")],
      attrs: { shape: [2, 2], dtype: "float64", low: 1, high: 2 },
    },
  ],
  bernoulli: () => [
    { name: "[4] p 0.5", inputs: [int64Scalar(7), int64Scalar(4)], attrs: { shape: [4], p: 0.5 } },
    {
      name: "[8,8] p 0.9",
      inputs: [int64Scalar(3), int64Scalar(2 ** 35)],
      attrs: { shape: [8, 8], p: 0.9 },
    },
    { name: "[3] p 0 and 1", inputs: [int64Scalar(3), int64Scalar(0)], attrs: { shape: [3], p: 1 } },
  ],
  softmax: (r) => [
    { name: "[2,5] dim 1", inputs: [uniform(r, [2, 5])], attrs: { dim: 1 } },
    { name: "[3,4,2] dim 0", inputs: [uniform(r, [3, 4, 2])], attrs: { dim: 0 } },
    { name: "[2,3,4] dim 1", inputs: [uniform(r, [2, 3, 4])], attrs: { dim: 1 } },
    {
      name: "large logits stay finite",
      inputs: [fromValues([2, 3], [1000, 999, -1000, 50, 50, 50])],
      attrs: { dim: 1 },
    },
  ],
  logSoftmax: (r) => [
    { name: "[2,5] dim 1", inputs: [uniform(r, [2, 5])], attrs: { dim: 1 } },
    { name: "[3,4,2] dim 2", inputs: [uniform(r, [3, 4, 2])], attrs: { dim: 2 } },
    { name: "[4,3] dim 0", inputs: [uniform(r, [4, 3])], attrs: { dim: 0 } },
    {
      name: "large logits stay finite",
      inputs: [fromValues([2, 3], [1000, 999, -1000, 50, 50, 50])],
      attrs: { dim: 1 },
    },
  ],
  layerNorm: (r) => [
    {
      name: "[2,3,4] over the last dim",
      inputs: [uniform(r, [2, 3, 4]), uniform(r, [4], 0.5, 2), uniform(r, [4])],
      attrs: { normalizedRank: 1 },
    },
    {
      name: "[2,3,4] over the last two dims, eps 1e-3",
      inputs: [uniform(r, [2, 3, 4]), uniform(r, [3, 4], 0.5, 2), uniform(r, [3, 4])],
      attrs: { normalizedRank: 2, eps: 1e-3 },
    },
    {
      name: "[5,8] (a GPT's [B*T, d])",
      inputs: [uniform(r, [5, 8]), uniform(r, [8], 0.5, 2), uniform(r, [8])],
      attrs: { normalizedRank: 1 },
    },
  ],
  batchNorm: (r) => [
    {
      name: "[2,3,2,4] (BatchNorm2d)",
      inputs: [uniform(r, [2, 3, 2, 4]), uniform(r, [3], 0.5, 2), uniform(r, [3])],
    },
    {
      name: "[4,3] (BatchNorm1d), eps 1e-3",
      inputs: [uniform(r, [4, 3]), uniform(r, [3], -2, -0.5), uniform(r, [3])],
      attrs: { eps: 1e-3 },
    },
    {
      name: "[3,2,5] with means far from 0",
      inputs: [uniform(r, [3, 2, 5], 6, 9), uniform(r, [2], 0.5, 2), uniform(r, [2])],
    },
    {
      // Variance of the order of eps: a backend that rounds eps (ONNX's float attribute) shows here in float64.
      name: "[4,3] variance near eps",
      inputs: [uniform(r, [4, 3], -0.01, 0.01), uniform(r, [3], 0.5, 2), uniform(r, [3])],
    },
  ],
};
