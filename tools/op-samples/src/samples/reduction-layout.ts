// Samples of the reductions (dims, keepdim, ties, empty) and the layout ops (views, strided slices, concat, pad, gather/scatterAdd with random valid indices).
import type { LayoutOpName, ReductionOpName } from "@aotjs/ir";
import { bools, distinct, fromValues, indices, integers, type Rand, uniform } from "../generators.js";
import { ints32, NAN, type OpSample, reduce } from "./common.js";

export const reductionLayoutSamples: {
  readonly [K in ReductionOpName | LayoutOpName]: (r: Rand) => readonly OpSample<K>[];
} = {
  sum: (r) => [
    ...reduce(r, uniform),
    { name: "0-d", inputs: [uniform(r, [])], attrs: { dims: [] } },
    { name: "int64 [2,3] dims [1]", inputs: [integers(r, [2, 3], -9, 9)], attrs: { dims: [1] } },
    { name: "int32 [4] dims [0]", inputs: [ints32(r, [4], -9, 9)], attrs: { dims: [0] } },
    {
      name: "empty [0,3] dims [0]",
      inputs: [uniform(r, [0, 3])],
      attrs: { dims: [0] },
      forwardOnly: "empty",
    },
  ],
  mean: (r) => reduce(r, uniform),
  amax: (r) => [
    ...reduce(r, distinct, false),
    {
      name: "ties [2,3] dims [1]",
      inputs: [fromValues([2, 3], [1, 3, 3, -2, -2, 0])],
      attrs: { dims: [1] },
      noGradcheck: "ties are a kink",
    },
    {
      name: "NaN [2,3] dims [1]",
      inputs: [fromValues([2, 3], [1, NAN, 3, -2, -2, 0])],
      attrs: { dims: [1] },
      forwardOnly: "NaN",
    },
    { name: "int64 [2,3] dims [0]", inputs: [integers(r, [2, 3], -9, 9)], attrs: { dims: [0] } },
  ],
  amin: (r) => [
    ...reduce(r, distinct, false),
    {
      name: "ties [2,3] dims [1]",
      inputs: [fromValues([2, 3], [1, 3, 3, -2, -2, 0])],
      attrs: { dims: [1] },
      noGradcheck: "ties are a kink",
    },
    {
      name: "NaN [2,3] dims [0,1]",
      inputs: [fromValues([2, 3], [1, 2, 3, NAN, -2, 0])],
      attrs: { dims: [0, 1] },
      forwardOnly: "NaN",
    },
    {
      name: "int32 [2,3] dims [1] keepdim",
      inputs: [ints32(r, [2, 3], -9, 9)],
      attrs: { dims: [1], keepdim: true },
    },
  ],
  argmax: (r) => [
    { name: "[2,3,4] dim 1", inputs: [distinct(r, [2, 3, 4])], attrs: { dim: 1 } },
    { name: "[2,3] dim 0 keepdim", inputs: [distinct(r, [2, 3])], attrs: { dim: 0, keepdim: true } },
    {
      name: "ties pick the first",
      inputs: [fromValues([2, 4], [1, 3, 3, 0, 2, 2, 2, 2])],
      attrs: { dim: 1 },
    },
    {
      name: "NaN counts as the maximum",
      inputs: [fromValues([3, 3], [1, NAN, NAN, 5, 2, 1, NAN, 9, 9])],
      attrs: { dim: 1 },
    },
    { name: "int64", inputs: [fromValues([2, 3], [4, 9, 9, -1, -5, -1], "int64")], attrs: { dim: 1 } },
  ],
  reshape: (r) => [
    { name: "[2,3,4] -> [6,4]", inputs: [uniform(r, [2, 3, 4])], attrs: { shape: [6, 4] } },
    { name: "[2,3,4] -> [24]", inputs: [uniform(r, [2, 3, 4])], attrs: { shape: [24] } },
    { name: "[2,3,4] -> [4,1,6]", inputs: [uniform(r, [2, 3, 4])], attrs: { shape: [4, 1, 6] } },
    { name: "[] -> [1,1]", inputs: [uniform(r, [])], attrs: { shape: [1, 1] } },
    { name: "empty [0,3] -> [3,0]", inputs: [uniform(r, [0, 3])], attrs: { shape: [3, 0] } },
    { name: "bool [2,2] -> [4]", inputs: [bools(r, [2, 2])], attrs: { shape: [4] } },
  ],
  permute: (r) => [
    { name: "[2,3,4] by [2,0,1]", inputs: [uniform(r, [2, 3, 4])], attrs: { dims: [2, 0, 1] } },
    { name: "[2,3,4] by [1,0,2]", inputs: [uniform(r, [2, 3, 4])], attrs: { dims: [1, 0, 2] } },
    { name: "[2,3] by [1,0]", inputs: [uniform(r, [2, 3])], attrs: { dims: [1, 0] } },
    { name: "int64 [2,3] by [1,0]", inputs: [integers(r, [2, 3], -9, 9)], attrs: { dims: [1, 0] } },
  ],
  expand: (r) => [
    { name: "[3,1] -> [2,3,4]", inputs: [uniform(r, [3, 1])], attrs: { shape: [2, 3, 4] } },
    { name: "[] -> [2,2]", inputs: [uniform(r, [])], attrs: { shape: [2, 2] } },
    { name: "[2,1,4] -> [2,3,4]", inputs: [uniform(r, [2, 1, 4])], attrs: { shape: [2, 3, 4] } },
    { name: "[1] -> [5]", inputs: [uniform(r, [1])], attrs: { shape: [5] } },
    { name: "bool [3,1] -> [3,2]", inputs: [bools(r, [3, 1])], attrs: { shape: [3, 2] } },
  ],
  squeeze: (r) => [
    { name: "[2,1,3,1] dims [1]", inputs: [uniform(r, [2, 1, 3, 1])], attrs: { dims: [1] } },
    { name: "[2,1,3,1] dims [1,3]", inputs: [uniform(r, [2, 1, 3, 1])], attrs: { dims: [1, 3] } },
    { name: "[1,1] dims [0,1]", inputs: [uniform(r, [1, 1])], attrs: { dims: [0, 1] } },
    { name: "[2,1] dims [] (none)", inputs: [uniform(r, [2, 1])], attrs: { dims: [] } },
  ],
  unsqueeze: (r) => [
    { name: "[2,3] dims [0]", inputs: [uniform(r, [2, 3])], attrs: { dims: [0] } },
    { name: "[2,3] dims [2]", inputs: [uniform(r, [2, 3])], attrs: { dims: [2] } },
    { name: "[2,3] dims [0,3]", inputs: [uniform(r, [2, 3])], attrs: { dims: [0, 3] } },
    { name: "[] dims [0]", inputs: [uniform(r, [])], attrs: { dims: [0] } },
  ],
  slice: (r) => [
    {
      name: "[5,6] dim 1 [1:6:2]",
      inputs: [uniform(r, [5, 6])],
      attrs: { dim: 1, start: 1, end: 6, step: 2 },
    },
    {
      name: "[5,6] dim 0 [0:5:3]",
      inputs: [uniform(r, [5, 6])],
      attrs: { dim: 0, start: 0, end: 5, step: 3 },
    },
    { name: "[5,6] dim 1 [2:4]", inputs: [uniform(r, [5, 6])], attrs: { dim: 1, start: 2, end: 4 } },
    { name: "[7] [1:7:4]", inputs: [uniform(r, [7])], attrs: { dim: 0, start: 1, end: 7, step: 4 } },
    {
      name: "[2,6,2] dim 1 [0:5:5]",
      inputs: [uniform(r, [2, 6, 2])],
      attrs: { dim: 1, start: 0, end: 5, step: 5 },
    },
    {
      name: "[4] [2:2] (empty)",
      inputs: [uniform(r, [4])],
      attrs: { dim: 0, start: 2, end: 2 },
      forwardOnly: "empty",
    },
  ],
  concat: (r) => [
    {
      name: "3 along dim 0",
      inputs: [uniform(r, [2, 3]), uniform(r, [1, 3]), uniform(r, [3, 3])],
      attrs: { dim: 0 },
    },
    {
      name: "3 along dim 1",
      inputs: [uniform(r, [2, 1]), uniform(r, [2, 3]), uniform(r, [2, 2])],
      attrs: { dim: 1 },
    },
    {
      name: "3 rank-3 along dim 1",
      inputs: [uniform(r, [2, 1, 2]), uniform(r, [2, 2, 2]), uniform(r, [2, 1, 2])],
      attrs: { dim: 1 },
    },
    { name: "one tensor", inputs: [uniform(r, [2, 3])], attrs: { dim: 1 } },
    { name: "bool along dim 0", inputs: [bools(r, [1, 2]), bools(r, [2, 2])], attrs: { dim: 0 } },
  ],
  pad: (r) => [
    {
      name: "[2,3] before [1,0] after [0,2] value 0.5",
      inputs: [uniform(r, [2, 3])],
      attrs: { before: [1, 0], after: [0, 2], value: 0.5 },
    },
    {
      name: "[2,2,2] before [0,1,1] after [1,0,2]",
      inputs: [uniform(r, [2, 2, 2])],
      attrs: { before: [0, 1, 1], after: [1, 0, 2] },
    },
    { name: "[3] no padding", inputs: [uniform(r, [3])], attrs: { before: [0], after: [0] } },
    {
      name: "int64 value 2.7 truncates",
      inputs: [integers(r, [2, 2], -9, 9)],
      attrs: { before: [1, 0], after: [0, 1], value: 2.7 },
    },
    { name: "bool value 1", inputs: [bools(r, [2])], attrs: { before: [1], after: [2], value: 1 } },
    {
      name: "value -infinity",
      inputs: [uniform(r, [2])],
      attrs: { before: [1], after: [1], value: -Infinity },
      forwardOnly: "infinite",
    },
  ],
  gather: (r) => [
    {
      name: "[3,4] dim 0 index [2,4]",
      inputs: [uniform(r, [3, 4]), indices(r, [2, 4], 3)],
      attrs: { dim: 0 },
    },
    {
      name: "[3,4] dim 1 index [3,5] int32",
      inputs: [uniform(r, [3, 4]), indices(r, [3, 5], 4, "int32")],
      attrs: { dim: 1 },
    },
    {
      name: "[2,3,4] dim 1 index [2,2,4]",
      inputs: [uniform(r, [2, 3, 4]), indices(r, [2, 2, 4], 3)],
      attrs: { dim: 1 },
    },
    {
      name: "[3,4] dim 0 index [2,3] (smaller off-dim)",
      inputs: [uniform(r, [3, 4]), indices(r, [2, 3], 3)],
      attrs: { dim: 0 },
    },
    { name: "int64 data", inputs: [integers(r, [3, 2], -9, 9), indices(r, [2, 2], 3)], attrs: { dim: 0 } },
  ],
  scatterAdd: (r) => [
    {
      name: "[3,4] dim 0 index [2,4]",
      inputs: [uniform(r, [3, 4]), indices(r, [2, 4], 3), uniform(r, [2, 4])],
      attrs: { dim: 0 },
    },
    {
      name: "[3,4] dim 1 index [3,5] (repeats)",
      inputs: [uniform(r, [3, 4]), indices(r, [3, 5], 4, "int32"), uniform(r, [3, 5])],
      attrs: { dim: 1 },
    },
    {
      name: "[2,3,2] dim 2 index [2,2,3]",
      inputs: [uniform(r, [2, 3, 2]), indices(r, [2, 2, 3], 2), uniform(r, [2, 2, 3])],
      attrs: { dim: 2 },
    },
    {
      name: "int64",
      inputs: [integers(r, [3], -9, 9), indices(r, [5], 3), integers(r, [5], -9, 9)],
      attrs: { dim: 0 },
    },
    {
      name: "bool adds as or",
      inputs: [bools(r, [3]), indices(r, [6], 3), bools(r, [6])],
      attrs: { dim: 0 },
    },
  ],
};
