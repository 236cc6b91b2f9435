// Every catalog entry's shape+dtype rule, with good and bad inputs, plus dtype promotion and the
// TensorData/meta constructors. Expected shapes are hand-computed unless a comment names another
// oracle (PyTorch's documented formula or table).
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  broadcastShapes,
  type DType,
  dtypes,
  formatMeta,
  GraphBuilder,
  IRError,
  meta,
  type OpAttrsInput,
  type OpName,
  opNames,
  promoteTypes,
  resultType,
  ShapeError,
  TensorData,
  type TensorMeta,
  windowOutputSize,
} from "../src/index.js";

const mk =
  (dtype: DType) =>
  (...shape: number[]): TensorMeta =>
    meta(shape, dtype);
const f32 = mk("float32");
const f64 = mk("float64");
const i32 = mk("int32");
const i64 = mk("int64");
const b8 = mk("bool");

interface Good<K extends OpName> {
  readonly kind: "good";
  readonly in: TensorMeta[];
  readonly attrs?: OpAttrsInput<K>;
  readonly out: TensorMeta;
}
/** `kind` is "shape" (a ShapeError that lists every input) unless the attributes or arity are wrong. */
interface Bad {
  readonly in: TensorMeta[];
  readonly attrs?: unknown;
  readonly error: string;
  readonly kind: "shape" | "attr" | "arity";
}
/** An op's good and bad cases, in one list. */
type Cases<K extends OpName> = (Good<K> | Bad)[];
/** `K` is inferred from where the case sits in the table, so attributes are type-checked per op. */
const ok = <K extends OpName>(inputs: TensorMeta[], out: TensorMeta, attrs?: OpAttrsInput<K>): Good<K> => ({
  kind: "good",
  in: inputs,
  attrs,
  out,
});
const fails =
  (kind: Bad["kind"]) =>
  (inputs: TensorMeta[], error: string, attrs?: unknown): Bad => ({ kind, in: inputs, attrs, error });
const no = fails("shape");
const badAttr = fails("attr");
const arity = fails("arity");

const floatUnary = <K extends OpName>(): Cases<K> => [
  ok([f32(2, 3)], f32(2, 3)),
  ok([f64()], f64()),
  ok([f32(0, 4)], f32(0, 4)),
  no([i32(2)], "x must be floating, got int32"),
  no([b8(2)], "x must be floating, got bool"),
  arity([f32(2), f32(2)], "takes 1 input (x), got 2"),
];
const numericUnary = <K extends OpName>(): Cases<K> => [
  ok([i32(3)], i32(3)),
  ok([i64(2, 2)], i64(2, 2)),
  ok([f32(4)], f32(4)),
  no([b8(3)], "x must be floating or integer, got bool"),
];
const arith = <K extends OpName>(): Cases<K> => [
  ok([f32(2, 1, 4), f32(3, 1)], f32(2, 3, 4)),
  ok([i32(3), i32()], i32(3)),
  ok([f64(0, 3), f64(1, 3)], f64(0, 3)),
  no([f32(2, 3), f32(4)], "shapes [2,3] and [4] do not broadcast (dim 1: 3 vs 4)"),
  no([f32(2), i32(2)], "b has dtype int32 but a has float32; insert a cast"),
  no([b8(2), b8(2)], "a must be floating or integer, got bool"),
];
const equality = <K extends OpName>(): Cases<K> => [
  ok([f32(2, 1), f32(3)], b8(2, 3)),
  ok([b8(2), b8(2)], b8(2)),
  ok([i64(), i64(4)], b8(4)),
  no([f32(2), f64(2)], "b has dtype float64 but a has float32"),
  no([i32(2, 3), i32(4)], "do not broadcast"),
];
const ordering = <K extends OpName>(): Cases<K> => [
  ok([i32(2, 3), i32(3)], b8(2, 3)),
  ok([f32(), f32()], b8()),
  no([b8(2), b8(2)], "a must be floating or integer, got bool"),
  no([i64(2), i32(2)], "b has dtype int32 but a has int64"),
];
const logical = <K extends OpName>(): Cases<K> => [
  ok([b8(2, 1), b8(1, 3)], b8(2, 3)),
  no([f32(2), f32(2)], "a must be bool, got float32"),
  no([b8(2), i32(2)], "b has dtype int32 but a has bool"),
];
const reduction = (): Cases<"sum"> => [
  ok([f32(2, 3, 4)], f32(3), { dims: [0, 2] }),
  ok([f32(2, 3, 4)], f32(1, 3, 1), { dims: [0, 2], keepdim: true }),
  ok([f64(2, 3)], f64(2, 3), { dims: [] }),
  ok([i32(5)], i32(), { dims: [0] }),
  ok([i64(0, 3)], i64(0), { dims: [1] }),
  no([f32(2, 3, 4)], "dims 3 is out of range for rank 3", { dims: [3] }),
  no([f32(2, 3, 4)], "dims lists dim 1 twice", { dims: [1, 1] }),
  no([b8(2)], "x must be floating or integer, got bool", { dims: [0] }),
  badAttr([f32(2)], "'dims' must be a list of integers, each >= 0, got [-1]", { dims: [-1] }),
  badAttr([f32(2)], "missing attribute 'dims'", {}),
];
const seedOffset = [i64(), i64()];
const rnPool = { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] } as const; // resnet's maxpool
const rnConv = { stride: [2, 2], padding: [3, 3] } as const; // resnet's conv1
const k3s2 = { kernelSize: [3, 3], stride: [2, 2] } as const;
const in7 = { ...k3s2, inputShape: [1, 3, 7, 7] } as const;
const k2s2 = { kernelSize: [2, 2], stride: [2, 2] } as const;
const rnIn = { ...rnConv, inputShape: [1, 3, 224, 224] } as const;
const rnW = { ...rnConv, weightShape: [64, 3, 7, 7] } as const;
const [g112, x224, w7] = [f32(1, 64, 112, 112), f32(1, 3, 224, 224), f32(64, 3, 7, 7)]; // resnet conv1's metas
const inf = Number.POSITIVE_INFINITY;
const [x4, w3] = [f32(1, 4, 8, 8), f32(1, 1, 3, 3)];
const rnW5 = { ...rnConv, weightShape: [64, 3, 5, 5] } as const; // floor((224 + 6 - 4 - 1) / 2) + 1 = 113
const rnW3 = { weightShape: [1, 1, 3] }; // one dim short

const table: { [K in OpName]: Cases<K> } = {
  neg: numericUnary(),
  abs: numericUnary(),
  sign: numericUnary(),
  relu: numericUnary(),
  exp: floatUnary(),
  log: floatUnary(),
  sqrt: floatUnary(),
  rsqrt: floatUnary(),
  reciprocal: floatUnary(),
  sin: floatUnary(),
  cos: floatUnary(),
  tanh: floatUnary(),
  sigmoid: floatUnary(),
  erf: floatUnary(),
  logicalNot: [
    ok([f32(2, 3)], b8(2, 3)),
    ok([i64()], b8()),
    ok([b8(4)], b8(4)),
    arity([], "takes 1 input (x), got 0"),
  ],
  add: arith(),
  sub: arith(),
  mul: arith(),
  div: arith(),
  pow: arith(),
  maximum: arith(),
  minimum: arith(),
  eq: equality(),
  ne: equality(),
  lt: ordering(),
  le: ordering(),
  gt: ordering(),
  ge: ordering(),
  logicalAnd: logical(),
  logicalOr: logical(),
  where: [
    ok([b8(3, 1), f32(1, 4), f32(4)], f32(3, 4)),
    ok([b8(), i64(2), i64(2)], i64(2)),
    no([f32(3), f32(3), f32(3)], "condition must be bool, got float32"),
    no([b8(3), f32(3), f64(3)], "b has dtype float64 but a has float32"),
    no([b8(2), f32(3), f32(3)], "shapes [2] and [3] and [3] do not broadcast"),
  ],
  cast: [
    ok([f32(2, 3)], i32(2, 3), { dtype: "int32" }),
    ok([i64()], b8(), { dtype: "bool" }),
    badAttr([f32(2)], `'dtype' must be one of float32, float64, int32, int64, bool`, { dtype: "float16" }),
    badAttr([f32(2)], `got "constructor"`, { dtype: "constructor" }),
    badAttr([f32(2)], "missing attribute 'dtype'"),
  ],
  sum: reduction(),
  amax: [...reduction(), no([f32(0, 3)], "cannot reduce over dim 0 of size 0", { dims: [0] })],
  amin: [...reduction(), no([i32(2, 0)], "cannot reduce over dim 1 of size 0", { dims: [1] })],
  mean: [
    ok([f32(4, 5)], f32(4, 1), { dims: [1], keepdim: true }),
    no([i32(4)], "x must be floating, got int32", { dims: [0] }),
  ],
  argmax: [
    ok([f32(2, 5)], i64(2), { dim: 1 }),
    ok([f32(2, 5)], i64(2, 1), { dim: 1, keepdim: true }),
    ok([i32(7)], i64(), { dim: 0 }),
    no([f32(2, 5)], "2 is out of range for rank 2", { dim: 2 }),
    no([f32(0, 3)], "cannot take argmax over dim 0 of size 0", { dim: 0 }),
    no([b8(3)], "x must be floating or integer, got bool", { dim: 0 }),
    badAttr([f32(3)], "missing attribute 'dim'", {}),
  ],
  batchNorm: [
    ok([f32(8, 4, 5, 5), f32(4), f32(4)], f32(8, 4, 5, 5)),
    ok([f64(3, 2), f64(2), f64(2)], f64(3, 2), { eps: 0 }),
    ok([f32(1, 3, 2), f32(3), f32(3)], f32(1, 3, 2)),
    no([f32(4), f32(4), f32(4)], "x [4] must be [N, C, ...] (rank >= 2)"),
    no([f32(2, 3, 4), f32(4), f32(3)], "weight [4] must be [3] for x [2,3,4]"),
    no([f32(2, 3), f32(3), f32(1, 3)], "bias [1,3] must be [3] for x [2,3]"),
    no(
      [f32(1, 3, 1, 1), f32(3), f32(3)],
      "x [1,3,1,1] has 1 value(s) per channel; batch statistics need at least 2",
    ),
    no([f32(2, 3), f32(3), f64(3)], "bias has dtype float64 but x has float32"),
    no([i32(2, 3), i32(3), i32(3)], "x must be floating, got int32"),
    no([f32(2, 3), f32(3), f32(3)], "eps must be >= 0, got -1", { eps: -1 }),
  ],
  layerNorm: [
    ok([f32(2, 3, 4), f32(4), f32(4)], f32(2, 3, 4), { normalizedRank: 1 }),
    ok([f64(2, 3, 4), f64(3, 4), f64(3, 4)], f64(2, 3, 4), { normalizedRank: 2, eps: 0 }),
    no([f32(2, 3), f32(2), f32(3)], "weight [2] must have the normalized shape [3]", { normalizedRank: 1 }),
    no([f32(3), f32(3), f32(3)], "normalizedRank 2 exceeds the rank of x [3]", { normalizedRank: 2 }),
    no([f32(3), f64(3), f32(3)], "weight has dtype float64 but x has float32", { normalizedRank: 1 }),
    badAttr([f32(3), f32(3), f32(3)], "missing attribute 'normalizedRank'", {}),
  ],
  softmax: [
    ok([f32(2, 5)], f32(2, 5), { dim: 1 }),
    ok([f64(3)], f64(3), { dim: 0 }),
    no([f32(2, 5)], "2 is out of range for rank 2", { dim: 2 }),
    no([i32(3)], "x must be floating, got int32", { dim: 0 }),
    badAttr([f32(3)], "missing attribute 'dim'", {}),
  ],
  logSoftmax: [
    ok([f32(2, 3, 4)], f32(2, 3, 4), { dim: 2 }),
    no([f32()], "0 is out of range for rank 0", { dim: 0 }),
    no([b8(3)], "x must be floating, got bool", { dim: 0 }),
  ],
  reshape: [
    ok([f32(2, 3)], f32(3, 2), { shape: [3, 2] }),
    ok([i64()], i64(1, 1), { shape: [1, 1] }),
    ok([f32(0, 5)], f32(5, 0, 2), { shape: [5, 0, 2] }),
    no([f32(2, 3)], "cannot reshape [2,3] (6 elements) to [4] (4)", { shape: [4] }),
    badAttr([f32(2, 3)], "'shape' must be a list of integers", { shape: [-1, 3] }),
  ],
  permute: [
    ok([f32(2, 3, 4)], f32(4, 2, 3), { dims: [2, 0, 1] }),
    ok([f32()], f32(), { dims: [] }),
    no([f32(2, 3, 4)], "dims [0,1] must list all 3 dims of x", { dims: [0, 1] }),
    no([f32(2, 3, 4)], "dims lists dim 0 twice", { dims: [0, 0, 1] }),
    no([f32(2, 3, 4)], "dims 3 is out of range for rank 3", { dims: [0, 1, 3] }),
  ],
  expand: [
    ok([f32(3, 1)], f32(2, 3, 4), { shape: [2, 3, 4] }),
    ok([i32()], i32(2, 2), { shape: [2, 2] }),
    ok([f32(1)], f32(0), { shape: [0] }),
    no([f32(3)], "cannot expand [3] to [4]: size 3 is not 1 or 4", { shape: [4] }),
    no([f32(2, 3)], "cannot expand [2,3] to fewer dims [3]", { shape: [3] }),
  ],
  squeeze: [
    ok([f32(1, 3, 1)], f32(3), { dims: [0, 2] }),
    ok([f32(1, 3, 1)], f32(1, 3, 1), { dims: [] }),
    no([f32(1, 3, 1)], "cannot squeeze dim 1 of [1,3,1]: size is not 1", { dims: [1] }),
    no([f32(1, 3, 1)], "dims 3 is out of range for rank 3", { dims: [3] }),
  ],
  unsqueeze: [
    ok([f32(3)], f32(1, 3, 1), { dims: [0, 2] }),
    ok([f32(2, 3)], f32(2, 3, 1), { dims: [2] }),
    ok([f32(2, 3)], f32(2, 1, 3), { dims: [1] }),
    ok([f32()], f32(1), { dims: [0] }),
    no([f32(3)], "dims 2 is out of range for rank 2", { dims: [2] }),
    no([f32(3)], "dims lists dim 0 twice", { dims: [0, 0] }),
  ],
  slice: [
    ok([f32(10, 4)], f32(3, 4), { dim: 0, start: 2, end: 9, step: 3 }), // rows 2, 5, 8
    ok([f32(10, 4)], f32(3, 4), { dim: 0, start: 0, end: 10, step: 4 }), // rows 0, 4, 8
    ok([f32(10, 4)], f32(10, 0), { dim: 1, start: 1, end: 1 }),
    no([f32(10, 4)], "slice [2:11] is not within 0 <= start <= end <= 10", { dim: 0, start: 2, end: 11 }),
    no([f32(10, 4)], "slice [5:3] is not within", { dim: 0, start: 5, end: 3 }),
    no([f32(10, 4)], "dim 2 is out of range for rank 2", { dim: 2, start: 0, end: 1 }),
    badAttr([f32(10, 4)], "'step' must be an integer >= 1, got 0", { dim: 0, start: 0, end: 1, step: 0 }),
  ],
  concat: [
    ok([f32(2, 3), f32(4, 3)], f32(6, 3), { dim: 0 }),
    ok([i64(2, 1), i64(2, 2), i64(2, 0)], i64(2, 3), { dim: 1 }),
    ok([f32(5)], f32(5), { dim: 0 }),
    no([f32(2, 3), f32(2, 4)], "tensors[1] [2,4] does not match tensors[0] [2,3] off dim 0", { dim: 0 }),
    no([f32(2), f32(2, 1)], "tensors[1] [2,1] does not match tensors[0] [2]", { dim: 0 }),
    no([f32(2), i32(2)], "tensors[1] has dtype int32 but tensors[0] has float32", { dim: 0 }),
    no([f32(), f32()], "dim 0 is out of range for rank 0", { dim: 0 }),
    arity([], "takes at least 1 input (tensors), got 0", { dim: 0 }),
  ],
  pad: [
    ok([f32(2, 3)], f32(5, 4), { before: [1, 0], after: [2, 1] }),
    ok([i64()], i64(), { before: [], after: [], value: Number.NaN }),
    no([f32(2, 3)], "before and after must each have 2 entries", { before: [1], after: [1, 1] }),
    badAttr([f32(2, 3)], "'before' must be", { before: [-1, 0], after: [0, 0] }),
  ],
  gather: [
    ok([f32(3, 4), i64(2, 4)], f32(2, 4), { dim: 0 }),
    ok([f32(3, 4), i32(5, 2)], f32(5, 2), { dim: 0 }), // index may exceed x along dim (torch.gather)
    ok([f64(3, 4), i64(3, 9)], f64(3, 9), { dim: 1 }),
    no([f32(3, 4), f32(2, 4)], "index must be integer, got float32", { dim: 0 }),
    no([f32(3, 4), i64(4)], "index [4] must have the same rank as x [3,4]", { dim: 0 }),
    no([f32(3, 4), i64(2, 5)], "index [2,5] is larger than x [3,4] at dim 1", { dim: 0 }),
    no([f32(3, 4), i64(2, 4)], "dim 2 is out of range for rank 2", { dim: 2 }),
  ],
  scatterAdd: [
    ok([f32(3, 4), i64(2, 4), f32(2, 4)], f32(3, 4), { dim: 0 }),
    no([f32(3, 4), i64(2, 4), f32(2, 3)], "index [2,4] and src [2,3] must have one shape", { dim: 0 }),
    no([f32(3, 4), i64(2, 4), f64(2, 4)], "src has dtype float64 but x has float32", { dim: 0 }),
    no([f32(3, 4), b8(2, 4), f32(2, 4)], "index must be integer, got bool", { dim: 0 }),
  ],
  matmul: [
    ok([f32(2, 3), f32(3, 4)], f32(2, 4)),
    ok([f32(2, 1, 3, 4), f32(5, 4, 6)], f32(2, 5, 3, 6)),
    ok([i64(7, 2, 3), i64(3, 1)], i64(7, 2, 1)),
    no([f32(2, 3), f32(4, 5)], "inner dims differ: f32[2,3] @ f32[4,5] (3 vs 4)"),
    no([f32(3), f32(3, 4)], "matmul takes rank >= 2"),
    no([f32(2, 3, 4), f32(5, 4, 6)], "shapes [2] and [5] do not broadcast"),
    no([f32(2, 3), f64(3, 4)], "b has dtype float64 but a has float32"),
    no([b8(2, 2), b8(2, 2)], "a must be floating or integer, got bool"),
  ],
  conv2d: [
    ok([f32(1, 3, 224, 224), f32(64, 3, 7, 7)], f32(1, 64, 112, 112), rnConv),
    ok([f32(1, 64, 56, 56), f32(128, 64, 1, 1)], f32(1, 128, 28, 28), { stride: [2, 2] }),
    ok([f32(2, 4, 8, 8), f32(6, 2, 3, 3)], f32(2, 6, 8, 8), { groups: 2, padding: [1, 1] }),
    ok([f32(1, 8, 5, 5), f32(8, 1, 3, 3)], f32(1, 8, 3, 3), { groups: 8 }), // depthwise
    // h: (7 - 2*2 - 1)/1 + 1 = 3; w: floor((9 - 2 - 1)/2) + 1 = 4
    ok([f64(1, 1, 7, 9), f64(1, 1, 3, 3)], f64(1, 1, 3, 4), { dilation: [2, 1], stride: [1, 2] }),
    no([x4, f32(6, 2, 3, 3)], "groups 3 must divide input channels 4 and output channels 6", { groups: 3 }),
    no([x4, f32(6, 4, 3, 3)], "weight [6,4,3,3] expects 8 input channels (4 x groups 2)", { groups: 2 }),
    no([f32(1, 3, 8, 8), f32(8, 4, 3, 3)], "expects 4 input channels (4 x groups 1), x [1,3,8,8] has 3"),
    no([f32(1, 1, 2, 2), w3], "kernel 3x3 (dilation 1,1) is larger than the padded input [1,1,2,2]"),
    no([f32(3, 8, 8), f32(1, 3, 3, 3)], "x must have rank 4, got f32[3,8,8]"),
    no([i32(1, 1, 4, 4), i32(1, 1, 3, 3)], "x must be floating, got int32"),
    no([f32(1, 1, 4, 4), f64(1, 1, 3, 3)], "weight has dtype float64 but x has float32"),
    badAttr([f32(1, 1, 4, 4), w3], "'stride' must be a list of integers of length 2, each >= 1", {
      stride: [0, 1],
    }),
    badAttr([f32(1, 1, 4, 4), f32(1, 1, 3, 3)], "'groups' must be an integer >= 1", { groups: 0 }),
  ],
  conv2dBackwardInput: [
    ok([g112, w7], x224, rnIn),
    // stride 2 maps 223 and 224 to the same 112: why inputShape is an attribute
    ok([g112, w7], f32(1, 3, 223, 223), { ...rnConv, inputShape: [1, 3, 223, 223] }),
    no(
      [f32(1, 64, 111, 111), w7],
      "f32[1,64,111,111] but conv2d's output for inputShape is [1,64,112,112]",
      rnIn,
    ),
    no([f64(1, 64, 112, 112), w7], "weight has dtype float32 but gradOutput has float64", rnIn),
    badAttr([g112, w7], "missing attribute 'inputShape'", rnConv),
  ],
  conv2dBackwardWeight: [
    ok([g112, x224], w7, rnW),
    no([g112, x224], "f32[1,64,112,112] but conv2d's output for weightShape is [1,64,113,113]", rnW5),
    no([f32(1, 6, 6, 6), x4], "groups 3 must divide input channels 4", {
      groups: 3,
      weightShape: [6, 2, 3, 3],
    }),
    badAttr([f32(1, 1, 2, 2), f32(1, 1, 4, 4)], "'weightShape' must be a list of integers of length 4", rnW3),
  ],
  maxPool2d: [
    ok([g112], f32(1, 64, 56, 56), rnPool),
    ok([f32(1, 1, 5, 5)], f32(1, 1, 2, 2), k2s2),
    ok([f32(1, 1, 5, 5)], f32(1, 1, 3, 3), { ...k2s2, ceilMode: true }),
    // ceil gives 4 windows, but the 4th would start in the right padding, so PyTorch drops it
    ok([f32(1, 1, 5, 5)], f32(1, 1, 3, 3), { ...k2s2, padding: [1, 1], ceilMode: true }),
    ok([i32(1, 1, 10, 10)], i32(1, 1, 6, 6), { kernelSize: [3, 3], stride: [1, 1], dilation: [2, 2] }),
    no([f32(1, 1, 8, 8)], "padding [2,2] must be at most half the kernel [3,3]", {
      ...k3s2,
      padding: [2, 2],
    }),
    no([f32(64, 112, 112)], "x must have rank 4, got f32[64,112,112]", rnPool),
    no([b8(1, 1, 4, 4)], "x must be floating or integer, got bool", rnPool),
    no([f32(1, 1, 2, 2)], "kernel [3,3] is larger than the padded input f32[1,1,2,2]", k3s2),
    badAttr([f32(1, 1, 4, 4)], "missing attribute 'stride'", { kernelSize: [2, 2] }),
  ],
  maxPool2dBackward: [
    ok([f32(1, 64, 56, 56), g112], g112, rnPool),
    no([f32(1, 64, 55, 55), g112], "gradOutput is f32[1,64,55,55] but maxPool2d's output for x", rnPool),
    no([f64(1, 64, 56, 56), g112], "x has dtype float32 but gradOutput has float64", rnPool),
  ],
  avgPool2d: [
    ok([f32(1, 3, 7, 7)], f32(1, 3, 3, 3), k3s2),
    ok([f32(1, 3, 8, 8)], f32(1, 3, 4, 4), { ...k3s2, ceilMode: true }),
    no([i32(1, 3, 7, 7)], "x must be floating, got int32", k3s2),
    no([f32(1, 3, 7, 7)], "padding [2,0] must be at most half the kernel", { ...k2s2, padding: [2, 0] }),
  ],
  avgPool2dBackward: [
    ok([f32(1, 3, 3, 3)], f32(1, 3, 7, 7), in7),
    ok([f32(1, 3, 3, 3)], f32(1, 3, 8, 8), { ...k3s2, inputShape: [1, 3, 8, 8] }), // floor((8-3)/2)+1 = 3 too
    no([f32(1, 3, 4, 4)], "is f32[1,3,4,4] but avgPool2d's output for inputShape is [1,3,3,3]", in7),
    no([i32(1, 3, 3, 3)], "gradOutput must be floating", in7),
  ],
  full: [
    ok([], f32(2, 3), { shape: [2, 3], value: 1.5 }),
    ok([], f64(), { shape: [], value: Number.NaN, dtype: "float64" }),
    ok([], f32(4), { shape: [4], value: Number.NEGATIVE_INFINITY }),
    ok([], i32(2), { shape: [2], value: -(2 ** 31), dtype: "int32" }), // int32's minimum
    ok([], i64(2), { shape: [2], value: -(2 ** 63), dtype: "int64" }), // int64's minimum
    ok([], b8(0), { shape: [0], value: 1, dtype: "bool" }),
    no([], "value 0.5 is not representable in int32", { shape: [2], value: 0.5, dtype: "int32" }),
    no([], "2147483648 is not representable in int32", { shape: [2], value: 2 ** 31, dtype: "int32" }),
    no([], "9223372036854776000 is not representable", { shape: [], value: 2 ** 63, dtype: "int64" }),
    no([], "value Infinity is not representable in int64", { shape: [2], value: inf, dtype: "int64" }),
    no([], "value NaN is not representable in bool", { shape: [2], value: Number.NaN, dtype: "bool" }),
    badAttr([], "missing attribute 'value'", { shape: [2] }),
    arity([f32(2)], "takes 0 inputs (none), got 1", { shape: [2], value: 0 }),
  ],
  arange: [
    ok([], i64(4), { end: 10, step: 3 }), // 0, 3, 6, 9
    ok([], f32(4), { start: 0, end: 1, step: 0.25, dtype: "float32" }),
    ok([], i64(0), { start: 5, end: 0 }),
    ok([], i64(4), { start: 10, end: 0, step: -3 }), // 10, 7, 4, 1
    ok([], f64(4), { start: -1, end: 1, step: 0.5, dtype: "float64" }),
    no([], "start, end and step must be finite and step non-zero", { end: 5, step: 0 }),
    no([], "must be finite", { end: inf }),
    no([], "dtype must be floating or integer, got bool", { end: 5, dtype: "bool" }),
    badAttr([], "missing attribute 'end'", {}),
  ],
  uniform: [
    ok(seedOffset, f32(2, 3), { shape: [2, 3] }),
    ok([i32(), i64()], f64(), { shape: [], dtype: "float64", low: -1, high: 1 }),
    no([i64(1), i64()], "seed must have rank 0, got i64[1]", { shape: [2] }),
    no([f32(), i64()], "seed must be integer, got float32", { shape: [2] }),
    no([i64(), i64(2)], "offset must have rank 0, got i64[2]", { shape: [2] }),
    badAttr(seedOffset, `must be one of float32, float64, got "int32"`, { shape: [2], dtype: "int32" }),
    arity([i64()], "takes 2 inputs (seed, offset), got 1", { shape: [2] }),
  ],
  bernoulli: [
    ok(seedOffset, b8(4), { shape: [4], p: 0.5 }),
    ok(seedOffset, b8(2, 2), { shape: [2, 2], p: 0 }),
    ok(seedOffset, b8(), { shape: [], p: 1 }),
    no(seedOffset, "p must be in [0, 1], got 1.5", { shape: [4], p: 1.5 }),
    no(seedOffset, "p must be in [0, 1], got NaN", { shape: [4], p: Number.NaN }),
    no([i64(), b8()], "offset must be integer, got bool", { shape: [4], p: 0.5 }),
  ],
};

/** Build `op(inputs)` in a fresh graph; input i is named `in{i}`, the node is named after the op. */
function infer(op: OpName, inputs: readonly TensorMeta[], attrs: unknown, name: string = op): TensorMeta {
  const b = new GraphBuilder("t");
  const values = inputs.map((m, i) => b.input(`in${i}`, m));
  return b.opNamed(op, values, attrs, name).meta;
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error, got none");
}

const good = (op: OpName) => (table[op] as Cases<OpName>).filter((c): c is Good<OpName> => c.kind === "good");
const bad = (op: OpName) => (table[op] as Cases<OpName>).filter((c): c is Bad => c.kind !== "good");

test("the case table covers every op in the catalog, with good and bad cases", () => {
  expect(Object.keys(table).sort()).toEqual([...opNames].sort());
  for (const op of opNames) {
    expect(good(op).length, `${op} has no good case`).toBeGreaterThan(0);
    expect(bad(op).length, `${op} has no bad case`).toBeGreaterThan(0);
  }
});

describe.each(opNames)("%s", (op) => {
  test("good inputs give the expected meta", () => {
    for (const c of good(op)) {
      const label = `${op}(${c.in.map(formatMeta).join(", ")}) ${JSON.stringify(c.attrs)}`;
      expect(infer(op, c.in, c.attrs), label).toEqual(c.out);
    }
  });
  test("bad inputs fail naming the op, node, inputs and reason", () => {
    for (const c of bad(op)) {
      const err = errorOf(() => infer(op, c.in, c.attrs));
      expect(err).toBeInstanceOf(IRError);
      expect(err.message).toContain(`${op} (node '${op}')`);
      expect(err.message).toContain(c.error);
      if (c.kind === "shape") {
        expect(err, err.message).toBeInstanceOf(ShapeError);
        for (const [i, m] of c.in.entries()) expect(err.message).toContain(`in${i}: ${formatMeta(m)}`);
      }
    }
  });
});

describe("error messages", () => {
  test("the README's matmul message, exactly", () => {
    const b = new GraphBuilder("g");
    const x = b.input("x", f32(2, 3));
    const w = b.input("w", f32(4, 5));
    expect(() => b.op("matmul", [x, w])).toThrow(
      "matmul (node 'matmul'): inner dims differ: f32[2,3] @ f32[4,5] (3 vs 4); inputs: a=x: f32[2,3], b=w: f32[4,5]",
    );
  });
  test("a chosen node name and variadic input names appear", () => {
    const err = errorOf(() => infer("concat", [f32(2), i32(2), f32(2)], { dim: 0 }, "joined"));
    expect(err.message).toContain("concat (node 'joined')");
    expect(err.message).toContain(
      "inputs: tensors[0]=in0: f32[2], tensors[1]=in1: i32[2], tensors[2]=in2: f32[2]",
    );
  });
  test("a name already used gets a fresh suffix from op(), but opNamed refuses it", () => {
    const b = new GraphBuilder("g");
    const x = b.input("x", f32(2));
    expect(b.op("neg", [x], {}, "x").name).toBe("x_1");
    expect(() => b.opNamed("neg", [x], {}, "x")).toThrow("node name 'x' is already used in graph 'g'");
  });
  test("a value from another graph is refused", () => {
    const other = new GraphBuilder("other").input("y", f32(2));
    const b = new GraphBuilder("g");
    expect(() => b.op("neg", [other])).toThrow("neg (node 'neg'): input 0 'y' does not belong to graph 'g'");
  });
});

describe("helpers against PyTorch's rules", () => {
  // PyTorch's pooling_output_shape (aten/src/ATen/native/Pool.h), transcribed independently.
  const torchPoolOut = (size: number, k: number, pad: number, stride: number, dil: number, ceil: boolean) => {
    const num = size + 2 * pad - dil * (k - 1) - 1 + (ceil ? stride - 1 : 0);
    let out = Math.floor(num / stride) + 1;
    if (ceil && (out - 1) * stride >= size + pad) out--;
    return out;
  };
  const int = (min: number, max: number) => fc.integer({ min, max });
  test("windowOutputSize matches pooling_output_shape", () => {
    const arb = fc.tuple(int(1, 40), int(1, 5), int(1, 4), int(1, 3), int(0, 2), fc.boolean());
    fc.assert(
      fc.property(arb, ([size, k, stride, dil, pad, ceil]) => {
        fc.pre(pad * 2 <= k);
        expect(windowOutputSize(size, k, stride, pad, dil, ceil)).toBe(
          torchPoolOut(size, k, pad, stride, dil, ceil),
        );
      }),
      { numRuns: 500 },
    );
  });
  test("conv2d's backward ops agree with conv2d on every valid config", () => {
    fc.assert(
      fc.property(
        fc.tuple(int(1, 2), int(1, 3), int(1, 3), int(1, 3), int(1, 12), int(1, 12), int(1, 4), int(1, 4)),
        fc.tuple(
          fc.tuple(int(1, 3), int(1, 3)),
          fc.tuple(int(0, 2), int(0, 2)),
          fc.tuple(int(1, 2), int(1, 2)),
        ),
        ([n, cg, og, groups, h, w, kh, kw], [stride, padding, dilation]) => {
          const xs = [n, cg * groups, h, w];
          const ws = [og * groups, cg, kh, kw];
          const attrs = { stride, padding, dilation, groups };
          let y: TensorMeta;
          try {
            y = infer("conv2d", [meta(xs), meta(ws)], attrs);
          } catch (e) {
            expect(e).toBeInstanceOf(ShapeError); // only "kernel larger than the padded input"
            expect((e as Error).message).toContain("is larger than the padded input");
            return;
          }
          expect(infer("conv2dBackwardInput", [y, meta(ws)], { ...attrs, inputShape: xs })).toEqual(meta(xs));
          expect(infer("conv2dBackwardWeight", [y, meta(xs)], { ...attrs, weightShape: ws })).toEqual(
            meta(ws),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
  test("broadcastShapes: trailing alignment, 1s stretch, 0 is a size", () => {
    expect(broadcastShapes([2, 1, 4], [3, 1])).toEqual([2, 3, 4]);
    expect(broadcastShapes([], [5])).toEqual([5]);
    expect(broadcastShapes([1, 0], [3, 1])).toEqual([3, 0]);
    expect(broadcastShapes()).toEqual([]);
    expect(() => broadcastShapes([2, 3], [4])).toThrow("[2,3] and [4] do not broadcast (dim 1: 3 vs 4)");
    expect(() => broadcastShapes([0], [2])).toThrow("do not broadcast");
  });
});

describe("dtype promotion (PyTorch's documented torch.promote_types / torch.result_type)", () => {
  // torch.promote_types over these five dtypes (PyTorch's promotion table); row a, column b.
  const order: DType[] = ["bool", "int32", "int64", "float32", "float64"];
  const matrix: DType[][] = [
    ["bool", "int32", "int64", "float32", "float64"],
    ["int32", "int32", "int64", "float32", "float64"],
    ["int64", "int64", "int64", "float32", "float64"],
    ["float32", "float32", "float32", "float32", "float64"],
    ["float64", "float64", "float64", "float64", "float64"],
  ];
  test("promoteTypes matches the table for every pair", () => {
    expect([...order].sort()).toEqual([...dtypes].sort());
    order.forEach((a, i) => {
      order.forEach((b, j) => {
        expect(promoteTypes(a, b), `${a}+${b}`).toBe(matrix[i]![j]);
        expect(matrix[i]![j]).toBe(matrix[j]![i]); // symmetric
      });
    });
  });
  const t = (dtype: DType, rank = 1) => ({ dtype, rank });
  test.each([
    ["int32 + int64 tensors", [t("int32"), t("int64")], "int64"],
    ["int64 + float32 tensors", [t("int64"), t("float32")], "float32"],
    ["bool tensor + int scalar", [t("bool"), 1], "int64"],
    ["bool tensor + bool scalar", [t("bool"), true], "bool"],
    ["f32 tensor * 2.5", [t("float32"), 2.5], "float32"],
    ["f64 tensor * 2.5", [t("float64"), 2.5], "float64"],
    ["i32 tensor * 2.5", [t("int32"), 2.5], "float32"],
    ["i32 tensor + 2", [t("int32"), 2], "int32"],
    ["i32 tensor + 2n", [t("int32"), 2n], "int32"],
    ["0-d f64 + f32 dimensioned", [t("float64", 0), t("float32")], "float32"],
    ["0-d f64 + i32 dimensioned", [t("float64", 0), t("int32")], "float64"],
    ["0-d i64 + i32 dimensioned", [t("int64", 0), t("int32")], "int32"],
    ["0-d f64 + 0-d i32", [t("float64", 0), t("int32", 0)], "float64"],
    ["bool dims, 0-d i32, float scalar", [t("bool"), t("int32", 0), 1.5], "float32"],
    ["i32 dims, 0-d f64, float scalar", [t("int32"), t("float64", 0), 1.5], "float64"],
    ["scalars only", [1, 2.5], "float32"],
  ] as [string, Parameters<typeof resultType>, DType][])("resultType: %s", (_, operands, want) => {
    expect(resultType(...operands)).toBe(want);
  });
  test("resultType needs an operand", () => {
    expect(() => resultType()).toThrow("needs at least one operand");
  });
});

describe("TensorData and meta", () => {
  test("accepts the typed array of its dtype, BigInt64Array for int64", () => {
    const t = new TensorData("int64", [2, 2], new BigInt64Array([1n, 2n, 3n, 2n ** 62n]));
    expect(t.data[3]).toBe(2n ** 62n);
    expect(t.meta).toEqual(i64(2, 2));
    expect(new TensorData("bool", [], new Uint8Array(1)).size).toBe(1);
    expect(TensorData.zeros("float64", [0, 3]).data).toBeInstanceOf(Float64Array);
  });
  test("rejects a length that does not fit the shape", () => {
    expect(() => new TensorData("float32", [2, 3], new Float32Array(5))).toThrow(
      "TensorData: shape [2,3] holds 6 elements but the float32 data has 5",
    );
  });
  test.each([
    ["float32", new Float64Array(2), "float32 needs a Float32Array, got Float64Array"],
    ["int64", new Int32Array(2), "int64 needs a BigInt64Array, got Int32Array"],
    ["int64", new Float64Array(2), "int64 needs a BigInt64Array, got Float64Array"],
    ["bool", [1, 0], "bool needs a Uint8Array, got Array"],
    ["int32", null, "int32 needs a Int32Array, got object"],
  ] as [DType, never, string][])("rejects the wrong typed array for %s", (dtype, data, msg) => {
    expect(() => new TensorData(dtype, [2], data)).toThrow(msg);
  });
  test("rejects bad shapes and dtypes", () => {
    expect(() => new TensorData("float32", [-1], new Float32Array(0))).toThrow("non-negative integers");
    expect(() => new TensorData("float16" as DType, [1], new Float32Array(1))).toThrow("dtype 'float16'");
    expect(() => new TensorData("constructor" as DType, [1], new Float32Array(1))).toThrow("unknown dtype");
    expect(() => meta([1.5])).toThrow("meta: shape must be non-negative integers, got [1.5]");
    expect(() => meta([2], "toString" as DType)).toThrow("meta: unknown dtype 'toString'");
    expect(Object.isFrozen(meta([2]).shape)).toBe(true);
  });
});
