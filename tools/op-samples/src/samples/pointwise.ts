// Samples of the pointwise ops: broadcasting shapes, NaN, ties, integer and bool dtypes, casts.
import type { PointwiseOpName } from "@aotjs/ir";
import {
  awayFromZero,
  bools,
  fromValues,
  halfGrid,
  indices,
  integers,
  positive,
  quarterGrid,
  type Rand,
  uniform,
} from "../generators.js";
import { binary, cmp, edge, ints32, logical, NAN, type OpSample, tie, unary } from "./common.js";

export const pointwiseSamples: { readonly [K in PointwiseOpName]: (r: Rand) => readonly OpSample<K>[] } = {
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
};
