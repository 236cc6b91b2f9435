// Sample inputs for every op in the catalog: shapes, broadcasting, keepdim and dims, conv and pool
// strides, padding, dilation, groups, ceil mode, strided slices, gather/scatterAdd with random
// valid indices (the autograd catalog tests' cases), plus edge cases a backend gets wrong most
// often: NaN propagation, integer division and pow, casts, ties, bool and integer dtypes, empty
// tensors. `Record<OpName, ...>`: an op added to the catalog without samples here is a compile error.
//
// Shared by the autograd catalog tests (gradcheck, eager vs joint graph, TF.js's tf.grads) and the
// conformance suite (every backend against the reference interpreter); the flags say which checks
// apply to a sample. Each op draws from its own random stream (`sampleSeed`), so adding or
// changing one op's samples leaves every other op's values as they were.
import type { OpAttrsInput, OpName, TensorData } from "@aotjs/ir";
import { CONV_CASES, convOut, POOL_CASES, poolOut } from "./cases.js";
import {
  awayFromZero,
  bools,
  distinct,
  f64,
  fromValues,
  halfGrid,
  indices,
  int64Scalar,
  integers,
  positive,
  quarterGrid,
  type Rand,
  rng,
  uniform,
} from "./generators.js";

export interface OpSample<K extends OpName = OpName> {
  readonly name: string;
  /** Float inputs are float64 here; conformance converts them to the dtype under test unless `keepDType`. */
  readonly inputs: readonly TensorData[];
  readonly attrs?: OpAttrsInput<K>;
  /**
   * Why no gradient of this sample is compared with another implementation (edge values: NaN,
   * infinities, empty tensors, integer wrap-around): conformance checks only its forward graph;
   * the autograd tests skip gradcheck and the TF.js comparison (eager and joint-graph gradients
   * must still agree). Non-differentiable ops are forward-only anyway.
   */
  readonly forwardOnly?: string;
  /** Why finite differences can't check the gradient (a tie is a kink; a float32 output); other gradient checks run. */
  readonly noGradcheck?: string;
  /** Run with the inputs' own dtypes (an edge case about float64, say). */
  readonly keepDType?: boolean;
}

export type SampleTable = { readonly [K in OpName]: readonly OpSample<K>[] };

type Gen = (r: Rand, shape: readonly number[]) => TensorData;
const fmt = (s: readonly number[]) => `[${s.join(",")}]`;
const NAN = Number.NaN;

const UNARY_SHAPES: readonly (readonly number[])[] = [[], [5], [2, 3], [2, 1, 4]];
const BINARY_SHAPES: readonly (readonly [readonly number[], readonly number[]])[] = [
  [
    [2, 3],
    [2, 3],
  ],
  [[2, 3], [3]],
  [
    [2, 1],
    [1, 3],
  ],
  [[4], []],
  [[], [2, 2]],
  [
    [2, 1, 3],
    [4, 1],
  ],
];

const unary = (r: Rand, gen: Gen) => UNARY_SHAPES.map((s) => ({ name: fmt(s), inputs: [gen(r, s)] }));
const binary = (r: Rand, genA: Gen, genB: Gen) =>
  BINARY_SHAPES.map(([a, b]) => ({ name: `${fmt(a)} with ${fmt(b)}`, inputs: [genA(r, a), genB(r, b)] }));
const edge = (name: string, inputs: TensorData[], why = "edge values", keepDType = false) => ({
  name,
  inputs,
  forwardOnly: why,
  ...(keepDType ? { keepDType } : {}),
});

/** Ties: both operands equal at every other element (the gradient rule splits it evenly, as PyTorch does). */
const tie = (r: Rand) => {
  const a = quarterGrid(r, [2, 3]);
  const b = f64([2, 3], (i) => (i % 2 ? Number(a.data[i]) : 0.6));
  return { name: "ties at every other element", inputs: [a, b], noGradcheck: "ties are a kink" };
};

const REDUCE_DIMS: readonly { dims: number[]; keepdim: boolean }[] = [
  { dims: [], keepdim: false },
  { dims: [0], keepdim: false },
  { dims: [1], keepdim: true },
  { dims: [2], keepdim: false },
  { dims: [0, 2], keepdim: true },
  { dims: [0, 2], keepdim: false },
  { dims: [0, 1, 2], keepdim: false },
  { dims: [0, 1, 2], keepdim: true },
];
const reduce = (r: Rand, gen: Gen, allowEmpty = true) =>
  REDUCE_DIMS.filter((d) => allowEmpty || d.dims.length).map(({ dims, keepdim }) => ({
    name: `[2,3,4] dims ${fmt(dims)}${keepdim ? " keepdim" : ""}`,
    inputs: [gen(r, [2, 3, 4])],
    attrs: { dims, keepdim },
  }));

const cmp = (r: Rand) => [
  ...binary(r, quarterGrid, quarterGrid),
  { name: "equal operands", inputs: [fromValues([3], [1, 2, 3]), fromValues([3], [1, 0, 3])] },
  edge("NaN operands", [fromValues([4], [NAN, 1, NAN, 2]), fromValues([4], [NAN, NAN, 1, 2])]),
  edge("int64", [integers(r, [2, 3], -3, 3), integers(r, [3], -3, 3)]),
];
const logical = (r: Rand) => [
  { name: "[2,3] with [3]", inputs: [bools(r, [2, 3]), bools(r, [3])] },
  { name: "[] with [4]", inputs: [bools(r, []), bools(r, [4])] },
];
const matmul = (r: Rand, a: number[], b: number[]) => ({
  name: `${fmt(a)} @ ${fmt(b)}`,
  inputs: [uniform(r, a), uniform(r, b)],
});
const ints32 = (r: Rand, shape: number[], lo: number, hi: number) => integers(r, shape, lo, hi, "int32");

/** Each op's samples from that op's own random stream: adding a sample changes no other op's values. */
const builders: { readonly [K in OpName]: (r: Rand) => readonly OpSample<K>[] } = {
  neg: (r) => [...unary(r, uniform), edge("int32", [ints32(r, [5], -9, 9)])],
  abs: (r) => [...unary(r, awayFromZero), edge("int64", [integers(r, [5], -9, 9)])],
  sign: (r) => [
    ...unary(r, awayFromZero),
    edge("NaN, -0, 0", [fromValues([5], [NAN, -0, 0, 2, -3])]),
    edge("int32", [ints32(r, [5], -2, 2)]),
  ],
  exp: (r) => unary(r, uniform),
  log: (r) => unary(r, positive),
  sqrt: (r) => unary(r, positive),
  rsqrt: (r) => unary(r, positive),
  reciprocal: (r) => unary(r, awayFromZero),
  sin: (r) => unary(r, uniform),
  cos: (r) => unary(r, uniform),
  tanh: (r) => [...unary(r, uniform), edge("large magnitudes", [fromValues([4], [-20, -8, 8, 20])])],
  sigmoid: (r) => [...unary(r, uniform), edge("large magnitudes", [fromValues([4], [-30, -8, 8, 30])])],
  relu: (r) => [
    ...unary(r, awayFromZero),
    edge("NaN and -0", [fromValues([4], [NAN, -0, -1, 2])]),
    edge("int64", [integers(r, [5], -3, 3)]),
  ],
  erf: (r) => [...unary(r, uniform), edge("tails", [fromValues([5], [-5, -3, 0, 3, 5])])],
  logicalNot: (r) => [
    { name: "[2,3] float", inputs: [quarterGrid(r, [2, 3])] },
    { name: "[4] bool", inputs: [bools(r, [4])] },
    edge("int64 and NaN", [fromValues([3], [0, 2, -1], "int64")]),
    edge("NaN", [fromValues([3], [NAN, 0, 1])]),
  ],
  add: (r) => [
    ...binary(r, uniform, uniform),
    edge("int32", [ints32(r, [2, 3], -9, 9), ints32(r, [3], -9, 9)]),
    edge("empty", [uniform(r, [0, 3]), uniform(r, [3])]),
  ],
  sub: (r) => [
    ...binary(r, uniform, uniform),
    edge("int64", [integers(r, [2, 3], -9, 9), integers(r, [3], -9, 9)]),
  ],
  mul: (r) => [
    ...binary(r, uniform, uniform),
    edge("int32 wrap", [fromValues([2], [65536, -70000], "int32"), fromValues([2], [65536, 70000], "int32")]),
  ],
  div: (r) => [
    ...binary(r, uniform, awayFromZero),
    edge("int64 truncates toward zero", [
      fromValues([4], [7, -7, 7, -7], "int64"),
      fromValues([4], [2, 2, -2, -2], "int64"),
    ]),
    edge("int32 by -1 and 1", [
      fromValues([3], [-(2 ** 31), 5, -6], "int32"),
      fromValues([3], [-1, -1, 1], "int32"),
    ]),
    edge("float by zero", [fromValues([3], [1, -1, 0]), fromValues([3], [0, 0, 0])]),
  ],
  pow: (r) => [
    ...binary(r, positive, uniform),
    { name: "integer exponents", inputs: [awayFromZero(r, [2, 3]), fromValues([3], [0, 2, 3])] },
    edge("C pow conventions", [
      fromValues([4], [1, -1, -1, 0]),
      fromValues([4], [NAN, Infinity, -Infinity, 0]),
    ]),
    edge("int64", [fromValues([4], [2, 3, -2, 5], "int64"), fromValues([4], [10, 0, 5, 2], "int64")]),
    edge("int32 wraps", [fromValues([2], [3, -7], "int32"), fromValues([2], [25, 13], "int32")]),
  ],
  maximum: (r) => [
    ...binary(r, halfGrid, quarterGrid),
    tie(r),
    edge("NaN", [fromValues([3], [NAN, 1, 2]), fromValues([3], [1, NAN, 3])]),
    edge("int64", [integers(r, [4], -5, 5), integers(r, [4], -5, 5)]),
  ],
  minimum: (r) => [
    ...binary(r, quarterGrid, halfGrid),
    tie(r),
    edge("NaN", [fromValues([3], [NAN, 1, 2]), fromValues([3], [1, NAN, 3])]),
    edge("int32", [ints32(r, [4], -5, 5), ints32(r, [4], -5, 5)]),
  ],
  eq: (r) => [...cmp(r), edge("bool", [bools(r, [2, 3]), bools(r, [3])])],
  ne: (r) => [...cmp(r), edge("bool", [bools(r, [2, 3]), bools(r, [3])])],
  lt: (r) => cmp(r),
  le: (r) => cmp(r),
  gt: (r) => cmp(r),
  ge: (r) => cmp(r),
  logicalAnd: (r) => logical(r),
  logicalOr: (r) => logical(r),
  where: (r) => [
    { name: "all [2,3]", inputs: [bools(r, [2, 3]), uniform(r, [2, 3]), uniform(r, [2, 3])] },
    { name: "cond [2,3], a [3], b []", inputs: [bools(r, [2, 3]), uniform(r, [3]), uniform(r, [])] },
    { name: "cond [3], a [2,1], b [1,3]", inputs: [bools(r, [3]), uniform(r, [2, 1]), uniform(r, [1, 3])] },
    {
      name: "cond [2,1,1], a [4,1], b [3]",
      inputs: [bools(r, [2, 1, 1]), uniform(r, [4, 1]), uniform(r, [3])],
    },
    edge("int64 branches", [bools(r, [2, 3]), integers(r, [2, 3], -9, 9), integers(r, [3], -9, 9)]),
    edge("bool branches", [bools(r, [4]), bools(r, [4]), bools(r, [])]),
  ],
  cast: (r) => [
    { name: "f64 -> f64", inputs: [uniform(r, [2, 3])], attrs: { dtype: "float64" } },
    {
      name: "f64 -> f32",
      inputs: [uniform(r, [2, 3])],
      attrs: { dtype: "float32" },
      noGradcheck: "float32 output",
    },
    {
      name: "f64 -> i64 (truncates)",
      inputs: [fromValues([5], [-1.7, 1.7, -0.5, 0.5, 3])],
      attrs: { dtype: "int64" },
    },
    {
      name: "f -> i32 (truncates)",
      inputs: [fromValues([4], [-2.9, 2.9, -0, 100.5])],
      attrs: { dtype: "int32" },
    },
    {
      name: "i32 -> f64 (integer input)",
      inputs: [indices(r, [4], 9, "int32")],
      attrs: { dtype: "float64" },
    },
    { name: "bool -> f64", inputs: [bools(r, [2, 2])], attrs: { dtype: "float64" } },
    {
      name: "f -> bool (NaN is true)",
      inputs: [fromValues([4], [0, -0, NAN, 0.5])],
      attrs: { dtype: "bool" },
    },
    {
      name: "i64 -> i32 (wraps)",
      inputs: [fromValues([3], [2 ** 32 + 5, -(2 ** 31) - 1, 7], "int64")],
      attrs: { dtype: "int32" },
    },
    {
      name: "i64 -> f32",
      inputs: [fromValues([3], [2 ** 40 + 1, -3, 16777217], "int64")],
      attrs: { dtype: "float32" },
    },
    {
      name: "f64 -> f32 rounding",
      inputs: [fromValues([2], [0.1, 1 + 2 ** -30])],
      attrs: { dtype: "float32" },
      keepDType: true,
      noGradcheck: "float32 output",
    },
  ],
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

/**
 * The seed of one op's stream: FNV-1a over the op name, mixed with the table's seed, so streams
 * differ between ops and between table seeds.
 */
export function sampleSeed(seed: number, op: OpName): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < op.length; i++) h = Math.imul(h ^ op.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Every op's samples, generated from `seed` (the same seed gives the same table). */
export function makeSamples(seed = 20240601): SampleTable {
  const table: Partial<Record<OpName, readonly OpSample[]>> = {};
  for (const op of Object.keys(builders) as OpName[]) {
    table[op] = (builders[op] as (r: Rand) => readonly OpSample[])(rng(sampleSeed(seed, op)));
  }
  return table as SampleTable;
}
