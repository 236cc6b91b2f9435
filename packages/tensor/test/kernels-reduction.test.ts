// Reduction kernels: hand-computed values (ties, NaN, int wrapping, int64 past 2^53, float32
// accumulation), every subset of dims of random rank-3 and rank-4 tensors with keepdim on and off
// against a naive nested-loop oracle, the reduction planner, and composition properties.
import { catalog, type DType, type OpName, opNames, TensorData } from "@aotjs/ir";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { compositeKernels } from "../src/kernels/composite.js";
import { planReduction, reductionKernels } from "../src/kernels/reduction.js";
import { runKernel } from "../src/kernels/run.js";
import { expectTensor, f32, f64, i32, i64, numel, randInt, ravel, rng, unravel } from "./support-kernels.js";

type ReductionOp = keyof typeof reductionKernels;
interface Case {
  readonly in: TensorData;
  readonly attrs: object;
  readonly out: TensorData;
  readonly tol?: number;
}
const run = (op: ReductionOp, x: TensorData, attrs: object) => runKernel(op, [x], attrs as never);

const inf = Number.POSITIVE_INFINITY;
const P60 = 2n ** 60n;
const I32_MAX = 2 ** 31 - 1;
const I32_MIN = -(2 ** 31);
const M6 = [1, 2, 3, 4, 5, 6];

// Oracle: values worked out by hand from the definitions (first maximum wins, NaN propagates and
// counts as the maximum, integer sums wrap like C, float sums are the exact sum rounded once).
const valueCases: Record<ReductionOp, Case[]> = {
  sum: [
    { in: f32([2, 3], M6), attrs: { dims: [0] }, out: f32([3], [5, 7, 9]) },
    { in: f32([2, 3], M6), attrs: { dims: [1], keepdim: true }, out: f32([2, 1], [6, 15]) },
    { in: f32([2, 3], M6), attrs: { dims: [] }, out: f32([2, 3], M6) },
    { in: f64([2, 3], M6), attrs: { dims: [0, 1] }, out: f64([], [21]) },
    { in: i32([2], [I32_MAX, 1]), attrs: { dims: [0] }, out: i32([], [I32_MIN]) },
    { in: i64([3], [P60, 1, 2n ** 62n]), attrs: { dims: [0] }, out: i64([], [P60 + 2n ** 62n + 1n]) },
    { in: i64([2], [2n ** 63n - 1n, 1]), attrs: { dims: [0] }, out: i64([], [-(2n ** 63n)]) },
    // Naive float64 summation gives 0 here (1e100 + 1 = 1e100); the compensated sum keeps the 1.
    { in: f64([3], [1e100, 1, -1e100]), attrs: { dims: [0] }, out: f64([], [1]) },
    // float32 accumulation would give 1 (each 1 + 2^-24 is a tie rounding to 1); the exact sum is 1 + 2^-23.
    { in: f32([3], [1, 2 ** -24, 2 ** -24]), attrs: { dims: [0] }, out: f32([], [1 + 2 ** -23]) },
    { in: f32([2, 0], []), attrs: { dims: [1] }, out: f32([2], [0, 0]) },
    {
      in: f64([3, 2], [inf, 1, inf, -inf, Number.NaN, 1]),
      attrs: { dims: [1] },
      out: f64([3], [inf, Number.NaN, Number.NaN]),
    },
  ],
  mean: [
    { in: f32([2, 2], [1, 2, 3, 4]), attrs: { dims: [0] }, out: f32([2], [2, 3]) },
    { in: f32([2, 2], [1, 2, 3, 4]), attrs: { dims: [1], keepdim: true }, out: f32([2, 1], [1.5, 3.5]) },
    { in: f64([2, 2], [1, 2, 3, 4]), attrs: { dims: [0, 1] }, out: f64([], [2.5]) },
    // (16777216 + 1 + 1) / 3 = 5592406; float32 accumulation would lose both ones.
    { in: f32([3], [16777216, 1, 1]), attrs: { dims: [0] }, out: f32([], [5592406]) },
    { in: f64([0, 3], []), attrs: { dims: [0] }, out: f64([3], [Number.NaN, Number.NaN, Number.NaN]) },
  ],
  amax: [
    { in: f32([2, 3], [1, 5, Number.NaN, 4, 2, 0]), attrs: { dims: [1] }, out: f32([2], [Number.NaN, 4]) },
    {
      in: f32([2, 3], [1, 5, Number.NaN, 4, 2, 0]),
      attrs: { dims: [0], keepdim: true },
      out: f32([1, 3], [4, 5, Number.NaN]),
    },
    { in: f64([2], [-inf, -inf]), attrs: { dims: [0] }, out: f64([], [-inf]) },
    { in: i32([3], [I32_MIN, -1, I32_MIN]), attrs: { dims: [0] }, out: i32([], [-1]) },
    { in: i64([2], [P60 + 1n, P60]), attrs: { dims: [0] }, out: i64([], [P60 + 1n]) },
  ],
  amin: [
    { in: f32([2, 3], [1, 5, Number.NaN, 4, 2, 0]), attrs: { dims: [1] }, out: f32([2], [Number.NaN, 0]) },
    { in: f64([2, 3], [1, 5, Number.NaN, 4, 2, 0]), attrs: { dims: [0] }, out: f64([3], [1, 2, Number.NaN]) },
    { in: i32([3], [I32_MAX, 3, I32_MAX]), attrs: { dims: [0] }, out: i32([], [3]) },
    { in: i64([2], [P60 + 1n, P60]), attrs: { dims: [0] }, out: i64([], [P60]) },
  ],
  argmax: [
    { in: f32([4], [1, 3, 3, 2]), attrs: { dim: 0 }, out: i64([], [1]) }, // first of the tied maxima
    { in: f64([4], [1, Number.NaN, 5, Number.NaN]), attrs: { dim: 0 }, out: i64([], [1]) }, // first NaN
    { in: f64([2], [Number.NaN, Number.NaN]), attrs: { dim: 0 }, out: i64([], [0]) },
    { in: f64([3], [-inf, -inf, -inf]), attrs: { dim: 0 }, out: i64([], [0]) },
    { in: f32([2, 2], [1, 5, 7, 2]), attrs: { dim: 0 }, out: i64([2], [1, 0]) },
    { in: f32([2, 2], [1, 5, 7, 2]), attrs: { dim: 1, keepdim: true }, out: i64([2, 1], [1, 0]) },
    { in: i32([3], [-1, 4, 4]), attrs: { dim: 0 }, out: i64([], [1]) },
    // As doubles both are 2^60, so a Number comparison would report the tie's first index, 0.
    { in: i64([2], [P60, P60 + 1n]), attrs: { dim: 0 }, out: i64([], [1]) },
    // [[[0,9],[8,1],[8,9]], [[5,5],[5,5],[6,4]]] along dim 1: [[1,0],[2,0]].
    {
      in: i32([2, 3, 2], [0, 9, 8, 1, 8, 9, 5, 5, 5, 5, 6, 4]),
      attrs: { dim: 1 },
      out: i64([2, 2], [1, 0, 2, 0]),
    },
  ],
};

describe("reduction kernels: hand-computed values", () => {
  for (const [op, cases] of Object.entries(valueCases) as [ReductionOp, Case[]][]) {
    test.each(cases.map((c, i) => [i, c] as const))(`${op} case %i`, (_i, c) => {
      expectTensor(run(op, c.in, c.attrs), c.out, c.tol ?? 0);
    });
  }

  // Oracle: 1e6 is exactly representable and every partial sum is an integer below 2^24 only in
  // float64; a float32 accumulator stalls at 2^24 = 16777216 on larger inputs, so also check 2^25 ones.
  test("float32 sums of many ones are exact", () => {
    const ones = (n: number) => new TensorData("float32", [n], new Float32Array(n).fill(1));
    expect(run("sum", ones(1e6), { dims: [0] }).data[0]).toBe(1e6);
    expect(run("sum", ones(2 ** 25), { dims: [0] }).data[0]).toBe(2 ** 25);
    expect(run("mean", ones(1e6), { dims: [0] }).data[0]).toBe(1);
  });

  // Oracle: exact arithmetic. fround(0.1) has a 24-bit significand, so 1e6 * fround(0.1) is exact in
  // float64, and the correctly rounded float32 sum is its rounding (naive float32 gives ~100958).
  test("float32 sum of 1e6 copies of 0.1 is the exact sum rounded once", () => {
    const x = new TensorData("float32", [1e6], new Float32Array(1e6).fill(0.1));
    expect(run("sum", x, { dims: [0] }).data[0]).toBe(Math.fround(1e6 * Math.fround(0.1)));
  });

  // Oracle: 1 + 10^4 * 1e-16, against naive summation which returns exactly 1.
  test("float64 sums are compensated", () => {
    const x = f64([10001], [1, ...new Array(10000).fill(1e-16)]);
    const [s] = run("sum", x, { dims: [0] }).data as Float64Array;
    expect(Math.abs(s! - (1 + 1e-12)) / (1 + 1e-12)).toBeLessThan(2e-16);
  });
});

describe("the reduction planner", () => {
  // Oracle: hand-derived plans for a [2,3,4] tensor (strides 12, 4, 1).
  test.each([
    [[2], { runStarts: [0], runLength: 4, runStride: 1, outputStarts: [0, 4, 8, 12, 16, 20] }],
    [
      [0],
      { runStarts: [0], runLength: 2, runStride: 12, outputStarts: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] },
    ],
    [[0, 2], { runStarts: [0, 12], runLength: 4, runStride: 1, outputStarts: [0, 4, 8] }],
    [[0, 1, 2], { runStarts: [0], runLength: 24, runStride: 1, outputStarts: [0] }],
    [[1, 2], { runStarts: [0], runLength: 12, runStride: 1, outputStarts: [0, 12] }],
    [[], { runStarts: [0], runLength: 1, runStride: 0, outputStarts: [...Array(24).keys()] }],
  ])("dims %j", (dims, expected) => {
    const plan = planReduction([2, 3, 4], dims);
    expect({ ...plan, runStarts: [...plan.runStarts], outputStarts: [...plan.outputStarts] }).toMatchObject(
      expected,
    );
  });
});

// ---- random tensors against a naive oracle ----

/**
 * Dyadic values (k / 2^j, |k| <= 1024, j <= 6): every sum of a few hundred of them is exact in
 * float32 and float64 in any order, so the kernel's and the oracle's different orders agree exactly.
 * Floats sometimes get a NaN or an infinity to check propagation.
 */
function randomInput(dtype: DType, shape: number[], next: () => number, specials: boolean): TensorData {
  const n = numel(shape);
  const dyadic = () => randInt(next, -1024, 1024) / 2 ** randInt(next, 0, 6);
  switch (dtype) {
    case "int32":
      return new TensorData(
        dtype,
        shape,
        Int32Array.from({ length: n }, () => (next() < 0.5 ? randInt(next, -9, 9) : (next() * 2 ** 32) | 0)),
      );
    case "int64":
      return new TensorData(
        dtype,
        shape,
        BigInt64Array.from({ length: n }, () =>
          BigInt.asIntN(64, BigInt(randInt(next, -(2 ** 20), 2 ** 20)) << BigInt(randInt(next, 0, 44))),
        ),
      );
    default: {
      const data = dtype === "float32" ? new Float32Array(n) : new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const r = next();
        data[i] = specials && r < 0.02 ? Number.NaN : specials && r < 0.03 ? -inf : dyadic();
      }
      return new TensorData(dtype, shape, data as never);
    }
  }
}

/**
 * The oracle: walk the input in row-major order and fold each element into the output coordinate it
 * maps to (reduced dims dropped, or pinned to 0 with keepdim), in plain JS numbers or BigInts.
 */
function naiveReduce(
  op: "sum" | "mean" | "amax" | "amin",
  x: TensorData,
  dims: number[],
  keepdim: boolean,
): TensorData {
  const outShape = x.shape.flatMap((d, i) => (dims.includes(i) ? (keepdim ? [1] : []) : [d]));
  const n = numel(outShape);
  const big = x.dtype === "int64";
  const acc: (number | bigint)[] = new Array(n).fill(
    op === "sum" || op === "mean" ? (big ? 0n : 0) : undefined,
  );
  for (let e = 0; e < x.data.length; e++) {
    const coords = unravel(e, x.shape);
    const outCoords = coords.flatMap((c, i) => (dims.includes(i) ? (keepdim ? [0] : []) : [c]));
    const o = ravel(outCoords, outShape);
    const v = x.data[e]!;
    const cur = acc[o];
    if (op === "sum" || op === "mean")
      acc[o] = big ? (cur as bigint) + (v as bigint) : (cur as number) + (v as number);
    else if (cur === undefined || (typeof v === "number" && Number.isNaN(v)))
      acc[o] = Number.isNaN(cur as number) ? cur : v;
    else if (!(typeof cur === "number" && Number.isNaN(cur)) && (op === "amax" ? v > cur : v < cur))
      acc[o] = v;
  }
  const count = numel(dims.map((d) => x.shape[d]!));
  switch (x.dtype) {
    case "int32":
      return new TensorData(
        "int32",
        outShape,
        Int32Array.from(acc as number[], (v) => Number(BigInt.asIntN(32, BigInt(v)))),
      );
    case "int64":
      return new TensorData(
        "int64",
        outShape,
        BigInt64Array.from(acc as bigint[], (v) => BigInt.asIntN(64, v)),
      );
    default: {
      const values = (acc as number[]).map((v) => (op === "mean" ? v / count : v));
      return new TensorData(
        x.dtype,
        outShape,
        (x.dtype === "float32" ? Float32Array : Float64Array).from(values) as never,
      );
    }
  }
}

/** Oracle for argmax: scan along `dim` for each output coordinate, first maximum or first NaN wins. */
function naiveArgmax(x: TensorData, dim: number, keepdim: boolean): TensorData {
  const outShape = x.shape.flatMap((d, i) => (i === dim ? (keepdim ? [1] : []) : [d]));
  const result = new BigInt64Array(numel(outShape));
  for (let o = 0; o < result.length; o++) {
    const coords = unravel(o, outShape);
    if (!keepdim) coords.splice(dim, 0, 0);
    let best = -1;
    for (let k = 0; k < x.shape[dim]!; k++) {
      coords[dim] = k;
      const v = x.data[ravel(coords, x.shape)]!;
      const b =
        best < 0
          ? undefined
          : (x.data[ravel([...coords.slice(0, dim), best, ...coords.slice(dim + 1)], x.shape)] as
              | number
              | bigint);
      if (typeof b === "number" && Number.isNaN(b)) break;
      if (b === undefined || (typeof v === "number" && Number.isNaN(v)) || v > b) best = k;
    }
    result[o] = BigInt(best);
  }
  return new TensorData("int64", outShape, result);
}

const subsets = (rank: number): number[][] =>
  Array.from({ length: 2 ** rank }, (_, mask) => [...Array(rank).keys()].filter((d) => mask & (1 << d)));

const opDTypes = {
  sum: ["float32", "float64", "int32", "int64"],
  mean: ["float32", "float64"],
  amax: ["float32", "float64", "int32", "int64"],
  amin: ["float32", "float64", "int32", "int64"],
} as const;

describe("every subset of dims, keepdim on and off, against the naive oracle", () => {
  for (const [op, dtypes] of Object.entries(opDTypes) as [keyof typeof opDTypes, readonly DType[]][]) {
    for (const dtype of dtypes) {
      test(`${op} on ${dtype}: ranks 3 and 4, all ${8 + 16} subsets, 3 shapes each`, () => {
        const next = rng(op.length * 31 + dtype.length);
        for (const rank of [3, 4]) {
          for (let trial = 0; trial < 3; trial++) {
            const shape = Array.from({ length: rank }, () => randInt(next, 1, 4));
            const x = randomInput(dtype, shape, next, trial > 0);
            for (const dims of subsets(rank)) {
              for (const keepdim of [false, true]) {
                expectTensor(run(op, x, { dims, keepdim }), naiveReduce(op, x, dims, keepdim));
              }
            }
          }
        }
      });
    }
  }

  test.each(["float32", "float64", "int32", "int64"] as const)(
    "argmax on %s: every dim of rank 3 and 4 tensors with ties",
    (dtype) => {
      const next = rng(dtype.length);
      for (const rank of [1, 3, 4]) {
        for (let trial = 0; trial < 4; trial++) {
          const shape = Array.from({ length: rank }, () => randInt(next, 1, 4));
          // Few distinct values, so ties are common; floats also get NaNs.
          const values = Array.from({ length: numel(shape) }, () =>
            dtype.startsWith("float") && next() < 0.1 ? Number.NaN : randInt(next, 0, 2),
          );
          const x =
            dtype === "int64"
              ? i64(
                  shape,
                  values.map((v) => BigInt(v) * P60),
                )
              : new TensorData(
                  dtype,
                  shape,
                  (dtype === "float32" ? Float32Array : dtype === "float64" ? Float64Array : Int32Array).from(
                    values,
                  ) as never,
                );
          for (let dim = 0; dim < rank; dim++) {
            for (const keepdim of [false, true])
              expectTensor(run("argmax", x, { dim, keepdim }), naiveArgmax(x, dim, keepdim));
          }
        }
      }
    },
  );

  // Oracle: the naive fold again; a zero-size kept dim gives an empty result, a zero-size reduced dim
  // gives sum 0 and mean NaN.
  test("zero-size dims", () => {
    const x = f32([2, 0, 3], []);
    for (const dims of subsets(3)) {
      for (const op of ["sum", "mean"] as const)
        expectTensor(run(op, x, { dims, keepdim: false }), naiveReduce(op, x, dims, false));
    }
  });
});

describe("properties", () => {
  // Oracle: summing over a set of dims equals summing them one at a time (int32: exact, wrapping).
  test("sum over several dims equals successive single-dim sums", () => {
    fc.assert(
      fc.property(fc.integer(), fc.subarray([0, 1, 2, 3]), (seed, dims) => {
        const next = rng(seed);
        const shape = Array.from({ length: 4 }, () => randInt(next, 1, 3));
        const x = randomInput("int32", shape, next, false);
        let stepwise = x;
        for (const d of dims) stepwise = run("sum", stepwise, { dims: [d], keepdim: true });
        expect(run("sum", x, { dims, keepdim: true }).data).toEqual(stepwise.data);
      }),
      { numRuns: 100 },
    );
  });

  // Oracle: amax(x) = -amin(-x), composed with the neg kernel; holds for NaN too.
  test("amax(x) equals -amin(-x)", () => {
    fc.assert(
      fc.property(fc.integer(), fc.subarray([0, 1, 2]), (seed, dims) => {
        const next = rng(seed);
        const x = randomInput("float64", [3, 2, 4], next, true);
        const viaMin = runKernel("neg", [run("amin", runKernel("neg", [x]), { dims })]);
        expectTensor(run("amax", x, { dims }), viaMin);
      }),
      { numRuns: 100 },
    );
  });
});

describe("the reduction kernel slice is covered", () => {
  // Oracle: the catalog; every reduction op needs a kernel and value cases.
  test("every catalog op of category reduction has a kernel and at least one value case", () => {
    // Composites (softmax, logSoftmax) share the category but have their own kernel slice and tests.
    const composites = new Set<string>(Object.keys(compositeKernels));
    const ops = opNames
      .filter((op: OpName) => catalog[op].category === "reduction" && !composites.has(op))
      .sort();
    expect(Object.keys(reductionKernels).sort()).toEqual(ops);
    for (const op of ops) expect(valueCases[op as ReductionOp]?.length, op).toBeGreaterThan(0);
  });
});
