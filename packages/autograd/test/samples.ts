// Sample inputs for every op in the catalog. The table is a mapped type over OpName, so adding an
// op to @aotjs/ir without samples here is a compile error. Values are float64 and chosen away
// from kinks (see support.ts) so finite differences agree with the derivative rules; samples at a
// kink (ties) are marked and only checked for eager/joint agreement, where the tie rule applies.
import { conv2dShape, type OpAttrsInput, type OpName, pool2dShape } from "@aotjs/ir";
import type { Tensor } from "@aotjs/tensor";
import {
  awayFromZero,
  bools,
  distinct,
  f64,
  fromValues,
  halfGrid,
  indices,
  int64Scalar,
  positive,
  quarterGrid,
  type Rand,
  uniform,
} from "./support.js";

export interface Sample<K extends OpName = OpName> {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  readonly attrs?: OpAttrsInput<K>;
  /** Why gradcheck is skipped (a tie, or a float32 output finite differences can't resolve). */
  readonly noGradcheck?: string;
}

export type SampleTable = { readonly [K in OpName]: readonly Sample<K>[] };

type Gen = (r: Rand, shape: readonly number[]) => Tensor;
const fmt = (s: readonly number[]) => `[${s.join(",")}]`;

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

/** Ties: both operands equal (the rule splits the gradient evenly, as PyTorch does). */
const tie = (r: Rand) => {
  const a = quarterGrid(r, [2, 3]);
  const b = f64([2, 3], (i) => (i % 2 ? Number(a.data()[i]) : 0.6));
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

/** Repeated maxima and minima: the rule shares the gradient evenly among the tied elements. */
const extremeTies = () => ({
  name: "ties [2,3] dims [1]",
  inputs: [fromValues([2, 3], [1, 3, 3, -2, -2, 0])],
  attrs: { dims: [1], keepdim: false },
  noGradcheck: "ties are a kink",
});

interface ConvCase {
  readonly name: string;
  readonly x: readonly number[];
  readonly w: readonly number[];
  readonly attrs: { stride: number[]; padding: number[]; dilation: number[]; groups: number };
}
export const CONV_CASES: readonly ConvCase[] = [
  {
    name: "3x3",
    x: [1, 2, 5, 5],
    w: [3, 2, 3, 3],
    attrs: { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 },
  },
  {
    name: "stride [2,1] padding [1,0]",
    x: [2, 2, 6, 5],
    w: [3, 2, 3, 2],
    attrs: { stride: [2, 1], padding: [1, 0], dilation: [1, 1], groups: 1 },
  },
  {
    name: "dilation 2 padding 1",
    x: [1, 2, 7, 7],
    w: [2, 2, 3, 3],
    attrs: { stride: [1, 1], padding: [1, 1], dilation: [2, 2], groups: 1 },
  },
  {
    name: "groups 2 stride 2 padding 1",
    x: [1, 4, 5, 5],
    w: [4, 2, 3, 3],
    attrs: { stride: [2, 2], padding: [1, 1], dilation: [1, 1], groups: 2 },
  },
  {
    name: "depthwise stride 2 dilation 2",
    x: [1, 3, 6, 6],
    w: [3, 1, 2, 2],
    attrs: { stride: [2, 2], padding: [0, 0], dilation: [2, 2], groups: 3 },
  },
];
const convOut = (c: ConvCase) => conv2dShape(c.x, c.w, c.attrs);

interface PoolCase {
  readonly name: string;
  readonly x: readonly number[];
  readonly attrs: { kernelSize: number[]; stride: number[]; padding: number[]; ceilMode: boolean };
}
const POOL_CASES: readonly PoolCase[] = [
  {
    name: "2x2 stride 2",
    x: [1, 2, 4, 4],
    attrs: { kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], ceilMode: false },
  },
  {
    name: "3x3 stride 2 padding 1",
    x: [1, 2, 5, 5],
    attrs: { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], ceilMode: false },
  },
  {
    name: "2x2 stride 2 ceilMode",
    x: [2, 1, 5, 5],
    attrs: { kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], ceilMode: true },
  },
  {
    name: "[3,2] stride [1,2] padding [1,1]",
    x: [1, 2, 4, 5],
    attrs: { kernelSize: [3, 2], stride: [1, 2], padding: [1, 1], ceilMode: false },
  },
  {
    name: "3x3 stride 2 padding 1 ceilMode",
    x: [1, 1, 6, 6],
    attrs: { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], ceilMode: true },
  },
];
const poolOut = (c: PoolCase, dilation = [1, 1]) =>
  pool2dShape({ shape: c.x, dtype: "float64" }, { ...c.attrs, dilation });

/** Every op's samples, generated from `r` (a fresh seeded generator gives the same table). */
export function makeSamples(r: Rand): SampleTable {
  const cmp = () => [
    ...binary(r, quarterGrid, quarterGrid),
    { name: "equal operands", inputs: [fromValues([3], [1, 2, 3]), fromValues([3], [1, 0, 3])] },
  ];
  const logical = () => [
    { name: "[2,3] with [3]", inputs: [bools(r, [2, 3]), bools(r, [3])] },
    { name: "[] with [4]", inputs: [bools(r, []), bools(r, [4])] },
  ];
  const matmul = (a: number[], b: number[]) => ({
    name: `${fmt(a)} @ ${fmt(b)}`,
    inputs: [uniform(r, a), uniform(r, b)],
  });
  return {
    neg: unary(r, uniform),
    abs: unary(r, awayFromZero),
    sign: unary(r, awayFromZero),
    exp: unary(r, uniform),
    log: unary(r, positive),
    sqrt: unary(r, positive),
    rsqrt: unary(r, positive),
    reciprocal: unary(r, awayFromZero),
    sin: unary(r, uniform),
    cos: unary(r, uniform),
    tanh: unary(r, uniform),
    sigmoid: unary(r, uniform),
    relu: unary(r, awayFromZero),
    erf: unary(r, uniform),
    logicalNot: [
      { name: "[2,3] float", inputs: [quarterGrid(r, [2, 3])] },
      { name: "[4] bool", inputs: [bools(r, [4])] },
    ],
    add: binary(r, uniform, uniform),
    sub: binary(r, uniform, uniform),
    mul: binary(r, uniform, uniform),
    div: binary(r, uniform, awayFromZero),
    pow: [
      ...binary(r, positive, uniform),
      { name: "integer exponents", inputs: [awayFromZero(r, [2, 3]), fromValues([3], [0, 2, 3])] },
    ],
    maximum: [...binary(r, halfGrid, quarterGrid), tie(r)],
    minimum: [...binary(r, quarterGrid, halfGrid), tie(r)],
    eq: cmp(),
    ne: cmp(),
    lt: cmp(),
    le: cmp(),
    gt: cmp(),
    ge: cmp(),
    logicalAnd: logical(),
    logicalOr: logical(),
    where: [
      { name: "all [2,3]", inputs: [bools(r, [2, 3]), uniform(r, [2, 3]), uniform(r, [2, 3])] },
      { name: "cond [2,3], a [3], b []", inputs: [bools(r, [2, 3]), uniform(r, [3]), uniform(r, [])] },
      { name: "cond [3], a [2,1], b [1,3]", inputs: [bools(r, [3]), uniform(r, [2, 1]), uniform(r, [1, 3])] },
      {
        name: "cond [2,1,1], a [4,1], b [3]",
        inputs: [bools(r, [2, 1, 1]), uniform(r, [4, 1]), uniform(r, [3])],
      },
    ],
    cast: [
      { name: "f64 -> f64", inputs: [uniform(r, [2, 3])], attrs: { dtype: "float64" } },
      {
        name: "f64 -> f32",
        inputs: [uniform(r, [2, 3])],
        attrs: { dtype: "float32" },
        noGradcheck: "float32 output",
      },
      { name: "f64 -> i64 (no gradient)", inputs: [uniform(r, [4])], attrs: { dtype: "int64" } },
      {
        name: "i32 -> f64 (integer input)",
        inputs: [indices(r, [4], 9, "int32")],
        attrs: { dtype: "float64" },
      },
      { name: "bool -> f64", inputs: [bools(r, [2, 2])], attrs: { dtype: "float64" } },
    ],
    sum: [...reduce(r, uniform), { name: "0-d", inputs: [uniform(r, [])], attrs: { dims: [] } }],
    mean: reduce(r, uniform),
    amax: [...reduce(r, distinct, false), extremeTies()],
    amin: [...reduce(r, distinct, false), extremeTies()],
    argmax: [
      { name: "[2,3,4] dim 1", inputs: [distinct(r, [2, 3, 4])], attrs: { dim: 1 } },
      { name: "[2,3] dim 0 keepdim", inputs: [distinct(r, [2, 3])], attrs: { dim: 0, keepdim: true } },
    ],
    reshape: [
      { name: "[2,3,4] -> [6,4]", inputs: [uniform(r, [2, 3, 4])], attrs: { shape: [6, 4] } },
      { name: "[2,3,4] -> [24]", inputs: [uniform(r, [2, 3, 4])], attrs: { shape: [24] } },
      { name: "[2,3,4] -> [4,1,6]", inputs: [uniform(r, [2, 3, 4])], attrs: { shape: [4, 1, 6] } },
      { name: "[] -> [1,1]", inputs: [uniform(r, [])], attrs: { shape: [1, 1] } },
    ],
    permute: [
      { name: "[2,3,4] by [2,0,1]", inputs: [uniform(r, [2, 3, 4])], attrs: { dims: [2, 0, 1] } },
      { name: "[2,3,4] by [1,0,2]", inputs: [uniform(r, [2, 3, 4])], attrs: { dims: [1, 0, 2] } },
      { name: "[2,3] by [1,0]", inputs: [uniform(r, [2, 3])], attrs: { dims: [1, 0] } },
    ],
    expand: [
      { name: "[3,1] -> [2,3,4]", inputs: [uniform(r, [3, 1])], attrs: { shape: [2, 3, 4] } },
      { name: "[] -> [2,2]", inputs: [uniform(r, [])], attrs: { shape: [2, 2] } },
      { name: "[2,1,4] -> [2,3,4]", inputs: [uniform(r, [2, 1, 4])], attrs: { shape: [2, 3, 4] } },
      { name: "[1] -> [5]", inputs: [uniform(r, [1])], attrs: { shape: [5] } },
    ],
    squeeze: [
      { name: "[2,1,3,1] dims [1]", inputs: [uniform(r, [2, 1, 3, 1])], attrs: { dims: [1] } },
      { name: "[2,1,3,1] dims [1,3]", inputs: [uniform(r, [2, 1, 3, 1])], attrs: { dims: [1, 3] } },
      { name: "[1,1] dims [0,1]", inputs: [uniform(r, [1, 1])], attrs: { dims: [0, 1] } },
    ],
    unsqueeze: [
      { name: "[2,3] dims [0]", inputs: [uniform(r, [2, 3])], attrs: { dims: [0] } },
      { name: "[2,3] dims [2]", inputs: [uniform(r, [2, 3])], attrs: { dims: [2] } },
      { name: "[2,3] dims [0,3]", inputs: [uniform(r, [2, 3])], attrs: { dims: [0, 3] } },
      { name: "[] dims [0]", inputs: [uniform(r, [])], attrs: { dims: [0] } },
    ],
    slice: [
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
    ],
    concat: [
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
    ],
    pad: [
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
    ],
    gather: [
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
    ],
    scatterAdd: [
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
    ],
    matmul: [
      matmul([3, 4], [4, 2]),
      matmul([2, 3, 4], [4, 5]),
      matmul([2, 1, 3, 4], [3, 4, 2]),
      matmul([1, 3, 4], [2, 4, 2]),
      matmul([3, 4], [2, 4, 2]),
    ],
    conv2d: CONV_CASES.map((c) => ({
      name: c.name,
      inputs: [uniform(r, c.x), uniform(r, c.w)],
      attrs: c.attrs,
    })),
    conv2dBackwardInput: CONV_CASES.map((c) => ({
      name: c.name,
      inputs: [uniform(r, convOut(c)), uniform(r, c.w)],
      attrs: { ...c.attrs, inputShape: [...c.x] },
    })),
    conv2dBackwardWeight: CONV_CASES.map((c) => ({
      name: c.name,
      inputs: [uniform(r, convOut(c)), uniform(r, c.x)],
      attrs: { ...c.attrs, weightShape: [...c.w] },
    })),
    maxPool2d: [
      ...POOL_CASES.map((c) => ({ name: c.name, inputs: [distinct(r, c.x)], attrs: c.attrs })),
      {
        name: "[2,2] stride 1 dilation [2,1]",
        inputs: [distinct(r, [1, 2, 5, 4])],
        attrs: { kernelSize: [2, 2], stride: [1, 1], dilation: [2, 1] },
      },
    ],
    maxPool2dBackward: POOL_CASES.slice(0, 2).map((c) => ({
      name: c.name,
      inputs: [uniform(r, poolOut(c)), distinct(r, c.x)],
      attrs: c.attrs,
    })),
    avgPool2d: [
      ...POOL_CASES.map((c) => ({ name: c.name, inputs: [uniform(r, c.x)], attrs: c.attrs })),
      {
        name: `${POOL_CASES[1]!.name} countIncludePad false`,
        inputs: [uniform(r, POOL_CASES[1]!.x)],
        attrs: { ...POOL_CASES[1]!.attrs, countIncludePad: false },
      },
      {
        name: `${POOL_CASES[4]!.name} countIncludePad false`,
        inputs: [uniform(r, POOL_CASES[4]!.x)],
        attrs: { ...POOL_CASES[4]!.attrs, countIncludePad: false },
      },
    ],
    avgPool2dBackward: [
      ...POOL_CASES.map((c) => ({
        name: c.name,
        inputs: [uniform(r, poolOut(c))],
        attrs: { ...c.attrs, inputShape: [...c.x] },
      })),
      {
        name: `${POOL_CASES[1]!.name} countIncludePad false`,
        inputs: [uniform(r, poolOut(POOL_CASES[1]!))],
        attrs: { ...POOL_CASES[1]!.attrs, countIncludePad: false, inputShape: [...POOL_CASES[1]!.x] },
      },
    ],
    full: [
      { name: "f64 [2,3]", inputs: [], attrs: { shape: [2, 3], value: 1.5, dtype: "float64" } },
      { name: "i64 []", inputs: [], attrs: { shape: [], value: 2, dtype: "int64" } },
    ],
    arange: [
      { name: "int64 [0:5]", inputs: [], attrs: { end: 5 } },
      { name: "f64 [0:1:0.25]", inputs: [], attrs: { start: 0, end: 1, step: 0.25, dtype: "float64" } },
    ],
    uniform: [
      { name: "f64 [3]", inputs: [int64Scalar(7), int64Scalar(0)], attrs: { shape: [3], dtype: "float64" } },
    ],
    bernoulli: [
      { name: "[4] p 0.5", inputs: [int64Scalar(7), int64Scalar(4)], attrs: { shape: [4], p: 0.5 } },
    ],
  };
}
