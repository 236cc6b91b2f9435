// Creation and random kernels: full and arange by hand, uniform and bernoulli against the generator
// in random.ts (the documented definition of the stream), its offset arithmetic, and statistics.
import { catalog, type OpName, opNames, type TensorData, uniform24, uniform53 } from "@aotjs/ir";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { creationKernels } from "../src/kernels/creation.js";
import { runKernel } from "../src/kernels/run.js";
import { b8, expectTensor, f32, f64, i32, i64 } from "./support-kernels.js";

type CreationOp = keyof typeof creationKernels;
interface Case {
  readonly in?: TensorData[];
  readonly attrs: object;
  readonly out: TensorData;
}
const run = (op: CreationOp, inputs: TensorData[], attrs: object) => runKernel(op, inputs, attrs as never);
const seedOffset = (seed: number | bigint, offset: number | bigint) => [i64([], [seed]), i64([], [offset])];

// Oracle for full/arange: hand-computed values (arange is start + i * step, as torch.arange). For
// uniform/bernoulli: the element formulas of the op's contract evaluated with random.ts directly.
const valueCases: Record<CreationOp, Case[]> = {
  full: [
    { attrs: { shape: [2, 2], value: 1.5 }, out: f32([2, 2], [1.5, 1.5, 1.5, 1.5]) },
    { attrs: { shape: [], value: 0.1, dtype: "float64" }, out: f64([], [0.1]) },
    { attrs: { shape: [1], value: 0.1 }, out: f32([1], [Math.fround(0.1)]) },
    { attrs: { shape: [2], value: 2 ** 60, dtype: "int64" }, out: i64([2], [2n ** 60n, 2n ** 60n]) },
    { attrs: { shape: [1], value: -(2 ** 63), dtype: "int64" }, out: i64([1], [-(2n ** 63n)]) },
    { attrs: { shape: [3], value: -7, dtype: "int32" }, out: i32([3], [-7, -7, -7]) },
    { attrs: { shape: [2], value: 1, dtype: "bool" }, out: b8([2], [1, 1]) },
    { attrs: { shape: [0, 3], value: 4, dtype: "int32" }, out: i32([0, 3], []) },
    { attrs: { shape: [1], value: Number.NaN }, out: f32([1], [Number.NaN]) },
  ],
  arange: [
    { attrs: { end: 5 }, out: i64([5], [0, 1, 2, 3, 4]) },
    { attrs: { start: 1, end: 2, step: 0.25, dtype: "float32" }, out: f32([4], [1, 1.25, 1.5, 1.75]) },
    { attrs: { start: 5, end: 0, step: -2, dtype: "int32" }, out: i32([3], [5, 3, 1]) },
    { attrs: { start: 3, end: 1 }, out: i64([0], []) },
    // Ten elements (ceil(1 / 0.1) = 10), each i * 0.1 in float64: 0.30000000000000004 at i = 3.
    {
      attrs: { end: 1, step: 0.1, dtype: "float64" },
      out: f64(
        [10],
        Array.from({ length: 10 }, (_, i) => i * 0.1),
      ),
    },
    // Integer dtypes truncate toward zero: -1.5, -0.5, 0.5 become -1, 0, 0.
    { attrs: { start: -1.5, end: 1, dtype: "int64" }, out: i64([3], [-1, 0, 0]) },
  ],
  uniform: [
    {
      in: seedOffset(42, 7),
      attrs: { shape: [2, 2], low: -1, high: 3 },
      out: f32(
        [2, 2],
        [0, 1, 2, 3].map((i) => -1 + 4 * uniform24(42, 7 + i)),
      ),
    },
    {
      in: [i32([], [5]), i32([], [0])],
      attrs: { shape: [3], dtype: "float64" },
      out: f64(
        [3],
        [0, 1, 2].map((i) => uniform53(5, i)),
      ),
    },
    { in: seedOffset(1, 0), attrs: { shape: [0] }, out: f32([0], []) },
  ],
  bernoulli: [
    {
      in: seedOffset(3, 100),
      attrs: { shape: [6], p: 0.5 },
      out: b8(
        [6],
        [0, 1, 2, 3, 4, 5].map((i) => uniform24(3, 100 + i) < 0.5),
      ),
    },
    { in: seedOffset(3, 0), attrs: { shape: [4], p: 0 }, out: b8([4], [0, 0, 0, 0]) },
    { in: seedOffset(3, 0), attrs: { shape: [4], p: 1 }, out: b8([4], [1, 1, 1, 1]) },
  ],
};

describe("creation kernels: hand-computed values", () => {
  for (const [op, cases] of Object.entries(valueCases) as [CreationOp, Case[]][]) {
    test.each(cases.map((c, i) => [i, c] as const))(`${op} case %i`, (_i, c) => {
      expectTensor(run(op, c.in ?? [], c.attrs), c.out);
    });
  }

  // Oracle: the hand-written arange values, which a float32 accumulation (x += step) would miss.
  test("arange computes start + i * step, not a running sum", () => {
    const result = run("arange", [], { end: 1e5, step: 0.1, dtype: "float64" });
    expect(result.data.length).toBe(1e6);
    expect(result.data[999_999]).toBe(999_999 * 0.1);
  });
});

describe("errors name the op", () => {
  // Oracle: the contract (counters in [0, 2^53); float64 draws need 2c + 1 exact, so c < 2^52).
  test.each([
    [[i64([], [-1]), i64([], [0])], /^uniform: seed must be in \[0, 2\^53\), got -1 \(i64\[\]\)/],
    [[i64([], [0]), i32([], [-5])], /^uniform: offset must be in \[0, 2\^53\), got -5 \(i32\[\]\)/],
    [[i64([], [2n ** 53n]), i64([], [0])], /^uniform: seed must be in \[0, 2\^53\), got 9007199254740992/],
    [
      [i64([], [0]), i64([], [2n ** 53n - 2n])],
      /^uniform: counters offset 9007199254740990 \.\. offset \+ 3 pass 2\^53/,
    ],
  ])("uniform %#", (inputs, message) => {
    expect(() => run("uniform", inputs, { shape: [4] })).toThrow(message);
  });

  test("float64 uniform keeps counters below 2^52", () => {
    expect(() => run("uniform", seedOffset(0, 2n ** 52n - 1n), { shape: [2], dtype: "float64" })).toThrow(
      /pass 2\^52/,
    );
    expect(() =>
      run("uniform", seedOffset(0, 2n ** 52n - 2n), { shape: [2], dtype: "float64" }),
    ).not.toThrow();
  });

  test("uniform rejects low > high and an infinite range", () => {
    expect(() => run("uniform", seedOffset(0, 0), { shape: [1], low: 1, high: 0 })).toThrow(
      /^uniform: needs finite low <= high/,
    );
    expect(() => run("uniform", seedOffset(0, 0), { shape: [1], low: -1e308, high: 1e308 })).toThrow(
      /^uniform:/,
    );
  });

  test("bernoulli checks its seed too", () => {
    expect(() => run("bernoulli", [i32([], [-3]), i32([], [0])], { shape: [1], p: 0.5 })).toThrow(
      /^bernoulli: seed must be/,
    );
  });
});

describe("uniform and bernoulli streams", () => {
  // Oracle: the op's contract that element i is a pure function of (seed, offset + i).
  test("equal (seed, offset) give equal samples; a different seed gives different ones", () => {
    const a = run("uniform", seedOffset(9, 4), { shape: [64] });
    expectTensor(run("uniform", seedOffset(9, 4), { shape: [64] }), a);
    expectTensor(run("uniform", [i32([], [9]), i32([], [4])], { shape: [64] }), a); // int32 or int64 inputs alike
    const other = run("uniform", seedOffset(10, 4), { shape: [64] });
    expect([...other.data].filter((v, i) => v === a.data[i]).length).toBeLessThan(3);
  });

  test("property: offset k gives elements k.. of offset 0, for both dtypes and bernoulli", () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 0, max: 30 }),
        (seed, k, n) => {
          for (const dtype of ["float32", "float64"] as const) {
            const shifted = run("uniform", seedOffset(seed, k), { shape: [n], dtype });
            const base = run("uniform", seedOffset(seed, 0), { shape: [n + k], dtype });
            expect([...shifted.data]).toEqual([...base.data].slice(k));
          }
          const mask = run("bernoulli", seedOffset(seed, k), { shape: [n], p: 0.3 });
          const baseMask = run("bernoulli", seedOffset(seed, 0), { shape: [n + k], p: 0.3 });
          expect([...mask.data]).toEqual([...baseMask.data].slice(k));
        },
      ),
      { numRuns: 50 },
    );
  });

  // Oracle: U(low, high) has mean (low + high) / 2 and variance (high - low)^2 / 12; with n = 2e5 the
  // standard error of the mean is 5 / sqrt(12 n) = 0.0032, and the bounds below are 5 of them.
  test.each(["float32", "float64"] as const)(
    "%s samples lie in [low, high) with the right mean and variance",
    (dtype) => {
      const n = 200_000;
      const x = run("uniform", seedOffset(2024, 17), { shape: [n], low: -2, high: 3, dtype })
        .data as Float32Array;
      let sum = 0;
      let squares = 0;
      let outside = 0;
      for (const v of x) {
        if (!(v >= -2 && v < 3)) outside++;
        sum += v;
        squares += v * v;
      }
      expect(outside).toBe(0);
      const mean = sum / n;
      expect(Math.abs(mean - 0.5)).toBeLessThan(5 * (5 / Math.sqrt(12 * n)));
      expect(Math.abs(squares / n - mean * mean - 25 / 12)).toBeLessThan(0.03);
      // Ten equal bins should each hold n / 10 within 5 standard deviations of a binomial count.
      const bins = new Array(10).fill(0);
      for (const v of x) bins[Math.floor((v + 2) / 0.5)]++;
      for (const count of bins) expect(Math.abs(count - n / 10)).toBeLessThan(5 * Math.sqrt(n * 0.1 * 0.9));
    },
  );

  // Oracle: low + (high - low) * u rounds to high for u just below 1 when [low, high) is one float32 ulp
  // wide; the kernel must keep samples strictly below high, and the only float32 in range is low.
  test("rounding never produces high itself", () => {
    const high = 1 + 2 ** -23;
    const x = run("uniform", seedOffset(5, 0), { shape: [1000], low: 1, high }).data;
    expect([...x].every((v) => v === 1)).toBe(true);
    const y = run("uniform", seedOffset(5, 0), { shape: [10], low: 2, high: 2, dtype: "float64" }).data;
    expect([...y].every((v) => v === 2)).toBe(true);
  });

  // Oracle: a Binomial(n, p) count is within 5 standard deviations of n p.
  test.each([0.01, 0.3, 0.5, 0.9])("bernoulli frequency is p = %f", (p) => {
    const n = 200_000;
    const mask = run("bernoulli", seedOffset(77, 1000), { shape: [n], p }).data as Uint8Array;
    let ones = 0;
    for (const v of mask) ones += v;
    expect(mask.every((v) => v === 0 || v === 1)).toBe(true);
    expect(Math.abs(ones - n * p)).toBeLessThan(5 * Math.sqrt(n * p * (1 - p)));
  });
});

describe("the creation kernel slice is covered", () => {
  // Oracle: the catalog; every creation and random op needs a kernel and value cases.
  test("every catalog op of category creation or random has a kernel and at least one value case", () => {
    const ops = opNames.filter((op: OpName) => ["creation", "random"].includes(catalog[op].category)).sort();
    expect(Object.keys(creationKernels).sort()).toEqual(ops);
    for (const op of ops) expect(valueCases[op as CreationOp]?.length, op).toBeGreaterThan(0);
  });
});
